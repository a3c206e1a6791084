package dev.ringspec.benchmarks;

import dev.ringspec.nativerunner.NativeIoUring;
import dev.ringspec.seam.IoUringKernel;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.lang.management.CompilationMXBean;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;

/**
 * The Java side of {@code benchmarks/run.sh}: one long-lived process that times {@link NopLoop#nops} in rounds of
 * a fixed duration, one request a line on stdin, speaking the protocol of {@code src/main/c/nop_bench.c}:
 *
 * <pre>
 *   round &lt;batch&gt; &lt;millis&gt;   rounds of &lt;batch&gt; NOPs (1 to 128) for &lt;millis&gt; ms; answers
 *                            "ok ns_per_nop=&lt;x&gt; cpu_ns_per_nop=&lt;y&gt; nops=&lt;count&gt; jit_ms=&lt;t&gt; gcs=&lt;n&gt;"
 *   quit (or end of input)   closes the ring and exits 0
 * </pre>
 *
 * {@code ns_per_nop} is wall-clock time, {@code cpu_ns_per_nop} the thread's on-CPU time (user and system), which
 * leaves out time spent preempted. {@code jit_ms} and {@code gcs} are the JIT compilation time and the collections that happened during the round,
 * so a round the JIT or the collector disturbed shows itself; after the warm-up both are 0. The clock is read
 * every 64 rounds, as the C side does. A bad request answers {@code error <why>} and the server goes on.
 *
 * <pre>
 *   java --enable-native-access=ALL-UNNAMED -cp benchmarks/target/benchmarks.jar \
 *       dev.ringspec.benchmarks.NopRoundServer [--backend native]
 * </pre>
 */
public final class NopRoundServer {
    private static final int ROUNDS_PER_CLOCK_READ = 64;
    private static final double MAX_MILLIS = 600_000;

    private final NopLoop loop;
    private final CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
    private final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    /** Keeps the sums read from the CQEs alive, so the reads cannot be optimised away. */
    private long sink;

    private NopRoundServer(NopLoop loop) {
        this.loop = loop;
    }

    public static void main(String[] args) throws IOException {
        String backend = "native";
        for (int i = 0; i < args.length; i++) {
            if ("--backend".equals(args[i]) && i + 1 < args.length) {
                backend = args[++i];
            } else {
                usage("unknown argument " + args[i]);
            }
        }
        IoUringKernel kernel = backend(backend);
        PrintStream out = new PrintStream(System.out, false, StandardCharsets.UTF_8);
        try (NopLoop loop = new NopLoop(kernel)) {
            new NopRoundServer(loop).serve(
                    new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)), out);
        }
    }

    /**
     * The backend a name stands for. {@code guest:SPEC} is the hook for a guest kernel (issue 8): it needs from
     * guest-runner a public way to open the seam on a booted guest of SPEC, closed with the process.
     */
    private static IoUringKernel backend(String name) {
        if ("native".equals(name)) {
            return new NativeIoUring();
        }
        if (name.startsWith("guest:")) {
            System.err.println("backend " + name + ": guest-runner offers no backend to open from here yet");
            System.exit(3);
        }
        usage("unknown backend " + name + " (native, or guest:SPEC)");
        return null;
    }

    private static void usage(String why) {
        System.err.println(why);
        System.err.println("usage: NopRoundServer [--backend native|guest:SPEC]   (requests on stdin: "
                + "\"round <batch> <millis>\", \"quit\")");
        System.exit(2);
    }

    private void serve(BufferedReader in, PrintStream out) throws IOException {
        for (String line = in.readLine(); line != null && !"quit".equals(line.strip()); line = in.readLine()) {
            out.println(answer(line.strip().split("\\s+")));
            out.flush();
        }
    }

    private String answer(String[] request) {
        if (request.length != 3 || !"round".equals(request[0])) {
            return "error expected \"round <batch> <millis>\" or \"quit\"";
        }
        int batch;
        double millis;
        try {
            batch = Integer.parseInt(request[1]);
            millis = Double.parseDouble(request[2]);
        } catch (NumberFormatException e) {
            return "error expected \"round <batch> <millis>\" or \"quit\"";
        }
        if (batch < 1 || batch > NopLoop.RING_ENTRIES) {
            return "error batch " + batch + " is outside 1.." + NopLoop.RING_ENTRIES;
        }
        if (!(millis > 0 && millis <= MAX_MILLIS)) {
            return "error millis must be in (0, " + (long) MAX_MILLIS + "]";
        }
        long jitBefore = jit.getTotalCompilationTime();
        long gcsBefore = collections();
        long cpuStart = threads.getCurrentThreadCpuTime();
        long start = System.nanoTime();
        long end = start + (long) (millis * 1e6);
        long nops = 0;
        long sum = 0;
        long t;
        do {
            for (int k = 0; k < ROUNDS_PER_CLOCK_READ; k++) {
                sum += loop.nops(batch);
            }
            nops += (long) ROUNDS_PER_CLOCK_READ * batch;
            t = System.nanoTime();
        } while (t < end);
        long cpu = threads.getCurrentThreadCpuTime() - cpuStart;
        sink += sum;
        return String.format("ok ns_per_nop=%.3f cpu_ns_per_nop=%.3f nops=%d jit_ms=%d gcs=%d",
                (double) (t - start) / nops, (double) cpu / nops, nops,
                jit.getTotalCompilationTime() - jitBefore, collections() - gcsBefore);
    }

    private static long collections() {
        long n = 0;
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            n += Math.max(0, gc.getCollectionCount());
        }
        return n;
    }
}
