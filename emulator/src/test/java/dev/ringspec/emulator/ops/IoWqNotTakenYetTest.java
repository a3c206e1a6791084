package dev.ringspec.emulator.ops;

import static dev.ringspec.uapi.Errno.EALREADY;
import static dev.ringspec.uapi.Errno.ECANCELED;
import static dev.ringspec.uapi.Errno.EINTR;
import static dev.ringspec.uapi.IoUring.IORING_OP_ASYNC_CANCEL;
import static dev.ringspec.uapi.IoUring.IORING_OP_SPLICE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.emulator.EmulatedIoUring;
import dev.ringspec.emulator.EmulatorOptions;
import dev.ringspec.emulator.IoWqChoices;
import dev.ringspec.emulator.sys.Linux;
import dev.ringspec.model.Choice;
import dev.ringspec.model.KernelProfile;
import dev.ringspec.seam.Cqe;
import dev.ringspec.seam.UserMemory;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@link IoWqChoices#IOWQ_NOT_TAKEN_YET} in the deterministic mode: a SPLICE from an empty pipe is io-wq work whose
 * call waits for the world; an ASYNC_CANCEL of it finds it taken by a worker by default (-EALREADY, the worker
 * signalled, the SPLICE -EINTR: io_wq_worker_cancel), and, where the chooser says no worker had taken it yet, removes
 * it from io-wq's list (0, the SPLICE -ECANCELED: io_acct_cancel_pending_work, io_run_cancel), as the kernel did in
 * world lockstep seed 1025.
 */
class IoWqNotTakenYetTest {
    private static final long SYS_PIPE2 = 293;

    private static int[] pipe() {
        MemorySegment fds = java.lang.foreign.Arena.ofAuto().allocate(8, 4);
        assertThat(Linux.call(SYS_PIPE2, fds.address(), 0)).isZero();
        return new int[] {fds.get(JAVA_INT, 0), fds.get(JAVA_INT, 4)};
    }

    /** A SPLICE (ud 1) from an empty pipe, then its ASYNC_CANCEL (ud 2) at the next enter: both CQEs. */
    private static List<Cqe> cancelAWaitingSplice(int outcome, List<Choice> asked) {
        int[] in = pipe();
        int[] out = pipe();
        try (UserMemory memory = new UserMemory();
                EmulatedIoUring e = EmulatedIoUring.open(EmulatorOptions.of(KernelProfile.LINUX_6_18)
                        .deterministic(1), memory);
                NetRing r = new NetRing(e, memory)) {
            e.withChooser((choice, ringFd) -> {
                asked.add(choice);
                return choice == IoWqChoices.IOWQ_NOT_TAKEN_YET ? outcome : choice.defaultOutcome();
            });
            r.fileIndex(r.sqe(IORING_OP_SPLICE, out[1], -1, -1, 16, 0, 1), in[0]);
            assertThat(r.submit()).isEqualTo(1);
            r.sqe(IORING_OP_ASYNC_CANCEL, -1, 0, 1, 0, 0, 2);
            return r.submitAndWait(2);
        } finally {
            NetRing.closeAll(in[0], in[1], out[0], out[1]);
        }
    }

    @Test
    void aCancelFindsTheWaitingSpliceTakenByAWorkerByDefault() {
        List<Choice> asked = new ArrayList<>();
        assertThat(cancelAWaitingSplice(0, asked)).containsExactly(new Cqe(2, -EALREADY, 0, 0, 0),
                new Cqe(1, -EINTR, 0, 0, 0));
        assertThat(asked).contains(IoWqChoices.IOWQ_NOT_TAKEN_YET);
    }

    @Test
    void aCancelRemovesTheSpliceNoWorkerHadTakenYet() {
        assertThat(cancelAWaitingSplice(1, new ArrayList<>())).containsExactly(new Cqe(2, 0, 0, 0, 0),
                new Cqe(1, -ECANCELED, 0, 0, 0));
    }
}
