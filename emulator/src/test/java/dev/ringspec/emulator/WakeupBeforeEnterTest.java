package dev.ringspec.emulator;

import static dev.ringspec.uapi.IoUring.IORING_CQE_F_MORE;
import static dev.ringspec.uapi.IoUring.IORING_ENTER_GETEVENTS;
import static dev.ringspec.uapi.IoUring.IORING_OP_ASYNC_CANCEL;
import static dev.ringspec.uapi.IoUring.IORING_OP_POLL_ADD;
import static dev.ringspec.uapi.IoUring.IORING_POLL_ADD_MULTI;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_DEFER_TASKRUN;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SINGLE_ISSUER;
import static dev.ringspec.uapi.Poll.POLLIN;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.emulator.sys.Linux;
import dev.ringspec.model.KernelProfile;
import dev.ringspec.seam.Cqe;
import dev.ringspec.seam.RingDriver;
import dev.ringspec.seam.Sqe;
import dev.ringspec.uapi.IoUringParams;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A wakeup the task made before an enter is that enter's to run: the kernel queues a poll's task work inside the
 * write that wakes it ({@code io_poll_wake}), so one GETEVENTS enter after the write posts the multishot CQE. On the
 * emulator the poll thread may have taken the event from epoll and not yet queued its work when the enter looks
 * ({@link EventCollector}); here it is held there on purpose. liburing's poll-mshot-overflow counts on this (its
 * DEFER_TASKRUN half, hosted: its POLL_REMOVE then found the poll woken with its task work not yet run, and no CQE of
 * the poll came: "no cqe", seen at the 7.2 profile).
 */
@Tag("kernel")
@Timeout(60)
class WakeupBeforeEnterTest {

    @ParameterizedTest
    @ValueSource(strings = {"6.18", "7.2"})
    void aWakeupThePollThreadHasTakenIsQueuedBeforeTheNextEnterLooks(String version) throws Exception {
        KernelProfile profile = "7.2".equals(version) ? KernelProfile.LINUX_7_2 : KernelProfile.LINUX_6_18;
        List<Cqe> cqes = BothSides.sameOnBoth(profile, (kernel, memory) -> {
            MemorySegment params = memory.allocate(IoUringParams.SIZE_BYTES);
            params.set(JAVA_INT, IoUringParams.FLAGS_OFFSET, IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN);
            RingDriver d = new RingDriver(kernel, kernel.setup(8, params).ringOrNull());
            MemorySegment fds = memory.allocate(8);
            assertThat(Linux.call(Linux.SYS_PIPE2, fds.address(), Linux.O_CLOEXEC, 0, 0, 0, 0)).isZero();
            int readEnd = fds.get(JAVA_INT, 0);
            int writeEnd = fds.get(JAVA_INT, 4);
            CountDownLatch taken = new CountDownLatch(1);
            AtomicBoolean once = new AtomicBoolean();
            Readiness readiness = kernel instanceof EmulatedIoUring e ? e.readiness() : null;
            try {
                if (readiness != null) {
                    // the poll thread, once it has taken the pipe's wakeup, waits 200 ms before it queues the work
                    readiness.holdPollThread(() -> {
                        if (once.compareAndSet(false, true)) {
                            taken.countDown();
                            sleep(200);
                        }
                    });
                }
                long at = d.nextSqe();
                Sqe.opcode(d.sqes(), at, IORING_OP_POLL_ADD);
                Sqe.fd(d.sqes(), at, readEnd);
                Sqe.opFlags(d.sqes(), at, POLLIN);
                Sqe.len(d.sqes(), at, IORING_POLL_ADD_MULTI);
                Sqe.userData(d.sqes(), at, 1);
                assertThat(d.submit(0, 0)).isEqualTo(1);
                MemorySegment one = memory.allocate(1);
                assertThat(Linux.call(Linux.SYS_WRITE, writeEnd, one.address(), 1, 0, 0, 0)).isEqualTo(1);
                if (readiness != null) {
                    assertThat(taken.await(20, TimeUnit.SECONDS)).as("the poll thread took the wakeup").isTrue();
                }
                kernel.enter(d.ring(), 0, 0, IORING_ENTER_GETEVENTS, MemorySegment.NULL, 0);
                List<Cqe> out = new ArrayList<>();
                for (Cqe c = d.reap(); c != null; c = d.reap()) {
                    out.add(c);
                }
                at = d.nextSqe();
                Sqe.opcode(d.sqes(), at, IORING_OP_ASYNC_CANCEL);
                Sqe.addr(d.sqes(), at, 1);
                Sqe.userData(d.sqes(), at, 2);
                assertThat(d.submit(2, IORING_ENTER_GETEVENTS)).isEqualTo(1);
                for (Cqe c = d.reap(); c != null; c = d.reap()) {
                    out.add(c);
                }
                return out;
            } finally {
                if (readiness != null) {
                    readiness.holdPollThread(null);
                }
                Linux.close(readEnd);
                Linux.close(writeEnd);
                kernel.close(d.ring());
            }
        });
        assertThat(cqes).hasSize(3);
        assertThat(cqes.getFirst().userData()).isEqualTo(1);
        assertThat(cqes.getFirst().flags() & IORING_CQE_F_MORE).isNotZero();
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
