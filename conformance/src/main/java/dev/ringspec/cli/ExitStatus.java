package dev.ringspec.cli;

import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The exit statuses of {@code ringspec}: one table for every command, printed by {@code --help} and copied in
 * README.md (a test holds the two equal), and the order in which a matrix of kernels picks its worst.
 *
 * <p>A kernel that cannot be used here (77) is never confused with one that was checked and diverged (1), nor with
 * one that was tried and failed (3): a divergence is what a check is run to find, so it outranks a guest that could
 * not be booted, which outranks a kernel that could not even be tried. A usage error (2) is the user's to fix first.
 * A bad replay file (65) is the user's too, but the check ran without it, so what the check found outranks it.
 */
final class ExitStatus {
    /** Nothing new: the check was clean, or found only kernel bugs the catalogue knows (the summary names them). */
    static final int OK = 0;
    /** A check found a new, reproducible divergence (bpf-check: a difference, or a mutant not caught). */
    static final int DIVERGENCE = 1;
    /** Bad options: an unknown option or kernel spec, a path that does not exist, a file that is no kernel. */
    static final int USAGE = 2;
    /** A guest kernel was tried and failed: it did not boot, it died, or its agent stopped answering. */
    static final int GUEST_FAILED = 3;
    /** Reserved: the kernel logged a splat (WARNING, BUG, Oops, KASAN, lockdep) during the check. */
    static final int SPLAT = 4;
    /** A replay file is not a replay (empty, not JSON, an unknown step): named, skipped, the rest ran (EX_DATAERR). */
    static final int BAD_INPUT = 65;
    /** io_uring or a guest kernel cannot be used here: io_uring disabled or absent, QEMU missing, no download. */
    static final int UNAVAILABLE = 77;
    /** The launcher found no JDK 25 or later (EX_CONFIG; {@code .mvn/find-jdk.sh}, also for {@code ./mvnw}). */
    static final int NO_JDK = 78;
    /** Interrupted (Ctrl-C, SIGINT: 128 + 2), after a partial summary. */
    static final int INTERRUPTED = 130;

    /** One row of the table: the status, what it means, and the commands that can end with it. */
    record Row(int status, String meaning, String commands) {
    }

    /** The table, in the order of the statuses. */
    static final List<Row> TABLE = List.of(
            new Row(OK, "nothing new: the check was clean, or found only kernel bugs the catalogue knows (named in "
                    + "the summary)", "all"),
            new Row(DIVERGENCE, "a new divergence (bpf-check: a difference, or a model mutant not caught)",
                    "check, bpf-check; run and host exit as their program"),
            new Row(USAGE, "usage error: no command, an unknown or negative option, an unknown kernel spec, a "
                    + "missing replay directory or image file, a file that is no kernel", "all"),
            new Row(GUEST_FAILED, "a guest kernel failed: it did not boot, it died, or its agent stopped answering "
                    + "(the console's last lines are printed)", "check, caps and run with --kernel"),
            new Row(SPLAT, "the kernel logged a splat during the check (WARNING, BUG, Oops, KASAN, UBSAN, lockdep; "
                    + "this machine's kernel log)", "check"),
            new Row(BAD_INPUT, "bad input: a replay file that is no replay (named in one sentence, skipped; the rest "
                    + "of the check ran)", "check, bpf-check"),
            new Row(UNAVAILABLE, "cannot run here: io_uring disabled, blocked or absent, socket filters unusable, "
                    + "QEMU missing, or the kernel could not be downloaded (host: the program could not be started under "
                    + "the filter)", "check, caps, bpf-check, run, host"),
            new Row(NO_JDK, "ringspec could not start: no JDK 25 or later found, or its build failed",
                    "the ringspec script (and ./mvnw without a JDK)"),
            new Row(INTERRUPTED, "interrupted (Ctrl-C): a partial summary is printed, any guest stopped", "all"));

    /** From best to worst; the reserved and launcher-only statuses rank where they would. */
    private static final List<Integer> RANK = List.of(OK, UNAVAILABLE, BAD_INPUT, DIVERGENCE, SPLAT, GUEST_FAILED,
            USAGE, NO_JDK, INTERRUPTED);

    private ExitStatus() {
    }

    /** The worse of two statuses; an unknown one (a program's own, from {@code run}) counts as a failure. */
    static int worst(int a, int b) {
        return rank(a) >= rank(b) ? a : b;
    }

    private static int rank(int status) {
        int r = RANK.indexOf(status);
        return r < 0 ? RANK.indexOf(GUEST_FAILED) : r;
    }

    /** The table as picocli's exit-code list ({@code --help} of every command). */
    static Map<String, String> helpList() {
        return TABLE.stream().collect(Collectors.toMap(r -> String.valueOf(r.status()),
                r -> r.meaning() + " [" + r.commands() + "]", (a, b) -> a, java.util.LinkedHashMap::new));
    }

    /** The table in Markdown, as README.md holds it. */
    static String markdown() {
        Function<Row, String> line = r -> "| `" + r.status() + "` | " + r.meaning() + " | " + r.commands() + " |";
        return "| status | meaning | commands |\n|---|---|---|\n"
                + TABLE.stream().map(line).collect(Collectors.joining("\n")) + "\n";
    }
}
