package dev.ringspec.host;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * Whether a program's descriptor numbers may name other files than when the supervisor last asked the kernel, so
 * that a ring found for a number (by {@code kcmp(KCMP_FILE)}) is used again without asking at every call. The
 * launcher's filter hands the supervisor every call that can change which file a number names: close, dup2, dup3,
 * close_range, execve and execveat (close-on-exec), and a SECCOMP_IOCTL_NOTIF_ADDFD of a supervisor inside the
 * program, from the x86-64, x32 and i386 entry points; and every call that makes a process (fork, vfork, clone
 * without CLONE_THREAD, clone3), whose number may be an ended process's, the key of what was found. No other call
 * replaces a number: a new descriptor takes a free one (open, dup, fcntl F_DUPFD, SCM_RIGHTS, pidfd_getfd's caller),
 * a thread's unshare(CLONE_FILES) copies the table as it is, and the emulator itself gives descriptors only at free
 * numbers and closes none of the program's (a CLOSE of a plain descriptor is not hosted).
 *
 * <p>Each such call moves a generation before it is let run ({@link #changing}, {@link #processMade}); a ring found
 * under generation {@code g} is good while the generation is still {@code g} ({@link #unchangedSince}). The call
 * runs after the supervisor lets it continue, at a moment it cannot see: until then a lookup could still see the old
 * file and take it as current. So a change stays unsettled until the thread that made it makes its next call here
 * (a thread is in one call at a time, so its earlier one has returned), and nothing found while any change is
 * unsettled is kept ({@link #stamp}). A thread that closes and never calls again keeps every lookup asking the
 * kernel, as before: slower, never wrong.
 */
final class DescriptorChanges {
    /** A stamp under which nothing is kept. */
    static final long NONE = -1;

    private static final int X32_SYSCALL_BIT = 0x40000000;

    private final AtomicLong generation = new AtomicLong();
    /** Changes let run whose threads have not called since, all threads together, and per thread. */
    private final AtomicInteger unsettled = new AtomicInteger();
    private final Map<Integer, Integer> unsettledByThread = new ConcurrentHashMap<>();
    private final LongAdder tableCalls = new LongAdder();
    private final LongAdder processCalls = new LongAdder();

    /**
     * Whether syscall {@code nr}, as the filter hands it over, is one of these (and not io_uring_setup, _enter,
     * _register, or x86-64's execve and execveat, which the supervisor serves): the numbers of the three entry points
     * the filter sends do not overlap but where they mean the same call (close_range, clone3).
     */
    static boolean isChange(int nr) {
        return isProcessMade(nr) || switch (nr) {
            case 3, 33, 292, 436, 16 -> true; // x86-64 (and x32): close, dup2, dup3, close_range, ioctl ADDFD
            case 6, 63, 330, 11, 358, 54 -> true; // i386: close, dup2, dup3, execve, execveat, ioctl ADDFD
            case X32_SYSCALL_BIT | 3, X32_SYSCALL_BIT | 33, X32_SYSCALL_BIT | 292, X32_SYSCALL_BIT | 436,
                    X32_SYSCALL_BIT | 514, X32_SYSCALL_BIT | 520, X32_SYSCALL_BIT | 545 -> true; // x32's
            default -> false;
        };
    }

    /** Whether {@code nr} (one {@link #isChange}) makes a process: fork, vfork, clone, clone3 of any entry point. */
    static boolean isProcessMade(int nr) {
        return switch (nr) {
            case 56, 57, 58, 435 -> true; // x86-64
            case 120, 2, 190 -> true; // i386: clone, fork, vfork
            case X32_SYSCALL_BIT | 56, X32_SYSCALL_BIT | 57, X32_SYSCALL_BIT | 58, X32_SYSCALL_BIT | 435 -> true;
            default -> false;
        };
    }

    /** Program thread {@code tid} made a call the filter hands over: any call of its own before it has returned. */
    void arrived(int tid) {
        if (unsettled.get() != 0) {
            Integer settled = unsettledByThread.remove(tid);
            if (settled != null) {
                unsettled.addAndGet(-settled);
            }
        }
    }

    /** Program thread {@code tid} is about to be let run a call that may change which file a number names. */
    void changing(int tid) {
        tableCalls.increment();
        unsettledByThread.merge(tid, 1, Integer::sum);
        // unsettled before the generation: a stamp that sees the new generation sees the change unsettled too
        unsettled.incrementAndGet();
        generation.incrementAndGet();
    }

    /** A call that makes a process is about to be let run: its number may be one whose rings were found. */
    void processMade() {
        processCalls.increment();
        generation.incrementAndGet();
    }

    /**
     * The stamp for a lookup that starts now: the generation, or {@link #NONE} while a change may still be under way.
     * Taken before the lookup asks the kernel.
     */
    long stamp() {
        long now = generation.get();
        return unsettled.get() == 0 ? now : NONE;
    }

    /** Whether no call that may change numbers or make a process has been let run since {@code stamp} was taken. */
    boolean unchangedSince(long stamp) {
        return stamp != NONE && stamp == generation.get();
    }

    /** Calls let run that may change which file a number names (close, dup2, dup3, close_range, execs, ADDFD). */
    long tableCalls() {
        return tableCalls.sum();
    }

    /** Calls let run that make a process (fork, vfork, clone without CLONE_THREAD, clone3). */
    long processCalls() {
        return processCalls.sum();
    }
}
