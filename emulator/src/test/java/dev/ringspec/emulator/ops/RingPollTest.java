package dev.ringspec.emulator.ops;

import static dev.ringspec.emulator.BothSides.sameOnBoth;
import static dev.ringspec.uapi.Errno.ECANCELED;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.seam.Cqe;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A POLL_ADD of a ring's own descriptor ({@code io_uring_poll}): readable once the application has CQEs to see,
 * writable while the SQ ring has room; a poll of readability waits on the ring's {@code poll_wq} until a commit
 * posts a CQE. On the kernel and on the emulator, whose ring is a memfd (always readable to a real poll).
 */
@Tag("kernel")
class RingPollTest {
    private static final int POLLIN = 0x1;
    private static final int POLLOUT = 0x4;

    @Test
    void aPollOfTheRingsOwnDescriptorWaitsForACqe() throws Exception {
        List<Cqe> cqes = sameOnBoth(TestRing.on((w, r) -> {
            r.pollAdd(r.d.ring().fd(), POLLIN, 0, 1);
            assertThat(r.submit()).isOne();
            List<Cqe> out = new ArrayList<>(r.quiet());
            r.nop(2);
            assertThat(r.submit()).isOne();
            out.addAll(r.settle(2));
            return out;
        }));
        assertThat(cqes).extracting(Cqe::userData).containsExactly(2L, 1L);
        assertThat(cqes).extracting(Cqe::res).containsExactly(0, POLLIN);
    }

    /**
     * A NOP's CQE left unreaped makes the ring readable, and the SQ ring has room: a poll of both is over at once. A
     * NOP in the same submission as the poll does not count: its CQE is posted with the batch, after the poll looked
     * (both answer POLLOUT alone then).
     */
    @Test
    void aPollOfTheRingsOwnDescriptorIsReadyAtOnceWithACqeToSeeAndRoomInTheSqRing() throws Exception {
        List<Cqe> cqes = sameOnBoth(TestRing.on((w, r) -> {
            r.nop(1);
            r.pollAdd(r.d.ring().fd(), POLLIN | POLLOUT, 0, 2);
            assertThat(r.submit()).isEqualTo(2);
            r.settleWithoutReaping(() -> r.d.ready() >= 2);
            r.pollAdd(r.d.ring().fd(), POLLIN | POLLOUT, 0, 3);
            assertThat(r.submit()).isOne();
            return r.settle(3);
        }));
        assertThat(cqes).extracting(Cqe::userData).containsExactly(1L, 2L, 3L);
        assertThat(cqes).extracting(Cqe::res).containsExactly(0, POLLOUT, POLLIN | POLLOUT);
    }

    /**
     * A thread's exit cancels its poll of the ring's own descriptor ({@code do_exit}: {@code io_uring_files_cancel};
     * the request is tracked, REQ_F_INFLIGHT), though the ring lives on in the thread that made it. The emulator
     * watches the submitting platform thread's end ({@code ThreadExitCancel}). Without that the poll waits for a CQE
     * that never comes (the settle gives up after 5 s with none).
     */
    @Test
    void aThreadsExitCancelsItsPollOfTheRingsOwnDescriptor() throws Exception {
        List<Cqe> cqes = sameOnBoth(TestRing.on((w, r) -> {
            Thread submitter = Thread.ofPlatform().start(() -> {
                r.pollAdd(r.d.ring().fd(), POLLIN, 0, 1);
                r.submit();
            });
            submitter.join();
            return r.settle(1);
        }));
        assertThat(cqes).extracting(Cqe::userData).containsExactly(1L);
        assertThat(cqes).extracting(Cqe::res).containsExactly(-ECANCELED);
    }
}
