package dev.ringspec.host;

import static java.lang.foreign.ValueLayout.JAVA_INT;

import dev.ringspec.emulator.sys.Linux;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * The host server's programs' orphans. A process that leaves its program's family as a daemon does (it forks, its
 * parent exits: it is reparented) would escape the kill of a program whose client went away, and, as it still uses
 * the filter, keep the server serving it while the next client waits. So the server is its programs' child subreaper
 * ({@code prctl(PR_SET_CHILD_SUBREAPER)}; kernel/exit.c {@code find_new_reaper}): such an orphan becomes a child of
 * this JVM, which {@link ServedClient#kill} takes with the program, and which this JVM reaps once it ended (Java
 * waits only for the processes it started; a zombie would keep the filter in use).
 */
final class Orphans {
    private static final long SYS_PRCTL = 157;
    private static final int PR_SET_CHILD_SUBREAPER = 36;
    private static final long SYS_WAITID = 247;
    private static final int P_ALL = 0;
    private static final int P_PID = 1;
    private static final int WNOHANG = 1;
    private static final int WEXITED = 4;
    private static final int WNOWAIT = 0x01000000;
    /** siginfo_t: 128 bytes; si_pid at 16 (x86-64, the union after signo, errno, code and padding). */
    private static final long SIGINFO_BYTES = 128;
    private static final long SI_PID = 16;

    private Orphans() {
    }

    /** Makes this JVM the subreaper of its children's descendants: whether the kernel took it. */
    static boolean adopt() {
        return Linux.call(SYS_PRCTL, PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0, 0) == 0;
    }

    /** The children of this JVM but {@code program} (the process Java started): orphans it adopted. */
    static List<ProcessHandle> adopted(Process program) {
        return ProcessHandle.current().children().filter(c -> c.pid() != program.pid()).toList();
    }

    /**
     * Reaps the adopted orphans that ended, never a process Java started (its own reaper waits for those): looks at
     * the first child that can be waited for without taking it (WNOWAIT) and reaps it by its number if it is not
     * {@code program}, the one process of this JVM's that Java started and still waits for. How many were reaped.
     */
    static int reap(Process program) {
        int reaped = 0;
        try (Arena call = Arena.ofConfined()) {
            MemorySegment info = call.allocate(SIGINFO_BYTES, 8);
            while (true) {
                info.fill((byte) 0);
                if (Linux.call(SYS_WAITID, P_ALL, 0, info.address(), WEXITED | WNOHANG | WNOWAIT, 0, 0) < 0) {
                    return reaped; // ECHILD: no children
                }
                int pid = info.get(JAVA_INT, SI_PID);
                if (pid == 0 || pid == program.pid()) {
                    return reaped; // none ended, or Java's own (taken by its reaper in a moment)
                }
                info.fill((byte) 0);
                if (Linux.call(SYS_WAITID, P_PID, pid, info.address(), WEXITED | WNOHANG, 0, 0) < 0) {
                    return reaped;
                }
                reaped++;
            }
        }
    }
}
