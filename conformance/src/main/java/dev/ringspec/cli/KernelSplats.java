package dev.ringspec.cli;

import dev.ringspec.guest.agent.AgentException;
import dev.ringspec.guest.agent.AgentSession;
import dev.ringspec.lockstep.LockstepCheck;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Kernel splats during a check: the kernel log (this machine's {@code /dev/kmsg}, or a guest's, read by its agent)
 * is read before the run and after each replay and generated run (a {@link LockstepCheck.Progress} around the
 * check's own), and every new line that reports a WARNING, BUG, Oops, KASAN or UBSAN report, a lockdep report or a
 * taint caused in io_uring is kept with the replay or run that was running. {@link #report} prints them as their own
 * category; any makes the check exit {@link ExitStatus#SPLAT}.
 */
final class KernelSplats {
    /** One splat line, its kind, and what was running when it appeared. */
    record Splat(String kind, String line, String during) {
    }

    /** The kinds, each with the message that starts such a report (the kernel's wording). */
    private static final List<Kind> KINDS = List.of(
            new Kind("WARNING", Pattern.compile("^WARNING:")),
            new Kind("BUG", Pattern.compile("^BUG:|^kernel BUG at ")),
            new Kind("Oops", Pattern.compile("^Oops|^general protection fault|^Unable to handle kernel")),
            new Kind("KASAN", Pattern.compile("KASAN:")),
            new Kind("UBSAN", Pattern.compile("UBSAN:")),
            new Kind("lockdep", Pattern.compile("possible circular locking dependency|inconsistent lock state"
                    + "|possible recursive locking|suspicious RCU usage|possible irq lock inversion")),
            new Kind("taint", Pattern.compile("(?i)io_uring.*\\btaint|\\btaint.*io_uring")));

    private record Kind(String name, Pattern start) {
    }

    /** A console or kmsg line: an optional {@code <level>}, an optional {@code [ seconds]}, the message. */
    private static final Pattern LINE = Pattern.compile("^(?:<\\d+>)?(?:\\[\\s*\\d+\\.\\d+\\]\\s?)?(.*)$");

    /** A kernel log read after each replay and run: this machine's {@code /dev/kmsg}, or a guest's. */
    interface Source {
        /** The messages logged since the last call, each as {@code <level>message}. */
        List<String> newLines();

        /** The log, as the summary names it. */
        String description();

        default void close() {
        }
    }

    private final Optional<Source> log;
    private final String unreadable;
    private final List<Splat> found = new ArrayList<>();
    private boolean closed;

    private KernelSplats(Optional<Source> log, String unreadable) {
        this.log = log;
        this.unreadable = unreadable;
    }

    /** Watches this machine's kernel log ({@code /dev/kmsg}), from now on. */
    static KernelSplats nativeLog() {
        KernelLog.Result opened = KernelLog.open(KernelLog.DEVICE);
        return new KernelSplats(opened.log().map(l -> l), opened.reason());
    }

    /**
     * Watches a guest kernel's log from now on: its {@code /dev/kmsg}, which the guest's agent reads whatever the
     * console's log level (the guest's command line says {@code quiet}, which keeps KERN_WARNING off the console).
     */
    static KernelSplats guestLog(AgentSession session, String kernel) {
        try {
            session.kernelLog(); // what the guest logged before the check: its boot
        } catch (AgentException e) {
            return unwatched("the guest kernel " + kernel + "'s log cannot be read (" + e.getMessage() + "), so "
                    + "kernel splats are not watched");
        }
        return new KernelSplats(Optional.of(new Source() {
            @Override
            public List<String> newLines() {
                return session.kernelLog().lines();
            }

            @Override
            public String description() {
                return "the guest kernel " + kernel + "'s log (/dev/kmsg, read by its agent)";
            }
        }), null);
    }

    /** Watches nothing and says why. */
    static KernelSplats unwatched(String why) {
        return new KernelSplats(Optional.empty(), why);
    }

    /** Watches nothing and says nothing: no kernel runs (the emulator checked against the model). */
    static KernelSplats noKernel() {
        return new KernelSplats(Optional.empty(), null);
    }

    /** The splat lines among {@code lines} (kmsg, dmesg or console lines), each noted as seen during {@code during}. */
    static List<Splat> parse(List<String> lines, String during) {
        List<Splat> splats = new ArrayList<>();
        for (String raw : lines) {
            Matcher m = LINE.matcher(raw.strip());
            String message = m.matches() ? m.group(1).strip() : raw.strip();
            for (Kind kind : KINDS) {
                if (kind.start().matcher(message).find()) {
                    splats.add(new Splat(kind.name(), message, during));
                    break;
                }
            }
        }
        return splats;
    }

    /** Reads the log now and keeps its new splats as seen during {@code during}. */
    synchronized void poll(String during) {
        if (!closed) {
            log.ifPresent(l -> found.addAll(parse(l.newLines(), during)));
        }
    }

    /** {@code inner}, reading the log after each replay and run of a check whose first run has seed {@code seed}. */
    LockstepCheck.Progress watching(LockstepCheck.Progress inner, long seed) {
        if (log.isEmpty()) {
            return inner;
        }
        return (soFar, planned) -> {
            poll(soFar.runs() == 0 ? "replay " + soFar.replays() : "generated run " + soFar.runs() + " (seed "
                    + (seed + soFar.runs() - 1) + ")");
            inner.update(soFar, planned);
        };
    }

    synchronized List<Splat> found() {
        return List.copyOf(found);
    }

    /**
     * Reads the log a last time ({@code during} names what ran since the last read), prints the splats (or why the
     * log was not watched) and closes it: {@link ExitStatus#SPLAT} when any appeared, else {@link ExitStatus#OK}.
     */
    synchronized int report(PrintWriter out, String during) {
        poll(during);
        if (!closed) {
            log.ifPresent(Source::close);
            closed = true;
        }
        if (log.isEmpty() && unreadable == null) {
            return ExitStatus.OK;
        } else if (log.isEmpty()) {
            out.println("kernel splats: not watched: " + unreadable);
        } else if (found.isEmpty()) {
            out.println("kernel splats: none (" + log.get().description() + ", was read before the run, after "
                    + "each replay and run, and at the end)");
        } else {
            out.printf("kernel splats: %d new line(s) in the kernel log since the check began (exit %d)%n",
                    found.size(), ExitStatus.SPLAT);
            for (Splat s : found) {
                out.printf("  %-8s during %s: %s%n", s.kind(), s.during(), s.line());
            }
        }
        out.flush();
        return found.isEmpty() ? ExitStatus.OK : ExitStatus.SPLAT;
    }
}
