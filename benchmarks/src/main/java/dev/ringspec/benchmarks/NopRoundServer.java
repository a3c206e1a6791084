package dev.ringspec.benchmarks;

import dev.ringspec.guest.GuestKernel;
import dev.ringspec.guest.GuestUnavailableException;
import dev.ringspec.guest.agent.AgentSession;
import dev.ringspec.guest.kernel.KernelImageException;
import dev.ringspec.guest.machine.GuestBootException;
import dev.ringspec.nativerunner.NativeIoUring;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.lang.management.CompilationMXBean;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

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
 *       dev.ringspec.benchmarks.NopRoundServer [--backend native | --backend guest:SPEC --guest-program NOP_BENCH]
 * </pre>
 *
 * <p>With {@code --backend guest:SPEC} the loop runs through the guest backend on a guest of that kernel, booted
 * here, and a second request times the guest's own C loop on the same guest, so the two can alternate:
 *
 * <pre>
 *   cround &lt;batch&gt; &lt;millis&gt;  runs {@code nop_bench round <batch> <millis>} inside the guest (the static
 *                            program given with {@code --guest-program}) and answers its line
 * </pre>
 */
public final class NopRoundServer {
    private static final int ROUNDS_PER_CLOCK_READ = 64;
    private static final double MAX_MILLIS = 600_000;
    /** Where the guest's C loop is stored in the guest. */
    private static final String GUEST_PROGRAM = "/tmp/nop_bench";

    private final NopLoop loop;
    /** The guest whose own C loop {@code cround} times, or null. */
    private final AgentSession guest;
    private final CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
    private final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    /** Keeps the sums read from the CQEs alive, so the reads cannot be optimised away. */
    private long sink;

    private NopRoundServer(NopLoop loop, AgentSession guest) {
        this.loop = loop;
        this.guest = guest;
    }

    public static void main(String[] args) throws IOException {
        String backend = "native";
        Path guestProgram = null;
        for (int i = 0; i < args.length; i++) {
            if ("--backend".equals(args[i]) && i + 1 < args.length) {
                backend = args[++i];
            } else if ("--guest-program".equals(args[i]) && i + 1 < args.length) {
                guestProgram = Path.of(args[++i]);
            } else {
                usage("unknown argument " + args[i]);
            }
        }
        PrintStream out = new PrintStream(System.out, false, StandardCharsets.UTF_8);
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        if ("native".equals(backend)) {
            try (NopLoop loop = new NopLoop(new NativeIoUring())) {
                new NopRoundServer(loop, null).serve(in, out);
            }
        } else if (backend.startsWith("guest:") && backend.length() > "guest:".length()) {
            if (guestProgram == null) {
                usage("--backend " + backend + " needs --guest-program, the static nop_bench to run in the guest");
            }
            serveGuest(backend.substring("guest:".length()), Files.readAllBytes(guestProgram), in, out);
        } else {
            usage("unknown backend " + backend + " (native, or guest:SPEC)");
        }
    }

    /**
     * Boots a guest of {@code spec}, stores the C loop there, and serves both sides on it; stops the guest at the
     * end. What cannot boot exits as {@code ringspec} does: 77 unavailable (no QEMU, no kernel), 2 a bad spec,
     * 3 the guest failed.
     */
    private static void serveGuest(String spec, byte[] program, BufferedReader in, PrintStream out)
            throws IOException {
        GuestKernel booted = null;
        try {
            booted = GuestKernel.boot(spec);
        } catch (GuestUnavailableException e) {
            exit(GuestUnavailableException.EXIT_CODE, e.getMessage());
        } catch (IllegalArgumentException | KernelImageException e) {
            exit(2, e.getMessage());
        } catch (GuestBootException e) {
            exit(3, "the guest kernel " + spec + " failed: " + e.getMessage());
        }
        try (GuestKernel guest = booted) {
            int stored = guest.session().writeFile(GUEST_PROGRAM, 0755, program);
            if (stored < 0) {
                exit(3, "the guest could not store " + GUEST_PROGRAM + " (errno " + -stored + ")");
            }
            System.err.println("guest " + spec + ": Linux " + guest.session().release() + ", " + guest.accelerator()
                    + ", booted in " + guest.bootTime().toMillis() + " ms");
            try (NopLoop loop = new NopLoop(guest.backend(null))) {
                new NopRoundServer(loop, guest.session()).serve(in, out);
            }
        }
    }

    private static void exit(int status, String sentence) {
        System.err.println(sentence);
        System.exit(status);
    }

    private static void usage(String why) {
        System.err.println(why);
        System.err.println("usage: NopRoundServer [--backend native | --backend guest:SPEC --guest-program NOP_BENCH]"
                + "   (requests on stdin: \"round <batch> <millis>\", with a guest \"cround <batch> <millis>\", "
                + "\"quit\")");
        System.exit(2);
    }

    private void serve(BufferedReader in, PrintStream out) throws IOException {
        for (String line = in.readLine(); line != null && !"quit".equals(line.strip()); line = in.readLine()) {
            out.println(answer(line.strip().split("\\s+")));
            out.flush();
        }
    }

    private String answer(String[] request) {
        if (request.length != 3 || !("round".equals(request[0]) || "cround".equals(request[0]) && guest != null)) {
            return "error expected \"round <batch> <millis>\"" + (guest != null ? ", \"cround <batch> <millis>\"" : "")
                    + " or \"quit\"";
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
        if ("cround".equals(request[0])) {
            return guestRound(request[1], request[2], millis);
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

    /** One round of the guest's own C loop, run in the guest: its answer line. */
    private String guestRound(String batch, String millis, double ms) {
        AgentSession.RunResult r = guest.run(List.of(GUEST_PROGRAM, "round", batch, millis),
                Duration.ofMillis((long) ms).plusSeconds(60));
        String stdout = new String(r.stdout(), StandardCharsets.UTF_8).strip();
        if (r.timedOut() || r.exitCode() != 0 || !stdout.startsWith("ok ")) {
            return "error the guest's nop_bench " + (r.timedOut() ? "timed out" : "exited " + r.exitCode()) + ": "
                    + (stdout + " " + new String(r.stderr(), StandardCharsets.UTF_8).strip()).strip();
        }
        return stdout.lines().findFirst().orElseThrow();
    }

    private static long collections() {
        long n = 0;
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            n += Math.max(0, gc.getCollectionCount());
        }
        return n;
    }
}
