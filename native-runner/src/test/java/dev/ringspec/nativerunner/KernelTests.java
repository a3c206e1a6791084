package dev.ringspec.nativerunner;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ringspec.seam.IoUringKernel.SetupResult;
import dev.ringspec.seam.Ring;
import dev.ringspec.uapi.IoUringParams;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/** What every kernel-touching test shares: the skip when io_uring cannot be used, and small setup helpers. */
final class KernelTests {
    static final NativeIoUring KERNEL = new NativeIoUring();

    private KernelTests() {
    }

    /** Skips the calling test, with the reason in one sentence, where io_uring is disabled, blocked or absent. */
    static void assumeIoUring() {
        IoUringAvailability availability = IoUringAvailability.probe();
        assumeTrue(availability.available(), availability.reason());
    }

    static MemorySegment params(Arena arena, int flags) {
        MemorySegment params = arena.allocate(IoUringParams.LAYOUT);
        params.set(JAVA_INT, IoUringParams.FLAGS_OFFSET, flags);
        return params;
    }

    static SetupResult setup(Arena arena, int entries, int flags) {
        return KERNEL.setup(entries, params(arena, flags));
    }

    /** A ring that must be created; the test fails with the errno otherwise. */
    static Ring ring(Arena arena, int entries, int flags) {
        SetupResult result = setup(arena, entries, flags);
        if (result instanceof SetupResult.Created(Ring ring)) {
            return ring;
        }
        throw new AssertionError("setup(" + entries + ", flags 0x" + Integer.toHexString(flags) + ") failed: "
                + result.result());
    }
}
