package dev.ringspec.emulator;

import static dev.ringspec.emulator.sys.Linux.SYS_PPOLL;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED;

import dev.ringspec.emulator.sys.Linux;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * What {@link Readiness#arm} asks of a request and of its file when it arms a poll ({@code io_arm_poll_handler}):
 * whether the request's state keeps its poll armed across completions or has just seen its file answer -EAGAIN, and
 * whether the file is ready now ({@link #vfsPoll}).
 */
public final class Apoll {
    /** A {@code struct pollfd} (8 bytes), then a zero timespec (16). */
    private static final ThreadLocal<MemorySegment> SCRATCH = ThreadLocal.withInitial(
            () -> Arena.ofAuto().allocate(24, 8));

    private Apoll() {
    }

    /**
     * A request's state whose poll stays armed across its completions ({@code REQ_F_APOLL_MULTISHOT}: multishot
     * ACCEPT, RECV, READ_MULTISHOT): hashed even when its file is ready at once, its task work queued then.
     */
    public interface Multishot {
        boolean apollMultishot();
    }

    /** A request's state that says whether its file's own nonblocking call answered the -EAGAIN it arms for. */
    public interface AnsweredAgain {
        boolean answeredAgain();
    }

    /**
     * {@code vfs_poll} without waiting: the poll bits of {@code events} that {@code fd}'s file has now, and those
     * always reported.
     */
    public static int vfsPoll(int fd, int events) {
        MemorySegment scratch = SCRATCH.get();
        scratch.set(JAVA_INT_UNALIGNED, 0, fd);
        scratch.set(JAVA_SHORT_UNALIGNED, 4, (short) events);
        scratch.set(JAVA_SHORT_UNALIGNED, 6, (short) 0);
        scratch.set(JAVA_LONG, 8, 0);
        scratch.set(JAVA_LONG, 16, 0);
        long n = Linux.call(SYS_PPOLL, scratch.address(), 1, scratch.address() + 8, 0, 8, 0);
        return n > 0 ? Short.toUnsignedInt(scratch.get(JAVA_SHORT_UNALIGNED, 6)) : 0;
    }
}
