package dev.ringspec.cli;

import dev.ringspec.capabilities.KernelCapabilities;
import dev.ringspec.fixtures.vectors.Lesson;
import dev.ringspec.fixtures.vectors.Lessons;
import dev.ringspec.fixtures.vectors.VectorFormatException;
import dev.ringspec.fixtures.vectors.VectorParser;
import dev.ringspec.lockstep.DivergenceCatalogue;
import dev.ringspec.lockstep.ReferenceBackends;
import dev.ringspec.lockstep.ReplayCase;
import dev.ringspec.lockstep.ReplayStore;
import dev.ringspec.model.KernelProfile;
import dev.ringspec.seam.Backend;
import dev.ringspec.teach.Explanation;
import dev.ringspec.teach.HtmlPage;
import dev.ringspec.teach.LessonRun;
import dev.ringspec.teach.ReplayRun;
import dev.ringspec.teach.TerminalText;
import dev.ringspec.vectors.VectorRunner;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code ringspec explain LESSON}: a lesson's steps with pictures of the rings and the model's rules, in the terminal
 * or as an HTML page; {@code --kernel [SPEC]} beside this kernel or a guest kernel in QEMU; {@code --replay FILE} for a
 * saved divergence or catalogue entry. Without arguments it lists the shipped lessons.
 */
@Command(name = "explain", mixinStandardHelpOptions = true,
        description = "Show the rings step by step: a shipped lesson by name, or a lesson file; without one, list "
                + "the lessons.")
final class ExplainCommand implements Callable<Integer> {
    private static final String NATIVE = "native";

    @Parameters(arity = "0..1", paramLabel = "LESSON", description = "A shipped lesson's name (see the list) or a "
            + "lesson file.")
    private String lesson;

    @Option(names = "--kernel", paramLabel = "SPEC", arity = "0..1", fallbackValue = NATIVE, description = "Run the "
            + "lesson (or replay) on a kernel too and show it beside the model, which then takes that kernel's "
            + "profile: this kernel (no SPEC, or native), or one booted in QEMU (debian:6.1, debian:6.12, debian:7.2, "
            + "debian:7.3, or a bzImage path; downloaded once into ~/.cache/ringspec).")
    private String kernel;

    @Option(names = "--html", paramLabel = "FILE", arity = "0..1", fallbackValue = "",
            description = "Write one self-contained HTML page instead (default: LESSON.html here).")
    private String html;

    @Option(names = "--replay", paramLabel = "FILE", description = "A saved lockstep divergence (its JSON file) or "
            + "a divergence catalogue entry's id: model and this kernel side by side up to where they part.")
    private String replay;

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        // `explain --kernel NAME`: the option's optional value took the lesson's name
        if (lesson == null && replay == null && kernel != null && isLessonName(kernel)) {
            lesson = kernel;
            kernel = NATIVE;
        }
        if (lesson == null && replay == null) {
            out.println("Lessons (ringspec explain NAME [--kernel [SPEC]] [--html]):");
            for (String name : Lessons.names()) {
                Lesson l = Lessons.load(name);
                out.printf("  %-36s %s%s%n", name.replace(".lesson", ""), l.title(),
                        l.kernelOnly() ? " (kernel only)" : l.emulator() ? " (on the emulator)" : "");
            }
            return ExitStatus.OK;
        }
        if (lesson != null && replay != null) {
            err.println("ringspec: give a lesson or --replay FILE, not both");
            return ExitStatus.USAGE;
        }
        Explanation explanation;
        try {
            explanation = replay != null ? replay(err) : lesson(err);
        } catch (BadInput e) {
            if (e.getMessage() != null) {
                err.println("ringspec: " + e.getMessage());
            }
            err.flush();
            return e.status;
        }
        if (html == null) {
            out.print(TerminalText.of(explanation));
            out.flush();
            return ExitStatus.OK;
        }
        String base = Path.of(replay != null ? replay : lesson).getFileName().toString().replaceAll("\\.[a-z]+$", "");
        Path page = html.isEmpty() ? Path.of(base + ".html") : Path.of(html);
        try {
            Files.writeString(page, HtmlPage.of(explanation), StandardCharsets.UTF_8);
        } catch (IOException e) {
            err.println("ringspec: cannot write " + page + ": " + e.getMessage());
            return ExitStatus.USAGE;
        }
        out.println("ringspec: wrote " + page.toAbsolutePath() + " (" + explanation.frames().size() + " steps)");
        return ExitStatus.OK;
    }

    private Explanation lesson(PrintWriter err) {
        Lesson l = readLesson(lesson);
        if (kernel == null && !l.kernelOnly()) {
            return LessonRun.run(l, LessonRun.modelSide(l, KernelProfile.LINUX_7_3), null);
        }
        return onKernel(kernel == null ? NATIVE : kernel, err, (k, caps) -> {
            // Beside a kernel the model takes that kernel's profile, unless the lesson needs what that kernel lacks
            Backend m = LessonRun.modelSide(l, KernelProfile.forCapabilities(caps));
            if (m != null && VectorRunner.skipReason(l.vector(), m) != null) {
                m = LessonRun.modelSide(l, KernelProfile.LINUX_7_3);
            }
            return LessonRun.run(l, m, k);
        });
    }

    /** What runs beside a kernel, given its backend and capabilities. */
    private interface BesideKernel {
        Explanation run(Backend kernel, KernelCapabilities caps);
    }

    /**
     * Runs {@code job} beside the kernel {@code spec}: this kernel ({@code native}) or a guest booted for it and
     * stopped after; whatever keeps that kernel from running is a {@link BadInput} with its exit status.
     */
    private static Explanation onKernel(String spec, PrintWriter err, BesideKernel job) {
        if (spec.equals(NATIVE)) {
            Backend k = ReferenceBackends.kernel();
            if (!k.availability().available()) {
                throw new BadInput(ExitStatus.UNAVAILABLE, "this kernel cannot run io_uring here: "
                        + k.availability().reason());
            }
            return job.run(k, k.capabilities());
        }
        Explanation[] done = new Explanation[1];
        int status;
        try {
            status = GuestKernels.withGuest(spec, err, (guest, memory) -> {
                KernelCapabilities caps = GuestKernels.probe(guest, memory, spec, err);
                if (caps == null) {
                    return ExitStatus.UNAVAILABLE;
                }
                done[0] = job.run(Backend.kernel("kernel " + spec + " (" + guest.session().release() + ")",
                        guest::backend), caps);
                return ExitStatus.OK;
            });
        } catch (Exception e) {
            throw new BadInput(ExitStatus.GUEST_FAILED, "the guest kernel " + spec + " failed: " + e);
        }
        if (done[0] == null) {
            // withGuest or the probe said why, in one sentence
            throw new BadInput(status == ExitStatus.OK ? ExitStatus.GUEST_FAILED : status, null);
        }
        return done[0];
    }

    /** Whether {@code name} names a shipped lesson or a lesson file, rather than a kernel. */
    private static boolean isLessonName(String name) {
        return !name.startsWith("debian:") && !name.equals(NATIVE) && (Lessons.has(name) || name.endsWith(".lesson"));
    }

    private Explanation replay(PrintWriter err) {
        DivergenceCatalogue.Entry entry = null;
        Path file = Path.of(replay);
        if (!Files.isRegularFile(file)) {
            Optional<DivergenceCatalogue.Entry> byId = DivergenceCatalogue.load().entries().stream()
                    .filter(e -> e.id().equals(replay)).findFirst();
            if (byId.isEmpty() || byId.get().replay() == null) {
                throw new BadInput(ExitStatus.USAGE, replay + " is neither a replay file nor a catalogue entry with "
                        + "a replay");
            }
            entry = byId.get();
            String name = entry.replay();
            file = ReplayStore.shipped().map(store -> store.directory().resolve(name))
                    .orElseThrow(() -> new BadInput(ExitStatus.BAD_INPUT, "this build ships no replays, so catalogue "
                            + "entry " + replay + " cannot be shown"));
        }
        ReplayCase c;
        try {
            c = ReplayStore.read(file);
        } catch (IOException | UncheckedIOException | IllegalArgumentException e) {
            throw new BadInput(ExitStatus.BAD_INPUT, file + " is not a lockstep replay (" + e.getMessage() + ")");
        }
        if (c.steps().isEmpty()) {
            throw new BadInput(ExitStatus.BAD_INPUT, file + " is not a lockstep replay: it has no steps");
        }
        ReplayCase replayCase = c;
        DivergenceCatalogue.Entry catalogued = entry;
        String source = file.toString();
        return onKernel(kernel == null ? NATIVE : kernel, err,
                (k, caps) -> ReplayRun.run(replayCase, source, catalogued, ReferenceBackends.reference(caps), k));
    }

    private static Lesson readLesson(String name) {
        Path file = Path.of(name);
        try {
            if (Files.isRegularFile(file)) {
                return VectorParser.parseLesson(file.getFileName().toString(), Files.readString(file));
            }
            if (Lessons.has(name)) {
                return Lessons.load(name);
            }
        } catch (VectorFormatException e) {
            throw new BadInput(ExitStatus.USAGE, e.getMessage());
        } catch (IOException e) {
            throw new BadInput(ExitStatus.USAGE, "cannot read " + file + ": " + e.getMessage());
        }
        throw new BadInput(ExitStatus.USAGE, "no lesson file or shipped lesson is named " + name
                + " (`ringspec explain` lists them)");
    }

    /** Bad input, said in one sentence, with the exit status it gets. */
    private static final class BadInput extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final int status;

        BadInput(int status, String message) {
            super(message);
            this.status = status;
        }
    }
}
