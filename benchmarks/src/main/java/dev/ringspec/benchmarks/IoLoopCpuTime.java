package dev.ringspec.benchmarks;

import dev.ringspec.emulator.EmulatedIoUring;
import dev.ringspec.model.KernelProfile;
import dev.ringspec.nativerunner.NativeIoUring;
import dev.ringspec.seam.IoUringKernel;
import dev.ringspec.seam.UserMemory;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;

/**
 * The rounds of {@link IoLatencyBenchmark} outside JMH, for finding where their time goes: one JVM runs one round
 * kind ({@link IoLoop#readBlock} or {@link IoLoop#pingPong}) on one backend, discards {@code warmup} samples of
 * {@code rounds} rounds, then times {@code samples} more and prints, per round, the median wall-clock time, the
 * ring task's on-CPU time, the whole process's on-CPU time (the emulator's poll and io-wq threads and the partner
 * included) and the bytes the task allocated. Run it under {@code strace -c -f} for the syscalls per round, or
 * with {@code -XX:StartFlightRecording} for a profile. On-CPU times leave out the time a thread spent preempted, so
 * they are the steadier measure on a machine shared with other work.
 */
public final class IoLoopCpuTime {
    private IoLoopCpuTime() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 2 || args.length > 5 || !(args[0].equals("kernel") || args[0].equals("emulator"))
                || !(args[1].equals("read") || args[1].equals("pingpong"))) {
            System.err.println("usage: IoLoopCpuTime kernel|emulator read|pingpong [ROUNDS [SAMPLES [WARMUP]]]");
            System.exit(2);
        }
        boolean read = args[1].equals("read");
        int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 20_000;
        int samples = args.length > 3 ? Integer.parseInt(args[3]) : 10;
        int warmup = args.length > 4 ? Integer.parseInt(args[4]) : 5;
        if (rounds < 1 || samples < 1 || warmup < 0) {
            System.err.println("IoLoopCpuTime: rounds >= 1, samples >= 1, warmup >= 0");
            System.exit(2);
        }
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        com.sun.management.ThreadMXBean allocation = (com.sun.management.ThreadMXBean) mx;
        com.sun.management.OperatingSystemMXBean os =
                (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        double[] wall = new double[samples];
        double[] task = new double[samples];
        double[] process = new double[samples];
        double[] bytes = new double[samples];
        long sink = 0;
        IoUringKernel kernel = args[0].equals("kernel") ? new NativeIoUring()
                : EmulatedIoUring.open(KernelProfile.LINUX_6_18, new UserMemory());
        try (IoLoop loop = new IoLoop(kernel)) {
            for (int s = -warmup; s < samples; s++) {
                long a0 = allocation.getCurrentThreadAllocatedBytes();
                long p0 = os.getProcessCpuTime();
                long t0 = mx.getCurrentThreadCpuTime();
                long w0 = System.nanoTime();
                for (int r = 0; r < rounds; r++) {
                    sink += read ? loop.readBlock() : loop.pingPong();
                }
                long w1 = System.nanoTime();
                long t1 = mx.getCurrentThreadCpuTime();
                long p1 = os.getProcessCpuTime();
                long a1 = allocation.getCurrentThreadAllocatedBytes();
                if (s >= 0) {
                    wall[s] = (w1 - w0) / (double) rounds;
                    task[s] = (t1 - t0) / (double) rounds;
                    process[s] = (p1 - p0) / (double) rounds;
                    bytes[s] = (a1 - a0) / (double) rounds;
                }
            }
        }
        System.out.printf("%s %s: wall %.0f ns, task cpu %.0f ns, process cpu %.0f ns, task alloc %.0f B per round"
                + " (medians of %d samples of %d rounds; sink %d)%n", args[0], args[1], median(wall), median(task),
                median(process), median(bytes), samples, rounds, sink & 1);
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }
}
