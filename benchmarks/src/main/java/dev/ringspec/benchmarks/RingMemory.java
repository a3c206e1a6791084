package dev.ringspec.benchmarks;

import static dev.ringspec.uapi.IoUring.IORING_SETUP_CQE32;

import dev.ringspec.emulator.EmulatedIoUring;
import dev.ringspec.model.KernelProfile;
import dev.ringspec.nativerunner.NativeIoUring;
import dev.ringspec.seam.IoUringKernel;
import dev.ringspec.seam.Ring;
import dev.ringspec.seam.RingParams;
import dev.ringspec.seam.UserMemory;
import dev.ringspec.uapi.IoUringParams;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.util.ArrayList;
import java.util.List;

/**
 * Memory per ring, the emulator's against the kernel's: for each ring size, the kernel's mappings (the SQ and CQ
 * rings and the SQE array as this machine's kernel reports them for a ring of that size, each rounded to pages), the emulator's native ring memory
 * (the same regions in its own mapping) and its Java heap per ring (the heap after a collection, with
 * {@value #RINGS} rings open, less the heap before, divided by {@value #RINGS}). Run:
 * {@code java --enable-native-access=ALL-UNNAMED -cp benchmarks/target/benchmarks.jar:... dev.ringspec.benchmarks.RingMemory}.
 */
public final class RingMemory {
    private static final int RINGS = 1000;
    private static final long PAGE = 4096;

    private RingMemory() {
    }

    public static void main(String[] args) throws Exception {
        System.out.printf("%8s %16s %16s %18s %8s%n", "entries", "kernel bytes", "emulator native",
                "emulator heap/ring", "ratio");
        for (int entries : new int[] {8, 64, 256, 1024, 4096}) {
            measure(entries);
        }
    }

    private static void measure(int entries) throws Exception {
        MemoryMXBean heap = ManagementFactory.getMemoryMXBean();
        try (UserMemory memory = new UserMemory();
                EmulatedIoUring emulator = EmulatedIoUring.open(KernelProfile.LINUX_6_18, memory)) {
            List<Ring> rings = new ArrayList<>();
            System.gc();
            long before = heap.getHeapMemoryUsage().getUsed();
            for (int i = 0; i < RINGS; i++) {
                rings.add(setUp(emulator, memory, entries));
            }
            System.gc();
            long heapPerRing = (heap.getHeapMemoryUsage().getUsed() - before) / RINGS;
            Ring one = rings.getFirst();
            // the kernel's own answer for a ring of the same size, not the emulator's
            NativeIoUring kernel = new NativeIoUring();
            Ring real = setUp(kernel, memory, entries);
            long kernelBytes = kernelMapping(real.params());
            kernel.close(real);
            long emulatorNative = one.sqRing().byteSize() + one.sqes().byteSize();
            if (one.cqRing().address() != one.sqRing().address()) {
                emulatorNative += one.cqRing().byteSize();
            }
            for (Ring r : rings) {
                emulator.close(r);
            }
            System.out.printf("%8d %16d %16d %18d %8.3f%n", entries, kernelBytes, emulatorNative, heapPerRing,
                    (double) emulatorNative / kernelBytes);
        }
    }

    private static Ring setUp(IoUringKernel kernel, UserMemory memory, int entries) {
        Ring r = kernel.setup(entries, memory.allocate(IoUringParams.SIZE_BYTES)).ringOrNull();
        if (r == null) {
            throw new IllegalStateException("setup(" + entries + ") failed");
        }
        return r;
    }

    /** What an application maps for a ring with IORING_FEAT_SINGLE_MMAP: the rings once, and the SQEs. */
    private static long kernelMapping(RingParams p) {
        long sqRing = p.sqOff().array() + 4L * p.sqEntries();
        long cqRing = p.cqOff().cqes() + (long) p.cqEntries() * (p.has(IORING_SETUP_CQE32) ? 32 : 16);
        long rings = Math.max(sqRing, cqRing);
        long sqes = (long) p.sqEntries() * p.sqeSizeBytes();
        return pages(rings) + pages(sqes);
    }

    private static long pages(long bytes) {
        return (bytes + PAGE - 1) / PAGE * PAGE;
    }
}
