package dev.ringspec.emulator.ops;

import static dev.ringspec.emulator.BothSides.sameOnBoth;
import static dev.ringspec.uapi.Errno.ECANCELED;
import static dev.ringspec.uapi.Errno.EFAULT;
import static dev.ringspec.uapi.Errno.EINTR;
import static dev.ringspec.uapi.Errno.EINVAL;
import static dev.ringspec.uapi.Errno.ETIME;
import static dev.ringspec.uapi.IoUring.IORING_OP_SPLICE;
import static dev.ringspec.uapi.IoUring.IORING_OP_TIMEOUT;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_IOWQ_MAX_WORKERS;
import static dev.ringspec.uapi.IoUring.IOSQE_ASYNC;
import static dev.ringspec.uapi.IoUring.IOSQE_IO_HARDLINK;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ringspec.emulator.BothSides;
import dev.ringspec.emulator.EmulatedIoUring;
import dev.ringspec.emulator.sys.Linux;
import dev.ringspec.model.KernelProfile;
import dev.ringspec.nativerunner.NativeBackendProvider;
import dev.ringspec.seam.Backend;
import dev.ringspec.seam.Cqe;
import dev.ringspec.seam.IoUringKernel;
import dev.ringspec.seam.Sqe;
import dev.ringspec.seam.UserMemory;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * IORING_REGISTER_IOWQ_MAX_WORKERS (io_uring/register.c {@code io_register_iowq_max_workers}, io-wq.c
 * {@code io_wq_max_workers}), the cap it puts on a task's io-wq, and what the task's exit then does to the work that
 * waits for a worker; and a linked request queued after its task's exit ({@code io_req_task_submit}). On the kernel
 * and on the emulator (whose task is the submitting platform thread), which must answer alike.
 */
@Tag("kernel")
class IoWqMaxWorkersTest {

    /** Register calls on one backend: each line a call's result and the two counts it wrote back. */
    @FunctionalInterface
    private interface Calls {
        List<String> run(IoUringKernel kernel, UserMemory memory) throws Exception;
    }

    /**
     * The lines of {@code calls} on the kernel, after checking the emulator's (profile 6.18) are the same; each run
     * on a thread of its own ({@link #onNewThread}).
     */
    private static List<String> sameOnBothBackends(Calls calls) throws Exception {
        Backend kernel = NativeBackendProvider.backend();
        assumeTrue(kernel.availability().available(), kernel.availability().reason());
        List<String> onKernel;
        try (UserMemory memory = new UserMemory()) {
            IoUringKernel k = kernel.open(memory);
            onKernel = onNewThread(() -> calls.run(k, memory));
        }
        try (UserMemory memory = new UserMemory();
                EmulatedIoUring emulator = EmulatedIoUring.open(KernelProfile.LINUX_6_18, memory)) {
            assertThat(onNewThread(() -> calls.run(emulator, memory))).as("the emulator's answers against the kernel's")
                    .isEqualTo(onKernel);
        }
        return onKernel;
    }

    /** {@code scenario} on a ring set up and used by a thread of its own ({@link #onNewThread}). */
    private static BothSides.Scenario ownThread(TestRing.Body body) {
        BothSides.Scenario scenario = TestRing.on(body);
        return (kernel, memory) -> onNewThread(() -> scenario.run(kernel, memory));
    }

    /**
     * Runs {@code call} on a new platform thread and answers its result: a task's io-wq lives as long as the task,
     * across rings (the caps a test sets would stay on the test runner's thread for every later test), and takes the
     * caps of every ring the task used.
     */
    private static <T> T onNewThread(Callable<T> call) throws Exception {
        AtomicReference<T> result = new AtomicReference<>();
        AtomicReference<Exception> failure = new AtomicReference<>();
        Thread t = Thread.ofPlatform().start(() -> {
            try {
                result.set(call.call());
            } catch (Exception e) {
                failure.set(e);
            }
        });
        t.join();
        if (failure.get() != null) {
            throw failure.get();
        }
        return result.get();
    }

    /** IORING_REGISTER_IOWQ_MAX_WORKERS with {@code bound} and {@code unbound}: "result {old bound, old unbound}". */
    private static String maxWorkers(TestRing r, int bound, int unbound) {
        MemorySegment counts = r.memory.allocate(8);
        counts.setAtIndex(JAVA_INT, 0, bound);
        counts.setAtIndex(JAVA_INT, 1, unbound);
        int res = r.kernel.register(r.d.ring(), IORING_REGISTER_IOWQ_MAX_WORKERS, counts, 2);
        return res + " {" + counts.getAtIndex(JAVA_INT, 0) + ", " + counts.getAtIndex(JAVA_INT, 1) + "}";
    }

    /**
     * A query (zeros) answers the caps, a change answers the old ones, a zero keeps its cap, and bad arguments
     * change nothing: a count above INT_MAX, nr_args other than 2 and a NULL argument -EINVAL, an unmapped one
     * -EFAULT. Before, the emulator had no such opcode (its model threw: not modelled).
     */
    @Test
    void maxWorkersAnswersTheOldCapsAndKeepsThoseGivenZero() throws Exception {
        List<String> lines = sameOnBothBackends((kernel, memory) -> {
            TestRing r = new TestRing(kernel, memory, 16, 0, 0);
            try {
                List<String> out = new ArrayList<>();
                out.add(maxWorkers(r, 0, 0));
                out.add(maxWorkers(r, 2, 1));
                out.add(maxWorkers(r, 0, 3));
                out.add(maxWorkers(r, Integer.MIN_VALUE, 1));
                MemorySegment counts = memory.allocate(8);
                out.add("nr_args 1: " + kernel.register(r.d.ring(), IORING_REGISTER_IOWQ_MAX_WORKERS, counts, 1));
                out.add("NULL: " + kernel.register(r.d.ring(), IORING_REGISTER_IOWQ_MAX_WORKERS,
                        MemorySegment.NULL, 2));
                out.add(maxWorkers(r, 0, 0));
                return out;
            } finally {
                r.close();
            }
        });
        assertThat(lines.subList(2, lines.size())).containsExactly("0 {2, 1}", "-" + EINVAL + " {-2147483648, 1}",
                "nr_args 1: -" + EINVAL, "NULL: -" + EINVAL, "0 {2, 3}");
        assertThat(lines.get(1)).isEqualTo(lines.get(0));
    }

    /**
     * IORING_REGISTER_IOWQ_MAX_WORKERS came in 5.15 (0x13, below every profile's IORING_REGISTER_LAST): the emulator
     * answers it at every profile, 6.1 to 7.3, with the caps of the calling thread's io-wq, and QUERY counts it.
     * Before, each answer was the model's "not modelled".
     */
    @ParameterizedTest
    @ValueSource(strings = {"6.1", "6.12", "6.18", "6.19", "7.0", "7.1", "7.2", "7.3"})
    void everyProfileHasIt(String version) throws Exception {
        KernelProfile profile = OpsOnEveryProfileTest.profile(version);
        assertThat(profile.registerLast()).isGreaterThan(IORING_REGISTER_IOWQ_MAX_WORKERS);
        String answer = onNewThread(() -> {
            try (UserMemory memory = new UserMemory();
                    EmulatedIoUring emulator = EmulatedIoUring.open(profile, memory)) {
                TestRing r = new TestRing(emulator, memory, 4, 0, 0);
                try {
                    maxWorkers(r, 1, 0);
                    return maxWorkers(r, 0, 0);
                } finally {
                    r.close();
                }
            }
        });
        assertThat(answer).startsWith("0 {1, ");
    }

    /**
     * A thread that never used a ring has no io-wq: its call answers zeros, yet sets the ring's caps, which the
     * io-wq made at its first submission takes ({@code __io_uring_add_tctx_node}), as does every io-wq of a task
     * that used the ring. Before, the emulator had no such opcode.
     */
    @Test
    void aThreadWithoutAnIoWqAnswersZerosAndGetsTheRingsCapsAtItsFirstSubmission() throws Exception {
        List<String> lines = sameOnBothBackends((kernel, memory) -> {
            TestRing r = new TestRing(kernel, memory);
            try {
                List<String> out = new ArrayList<>();
                out.add(maxWorkers(r, 3, 0));
                Thread fresh = Thread.ofPlatform().start(() -> {
                    out.add(maxWorkers(r, 0, 7));
                    r.nop(1);
                    r.submit();
                    out.add(maxWorkers(r, 0, 0));
                });
                fresh.join();
                out.add(maxWorkers(r, 0, 0));
                r.settle(1);
                return out;
            } finally {
                r.close();
            }
        });
        assertThat(lines.subList(1, lines.size())).containsExactly("0 {0, 0}", "0 {3, 7}", "0 {3, 7}");
    }

    /**
     * With one unbound worker, a second SPLICE from an empty pipe waits for it: its pipe written first, it still
     * has no CQE 200 ms later, and completes only after the first. Before, the emulator's worker threads were
     * uncapped and the second SPLICE completed first.
     */
    @Test
    void workBeyondTheUnboundCapWaitsForAWorker() throws Exception {
        List<Cqe> cqes = sameOnBoth(ownThread((w, r) -> {
            int[] first = w.pipe();
            int[] second = w.pipe();
            int[] out = w.pipe();
            assertThat(maxWorkers(r, 0, 1)).startsWith("0 ");
            splice(r, first[0], out[1], 1);
            splice(r, second[0], out[1], 2);
            r.submit();
            Thread.sleep(100); // the worker is in the first SPLICE, under load too
            w.write(second[1], 4);
            Thread.sleep(200);
            List<Cqe> early = r.quiet();
            w.write(first[1], 4);
            List<Cqe> all = new ArrayList<>(early);
            all.addAll(r.settle(2 - early.size()));
            return all;
        }));
        assertThat(cqes).extracting(Cqe::userData).containsExactly(1L, 2L);
        assertThat(cqes).extracting(Cqe::res).containsExactly(4, 4);
    }

    /**
     * With one unbound worker, a thread's three IOSQE_ASYNC SPLICEs from empty pipes: at the thread's exit the one
     * running ends interrupted (-512 on this kernel, -EINTR on the emulator with the rule reported:
     * {@link SpliceInterruption}) and the two that wait for the worker -ECANCELED ({@code io_worker_handle_work} with
     * do_kill). Before, the emulator ran all three at once and all ended interrupted.
     */
    @Test
    void anExitCancelsTheUnboundWorkThatWaitsForAWorker() throws Exception {
        BothSides.Scenario scenario = ownThread((w, r) -> {
            int[][] in = {w.pipe(), w.pipe(), w.pipe()};
            int[] out = w.pipe();
            assertThat(maxWorkers(r, 0, 1)).startsWith("0 ");
            Thread submitter = Thread.ofPlatform().start(() -> {
                for (int i = 0; i < 3; i++) {
                    splice(r, in[i][0], out[1], 1 + i);
                }
                r.submit();
                try {
                    Thread.sleep(300); // the worker is in the first call, under load too
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            submitter.join();
            return r.settle(3).stream().sorted(Comparator.comparingLong(Cqe::userData)).toList();
        });
        assertThat(BothSides.onKernel(NativeBackendProvider.backend(), scenario)).extracting(Cqe::res)
                .containsExactly(SpliceInterruption.onThisKernel(), -ECANCELED, -ECANCELED);
        SpliceInterruption.Heard heard = new SpliceInterruption.Heard();
        assertThat(SpliceInterruption.onEmulator(KernelProfile.LINUX_6_18, heard, scenario)).extracting(Cqe::res)
                .containsExactly(-EINTR, -ECANCELED, -ECANCELED);
        assertThat(heard.userData()).containsExactly(1L);
    }

    /**
     * A NOP hard-linked to a 500 ms TIMEOUT of a thread that exits at once: the TIMEOUT fires after the exit
     * (-ETIME), and the NOP, queued as task work to the exited task, runs in the fallback kworker and fails -EFAULT
     * ({@code io_req_task_submit}, {@code io_should_terminate_tw}). Before, the emulator issued the NOP (0).
     */
    @Test
    void aLinkedRequestQueuedAfterItsTasksExitFailsEfault() throws Exception {
        List<Cqe> cqes = sameOnBoth(TestRing.on((w, r) -> {
            MemorySegment ts = r.memory.allocate(16);
            ts.set(JAVA_LONG, 8, 500_000_000L); // long enough for the thread to have exited, under load too
            int[] tid = new int[1];
            Thread submitter = Thread.ofPlatform().start(() -> {
                tid[0] = (int) Linux.call(Linux.SYS_GETTID, 0);
                long at = r.d.nextSqe();
                Sqe.opcode(r.d.sqes(), at, IORING_OP_TIMEOUT);
                Sqe.addr(r.d.sqes(), at, ts.address());
                Sqe.len(r.d.sqes(), at, 1);
                Sqe.flags(r.d.sqes(), at, IOSQE_IO_HARDLINK);
                Sqe.userData(r.d.sqes(), at, 1);
                r.nop(2);
                r.submit();
            });
            submitter.join();
            exited(tid[0]);
            return r.settle(2);
        }));
        assertThat(cqes).extracting(Cqe::res).containsExactly(-ETIME, -EFAULT);
    }

    /** A SPLICE of up to 8 bytes from pipe {@code in} to pipe {@code out} with IOSQE_ASYNC (an io-wq worker's). */
    private static void splice(TestRing r, int in, int out, long userData) {
        long at = r.d.nextSqe();
        Sqe.opcode(r.d.sqes(), at, IORING_OP_SPLICE);
        Sqe.flags(r.d.sqes(), at, IOSQE_ASYNC);
        Sqe.fd(r.d.sqes(), at, out);
        Sqe.fileIndex(r.d.sqes(), at, in);
        Sqe.addr(r.d.sqes(), at, -1);
        Sqe.off(r.d.sqes(), at, -1);
        Sqe.len(r.d.sqes(), at, 8);
        Sqe.userData(r.d.sqes(), at, userData);
    }

    /** Waits until the system thread {@code tid} of this process is gone (a Java join returns before do_exit). */
    private static void exited(int tid) throws InterruptedException {
        Path task = Path.of("/proc/self/task/" + tid);
        for (int i = 0; i < 5000 && Files.exists(task); i++) {
            Thread.sleep(1);
        }
        assertThat(task).doesNotExist();
    }
}
