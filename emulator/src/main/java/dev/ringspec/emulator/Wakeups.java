package dev.ringspec.emulator;

import static dev.ringspec.emulator.sys.Linux.SYS_CLOSE;
import static dev.ringspec.emulator.sys.Linux.SYS_OPENAT;
import static dev.ringspec.emulator.sys.Linux.SYS_READ;
import static dev.ringspec.emulator.sys.Linux.SYS_READLINKAT;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;

import dev.ringspec.emulator.sys.Linux;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What the thread delivering a file's readiness ({@link Readiness}'s watches) is inside of, as the kernel's poll
 * callbacks run inside the file's wakeup: whether task work is queued "in wake" ({@code IOU_F_TWQ_IN_WAKE}), and, while
 * a ring asks, whether the wakeup is an eventfd's ({@code eventfd_signal_allowed()} false); and which of an eventfd's
 * wakeups a ring made ({@link #uringSignal}).
 */
public final class Wakeups {
    /** Per thread: what the watch firing on it now woke for, or 0 outside any. */
    private static final ThreadLocal<int[]> WAKING = ThreadLocal.withInitial(() -> new int[1]);
    private static final int WAKE_FILE = 1;
    private static final int WAKE_EVENTFD = 2;
    /** How many users want a firing watch to tell an eventfd's wakeup from another ({@link #nameWakers}). */
    private static final AtomicInteger NAMING_WAKERS = new AtomicInteger();
    /** Per eventfd ({@link #eventfdId}): how many times a ring has signalled it ({@link #uringSignal}). */
    private static final Map<Long, AtomicLong> URING_SIGNALS = new ConcurrentHashMap<>();
    /** Per thread: how many wakeups of a file other than an eventfd it delivered ({@link #fileWakes}). */
    private static final ThreadLocal<long[]> FILE_WAKES = ThreadLocal.withInitial(() -> new long[1]);

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
        if (kind == WAKE_FILE) {
            FILE_WAKES.get()[0]++;
        }
        return outer;
    }

    /**
     * How many wakeups of a file other than an eventfd this thread has delivered ({@link #begin}); an eventfd's count
     * as such only while a ring asks for it ({@link #nameWakers}).
     */
    static long fileWakes() {
        return FILE_WAKES.get()[0];
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

    /**
     * A ring signals the eventfd {@code id} ({@link #eventfdId}): io_uring does it with EPOLL_URING_WAKE in the
     * wakeup's key (io_uring/eventfd.c {@code eventfd_signal_mask}), which the eventfd's pollers see. Counted before
     * the write, so a watch that fires for it finds it counted.
     */
    public static void uringSignal(long id) {
        if (id >= 0) {
            URING_SIGNALS.computeIfAbsent(id, k -> new AtomicLong()).incrementAndGet();
        }
    }

    /** How many times rings have signalled the eventfd {@code id} ({@link #uringSignal}). */
    public static long uringSignals(long id) {
        AtomicLong n = id < 0 ? null : URING_SIGNALS.get(id);
        return n == null ? 0 : n.get();
    }

    /**
     * The eventfd's id ({@code eventfd-id} in {@code /proc/self/fdinfo}, unique among the eventfds the kernel made
     * and never reused), the same through every descriptor of the file; -1 where {@code fd} is not an eventfd.
     */
    public static long eventfdId(int fd) {
        if (fd < 0) {
            return -1;
        }
        try (Arena call = Arena.ofConfined()) {
            MemorySegment path = call.allocateFrom("/proc/self/fdinfo/" + fd);
            int info = (int) Linux.call(SYS_OPENAT, -100, path.address(), Linux.O_CLOEXEC);
            if (info < 0) {
                return -1;
            }
            MemorySegment buf = call.allocate(512);
            long n = Linux.call(SYS_READ, info, buf.address(), 512);
            Linux.call(SYS_CLOSE, info);
            String text = n > 0 ? new String(buf.asSlice(0, n).toArray(JAVA_BYTE), StandardCharsets.US_ASCII) : "";
            for (String line : text.split("\n")) {
                if (line.startsWith("eventfd-id:")) {
                    return Long.parseLong(line.substring("eventfd-id:".length()).trim());
                }
            }
            return -1;
        }
    }
}
