package dev.ringspec.model;

import static dev.ringspec.uapi.IoUring.IORING_OP_TIMEOUT;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_COOP_TASKRUN;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_DEFER_TASKRUN;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SINGLE_ISSUER;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_TASKRUN_FLAG;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Task work another thread queues for a ring that is being closed (a poll's wakeup on the emulator's poll thread, a
 * timer, an io-wq worker's completion). The kernel never writes a ring's memory once it is freed: {@code
 * io_ring_exit_work} cancels the ring's requests ({@code io_uring_try_cancel_requests}, {@code io_poll_remove_all})
 * and waits for them before {@code io_ring_ctx_free}, and a wakeup that raced the cancellation posts nothing anyone
 * reads. On a TASKRUN_FLAG ring, queueing task work raises IORING_SQ_TASKRUN in the ring's memory, which the model
 * used to do even after close had freed it ("Already closed" on the poll thread of {@code ringspec host --serve},
 * once in 151 programs: a program's exit closes its pipes, whose hangups wake its polls, and its ring at once).
 * A test opcode at TIMEOUT's number waits until the test queues its task work, as a poll that waits for its file.
 */
class RingExitDropsRemoteWorkTest {
    private static final int REQUESTS = 64;

    private final List<Req> waiting = new ArrayList<>();
    private IssueContext waitingCtx;

    private ModelFixture fixture(int flags) {
        KernelProfile p = KernelProfile.LINUX_6_18.toBuilder()
                .opcode(new OpDef(IORING_OP_TIMEOUT, "WAIT", 0, (req, ctx) -> 0, (req, ctx) -> {
                    waiting.add(req);
                    waitingCtx = ctx;
                    return OpDef.SKIP_COMPLETE;
                }))
                .build();
        ModelFixture f = ModelFixture.of(p).setup(REQUESTS, flags);
        for (int i = 0; i < REQUESTS; i++) {
            f.op(IORING_OP_TIMEOUT, i, 0);
        }
        assertThat(f.submit()).isEqualTo(REQUESTS);
        assertThat(waiting).hasSize(REQUESTS);
        return f;
    }

    /** A wakeup that looked at its request before the close and queues its work after it: dropped, nothing written. */
    @ParameterizedTest
    @ValueSource(ints = {IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG,
        IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_TASKRUN_FLAG})
    void workQueuedFromAnotherThreadAfterCloseIsDropped(int flags) {
        try (ModelFixture f = fixture(flags)) {
            assertThat(f.model.close(f.ring)).isZero();
            assertThatCode(() -> waitingCtx.taskWorkFromOtherThread(waiting.getFirst(), (r, c) -> OpDef.COMPLETE))
                    .doesNotThrowAnyException();
            f.ring = null;
        }
    }

    /**
     * Another thread queues each request's work while the ring's task closes the ring: whatever the interleaving,
     * no queueing touches the freed memory (and close does not wait for the rest of them).
     */
    @ParameterizedTest
    @ValueSource(ints = {IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG,
        IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_TASKRUN_FLAG})
    void workQueuedFromAnotherThreadDuringCloseNeverTouchesTheFreedRing(int flags) throws InterruptedException {
        for (int round = 0; round < 200; round++) {
            waiting.clear();
            try (ModelFixture f = fixture(flags)) {
                AtomicReference<Throwable> failed = new AtomicReference<>();
                CountDownLatch started = new CountDownLatch(1);
                IssueContext ctx = waitingCtx;
                List<Req> reqs = List.copyOf(waiting);
                Thread waker = Thread.ofPlatform().start(() -> {
                    started.countDown();
                    try {
                        for (Req req : reqs) {
                            ctx.taskWorkFromOtherThread(req, (r, c) -> OpDef.COMPLETE);
                        }
                    } catch (Throwable t) {
                        failed.set(t);
                    }
                });
                started.await();
                assertThat(f.model.close(f.ring)).isZero();
                f.ring = null;
                waker.join();
                assertThat(failed.get()).as("round %d", round).isNull();
            }
        }
    }
}
