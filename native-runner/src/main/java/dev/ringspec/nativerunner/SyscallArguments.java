package dev.ringspec.nativerunner;

import static dev.ringspec.uapi.IoUring.IORING_SETUP_DEFER_TASKRUN;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SINGLE_ISSUER;

import dev.ringspec.uapi.IoUringParams;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.function.Function;
import java.util.function.ToLongFunction;

/**
 * How a kernel backend hands the seam's arguments to a real kernel, this machine's (NativeIoUring) or a guest's
 * (GuestIoUring): what counts as a NULL pointer, whether an argument has room for what the kernel writes back, a
 * heap argument copied through native memory, and the thread a thread-bound ring may be driven from.
 */
public final class SyscallArguments {
    private static final int THREAD_BOUND = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;

    private SyscallArguments() {
    }

    /** {@code null} or {@link MemorySegment#NULL}: the seam's NULL pointer. */
    public static boolean isNull(MemorySegment segment) {
        return segment == null || (segment.isNative() && segment.address() == 0);
    }

    /**
     * Whether {@code arg} has room for everything the kernel writes back for this register opcode; where it has not,
     * the backend answers -EFAULT without calling the kernel, which would write past the caller's segment.
     */
    public static boolean argCoversWrites(MemorySegment arg, int opcode, int nrArgs) {
        return isNull(arg) || arg.byteSize() >= RegisterArgBounds.writableBytes(opcode, nrArgs);
    }

    /**
     * Calls with a native argument ({@code null} for NULL); a heap segment goes through a native copy, which is
     * copied back after the call.
     */
    public static long withNativeArg(MemorySegment arg, ToLongFunction<MemorySegment> call) {
        if (isNull(arg)) {
            return call.applyAsLong(null);
        }
        if (arg.isNative()) {
            return call.applyAsLong(arg);
        }
        try (Arena temp = Arena.ofConfined()) {
            MemorySegment copy = temp.allocate(Math.max(arg.byteSize(), 1), 16).copyFrom(arg);
            long result = call.applyAsLong(copy);
            MemorySegment.copy(copy, 0, arg, 0, arg.byteSize());
            return result;
        }
    }

    /**
     * Calls with a native copy of a heap {@code struct io_uring_params} (setup's, or a resize's argument), which is
     * copied back after the call: the kernel writes its answer there.
     */
    public static <T> T withNativeParams(MemorySegment heapParams, Function<MemorySegment, T> call) {
        try (Arena temp = Arena.ofConfined()) {
            MemorySegment copy = temp.allocate(IoUringParams.LAYOUT)
                    .copyFrom(heapParams.asSlice(0, IoUringParams.SIZE_BYTES));
            T result = call.apply(copy);
            MemorySegment.copy(copy, 0, heapParams, 0, IoUringParams.SIZE_BYTES);
            return result;
        }
    }

    /** The address of a native argument as the syscall takes it: 0 for NULL. */
    public static long address(MemorySegment nativeArg) {
        return nativeArg == null ? 0 : nativeArg.address();
    }

    /**
     * A SINGLE_ISSUER or DEFER_TASKRUN ring belongs to one kernel task. A virtual thread may run on a different
     * carrier at each call, so the kernel would see a different task each time; refuse it plainly.
     */
    public static void refuseVirtualThread(int ringFlags) {
        if ((ringFlags & THREAD_BOUND) != 0 && Thread.currentThread().isVirtual()) {
            throw new IllegalStateException("a SINGLE_ISSUER or DEFER_TASKRUN ring must be driven from one "
                    + "platform thread; this call came from a virtual thread");
        }
    }
}
