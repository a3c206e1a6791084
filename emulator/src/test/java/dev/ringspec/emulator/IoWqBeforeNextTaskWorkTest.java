package dev.ringspec.emulator;

import static dev.ringspec.emulator.sys.Linux.SYS_PIPE2;
import static dev.ringspec.emulator.sys.Linux.SYS_WRITE;
import static dev.ringspec.uapi.IoUring.IORING_ENTER_GETEVENTS;
import static dev.ringspec.uapi.IoUring.IORING_OP_READ;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_DEFER_TASKRUN;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SINGLE_ISSUER;
import static dev.ringspec.uapi.IoUring.IOSQE_ASYNC;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.emulator.sys.Linux;
import dev.ringspec.model.Choice;
import dev.ringspec.model.KernelProfile;
import dev.ringspec.seam.Cqe;
import dev.ringspec.seam.RingDriver;
import dev.ringspec.seam.Sqe;
import dev.ringspec.seam.UserMemory;
import dev.ringspec.uapi.IoUringParams;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@link IoWqChoices#IOWQ_FINISHES_BEFORE_NEXT_TASK_WORK} in the deterministic mode (world lockstep seed 745): a READ
 * of 64 bytes and then an IOSQE_ASYNC READ of 5 wait on an empty pipe, the second in a poll its worker armed; a write
 * of 39 bytes wakes both, the newer first, so the task's run of task work hands the ASYNC READ back to io-wq
 * ({@code io_req_task_submit -> io_queue_iowq}) before it issues the READ again. The worker may read its 5 bytes
 * before the task's loop reaches the READ, which then reads the other 34, and post its CQE first; by default it
 * finishes after the run, when the READ has taken every byte.
 */
class IoWqBeforeNextTaskWorkTest {

    /** The CQEs ({@code user_data:res}) after the write and one enter, the chooser answering {@code outcome}. */
    private static List<String> afterTheWrite(int setupFlags, int outcome, List<Choice> asked) {
        try (UserMemory memory = new UserMemory();
                EmulatedIoUring e = EmulatedIoUring.open(EmulatorOptions.of(KernelProfile.LINUX_6_18)
                        .deterministic(1), memory)) {
            e.withChooser((c, ringFd) -> {
                asked.add(c);
                return c == IoWqChoices.IOWQ_FINISHES_BEFORE_NEXT_TASK_WORK ? outcome : c.defaultOutcome();
            });
            MemorySegment params = memory.allocate(IoUringParams.SIZE_BYTES);
            params.set(JAVA_INT, IoUringParams.FLAGS_OFFSET, setupFlags);
            RingDriver d = new RingDriver(e, e.setup(8, params).ringOrNull());
            MemorySegment fds = memory.allocate(8);
            assertThat(Linux.call(SYS_PIPE2, fds.address(), Linux.O_CLOEXEC)).isZero();
            int[] pipe = {fds.getAtIndex(JAVA_INT, 0), fds.getAtIndex(JAVA_INT, 1)};
            MemorySegment buffer = memory.allocate(128);
            int[] lens = {64, 5};
            for (int i = 0; i < 2; i++) {
                long at = d.nextSqe();
                Sqe.clear(d.sqes(), at, 64);
                Sqe.opcode(d.sqes(), at, IORING_OP_READ);
                Sqe.flags(d.sqes(), at, i == 1 ? IOSQE_ASYNC : 0);
                Sqe.fd(d.sqes(), at, pipe[0]);
                Sqe.addr(d.sqes(), at, buffer.address() + 64L * i);
                Sqe.len(d.sqes(), at, lens[i]);
                Sqe.off(d.sqes(), at, -1);
                Sqe.userData(d.sqes(), at, i + 1);
                assertThat(d.submit(0, 0)).isEqualTo(1);
                assertThat(e.enter(d.ring(), 0, 0, IORING_ENTER_GETEVENTS, MemorySegment.NULL, 0)).isZero();
            }
            assertThat(d.ready()).as("an empty pipe: both wait").isZero();
            MemorySegment bytes = memory.allocate(39);
            assertThat(Linux.call(SYS_WRITE, pipe[1], bytes.address(), 39)).isEqualTo(39);
            assertThat(e.enter(d.ring(), 0, 0, IORING_ENTER_GETEVENTS, MemorySegment.NULL, 0)).isZero();
            List<String> cqes = new ArrayList<>();
            for (Cqe c = d.reap(); c != null; c = d.reap()) {
                cqes.add(c.userData() + ":" + c.res());
            }
            Linux.close(pipe[0]);
            Linux.close(pipe[1]);
            return cqes;
        }
    }

    @Test
    void byDefaultTheWorkerFinishesAfterTheRunAndTheReadTakesEveryByte() {
        List<Choice> asked = new ArrayList<>();
        assertThat(afterTheWrite(0, 0, asked)).containsExactly("1:39");
        assertThat(asked).contains(IoWqChoices.IOWQ_FINISHES_BEFORE_NEXT_TASK_WORK);
    }

    @Test
    void theWorkerMayReadAndPostBeforeTheTaskReachesTheRead() {
        assertThat(afterTheWrite(0, 1, new ArrayList<>())).containsExactly("2:5", "1:34");
    }

    @Test
    void aDeferTaskrunRingsWorkerFinishesAtOnceSoItIsNotAsked() {
        List<Choice> asked = new ArrayList<>();
        afterTheWrite(IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_SINGLE_ISSUER, 1, asked);
        assertThat(asked).doesNotContain(IoWqChoices.IOWQ_FINISHES_BEFORE_NEXT_TASK_WORK);
    }
}
