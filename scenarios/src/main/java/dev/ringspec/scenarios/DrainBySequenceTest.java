package dev.ringspec.scenarios;

import static dev.ringspec.uapi.IoUring.IORING_SQ_CQ_OVERFLOW;
import static dev.ringspec.uapi.IoUring.IOSQE_IO_DRAIN;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ringspec.model.KernelProfile;
import dev.ringspec.seam.Backend;
import org.junit.jupiter.api.Tag;

/**
 * How 6.1 and 6.12 end a drain: by sequence ({@code req_need_defer}: {@code seq + cq_extra != cached_cq_tail}, read
 * in 6.1.192 and 6.12.117 io_uring.c), so a drained request waits for a CQE per SQE before it, where later kernels
 * wait for the earlier requests to be freed. Skipped where the profile the capabilities choose drains by freed
 * requests: when such a drain ends is the kernel's request cache's choice, not a scenario's.
 */
@Tag("kernel")
class DrainBySequenceTest {

    private static void assumeDrainBySequence(Backend backend) {
        assumeTrue(Scenarios.profile(backend).drainBySequence(), () -> backend.name()
                + " drains until earlier requests are freed (nr_req_allocated), a time its request cache decides");
    }

    // An overflowed CQE does not count until flushed (cached_cq_tail moves only for a CQE in the ring): the drain
    // and the request after it stay deferred until a GETEVENTS flushes the overflow list.
    @Scenario
    void aDrainWaitsUntilAnOverflowedCqeIsFlushed(Backend backend) {
        assumeDrainBySequence(backend);
        try (ScenarioRing r = ScenarioRing.open(backend, 4, 0, 4)) {
            for (int i = 1; i <= 4; i++) {
                r.nop(i);
            }
            assertThat(r.submit()).isEqualTo(4);
            r.nop(5);
            assertThat(r.submit()).isEqualTo(1);
            assertThat(r.sqFlags() & IORING_SQ_CQ_OVERFLOW).as("ud 5 overflowed").isEqualTo(IORING_SQ_CQ_OVERFLOW);
            r.nop(6, IOSQE_IO_DRAIN);
            assertThat(r.submit()).isEqualTo(1);
            assertThat(r.reapUserData()).containsExactly(1L, 2L, 3L, 4L);
            r.nop(7);
            assertThat(r.submit()).isEqualTo(1);
            assertThat(r.ready()).as("the drain waits for the overflowed CQE, the NOP after it for the drain").isZero();
            assertThat(r.submitAndWait(3)).isZero();
            KernelProfile profile = Scenarios.profile(backend);
            if (profile.taskSubmitHonoursForceAsync()) {
                // 6.12: both go from task work to io-wq, which completes them in an order of its own
                assertThat(r.reapUserData()).containsExactlyInAnyOrder(5L, 6L, 7L);
            } else {
                // 6.1: io_queue_deferred releases the drain and the NOP after it in one pass and task work runs
                // newest first, so the NOP completes before the drain (measured on 6.1.192), against
                // io_uring_enter(2): "new SQEs will not be started before this one completes"
                assertThat(profile.taskWorkLifo()).isTrue();
                assertThat(r.reapUserData()).containsExactly(5L, 7L, 6L);
            }
        }
    }

    // cq_extra goes down for every dropped SQE, also for one dropped after the drain was deferred: its seq then never
    // matches, and on the kernel the drain and every request after it stay deferred for good (6.1.192, 6.12.117:
    // io_get_sqe, req_need_defer): catalogue entry drain-stalls-when-the-cq-tail-passes-its-sequence. The intent
    // (io_uring_enter(2): a drain waits for the requests before it), which the model follows: once ud 1 is freed the
    // drain runs, then the NOP after it.
    @Scenario
    void anSqeDroppedAfterADeferredDrainStallsTheKernelButNotTheIntent(Backend backend) {
        assumeDrainBySequence(backend);
        try (ScenarioRing r = ScenarioRing.open(backend, 4, 0)) {
            r.nop(1);
            r.nop(2, IOSQE_IO_DRAIN);
            r.nop(3);
            r.sq().writeOnceArray(2, 99);
            assertThat(r.submit()).as("the dropped entry ends the batch").isEqualTo(2);
            assertThat(r.sq().readOnceDropped()).isEqualTo(1);
            r.nop(4);
            assertThat(r.submit()).isEqualTo(1);
            assertThat(r.getEvents()).isZero();
            if (backend.kind() == Backend.Kind.KERNEL) {
                // Every 6.1 and 6.12 kernel measured stalls here. One that does not fails here: record the release in
                // the catalogue entry.
                assertThat(r.reapUserData()).as("the catalogued kernel behaviour: the drain never runs, nor anything"
                        + " after it").containsExactly(1L);
            } else {
                assertThat(r.reapUserData()).containsExactly(1L, 2L, 4L);
            }
        }
    }
}
