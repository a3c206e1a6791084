package dev.ringspec.emulator.ops;

import static dev.ringspec.uapi.IoUring.IORING_OP_NOP;
import static dev.ringspec.uapi.IoUring.IORING_OP_POLL_ADD;
import static dev.ringspec.uapi.IoUring.IORING_OP_WRITE;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_DEFER_TASKRUN;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SINGLE_ISSUER;
import static dev.ringspec.uapi.IoUring.IOSQE_ASYNC;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.emulator.EmulatedIoUring;
import dev.ringspec.emulator.EmulatorOptions;
import dev.ringspec.emulator.IoWqChoices;
import dev.ringspec.model.KernelProfile;
import dev.ringspec.seam.Cqe;
import dev.ringspec.seam.UserMemory;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * An io-wq worker whose own call wakes a poll and then finds the CQ full, in the deterministic mode. The worker's
 * write wakes the poll inside the call (fs/pipe.c pipe_write, net/unix/af_unix.c unix_stream_sendmsg ->
 * sk_data_ready -> io_uring/poll.c io_poll_wake -> __io_poll_execute -> io_req_task_work_add), so the poll's task
 * work is queued before the worker returns; then io_req_complete_post finds no slot (io_fill_cqe_req ->
 * io_cqe_cache_refill) and queues the worker's completion as task work too (defer_complete), behind the poll's. The
 * task runs its task work in order of arrival (tctx_task_work_run -> io_handle_tw_list), so the overflow list holds
 * the poll's CQE first, whatever {@link IoWqChoices#IOWQ_WAKES_BEFORE_IT_POSTS} says: that race is between the
 * worker's own post and the task's task work, and where the CQ is full the worker posts nothing (world lockstep seeds
 * 2085, 2306, 3079, 3121: a READ, READV or POLL_ADD of a pipe or socket woken by an IOSQE_ASYNC WRITE or a SPLICE
 * into it, the kernel's CQE of the woken request first in the overflow list). On a DEFER_TASKRUN ring the worker never
 * posts (io_req_complete_post: lockless_cq), so its completion is always local task work behind the poll's (world
 * lockstep seed 2360: an IOSQE_ASYNC RECV whose freed bytes woke a POLLOUT poll of the socket's peer).
 */
class IoWqFillRefusedWakeupsTest {

    /**
     * A ring of 2 CQEs filled by 2 NOPs (ud 1, 2), a POLL_ADD (ud 3) of a socket's peer, then an IOSQE_ASYNC WRITE
     * (ud 4) of 5 bytes to the socket; every CQE, in order: those a wait finds in the CQ, then the rest.
     */
    private static List<Cqe> fullCqThenAsyncWriteWakesAPoll(int wakesBeforeItPosts) {
        int[] sp = NetRing.socketpair(NetRing.SOCK_STREAM);
        try (UserMemory memory = new UserMemory();
                EmulatedIoUring e = EmulatedIoUring.open(EmulatorOptions.of(KernelProfile.LINUX_6_18)
                        .deterministic(1), memory);
                NetRing r = new NetRing(e, memory, 1, 0)) {
            e.withChooser((choice, ringFd) -> choice == IoWqChoices.IOWQ_WAKES_BEFORE_IT_POSTS
                    ? wakesBeforeItPosts : choice.defaultOutcome());
            for (int ud = 1; ud <= 2; ud++) {
                r.sqe(IORING_OP_NOP, -1, 0, 0, 0, 0, ud);
                assertThat(r.submit()).isEqualTo(1);
            }
            r.sqe(IORING_OP_POLL_ADD, sp[1], 0, 0, 0, 1, 3); // POLLIN
            assertThat(r.submit()).isEqualTo(1);
            r.flags(r.sqe(IORING_OP_WRITE, sp[0], 0, r.bytes("hello").address(), 5, 0, 4), IOSQE_ASYNC);
            assertThat(r.submit()).isEqualTo(1);
            // a wait finds the worker done (IOWQ_STILL_RUNNING's default) while the CQ still holds the NOPs
            List<Cqe> out = new ArrayList<>(r.drain());
            out.addAll(r.await(2));
            return out;
        } finally {
            NetRing.closeAll(sp[0], sp[1]);
        }
    }

    /** On a DEFER_TASKRUN ring: a POLL_ADD (ud 1) of a socket's peer, then an IOSQE_ASYNC WRITE (ud 2) to it. */
    private static List<Cqe> deferTaskrunAsyncWriteWakesAPoll() {
        int[] sp = NetRing.socketpair(NetRing.SOCK_STREAM);
        try (UserMemory memory = new UserMemory();
                EmulatedIoUring e = EmulatedIoUring.open(EmulatorOptions.of(KernelProfile.LINUX_6_18)
                        .deterministic(1), memory);
                NetRing r = new NetRing(e, memory, 4, IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN)) {
            e.withChooser((choice, ringFd) -> choice.defaultOutcome());
            return r.pollThenAsyncWrite(sp[1], sp[0]);
        } finally {
            NetRing.closeAll(sp[0], sp[1]);
        }
    }

    @Test
    void onADeferTaskrunRingThePollsTaskWorkComesBeforeTheWorkersCompletion() {
        assertThat(deferTaskrunAsyncWriteWakesAPoll()).extracting(Cqe::userData).containsExactly(1L, 2L);
    }

    @Test
    void theWokenPollsCqeComesBeforeTheWorkersWhereTheCqIsFull() {
        assertThat(fullCqThenAsyncWriteWakesAPoll(0)).extracting(Cqe::userData).containsExactly(1L, 2L, 3L, 4L);
    }

    @Test
    void theWakeupRaceDoesNotReorderThemThere() {
        assertThat(fullCqThenAsyncWriteWakesAPoll(1)).extracting(Cqe::userData).containsExactly(1L, 2L, 3L, 4L);
    }
}
