package dev.ringspec.scenarios;

import static dev.ringspec.uapi.Errno.EINVAL;
import static dev.ringspec.uapi.Errno.ETIME;
import static dev.ringspec.uapi.IoUring.IORING_ENTER_EXT_ARG;
import static dev.ringspec.uapi.IoUring.IORING_ENTER_GETEVENTS;
import static dev.ringspec.uapi.IoUring.IORING_NOP_TW;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_DEFER_TASKRUN;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SINGLE_ISSUER;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_TASKRUN_FLAG;
import static dev.ringspec.uapi.IoUring.IORING_SQ_TASKRUN;
import static dev.ringspec.uapi.IoUring.IOSQE_IO_LINK;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.seam.Backend;
import dev.ringspec.seam.Cqe;
import dev.ringspec.uapi.IoUringGeteventsArg;
import dev.ringspec.uapi.KernelTimespec;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Tag;

/**
 * On a DEFER_TASKRUN ring, task-work completions (NOP_TW, link successors) are posted only by an enter with
 * GETEVENTS; TASKRUN_FLAG shows pending work as {@code IORING_SQ_TASKRUN} (ring-semantics.md A3 "Chain
 * assembly", A2 "GETEVENTS details", Part B row 13, Appendix A.3).
 */
@Tag("kernel")
class DeferTaskrunTest {
    private static final int DEFER = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;

    // Row 13: [NOP, NOP_TW, NOP(LINK), NOP] without GETEVENTS -> only ud1 and ud3; SQ_TASKRUN set; then
    // enter(0, GETEVENTS, min 0) posts ud2 and ud4 and clears the flag.
    @Scenario
    void taskWorkCompletionsAppearOnlyAfterAGeteventsEnter(Backend backend) {
        Scenarios.assumeNopFlags(backend, IORING_NOP_TW);
        try (ScenarioRing r = ScenarioRing.open(backend, 8, DEFER | IORING_SETUP_TASKRUN_FLAG)) {
            r.nop(1);
            r.nop(2, 0, IORING_NOP_TW, 0);
            r.nop(3, IOSQE_IO_LINK);
            r.nop(4);
            assertThat(r.submit()).isEqualTo(4);
            assertThat(r.enter(0, 0, 0)).as("an enter without GETEVENTS runs no task work").isZero();
            assertThat(r.sqFlags() & IORING_SQ_TASKRUN).isEqualTo(IORING_SQ_TASKRUN);
            assertThat(r.reapUserData()).containsExactly(1L, 3L);

            assertThat(r.getEvents()).isZero();
            assertThat(r.reapUserData()).containsExactlyInAnyOrder(2L, 4L);
            assertThat(r.sqFlags() & IORING_SQ_TASKRUN).isZero();
        }
    }

    // io_run_local_work takes at most IO_LOCAL_TW_DEFAULT_MAX (20) items a run unless the enter waits for more
    // (max(20, min_complete)); the rest stays queued, in order, with IORING_SQ_TASKRUN raised again. Found by the
    // lockstep engine on 6.18.44 (21 NOP_TW, then GETEVENTS: 20 CQEs).
    @Scenario
    void aLocalTaskWorkRunTakesTwentyItemsUnlessTheEnterWaitsForMore(Backend backend) {
        Scenarios.assumeNopFlags(backend, IORING_NOP_TW);
        try (ScenarioRing r = ScenarioRing.open(backend, 32, DEFER | IORING_SETUP_TASKRUN_FLAG)) {
            for (int i = 0; i < 25; i++) {
                r.nop(i, 0, IORING_NOP_TW, 0);
            }
            assertThat(r.submit()).isEqualTo(25);
            assertThat(r.getEvents()).isZero();
            assertThat(r.reapUserData()).as("one run, twenty items").hasSize(20).startsWith(0L, 1L, 2L)
                    .endsWith(19L);
            assertThat(r.sqFlags() & IORING_SQ_TASKRUN).as("work left: the flag is raised again")
                    .isEqualTo(IORING_SQ_TASKRUN);
            assertThat(r.getEvents()).isZero();
            assertThat(r.reapUserData()).containsExactly(20L, 21L, 22L, 23L, 24L);
            assertThat(r.sqFlags() & IORING_SQ_TASKRUN).isZero();

            for (int i = 0; i < 25; i++) {
                r.nop(100 + i, 0, IORING_NOP_TW, 0);
            }
            assertThat(r.submit()).isEqualTo(25);
            assertThat(r.enter(0, 23, IORING_ENTER_GETEVENTS)).isZero();
            assertThat(r.reapUserData()).as("waiting for 23 takes 23 in one run").hasSize(23);
            assertThat(r.sqFlags() & IORING_SQ_TASKRUN).isEqualTo(IORING_SQ_TASKRUN);
            assertThat(r.getEvents()).isZero();
            assertThat(r.reapUserData()).containsExactly(123L, 124L);
        }
    }

    // A3: a link successor on a DEFER_TASKRUN ring runs at GETEVENTS, and waiting for it posts it.
    @Scenario
    void linkSuccessorRunsWhenTheSubmitterWaits(Backend backend) {
        try (ScenarioRing r = ScenarioRing.open(backend, 8, DEFER)) {
            r.nop(1, IOSQE_IO_LINK);
            r.nop(2, IOSQE_IO_LINK);
            r.nop(3);
            assertThat(r.submit()).isEqualTo(3);
            assertThat(r.reapUserData()).containsExactly(1L);
            assertThat(r.sqFlags() & IORING_SQ_TASKRUN).as("no TASKRUN_FLAG, no flag").isZero();
            assertThat(r.enter(0, 2, IORING_ENTER_GETEVENTS)).isZero();
            assertThat(r.reapAll()).containsExactly(new Cqe(2, 0, 0, 0, 0), new Cqe(3, 0, 0, 0, 0));
        }
    }

    // Row 13: GETEVENTS min 1 with nothing pending -> -ETIME with a timeout; an argument size other than
    // sizeof(struct io_uring_getevents_arg) -> -EINVAL (io_get_ext_arg).
    @Scenario
    void geteventsWithNothingPendingTimesOutWithEtime(Backend backend) {
        try (ScenarioRing r = ScenarioRing.open(backend, 8, DEFER)) {
            MemorySegment ts = backend.memory().allocate(KernelTimespec.LAYOUT.byteSize(), 8);
            ts.set(JAVA_LONG, KernelTimespec.TV_NSEC_OFFSET, 10_000_000L);
            MemorySegment arg = backend.memory().allocate(IoUringGeteventsArg.LAYOUT.byteSize(), 8);
            arg.set(JAVA_LONG, IoUringGeteventsArg.TS_OFFSET, ts.address());
            int result = backend.kernel().enter(r.ring, 0, 1, IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG, arg,
                    IoUringGeteventsArg.LAYOUT.byteSize());
            assertThat(result).isEqualTo(-ETIME);
            assertThat(backend.kernel().enter(r.ring, 0, 1, IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG, arg, 16))
                    .as("an EXT_ARG of the wrong size").isEqualTo(-EINVAL);
        }
    }
}
