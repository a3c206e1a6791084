package dev.ringspec.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.Timeout.ThreadMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * A program's processes under {@link Host}: a request reaches the memory of the process that submitted it, a thread
 * number given again is a new thread's, an exec cancels the requests of the thread that runs it, and an exit some of
 * them. Each program runs natively and hosted, with the same output.
 */
@Tag("kernel")
class HostedProcessesTest {
    @TempDir
    static Path dir;

    /**
     * A forked child's io-wq READ lands in the child's memory, never in its parent's, although the parent made the
     * last calls ({@code host/src/test/c/fork-memory.c}). Before requests carried their submitter
     * ({@code RequestTask}) the worker's copies went to the process served last: the parent's buffer held all 64 MiB
     * and the child's none.
     */
    @Test
    @Timeout(value = 120, threadMode = ThreadMode.SEPARATE_THREAD)
    void aRequestReachesTheMemoryOfTheProcessThatSubmittedIt() throws Exception {
        HostedProgramTest.Run hosted = sameBothWays("fork-memory", "not as read: 0", "not zero: 0");
        assertThat(hosted.outcome().rings()).isEqualTo(2);
    }

    /**
     * A child's exec cancels its TIMEOUT and its READ on the ring it shares with its parent, who sees both CQEs
     * -ECANCELED before its own 3 s TIMEOUT ({@code host/src/test/c/exec-cancel.c}). Before the launcher handed
     * execve to the supervisor the parent saw neither.
     */
    @Test
    @Timeout(value = 120, threadMode = ThreadMode.SEPARATE_THREAD)
    void anExecCancelsTheRequestsOfItsThread() throws Exception {
        HostedProgramTest.Run hosted = sameBothWays("exec-cancel", "the child's TIMEOUT: -125",
                "the child's READ: -125", "fired first: no");
        assertThat(Files.readString(hosted.outcome().report())).contains("2 requests cancelled by an exec");
    }

    /**
     * A task's exit, a forked child's and a thread's alike, cancels its POLL_ADD of the ring's own descriptor and the
     * TIMEOUT linked to it, and leaves its other TIMEOUTs to fire ({@code host/src/test/c/exit-cancel.c}; the
     * kernel's io_uring_files_cancel). Before the supervisor heard of exits, the two polls completed with POLLIN when
     * a later CQE arrived, and the linked TIMEOUT after 10 s, past the parent's 3 s.
     */
    @Test
    @Timeout(value = 120, threadMode = ThreadMode.SEPARATE_THREAD)
    void anExitCancelsTheRequestsOfItsTaskOnARingsDescriptor() throws Exception {
        HostedProgramTest.Run hosted = sameBothWays("exit-cancel", "the child's POLL_ADD of the ring: -125",
                "the TIMEOUT linked to it: -125", "the child's 1 s TIMEOUT: -62",
                "the thread's POLL_ADD of the ring: -125", "the thread's 1 s TIMEOUT: -62", "fired first: no");
        assertThat(Files.readString(hosted.outcome().report())).contains("2 requests cancelled by the exit");
    }

    /**
     * A thread's exit wakes its io-wq's worker, whose SPLICE from an empty pipe ends interrupted at the exit, and its
     * POLL_ADD and READ of two empty pipes, woken after the exit, end -ECANCELED ({@code host/src/test/c/task-exit.c};
     * the kernel's io_wq_exit_workers and io_should_terminate_tw). Before, the SPLICE went on waiting past the
     * parent's 3 s TIMEOUT, and the poll and the READ would have completed. The interrupted SPLICE ends -EINTR hosted;
     * this kernel (after 6.12) puts -ERESTARTSYS, -512, in its CQE (catalogue entry
     * splice-interrupted-cqe-holds-erestartsys), 6.1 and 6.12 -EINTR.
     */
    @Test
    @Timeout(value = 120, threadMode = ThreadMode.SEPARATE_THREAD)
    void anExitEndsItsIoWqWorkAndThePollsThatFireAfterIt() throws Exception {
        boolean restartInCqe = SpliceKernel.restartInCqe();
        String splice = "the thread's io-wq SPLICE: ";
        sameBothWays("task-exit", own -> own.replace(splice + "-512", splice + "-4"), "the thread's POLL_ADD of a"
                + " pipe: -125", "the thread's READ of a pipe: -125", splice + (restartInCqe ? "-512" : "-4"),
                "bytes spliced: 0", "fired first: no");
    }

    /**
     * IORING_REGISTER_IOWQ_MAX_WORKERS and what an exit does to io-wq work ({@code host/src/test/c/iowq-max.c}):
     * a query answers the defaults, a change the old caps, a zero keeps one, a cap above RLIMIT_NPROC is cut to it,
     * bad arguments answer -EINVAL or -EFAULT; a thread without an io-wq answers zeros and gets the ring's caps at
     * its first submission; an SQPOLL ring's caps are its SQ thread's. With one unbound worker, a thread's three
     * IOSQE_ASYNC SPLICEs from empty pipes end -512 (the one running; hosted -EINTR, the catalogued kernel bug) and
     * -125 twice (still queued) at its exit; a NOP hard-linked to a TIMEOUT that fires after the exit ends -EFAULT.
     * Before, hosted, the register call was answered -EOPNOTSUPP (not modelled), the queued SPLICEs -512 and the NOP
     * 0.
     */
    @Test
    @Timeout(value = 120, threadMode = ThreadMode.SEPARATE_THREAD)
    void maxWorkersCapsEachTasksIoWqAndAnExitCancelsWhatWaitsForAWorker() throws Exception {
        String running = "the running SPLICE: ";
        // hosted, the interrupted SPLICE ends -EINTR (catalogue: splice-interrupted-cqe-holds-erestartsys)
        sameBothWays("iowq-max", own -> own.replace(running + "-512", running + "-4"),
                "query: 0 {min(sq_entries, 4 * CPUs), RLIMIT_NPROC}", "set {0, 3}: 0 {2, 1}",
                "set {0x80000000, 1}: -22", "nr_args 1: -22", "NULL: -22", "unmapped: -14",
                "a thread without io_uring sets {0, 7}: 0 {0, 0}",
                "the same thread after its first submission queries: 0 {2, 7}",
                "the SQPOLL ring queries: 0 {1, 1}", "the main ring queries: 0 {2, 7}",
                running + (SpliceKernel.restartInCqe() ? "-512" : "-4"), "the queued SPLICEs: -125 -125",
                "the exited thread's TIMEOUT: -62", "the NOP hard-linked to it: -14", "fired first: no");
    }

    /**
     * A thread number the kernel gives again (pid_max is 32768 here; the numbers wrap within minutes on a busy
     * machine) is a new thread: child B, given the number of child A's exited thread, sets up a ring and reads into
     * its own buffer ({@code host/src/test/c/tid-reuse.c}, which forces the number through ns_last_pid). Before the
     * supervisor watched threads' exits, B's io_uring_setup wrote its params into A's memory (B's mmap then failed).
     */
    @Test
    @Timeout(value = 120, threadMode = ThreadMode.SEPARATE_THREAD)
    void aThreadNumberGivenAgainIsANewThreadsWithItsOwnProcess() throws Exception {
        HostSupport.assumeHostable();
        Path program = HostSupport.compile(dir, "tid-reuse");
        assumeTrue(program != null, "gcc is not installed or cannot build a program here");
        HostedProgramTest.Run own = HostedProgramTest.runNatively(List.of(program.toString()));
        assumeTrue(!own.output().contains("no reuse"),
                "the kernel could not be made to give a thread number again (needs root: ns_last_pid)");
        assertThat(own.output()).contains("not as read: 0", "not zero: 0");
        HostedProgramTest.Run hosted = HostedProgramTest.runHosted(dir, List.of(program.toString()));
        assumeTrue(!hosted.output().contains("no reuse"), "another process took the number first, twenty times over");
        assertThat(hosted.status()).as(hosted.output() + hosted.err()).isZero();
        assertThat(hosted.output()).isEqualTo(own.output());
    }

    private static HostedProgramTest.Run sameBothWays(String name, String... natively) throws Exception {
        return sameBothWays(name, own -> own, natively);
    }

    /** The same, the hosted output being the native one as {@code hosted} turns it (a catalogued kernel bug). */
    private static HostedProgramTest.Run sameBothWays(String name, java.util.function.UnaryOperator<String> hosted,
            String... natively) throws Exception {
        HostSupport.assumeHostable();
        Path program = HostSupport.compile(dir, name);
        assumeTrue(program != null, "gcc is not installed or cannot build a program here");
        HostedProgramTest.Run own = HostedProgramTest.runNatively(List.of(program.toString()));
        assertThat(own.status()).as(own.output()).isZero();
        assertThat(own.output()).contains(natively);
        HostedProgramTest.Run run = HostedProgramTest.runHosted(dir, List.of(program.toString()));
        assertThat(run.status()).as(run.output() + run.err()).isZero();
        assertThat(run.output()).isEqualTo(hosted.apply(own.output()));
        return run;
    }

    /** Whether this kernel puts an interrupted SPLICE's -ERESTARTSYS (-512) in its CQE: after 6.12 (measured). */
    private static final class SpliceKernel {
        static boolean restartInCqe() throws java.io.IOException {
            String[] v = Files.readString(Path.of("/proc/sys/kernel/osrelease")).trim().split("[.-]");
            return Integer.parseInt(v[0]) > 6 || Integer.parseInt(v[0]) == 6 && Integer.parseInt(v[1]) > 12;
        }
    }
}
