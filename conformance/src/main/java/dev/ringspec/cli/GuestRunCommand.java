package dev.ringspec.cli;

import dev.ringspec.guest.agent.AgentSession;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code ringspec guest-run --kernel SPEC --out DIR PROGRAM...}: runs static programs one after another in one guest
 * of that kernel, each copied in, run (through a launcher when given) and removed again, and keeps what each did in
 * {@code DIR}: {@code NAME.out} (its standard output, then its standard error) and {@code NAME.exit} ("EXIT SECONDS":
 * the exit status as a shell reports it, and the wall-clock seconds of the run), NAME being the program's file name
 * without its extension. A program that kills the guest or stops its agent is given exit status 137 and the sentence
 * saying so as its output, and the rest run in a fresh guest. Hidden: scripts/liburing-yardstick's {@code --guest}
 * runs liburing's tests with it.
 */
@Command(name = "guest-run", hidden = true, mixinStandardHelpOptions = true,
        description = "Run static programs in turn in one guest of the given kernel; each one's output and exit "
                + "status go to files in --out.")
final class GuestRunCommand implements Callable<Integer> {
    /** Where the programs and files go in the guest (its initramfs has no other writable directory). */
    private static final String GUEST_DIR = "/tmp";
    /** The exit status of a program during which the guest died, as if the guest's end had been a SIGKILL. */
    static final int GUEST_DIED = 137;

    @Option(names = "--kernel", paramLabel = "SPEC", required = true, description = "debian:6.1, debian:6.12, "
            + "debian:7.2, debian:7.3 (the newest matching package), or a bzImage path.")
    private String kernel;

    @Option(names = "--out", paramLabel = "DIR", required = true, description = "Where NAME.out and NAME.exit go.")
    private Path out;

    @Option(names = "--timeout-seconds", description = "Kill each program (or its launcher) after this long "
            + "(default: ${DEFAULT-VALUE}).")
    private int timeoutSeconds = 600;

    @Option(names = "--file", paramLabel = "FILE", description = "A file copied into the guest's " + GUEST_DIR
            + " beside the programs before the first runs (repeatable).")
    private List<Path> files = new ArrayList<>();

    @Option(names = "--launcher", paramLabel = "PROGRAM", description = "A static program run as LAUNCHER "
            + "[ARG]... PROGRAM for each program (copied in like a --file).")
    private Path launcher;

    @Option(names = "--launcher-arg", paramLabel = "ARG", description = "An argument for the launcher, before the "
            + "program (repeatable).")
    private List<String> launcherArgs = new ArrayList<>();

    @Parameters(arity = "1..*", paramLabel = "PROGRAM", description = "Statically linked programs, run with no "
            + "argument.")
    private List<Path> programs = new ArrayList<>();

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter err = spec.commandLine().getErr();
        PrintWriter progress = spec.commandLine().getOut();
        if (timeoutSeconds < 1) {
            err.println("ringspec: --timeout-seconds must be at least 1");
            return ExitStatus.USAGE;
        }
        List<Path> shared = new ArrayList<>(files);
        if (launcher != null) {
            shared.add(launcher);
        }
        for (Path file : concat(shared, programs)) {
            if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
                err.println("ringspec: cannot read " + file + " (give a static program or file)");
                return ExitStatus.USAGE;
            }
        }
        try {
            Files.createDirectories(out);
        } catch (IOException e) {
            err.println("ringspec: cannot create the output directory " + out + ": " + e.getMessage());
            return ExitStatus.USAGE;
        }
        int next = 0;
        while (next < programs.size()) {
            int first = next;
            int[] running = {-1};
            StringWriter guestErr = new StringWriter();
            PrintWriter guestErrWriter = new PrintWriter(guestErr, true);
            int status = GuestKernels.withGuest(kernel, guestErrWriter, (guest, memory) -> {
                for (Path file : shared) {
                    int written = guest.session().writeFile(guestPath(file), 0755, Files.readAllBytes(file));
                    if (written < 0) {
                        err.println("ringspec: the guest could not store " + guestPath(file) + " (errno "
                                + -written + ")");
                        return ExitStatus.GUEST_FAILED;
                    }
                }
                for (int i = first; i < programs.size(); i++) {
                    running[0] = i;
                    runOne(guest.session(), programs.get(i), progress);
                }
                return ExitStatus.OK;
            });
            guestErrWriter.flush();
            if (status == ExitStatus.OK) {
                return ExitStatus.OK;
            }
            if (running[0] < 0) {
                // the guest did not get as far as the first program: nothing more can run
                err.print(guestErr);
                err.flush();
                return status;
            }
            Path program = programs.get(running[0]);
            String sentence = guestErr.toString().strip();
            Files.writeString(out.resolve(name(program) + ".out"), sentence + "\n");
            Files.writeString(out.resolve(name(program) + ".exit"), GUEST_DIED + " 0.00\n");
            progress.println(name(program) + " " + GUEST_DIED + " (the guest ended: a fresh one runs the rest)");
            progress.flush();
            next = running[0] + 1;
        }
        return ExitStatus.OK;
    }

    /** Copies one program in, runs it, keeps its output and exit status, and empties its file in the guest. */
    private void runOne(AgentSession session, Path program, PrintWriter progress) throws IOException {
        String target = guestPath(program);
        int written = session.writeFile(target, 0755, Files.readAllBytes(program));
        if (written < 0) {
            throw new IOException("the guest could not store " + target + " (errno " + -written + ")");
        }
        List<String> argv = new ArrayList<>();
        if (launcher != null) {
            argv.add(guestPath(launcher));
            argv.addAll(launcherArgs);
        }
        argv.add(target);
        long start = System.nanoTime();
        AgentSession.RunResult result = session.run(argv, Duration.ofSeconds(timeoutSeconds));
        double seconds = (System.nanoTime() - start) / 1e9;
        // the guest keeps its files in memory: the program's bytes go once it has run
        session.writeFile(target, 0644, new byte[0]);
        String name = name(program);
        byte[] stdout = result.stdout();
        byte[] stderr = result.stderr();
        byte[] both = new byte[stdout.length + stderr.length];
        System.arraycopy(stdout, 0, both, 0, stdout.length);
        System.arraycopy(stderr, 0, both, stdout.length, stderr.length);
        Files.write(out.resolve(name + ".out"), both);
        int exit = result.exitCode();
        if (result.timedOut()) {
            Files.writeString(out.resolve(name + ".out"), "ringspec guest-run: no exit within " + timeoutSeconds
                    + " s in the guest; killed\n", java.nio.file.StandardOpenOption.APPEND);
        }
        String line = String.format(Locale.ROOT, "%d %.2f", exit, seconds);
        Files.writeString(out.resolve(name + ".exit"), line + "\n");
        progress.println(name + " " + line);
        progress.flush();
    }

    /** The program's file name without its extension ("nop.t" is "nop"). */
    static String name(Path program) {
        String file = program.getFileName().toString();
        int dot = file.lastIndexOf('.');
        return dot > 0 ? file.substring(0, dot) : file;
    }

    private static String guestPath(Path file) {
        return GUEST_DIR + "/" + file.getFileName();
    }

    private static List<Path> concat(List<Path> a, List<Path> b) {
        List<Path> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }
}
