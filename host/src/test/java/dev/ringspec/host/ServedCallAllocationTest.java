package dev.ringspec.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ringspec.emulator.EmulatorOptions;
import dev.ringspec.emulator.sys.Linux;
import dev.ringspec.model.KernelProfile;
import java.io.ByteArrayOutputStream;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the supervisor's Java work allocates per served call: counted in bytes by the JVM (the thread allocation
 * counters of {@code com.sun.management.ThreadMXBean}), never timed. Each part of a call's path is counted alone, over
 * many calls on the test's thread, and a hosted program's NOP enters as a whole.
 */
class ServedCallAllocationTest {
    private static final int REPEATS = 10_000;
    /** No thread has this number (pid_max is at most 2^22): its process is itself, found without /proc. */
    private static final int NO_SUCH_TID = (1 << 22) + 1;
    private static final long SYS_MKNODAT = 259;
    private static final int S_IFIFO = 0x1000;
    private static final int AT_FDCWD = -100;

    @TempDir
    Path dir;

    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    /** Bytes the calling thread allocates per run of {@code work}, over {@value #REPEATS} runs after one. */
    private static double bytesPerRun(Runnable work) {
        work.run();
        long before = THREADS.getCurrentThreadAllocatedBytes();
        for (int i = 0; i < REPEATS; i++) {
            work.run();
        }
        return (double) (THREADS.getCurrentThreadAllocatedBytes() - before) / REPEATS;
    }

    /** Each call asks several times whose process it serves: once looked up, the answer costs no boxing and no map. */
    @Test
    void aServedThreadsProcessIsAskedWithoutAllocating() {
        ProgramThread thread = new ProgramThread();
        thread.serve(NO_SUCH_TID);
        assertThat(thread.process()).isEqualTo(NO_SUCH_TID);
        int[] sink = new int[1];
        assertThat(bytesPerRun(() -> sink[0] += thread.process())).isLessThan(1);
    }

    /** An enter whose CQEs are there at once never sleeps: watching it for signals allocates nothing. */
    @Test
    void aWaitThatNeverSleepsAllocatesNothing() {
        Seccomp.Notification enter = new Seccomp.Notification(1, NO_SUCH_TID, Supervisor.NR_ENTER, new long[6]);
        try (PendingSignals signals = new PendingSignals(-1, false)) {
            assertThat(bytesPerRun(() -> signals.end(signals.begin(enter, NO_SUCH_TID)))).isLessThan(1);
        }
    }

    /** Marking a call pending for descriptors and then answered allocates one small record, no map entries. */
    @Test
    void aCallPendingAndAnsweredAllocatesOneRecord() {
        ProgramThread thread = new ProgramThread();
        thread.serve(NO_SUCH_TID);
        try (ProgramDescriptors descriptors = new ProgramDescriptors(thread, -1, new DescriptorChanges())) {
            ProgramDescriptors.Place here = descriptors.placeHere();
            long[] id = {1};
            assertThat(bytesPerRun(() -> {
                descriptors.calling(here, id[0], NO_SUCH_TID);
                descriptors.answered(here, id[0]++);
            })).isLessThanOrEqualTo(32);
        }
    }

    /**
     * Answering a call (SECCOMP_IOCTL_NOTIF_SEND) writes its struct into the thread's own buffer: nothing allocated
     * beyond what the system call itself allocates (the downcall, before the JIT has compiled it).
     */
    @Test
    void answeringACallAllocatesNothingOfItsOwn() {
        long[] result = new long[1];
        Runnable syscall = () -> result[0] = Linux.call(Linux.SYS_IOCTL, -1, Seccomp.IOCTL_NOTIF_SEND, 0);
        double syscallBefore = bytesPerRun(syscall);
        double send = bytesPerRun(() -> result[0] = Seccomp.send(-1, 1, 0));
        assertThat(result[0]).as("a failed answer, its errno not captured").isEqualTo(-1);
        assertThat(send).isLessThan(Math.max(syscallBefore, bytesPerRun(syscall)) + 1);
    }

    /**
     * A hosted program's NOP enters ({@code nop-pauses.c}), the second half's counted across the JVM's hosting threads:
     * the notification, the ring's lookup and the emulator's enter, with nothing per call in maps, boxes, arenas or
     * thread locals. The counted half follows as many calls as it has, so the JIT has compiled the path (as the
     * interpreter would, it allocates what it does not prove local).
     */
    @Test
    @Tag("kernel")
    @Timeout(120)
    void aHostedNopEnterAllocatesFewBytes() throws Exception {
        HostSupport.assumeHostable();
        Path program = HostSupport.compile(dir, "nop-pauses");
        assumeTrue(program != null, "gcc is not installed or cannot build a program here");
        int calls = 20_000;
        Path told = fifo("told");
        Path asks = fifo("asks");
        Path out = Files.createTempFile(dir, "out", ".txt");
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Host host = new Host(EmulatorOptions.of(KernelProfile.LINUX_6_18), true, Files.createTempDirectory(dir, "r"));
        CompletableFuture<Host.Outcome> run = CompletableFuture.supplyAsync(() -> {
            try (PrintStream errStream = new PrintStream(err, true, StandardCharsets.UTF_8)) {
                return host.run(List.of(program.toString(), Integer.toString(calls), told.toString(), asks.toString()),
                        ProcessBuilder.Redirect.to(out.toFile()), errStream);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        long counted;
        try (InputStream pauses = new FileInputStream(told.toFile());
                OutputStream goOn = new FileOutputStream(asks.toFile())) {
            assertThat(pauses.read()).as("the first half's end").isEqualTo('p');
            Map<Long, Long> before = allocatedByHostingThreads();
            goOn.write('g');
            goOn.flush();
            assertThat(pauses.read()).as("the second half's end").isEqualTo('p');
            Map<Long, Long> after = allocatedByHostingThreads();
            goOn.write('g');
            goOn.flush();
            counted = 0;
            for (Map.Entry<Long, Long> e : after.entrySet()) {
                counted += e.getValue() - before.getOrDefault(e.getKey(), 0L);
            }
        }
        Host.Outcome outcome = run.get(60, TimeUnit.SECONDS);
        assertThat(outcome.exitStatus()).as(Files.readString(out) + err).isZero();
        assertThat(Files.readString(out)).isEqualTo(2 * calls + " NOPs\n");
        // about 860 bytes a call before (boxed ids and thread numbers, map nodes, a wait, an arena), 160 after; then
        // the notification, its arguments, the ring's lookup and the enter's argument segment were made per call
        // (about 210 bytes a call in all), now the pending call's record alone: 24 bytes when this test runs alone, 88
        // after the module's other tests in the same JVM (their threads, a JIT profile that keeps a lambda or two)
        assertThat((double) counted / calls).isLessThan(150);
    }

    /** Bytes allocated so far by each live thread of this JVM that hosts (the receiving threads and the emulator's). */
    private static Map<Long, Long> allocatedByHostingThreads() {
        Map<Long, Long> bytes = new HashMap<>();
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().startsWith("ringspec-")) {
                bytes.put(t.threadId(), THREADS.getThreadAllocatedBytes(t.threadId()));
            }
        }
        return bytes;
    }

    private Path fifo(String name) {
        Path path = dir.resolve(name);
        try (Arena call = Arena.ofConfined()) {
            long r = Linux.call(SYS_MKNODAT, AT_FDCWD, call.allocateFrom(path.toString()).address(), S_IFIFO | 0600, 0,
                    0, 0);
            assertThat(r).as("mknodat " + path).isZero();
        }
        return path;
    }
}
