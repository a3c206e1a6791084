package dev.ringspec.emulator;

import static dev.ringspec.emulator.sys.Linux.SYS_READLINKAT;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;

import dev.ringspec.emulator.sys.Linux;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What the thread delivering a file's readiness ({@link Readiness}'s watches) is inside of, as the kernel's poll
 * callbacks run inside the file's wakeup: whether task work is queued "in wake" ({@code IOU_F_TWQ_IN_WAKE}), and, while
 * a ring asks, whether the wakeup is an eventfd's ({@code eventfd_signal_allowed()} false).
 */
public final class Wakeups {
    /** Per thread: what the watch firing on it now woke for, or 0 outside any. */
    private static final ThreadLocal<int[]> WAKING = ThreadLocal.withInitial(() -> new int[1]);
    private static final int WAKE_FILE = 1;
    private static final int WAKE_EVENTFD = 2;
    /** How many users want a firing watch to tell an eventfd's wakeup from another ({@link #nameWakers}). */
    private static final AtomicInteger NAMING_WAKERS = new AtomicInteger();

    private Wakeups() {
    }

    /** What a wakeup of {@code fd} is, looked at while the descriptor is still open. */
    static int kind(int fd) {
        return NAMING_WAKERS.get() > 0 && isEventFd(fd) ? WAKE_EVENTFD : WAKE_FILE;
    }

    /** The calling thread delivers a wakeup of {@code kind} from now on; answers what it delivered before. */
    static int begin(int kind) {
        int[] waking = WAKING.get();
        int outer = waking[0];
        waking[0] = kind;
        return outer;
    }

    /** The wakeup {@link #begin} started ends; {@code outer} is what it answered. */
    static void end(int outer) {
        WAKING.get()[0] = outer;
    }

    /**
     * Whether this thread is delivering a file's readiness now, as the kernel's {@code io_poll_wake} runs inside the
     * file's wakeup: task work queued from it is queued "in wake" ({@code IOU_F_TWQ_IN_WAKE}).
     */
    public static boolean inWake() {
        return WAKING.get()[0] != 0;
    }

    /**
     * Whether the wakeup this thread delivers now is an eventfd's, inside which the kernel's
     * {@code eventfd_signal_allowed()} is false; known only while someone asked for it ({@link #nameWakers}).
     */
    public static boolean inEventfdWake() {
        return WAKING.get()[0] == WAKE_EVENTFD;
    }

    /**
     * Asks ({@code true}) or stops asking that each firing watch first looks whether its file is an eventfd (a
     * {@code readlinkat} per wakeup, so only while a ring needs it: {@link #inEventfdWake}).
     */
    public static void nameWakers(boolean on) {
        NAMING_WAKERS.addAndGet(on ? 1 : -1);
    }

    /** Whether {@code fd} is an eventfd: its {@code /proc/self/fd} link names the eventfd anonymous inode. */
    public static boolean isEventFd(int fd) {
        if (fd < 0) {
            return false;
        }
        try (Arena call = Arena.ofConfined()) {
            MemorySegment path = call.allocateFrom("/proc/self/fd/" + fd);
            MemorySegment buf = call.allocate(64);
            long n = Linux.call(SYS_READLINKAT, -100, path.address(), buf.address(), 64, 0, 0);
            return n > 0 && "anon_inode:[eventfd]".equals(new String(buf.asSlice(0, n).toArray(JAVA_BYTE),
                    StandardCharsets.US_ASCII));
        }
    }
}
