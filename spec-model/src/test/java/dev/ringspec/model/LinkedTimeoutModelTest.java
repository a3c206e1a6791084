package dev.ringspec.model;

import static dev.ringspec.uapi.Errno.ECANCELED;
import static dev.ringspec.uapi.Errno.EINVAL;
import static dev.ringspec.uapi.Errno.ENOENT;
import static dev.ringspec.uapi.Errno.ETIME;
import static dev.ringspec.uapi.IoUring.IORING_ENTER_GETEVENTS;
import static dev.ringspec.uapi.IoUring.IORING_OP_LINK_TIMEOUT;
import static dev.ringspec.uapi.IoUring.IORING_OP_TIMEOUT;
import static dev.ringspec.uapi.IoUring.IOSQE_IO_LINK;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.seam.Cqe;
import dev.ringspec.seam.Sqe;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The model's side of IORING_OP_LINK_TIMEOUT (io_uring.c {@code __io_issue_sqe}, timeout.c {@code io_disarm_next}):
 * the timer starts when the guarded request is issued and is disarmed when it completes. The model executes no
 * LINK_TIMEOUT of its own, so these tests give it a test opcode at LINK_TIMEOUT's number whose timer is a recorder,
 * and a test opcode at TIMEOUT's number that waits until the test completes it. Expected CQEs are the kernel's
 * (timeout.c: a request that completes first cancels its linked timeout with -ECANCELED; the timer that fires
 * first posts -ETIME and the cancelled request fails its chain).
 */
class LinkedTimeoutModelTest {

    /** The test's timer: records what the model asked of it. */
    private static final class RecordedTimer implements LinkedTimeout {
        final List<String> calls = new ArrayList<>();
        final boolean stops;

        RecordedTimer(boolean stops) {
            this.stops = stops;
        }

        @Override
        public void queue(Req timeout, IssueContext ctx) {
            calls.add("queue " + timeout.userData());
        }

        @Override
        public boolean disarm() {
            calls.add("disarm");
            return stops;
        }
    }

    private final List<RecordedTimer> timers = new ArrayList<>();
    private boolean timersStop = true;
    private Req waiting;
    private IssueContext waitingCtx;

    private ModelFixture fixture() {
        KernelProfile p = KernelProfile.LINUX_6_18.toBuilder()
                .opcode(new OpDef(IORING_OP_LINK_TIMEOUT, "LINK_TIMEOUT", 0, (req, ctx) -> {
                    Req last = ctx.linkLast();
                    if (last == null) {
                        return -EINVAL;
                    }
                    RecordedTimer t = new RecordedTimer(timersStop);
                    timers.add(t);
                    req.opState(t);
                    ctx.armLinkedTimeout(last, req);
                    return 0;
                }, (req, ctx) -> {
                    throw new AssertionError("a linked timeout is never issued");
                }))
                .opcode(new OpDef(IORING_OP_TIMEOUT, "WAIT", 0, (req, ctx) -> 0, (req, ctx) -> {
                    waiting = req;
                    waitingCtx = ctx;
                    return OpDef.SKIP_COMPLETE;
                }))
                .build();
        return ModelFixture.of(p).setup(8, 0);
    }

    private static void op(ModelFixture f, int opcode, long userData, int sqeFlags) {
        f.op(opcode, userData, sqeFlags);
    }

    private static List<Rule> listen(ModelFixture f) {
        List<Rule> fired = new ArrayList<>();
        f.model.withRuleListener((rule, ringFd, detail) -> fired.add(rule));
        return fired;
    }

    @Test
    void aRequestThatCompletesFirstCancelsItsLinkedTimeoutAndTheChainGoesOn() {
        try (ModelFixture f = fixture()) {
            List<Rule> fired = listen(f);
            f.nop(1, IOSQE_IO_LINK);
            op(f, IORING_OP_LINK_TIMEOUT, 2, IOSQE_IO_LINK);
            f.nop(3);
            assertThat(f.submit(3, IORING_ENTER_GETEVENTS)).isEqualTo(3);
            assertThat(f.reapAll()).containsExactly(new Cqe(1, 0, 0, 0, 0), new Cqe(2, -ECANCELED, 0, 0, 0),
                    new Cqe(3, 0, 0, 0, 0));
            assertThat(timers.getFirst().calls).containsExactly("queue 2", "disarm");
            assertThat(fired).contains(Rules.PREP_LINKED_TIMEOUT, Rules.DISARM_LINKED_TIMEOUT);
        }
    }

    @Test
    void aTimerThatAlreadyFiredKeepsItsTimeoutForItself() {
        timersStop = false;
        try (ModelFixture f = fixture()) {
            List<Rule> fired = listen(f);
            f.nop(1, IOSQE_IO_LINK);
            op(f, IORING_OP_LINK_TIMEOUT, 2, 0);
            assertThat(f.submit()).isEqualTo(2);
            assertThat(f.userDatas(f.reapAll())).containsExactly(1L);
            assertThat(fired).contains(Rules.LINKED_TIMEOUT_CLAIMED_BY_TIMER).doesNotContain(
                    Rules.DISARM_LINKED_TIMEOUT);
        }
    }

    @Test
    void aFiredTimeoutLeavesTheChainAndTheCancelledRequestFailsTheRest() {
        try (ModelFixture f = fixture()) {
            op(f, IORING_OP_TIMEOUT, 1, IOSQE_IO_LINK);
            op(f, IORING_OP_LINK_TIMEOUT, 2, IOSQE_IO_LINK);
            f.nop(3);
            assertThat(f.submit()).isEqualTo(3);
            assertThat(f.reapAll()).isEmpty();
            Req timeout = waiting.link();
            assertThat(timeout.opcode()).isEqualTo(IORING_OP_LINK_TIMEOUT);
            // what a timer does when it fires first (io_req_task_link_timeout): leave the chain, post -ETIME,
            // cancel the request it guarded
            Req prev = waiting;
            waitingCtx.taskWorkFromOtherThread(timeout, (r, c) -> {
                c.spliceLinkedTimeout(prev, r);
                c.setRes(r, -ETIME, 0);
                return OpDef.COMPLETE;
            });
            waitingCtx.taskWorkFromOtherThread(prev, (r, c) -> -ECANCELED);
            assertThat(f.enter(0, 0, IORING_ENTER_GETEVENTS)).isZero();
            assertThat(f.reapAll()).containsExactly(new Cqe(2, -ETIME, 0, 0, 0), new Cqe(1, -ECANCELED, 0, 0, 0),
                    new Cqe(3, -ECANCELED, 0, 0, 0));
            assertThat(timers.getFirst().calls).containsExactly("queue 2");
        }
    }

    @Test
    void aRequestThatFailsBeforeItsIssueCancelsItsTimeoutWhoseTimerNeverStarts() {
        try (ModelFixture f = fixture()) {
            long at = f.nop(1, IOSQE_IO_LINK);
            Sqe.ioprio(f.driver.sqes(), at, 1);
            op(f, IORING_OP_LINK_TIMEOUT, 2, 0);
            assertThat(f.submit(2, IORING_ENTER_GETEVENTS)).isEqualTo(2);
            assertThat(f.reapAll()).containsExactly(new Cqe(1, -EINVAL, 0, 0, 0), new Cqe(2, -ECANCELED, 0, 0, 0));
            assertThat(timers.getFirst().calls).isEmpty();
        }
    }

    @Test
    void aTimerThatFiredBeforeAnIoWqCancelTakesItsTimeoutOutOfTheChain() {
        timersStop = false;
        try (ModelFixture f = fixture()) {
            op(f, IORING_OP_TIMEOUT, 1, IOSQE_IO_LINK);
            op(f, IORING_OP_LINK_TIMEOUT, 2, 0);
            assertThat(f.submit()).isEqualTo(2);
            Req prev = waiting;
            Req timeout = prev.link();
            // an emulator's io-wq started the timer when it queued the request, and the timer fired (its disarm
            // answers false); then a cancel takes the request off io-wq before a worker issued it
            waitingCtx.linkedTimeoutNeverStarted(prev);
            // the timer's task work finds the request gone and completes its timeout without touching the chain
            waitingCtx.taskWorkFromOtherThread(timeout, (r, c) -> {
                c.setRes(r, -ENOENT, 0);
                return OpDef.COMPLETE;
            });
            waitingCtx.taskWorkFromOtherThread(prev, (r, c) -> -ECANCELED);
            assertThat(f.enter(0, 0, IORING_ENTER_GETEVENTS)).isZero();
            assertThat(f.reapAll()).containsExactly(new Cqe(2, -ENOENT, 0, 0, 0),
                    new Cqe(1, -ECANCELED, 0, 0, 0));
            assertThat(timers.getFirst().calls).containsExactly("queue 2", "disarm");
        }
    }
}
