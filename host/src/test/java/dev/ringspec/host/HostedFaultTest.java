package dev.ringspec.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ringspec.emulator.EmulatorOptions;
import dev.ringspec.emulator.sys.Linux;
import dev.ringspec.model.KernelProfile;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Programs that misbehave or meet signals, natively and under {@link Host}: the same answers where the kernel gives
 * one, and a supervisor that ends with the program, leaves nothing stopped, and says in its report what happened.
 */
@Tag("kernel")
class HostedFaultTest {
    @TempDir
    static Path dir;

    @BeforeAll
    static void hostingWorksHere() {
        HostSupport.assumeHostable();
    }

    private static Path program(String name) throws Exception {
        Path p = HostSupport.compile(dir, name);
        assumeTrue(p != null, "gcc is not installed or cannot build a program here");
        return p;
    }

    /** A run: status, standard output, the host's standard error and report. */
    record Run(int status, String output, String err, Host.Outcome outcome, String report) {
    }

    static Run hosted(List<String> command) throws IOException {
        Path out = Files.createTempFile(dir, "out", ".txt");
        Path reports = Files.createTempDirectory(dir, "report");
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Host.Outcome o;
        try (PrintStream errStream = new PrintStream(err, true, StandardCharsets.UTF_8)) {
            o = new Host(EmulatorOptions.of(KernelProfile.LINUX_6_18), true, reports)
                    .run(command, ProcessBuilder.Redirect.to(out.toFile()), errStream);
        }
        String report = o.report() == null ? "" : Files.readString(o.report());
        return new Run(o.exitStatus(), Files.readString(out), err.toString(StandardCharsets.UTF_8), o, report);
    }

    /**
     * A native run, its output read once no process of its program runs any more, so that a child that outlives the
     * program is waited for too. (Not a pipe read to its end: the JDK drains and closes a process's output pipe when
     * the process exits, so a child's later lines were lost once in a while.)
     */
    static Run natively(List<String> command) throws IOException, InterruptedException {
        Path out = Files.createTempFile(dir, "native", ".txt");
        Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT)
                .redirectOutput(out.toFile()).start();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("the native run ends").isTrue();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!processesRunning(Path.of(command.get(0))).isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        return new Run(p.exitValue(), Files.readString(out), "", null, "");
    }

    @Test
    void aSignalEndsAHostedWaitWithTheKernelsAnswer() throws Exception {
        Path signalWait = program("signal-wait");
        Run natively = natively(List.of(signalWait.toString()));
        assertThat(natively.status()).as(natively.output()).isZero();
        Run hosted = hosted(List.of(signalWait.toString()));
        assertThat(hosted.output()).isEqualTo(natively.output());
        assertThat(hosted.status()).as(hosted.output() + hosted.err()).isZero();
        assertThat(hosted.outcome().findings()).isEmpty();
        assertThat(hosted.report()).contains("ended by a signal").contains("signal 14 ended thread");
    }

    @Test
    void aRingEndsWhenItsLastDescriptorForkCopyAndMappingGo() throws Exception {
        Path ringEnd = program("ring-end");
        Run natively = natively(List.of(ringEnd.toString()));
        assertThat(natively.status()).as(natively.output()).isZero();
        Run hosted = hosted(List.of(ringEnd.toString()));
        assertThat(hosted.output()).isEqualTo(natively.output());
        assertThat(hosted.status()).as(hosted.output() + hosted.err()).isZero();
        assertThat(hosted.outcome().findings()).isEmpty();
        assertThat(hosted.report()).contains("3 rings ended while the program ran");
    }

    /**
     * A ring's end cancels its requests before they reach the program ({@code host/src/test/c/ring-end-cancels.c}):
     * a READ armed on an empty pipe, the ring unmapped and closed, a write 50 ms later stays in the pipe. Before the
     * supervisor let go of its reference to a ring with requests waiting outside it at the end of each call, the ring
     * lived on for up to 100 ms after the program's last call and the READ took the bytes into the program's memory.
     */
    @Test
    @Timeout(120)
    void aRingsEndCancelsItsRequestsBeforeTheyReachTheProgram() throws Exception {
        Path program = program("ring-end-cancels");
        Run natively = natively(List.of(program.toString()));
        assertThat(natively.status()).as(natively.output()).isZero();
        assertThat(natively.output()).contains("the READ's buffer: untouched", "the pipe holds: 4 bytes");
        Run hosted = hosted(List.of(program.toString()));
        assertThat(hosted.output()).isEqualTo(natively.output());
        assertThat(hosted.status()).as(hosted.output() + hosted.err()).isZero();
        assertThat(hosted.report()).contains("1 ring ended while the program ran");
    }

    @Test
    @Timeout(120)
    void aProgramThatCrashesOrKillsItselfWhileAThreadWaitsEndsTheSupervisor() throws Exception {
        Path faults = program("faults");
        for (String[] run : new String[][] {{"crash", "11", "SEGV"}, {"self-kill", "9", "KILL"}}) {
            int status = 128 + Integer.parseInt(run[1]);
            assertThat(natively(List.of(faults.toString(), run[0])).status()).as(run[0]).isEqualTo(status);
            Run hosted = hosted(List.of(faults.toString(), run[0]));
            assertThat(hosted.status()).as(run[0]).isEqualTo(status);
            assertThat(hosted.report()).contains("- exit status: " + status + " (128 + " + run[1] + ": killed by SIG"
                    + run[2] + ")");
            assertThat(hosted.outcome().findings()).isEmpty();
        }
    }

    @Test
    void garbagePointersGetTheKernelsErrnoFromEachCall() throws Exception {
        Path faults = program("faults");
        Run natively = natively(List.of(faults.toString(), "garbage"));
        assertThat(natively.status()).isZero();
        assertThat(natively.output()).contains("Bad address");
        Run hosted = hosted(List.of(faults.toString(), "garbage"));
        assertThat(hosted.output()).isEqualTo(natively.output());
        assertThat(hosted.status()).isZero();
    }

    @Test
    void theProgramCannotReachTheListenerAndClosingEveryDescriptorLeavesHostingIntact() throws Exception {
        Path faults = program("faults");
        Run natively = natively(List.of(faults.toString(), "listener"));
        assertThat(natively.output()).contains("seccomp listeners among my descriptors: 0");
        Run hosted = hosted(List.of(faults.toString(), "listener"));
        assertThat(hosted.output()).isEqualTo(natively.output());
        assertThat(hosted.status()).isZero();
        assertThat(hosted.outcome().rings()).isEqualTo(2);
    }

    @Test
    @Timeout(60)
    void aChildThatOutlivesItsParentIsServedUntilItExits() throws Exception {
        Path faults = program("faults");
        Run natively = natively(List.of(faults.toString(), "orphan"));
        assertThat(natively.output()).contains("child: a NOP on the inherited ring after the parent's exit: 1, CQE"
                + " res 0");
        Run hosted = hosted(List.of(faults.toString(), "orphan"));
        assertThat(hosted.output()).isEqualTo(natively.output());
        assertThat(hosted.status()).as("the parent's status").isZero();
    }

    /**
     * Signals to the threads that receive the program's calls (a profiler's SIGPROF, say) end the wait in
     * SECCOMP_IOCTL_NOTIF_ADDFD. With SECCOMP_ADDFD_FLAG_SEND the kernel marks the call answered before the program
     * takes the descriptor (kernel/seccomp.c {@code seccomp_notify_addfd}), and an interrupted ADDFD withdraws the
     * descriptor but not that mark: the program's io_uring_setup returned 0, its standard input, in 1 of 5 runs under
     * async-profiler before the supervisor blocked signals around the call. Here the receiving threads get signal 62
     * (the JDK's interruptible-I/O signal: an empty handler without SA_RESTART) every 20 us through 2,000 setups,
     * each with a NOP entered and waited for.
     */
    @Test
    @Timeout(120)
    void signalsToTheReceivingThreadsLoseNoRingSetup() throws Exception {
        Path storm = program("setup-storm");
        assertThat(natively(List.of(storm.toString())).output()).isEqualTo("2000 setups, each a ring that maps and completes a NOP\n");
        Class.forName("sun.nio.ch.NativeThread", true, ClassLoader.getPlatformClassLoader());
        AtomicBoolean done = new AtomicBoolean();
        AtomicLong sent = new AtomicLong();
        Thread signaller = Thread.ofPlatform().daemon().start(() -> {
            long pid = ProcessHandle.current().pid();
            Pattern receiving = Pattern.compile("ringspec-host-[0-9]+");
            while (!done.get()) {
                try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
                    for (Path task : tasks.toList()) {
                        String comm;
                        try {
                            comm = Files.readString(task.resolve("comm")).strip();
                        } catch (IOException gone) {
                            continue;
                        }
                        if (receiving.matcher(comm).matches() && Linux.call(Linux.SYS_TGKILL, pid,
                                Long.parseLong(task.getFileName().toString()), 62) == 0) {
                            sent.incrementAndGet();
                        }
                    }
                } catch (IOException unreadable) {
                    return;
                }
                java.util.concurrent.locks.LockSupport.parkNanos(20_000);
            }
        });
        Run hosted;
        try {
            hosted = hosted(List.of(storm.toString()));
        } finally {
            done.set(true);
            signaller.join();
        }
        assertThat(sent.get()).as("signals sent").isPositive();
        assertThat(hosted.output()).as(hosted.err()).isEqualTo("2000 setups, each a ring that maps and completes a NOP\n");
        assertThat(hosted.status()).isZero();
    }

    @Test
    @Timeout(120)
    void aHungProgramKilledByTimeoutLeavesNoProcessBehind() throws Exception {
        Path faults = program("faults");
        Path reports = Files.createTempDirectory(dir, "report");
        List<String> command = List.of("timeout", "-s", "TERM", "5",
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), HostMain.class.getName(), reports.toString(),
                faults.toString(), "hang");
        Process timeout = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output;
        try (var in = timeout.getInputStream()) {
            output = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        assertThat(timeout.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(timeout.exitValue()).as(output).isEqualTo(124);
        assertThat(output).contains("hanging");
        assertThat(processesRunning(faults)).as("processes of " + faults).isEmpty();
        // timeout signals its whole process group: the program may die of SIGTERM before the supervisor is stopped
        assertThat(Files.readString(reports.resolve("host-report.md"))).containsPattern(
                "exit status: 1(37|43) \\(128 \\+ (9|15): killed by SIG(KILL|TERM)\\)");
    }

    /** The processes whose executable is {@code binary}. */
    private static List<Long> processesRunning(Path binary) {
        return ProcessHandle.allProcesses().filter(p -> {
            try {
                return Files.readSymbolicLink(Path.of("/proc", String.valueOf(p.pid()), "exe")).equals(binary);
            } catch (IOException | UnsupportedOperationException | SecurityException gone) {
                return false;
            }
        }).map(ProcessHandle::pid).toList();
    }
}
