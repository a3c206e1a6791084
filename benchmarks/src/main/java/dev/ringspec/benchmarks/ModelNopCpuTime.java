package dev.ringspec.benchmarks;

import dev.ringspec.model.KernelProfile;
import dev.ringspec.model.ModelIoUring;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;

/**
 * The model's NOP cost as this thread's on-CPU time per NOP, for {@code benchmarks/compare-model.sh}: one JVM runs
 * one round kind ({@link NopLoop#nops} or {@link NopLoop#nopsPrepared}) at one batch size on profile 6.18, discards
 * {@code warmup} samples of about {@value #NOPS_PER_SAMPLE} NOPs each, then times {@code samples} more and prints
 * {@code min <ns> median <ns>} per NOP. On-CPU time leaves out the time the thread spent preempted, so it is the
 * steadier measure on a machine shared with other work.
 *
 * <p>It touches only the API the model had before it was split into one file per kernel concern (the seam's ring
 * views and {@code new ModelIoUring(KernelProfile.LINUX_6_18)}), so the same class runs over an old model's jar and
 * the current one: put the model to measure first on the class path.
 */
public final class ModelNopCpuTime {
    static final int NOPS_PER_SAMPLE = 2_000_000;

    private ModelNopCpuTime() {
    }

    public static void main(String[] args) {
        if (args.length < 2 || args.length > 4 || !(args[0].equals("nops") || args[0].equals("nopsPrepared"))) {
            System.err.println("usage: ModelNopCpuTime nops|nopsPrepared BATCH [SAMPLES [WARMUP]]");
            System.exit(2);
        }
        boolean prepared = args[0].equals("nopsPrepared");
        int batch = Integer.parseInt(args[1]);
        int samples = args.length > 2 ? Integer.parseInt(args[2]) : 15;
        int warmup = args.length > 3 ? Integer.parseInt(args[3]) : 5;
        if (batch < 1 || batch > NopLoop.RING_ENTRIES || samples < 1 || warmup < 0) {
            System.err.println("ModelNopCpuTime: batch 1.." + NopLoop.RING_ENTRIES + ", samples >= 1, warmup >= 0");
            System.exit(2);
        }
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        com.sun.management.ThreadMXBean allocation = (com.sun.management.ThreadMXBean) mx;
        int rounds = Math.max(1, NOPS_PER_SAMPLE / batch);
        double[] nsPerNop = new double[samples];
        long sink = 0;
        long allocatedBytes = 0;
        try (NopLoop loop = new NopLoop(new ModelIoUring(KernelProfile.LINUX_6_18))) {
            for (int s = -warmup; s < samples; s++) {
                long a0 = allocation.getCurrentThreadAllocatedBytes();
                long t0 = mx.getCurrentThreadCpuTime();
                for (int r = 0; r < rounds; r++) {
                    sink += prepared ? loop.nopsPrepared(batch) : loop.nops(batch);
                }
                long t1 = mx.getCurrentThreadCpuTime();
                long a1 = allocation.getCurrentThreadAllocatedBytes();
                if (s >= 0) {
                    allocatedBytes += a1 - a0;
                    nsPerNop[s] = (t1 - t0) / (double) rounds / batch;
                }
            }
        }
        Arrays.sort(nsPerNop);
        System.out.printf("min %.2f median %.2f alloc %.3f sink %d%n", nsPerNop[0], nsPerNop[samples / 2],
                allocatedBytes / ((double) samples * rounds * batch), sink & 1);
    }
}
