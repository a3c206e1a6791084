package dev.ringspec.emulator.ops;

import static dev.ringspec.emulator.BothSides.sameOnBoth;
import static dev.ringspec.uapi.Errno.ECANCELED;
import static dev.ringspec.uapi.Errno.EINTR;
import static dev.ringspec.uapi.IoUring.IORING_OP_SPLICE;
import static dev.ringspec.uapi.IoUring.IOSQE_ASYNC;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.emulator.BothSides;
import dev.ringspec.emulator.sys.Linux;
import dev.ringspec.model.KernelProfile;
import dev.ringspec.nativerunner.NativeBackendProvider;
import dev.ringspec.seam.Cqe;
import dev.ringspec.seam.Sqe;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * What a thread's exit leaves undone on a ring that outlives it, on the kernel and on the emulator (whose task is the
 * submitting platform thread): its io-wq ends, waking the work that runs ({@code io_wq_exit_workers}), and a poll of
 * its that fires after the exit ends -ECANCELED ({@code io_should_terminate_tw}, {@code io_poll_check_events}).
 */
@Tag("kernel")
class TaskExitTest {
    private static final int POLLIN = 0x1;

    /** Before, the emulator completed both with the pipes' data (POLLIN, 4 bytes). */
    @Test
    void aPollThatFiresAfterItsThreadsExitEndsCancelled() throws Exception {
        List<Cqe> cqes = sameOnBoth(TestRing.on((w, r) -> {
            int[] polled = w.pipe();
            int[] read = w.pipe();
            try (Arena arena = Arena.ofShared()) {
                MemorySegment buffer = arena.allocate(8);
                int[] tid = new int[1];
                Thread submitter = Thread.ofPlatform().start(() -> {
                    tid[0] = (int) Linux.call(Linux.SYS_GETTID, 0);
                    r.pollAdd(polled[0], POLLIN, 0, 1);
                    r.read8(read[0], buffer, 2);
                    r.submit();
                });
                submitter.join();
                exited(tid[0]);
                w.write(polled[1], 1);
                w.write(read[1], 4);
                return r.settle(2).stream().sorted((a, b) -> Long.compare(a.userData(), b.userData())).toList();
            }
        }));
        assertThat(cqes).extracting(Cqe::res).containsExactly(-ECANCELED, -ECANCELED);
    }

    /**
     * Waits until the system thread {@code tid} of this process is gone: a Java thread's join returns before its
     * system thread has exited (do_exit), and until then the kernel runs its task work as usual.
     */
    private static void exited(int tid) throws InterruptedException {
        Path task = Path.of("/proc/self/task/" + tid);
        for (int i = 0; i < 5000 && Files.exists(task); i++) {
            Thread.sleep(1);
        }
        assertThat(task).doesNotExist();
    }

    /**
     * An io-wq SPLICE from an empty pipe blocks its worker until the submitting thread exits: then it ends
     * interrupted, -512 on this kernel (after 6.12), -EINTR on the emulator ({@link SpliceInterruption}); at the 6.12
     * profile the emulator reports nothing, as that kernel answers -EINTR too. Before, the emulator's worker went on
     * waiting (the settle gave up after 5 s with no CQE).
     */
    @Test
    void anExitWakesTheIoWqWorkOfItsThread() throws Exception {
        BothSides.Scenario scenario = TestRing.on((w, r) -> {
            int[] in = w.pipe();
            int[] out = w.pipe();
            Thread submitter = Thread.ofPlatform().start(() -> {
                long at = r.d.nextSqe();
                Sqe.opcode(r.d.sqes(), at, IORING_OP_SPLICE);
                Sqe.flags(r.d.sqes(), at, IOSQE_ASYNC);
                Sqe.fd(r.d.sqes(), at, out[1]);
                Sqe.fileIndex(r.d.sqes(), at, in[0]);
                Sqe.addr(r.d.sqes(), at, -1);
                Sqe.off(r.d.sqes(), at, -1);
                Sqe.len(r.d.sqes(), at, 8);
                Sqe.userData(r.d.sqes(), at, 1);
                r.submit();
                try {
                    Thread.sleep(300); // the worker is in the call, under load too
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            submitter.join();
            return r.settle(1);
        });
        assertThat(BothSides.onKernel(NativeBackendProvider.backend(), scenario)).extracting(Cqe::res)
                .containsExactly(SpliceInterruption.onThisKernel());
        SpliceInterruption.Heard at618 = new SpliceInterruption.Heard();
        assertThat(SpliceInterruption.onEmulator(KernelProfile.LINUX_6_18, at618, scenario)).extracting(Cqe::res)
                .containsExactly(-EINTR);
        assertThat(at618.userData()).containsExactly(1L);
        SpliceInterruption.Heard at612 = new SpliceInterruption.Heard();
        assertThat(SpliceInterruption.onEmulator(KernelProfile.LINUX_6_12, at612, scenario)).extracting(Cqe::res)
                .containsExactly(-EINTR);
        assertThat(at612.userData()).isEmpty();
    }
}
