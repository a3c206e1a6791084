package dev.ringspec.nativerunner;

import static dev.ringspec.uapi.Errno.ENOSYS;
import static dev.ringspec.uapi.Errno.EPERM;

import dev.ringspec.uapi.Errno;
import dev.ringspec.uapi.IoUringParams;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Whether this process can use io_uring at all, and if not, why, in one sentence. Decided once by a trial
 * {@code io_uring_setup(1, {0})}: it succeeds, or fails with EPERM (disabled by {@code kernel.io_uring_disabled},
 * or blocked by a seccomp filter or LSM, as container runtimes do) or ENOSYS (absent from the kernel, or a
 * seccomp filter answering ENOSYS).
 *
 * @param status what the trial found
 * @param setupResult the trial's result: a descriptor (already closed) or {@code -errno}
 * @param reason one sentence for a person, naming the cause
 */
public record IoUringAvailability(Status status, int setupResult, String reason) {

    /** Exit status of {@code ringspec} commands when io_uring cannot be used; 77 is the usual "skipped". */
    public static final int EXIT_UNAVAILABLE = 77;

    public enum Status {
        AVAILABLE, DISABLED, BLOCKED, ABSENT, FAILED
    }

    private static volatile IoUringAvailability probed;

    public boolean available() {
        return status == Status.AVAILABLE;
    }

    /** The trial's answer for this process, made once. */
    public static IoUringAvailability probe() {
        IoUringAvailability a = probed;
        if (a == null) {
            a = classify(trialSetup(), readSysctl(), seccompMode());
            probed = a;
        }
        return a;
    }

    private static int trialSetup() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment params = arena.allocate(IoUringParams.LAYOUT);
            long fd = Native.Syscall.call2(Native.SYS_IO_URING_SETUP, 1, params.address());
            if (fd >= 0) {
                Native.Close.call((int) fd);
            }
            return (int) fd;
        }
    }

    /**
     * Names the cause of a failed trial from its errno, {@code kernel.io_uring_disabled} (absent before 6.6) and
     * the {@code Seccomp:} mode of /proc/self/status.
     */
    static IoUringAvailability classify(int setupResult, Optional<Integer> disabledSysctl,
            Optional<Integer> seccompMode) {
        if (setupResult >= 0) {
            return new IoUringAvailability(Status.AVAILABLE, setupResult, "io_uring is available.");
        }
        int sysctl = disabledSysctl.orElse(0);
        boolean filtered = seccompMode.orElse(0) == 2;
        if (setupResult == -EPERM && sysctl == 2) {
            return new IoUringAvailability(Status.DISABLED, setupResult,
                    "io_uring is disabled on this machine (kernel.io_uring_disabled = 2); "
                            + "set it to 0 as root to run the kernel checks.");
        }
        if (setupResult == -EPERM && sysctl == 1) {
            return new IoUringAvailability(Status.DISABLED, setupResult,
                    "io_uring is disabled for this user (kernel.io_uring_disabled = 1 allows only "
                            + "CAP_SYS_ADMIN and the group in kernel.io_uring_group).");
        }
        if (setupResult == -EPERM) {
            return new IoUringAvailability(Status.BLOCKED, setupResult,
                    "io_uring_setup is blocked with EPERM " + (filtered
                            ? "by this process's seccomp filter (a container runtime's default profile does this)."
                            : "by a security module or policy, although kernel.io_uring_disabled allows it."));
        }
        if (setupResult == -ENOSYS) {
            return new IoUringAvailability(Status.ABSENT, setupResult, filtered
                    ? "io_uring_setup answers ENOSYS under this process's seccomp filter: io_uring is absent or "
                            + "filtered out."
                    : "io_uring is absent from this kernel (ENOSYS: built without CONFIG_IO_URING).");
        }
        return new IoUringAvailability(Status.FAILED, setupResult,
                "io_uring_setup(1) failed with " + Errno.describe(setupResult) + ".");
    }

    private static Optional<Integer> readSysctl() {
        return readInt(Path.of("/proc/sys/kernel/io_uring_disabled"));
    }

    private static Optional<Integer> seccompMode() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("Seccomp:")) {
                    return Optional.of(Integer.parseInt(line.substring("Seccomp:".length()).trim()));
                }
            }
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
        return Optional.empty();
    }

    private static Optional<Integer> readInt(Path path) {
        try {
            return Optional.of(Integer.parseInt(Files.readString(path).trim()));
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }
}
