package dev.ringspec.lockstep;

import static dev.ringspec.uapi.IoUring.IORING_ENTER_GETEVENTS;
import static dev.ringspec.uapi.IoUring.IORING_OP_POLL_ADD;
import static dev.ringspec.uapi.IoUring.IORING_POLL_ADD_MULTI;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_DEFER_TASKRUN;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SINGLE_ISSUER;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.seam.Cqe;
import dev.ringspec.seam.RingObservation;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A multishot POLL_ADD of the ring's own eventfd, emulator against this kernel. io_uring signals its eventfd with
 * EPOLL_URING_WAKE in the wakeup's key (io_uring/eventfd.c {@code eventfd_signal_mask}), and a poll woken with it
 * turns one-shot (io_uring/poll.c {@code io_poll_wake}: posting a CQE would signal the eventfd again, a loop), so the
 * first commit after the poll was armed ends it with one CQE without IORING_CQE_F_MORE. The emulator's poll stayed
 * multishot and posted a CQE with F_MORE at each of its own signals, until the CQ overflowed (world lockstep seed 1035:
 * 31 CQEs more than the kernel's at one enter).
 */
@Tag("kernel")
class WorldUringWakeTest {
    private static final int POLLIN = 0x1;

    @BeforeEach
    void needsIoUring() {
        KernelTests.assumeIoUring();
    }

    /** The eventfd registered with a ring of {@code flags}, a multishot POLL_ADD of it, then two NOPs. */
    private static List<Step> multishotPollOfTheRingsEventfd(int flags) {
        List<Step> steps = new ArrayList<>(List.of(new Step.Setup(4, flags, 0),
                new Step.Outside(Step.Outside.REGISTER_EVENTFD, OutsideWorld.EVENTFD, 0),
                new Step.WriteIo(0, IORING_OP_POLL_ADD, 0, 0, OutsideWorld.EVENTFD, 0, IORING_POLL_ADD_MULTI, POLLIN,
                        0, 0, 0, 1),
                new Step.WriteArray(0, 0), new Step.PublishTail(1), new Step.Enter(1, 0, 0)));
        for (int ud = 2; ud <= 3; ud++) {
            steps.addAll(List.of(Step.WriteSqe.nop(ud - 1, 0, 0, 0, ud), new Step.WriteArray(ud - 1, ud - 1),
                    new Step.PublishTail(1), new Step.Enter(1, 0, 0), WorldSteps.advanceClock(),
                    new Step.Enter(0, 0, IORING_ENTER_GETEVENTS)));
        }
        return steps;
    }

    private static List<String> cqes(RingObservation o) {
        return WorldLockstepTest.visible(o).stream().map(Cqe::toString).toList();
    }

    @Test
    void theRingsOwnSignalEndsAMultishotPollOfItsEventfd() {
        RingObservation kernel = WorldLockstepTest.agreesWithTheKernel(multishotPollOfTheRingsEventfd(0), 3,
                new TreeMap<>());
        // the kernel's: the NOP, the poll's only CQE (POLLIN, no F_MORE), the second NOP
        assertThat(cqes(kernel)).containsExactly("{ud 2, res 0, flags 0x0}", "{ud 1, res 1, flags 0x0}",
                "{ud 3, res 0, flags 0x0}");
    }

    @Test
    void theRingsOwnSignalEndsAMultishotPollOfItsEventfdOnADeferTaskrunRing() {
        RingObservation kernel = WorldLockstepTest.agreesWithTheKernel(multishotPollOfTheRingsEventfd(
                IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN), 3, new TreeMap<>());
        assertThat(cqes(kernel)).contains("{ud 1, res 1, flags 0x0}").doesNotContain("{ud 1, res 1, flags 0x2}");
    }
}
