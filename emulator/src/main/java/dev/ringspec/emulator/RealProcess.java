package dev.ringspec.emulator;

import static dev.ringspec.emulator.sys.Linux.SYS_PIPE2;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import dev.ringspec.emulator.sys.Linux;
import dev.ringspec.seam.BackendProcess;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * The emulator's process is this JVM's: pipes and closes are real. no_new_privs is the emulator's model task's
 * ({@link EmulatedIoUring#setNoNewPrivs}); this answers 0 without touching the JVM thread, for which it would be
 * irreversible.
 */
final class RealProcess implements BackendProcess {
    static final RealProcess INSTANCE = new RealProcess();

    private RealProcess() {
    }

    @Override
    public int[] pipe() {
        try (Arena call = Arena.ofConfined()) {
            MemorySegment fds = call.allocate(JAVA_INT, 2);
            long r = Linux.call(SYS_PIPE2, fds.address(), Linux.O_CLOEXEC);
            return r < 0 ? new int[] {(int) r} : new int[] {fds.getAtIndex(JAVA_INT, 0), fds.getAtIndex(JAVA_INT, 1)};
        }
    }

    @Override
    public int close(int fd) {
        return Linux.close(fd);
    }

    @Override
    public int setNoNewPrivs() {
        return 0;
    }
}
