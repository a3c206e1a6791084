package dev.ringspec.emulator.ops;

import static dev.ringspec.uapi.Errno.EALREADY;
import static dev.ringspec.uapi.Errno.ECANCELED;
import static dev.ringspec.uapi.Errno.ENOENT;
import static dev.ringspec.uapi.Errno.ETIME;
import static dev.ringspec.uapi.IoUring.IORING_CQE_F_MORE;
import static dev.ringspec.uapi.IoUring.IORING_TIMEOUT_ABS;
import static dev.ringspec.uapi.IoUring.IORING_TIMEOUT_MULTISHOT;
import static dev.ringspec.uapi.IoUring.IORING_TIMEOUT_UPDATE;
import static dev.ringspec.uapi.IoUring.IORING_LINK_TIMEOUT_UPDATE;
import static dev.ringspec.uapi.IoUring.IOSQE_IO_LINK;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.emulator.EmulatedIoUring;
import dev.ringspec.emulator.Inflight;
import dev.ringspec.emulator.VirtualClock;
import dev.ringspec.model.IssueContext;
import dev.ringspec.model.KernelProfile;
import dev.ringspec.seam.Cqe;
import dev.ringspec.seam.UserMemory;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Timeouts on a {@link VirtualClock}: a library's test of a 10-second timeout runs in milliseconds and fires
 * exactly when the clock passes the deadline, however slow the machine. The results are the kernel's for the
 * same requests (timeout.c: -ETIME on expiry, F_MORE on all but a multishot's last, -ECANCELED for a cancelled
 * timeout and for the request a linked timeout cancels), which {@link TimeoutTest} checks against the kernel on
 * the real clock.
 */
class TimeoutVirtualClockTest {
    private static final long SECOND = 1_000_000_000L;

    private final UserMemory memory = new UserMemory();
    private final VirtualClock clock = new VirtualClock();
    private final EmulatedIoUring emulator = EmulatedIoUring.open(KernelProfile.LINUX_6_18, memory, clock);

    @AfterEach
    void tearDown() {
        emulator.close();
        memory.close();
    }

    private static Cqe cqe(long userData, int res, int flags) {
        return new Cqe(userData, res, flags, 0, 0);
    }

    @Test
    void aTenSecondTimeoutFiresWhenTheClockPassesItAndNotBefore() {
        long start = System.nanoTime();
        try (TimeoutRing r = new TimeoutRing(emulator, memory)) {
            r.timeout(1, 10 * SECOND, 0, 0, 0);
            r.submit();
            clock.advance(10 * SECOND - 1);
            assertThat(r.now()).isEmpty();
            clock.advance(1);
            assertThat(r.await(1)).containsExactly(cqe(1, -ETIME, 0));
        }
        assertThat(System.nanoTime() - start).as("virtual seconds, real milliseconds").isLessThan(5 * SECOND);
    }

    /**
     * liburing 2.3's 7ad0e4b2f83c (a NOP waited for, then a 1 s TIMEOUT that must complete in 0.9 to 1.1 s): no
     * profile adds a minimum wait, a slack or another wait round to a timeout (7.2.13's timeout.c and wait.c start
     * the hrtimer at the given time and wake the waiter from it, as 6.18's do), so on every profile it fires when
     * the clock passes one second and not a nanosecond before.
     */
    @Test
    void aOneSecondTimeoutAfterANopFiresAtOneSecondOnEveryProfile() {
        for (KernelProfile p : List.of(KernelProfile.LINUX_6_18, KernelProfile.LINUX_7_2, KernelProfile.LINUX_7_3)) {
            VirtualClock own = new VirtualClock();
            try (EmulatedIoUring e = EmulatedIoUring.open(p, memory, own);
                    TimeoutRing r = new TimeoutRing(e, memory)) {
                r.nop(1, 0);
                r.submit();
                assertThat(r.await(1)).as(p.version()).containsExactly(cqe(1, 0, 0));
                r.timeout(89, SECOND, 0, 0, 0);
                r.submit();
                own.advance(SECOND - 1);
                assertThat(r.now()).as(p.version() + ", a nanosecond early").hasSize(1);
                own.advance(1);
                assertThat(r.now()).as(p.version() + ", at one second").containsExactly(cqe(1, 0, 0),
                        cqe(89, -ETIME, 0));
            }
        }
    }

    @Test
    void anAbsoluteTimeoutIsOnTheVirtualClock() {
        try (TimeoutRing r = new TimeoutRing(emulator, memory)) {
            clock.advance(3 * SECOND);
            r.timeout(1, 5 * SECOND, 0, IORING_TIMEOUT_ABS, 0);
            r.submit();
            clock.advance(2 * SECOND - 1);
            assertThat(r.now()).isEmpty();
            clock.advance(1);
            assertThat(r.await(1)).containsExactly(cqe(1, -ETIME, 0));
        }
    }

    @Test
    void aMultishotTimeoutFiresOncePerPeriodThePeriodStartingWhenItIsRearmed() {
        try (TimeoutRing r = new TimeoutRing(emulator, memory)) {
            r.timeout(1, SECOND, 3, IORING_TIMEOUT_MULTISHOT, 0);
            r.submit();
            for (int i = 0; i < 3; i++) {
                clock.advance(SECOND);
                r.await(i + 1);
            }
            assertThat(r.now()).containsExactly(cqe(1, -ETIME, IORING_CQE_F_MORE), cqe(1, -ETIME, IORING_CQE_F_MORE),
                    cqe(1, -ETIME, 0));
        }
    }

    @Test
    void aLinkTimeoutFiresOnTheVirtualClockAndCancelsItsRequest() {
        try (TimeoutRing r = new TimeoutRing(emulator, memory)) {
            r.timeout(1, 60 * SECOND, 0, 0, IOSQE_IO_LINK);
            r.linkTimeout(2, 5 * SECOND, 0, 0);
            r.submit();
            clock.advance(5 * SECOND);
            assertThat(r.await(2)).containsExactly(cqe(2, -ETIME, 0), cqe(1, -ECANCELED, 0));
        }
    }

    @Test
    void cancellationFindsATimeoutInTheRingsInflightRequests() {
        try (TimeoutRing r = new TimeoutRing(emulator, memory)) {
            r.timeout(7, 10 * SECOND, 0, 0, 0);
            r.submit();
            IssueContext ring = emulator.ring(r.d.ring().fd());
            Inflight inflight = ring.ringLocal(Inflight.class, Inflight::new);
            List<Inflight.Entry> found = inflight.find(Inflight.Kind.TIMEOUT, e -> e.req().userData() == 7);
            assertThat(found).hasSize(1);
            assertThat(found.getFirst().canceler().cancel()).isZero();
            assertThat(r.await(1)).containsExactly(cqe(7, -ECANCELED, 0));
            assertThat(found.getFirst().canceler().cancel()).as("cancelled already").isEqualTo(-ENOENT);
            assertThat(inflight.find(Inflight.Kind.TIMEOUT, e -> true)).isEmpty();
            clock.advance(10 * SECOND);
            assertThat(r.now()).hasSize(1);
        }
    }

    /**
     * {@code io_timeout_extract}: a timer whose callback has started but not yet taken the ring's timeout lock
     * cannot be stopped: a remove or an update answers -EALREADY and the timeout still expires. Held open here by
     * taking the lock (the {@link TimeoutList} monitor) while another thread advances the clock.
     */
    @Test
    void aTimeoutWhoseTimerIsFiringCannotBeRemovedOrUpdated() throws Exception {
        try (TimeoutRing r = new TimeoutRing(emulator, memory)) {
            r.timeout(1, SECOND, 0, 0, 0);
            r.submit();
            whileFiring(r, () -> {
                r.remove(2, 1);
                r.update(3, 1, SECOND, IORING_TIMEOUT_UPDATE);
                r.submit();
            });
            assertThat(r.await(3)).containsExactly(cqe(2, -EALREADY, 0), cqe(3, -EALREADY, 0), cqe(1, -ETIME, 0));
        }
    }

    @Test
    void aLinkTimeoutWhoseTimerIsFiringCannotBeUpdated() throws Exception {
        try (TimeoutRing r = new TimeoutRing(emulator, memory)) {
            r.timeout(1, 5 * SECOND, 0, 0, IOSQE_IO_LINK);
            r.linkTimeout(2, SECOND, 0, 0);
            r.submit();
            whileFiring(r, () -> {
                r.update(3, 2, SECOND, IORING_TIMEOUT_UPDATE | IORING_LINK_TIMEOUT_UPDATE);
                r.submit();
            });
            assertThat(r.await(3)).containsExactly(cqe(3, -EALREADY, 0), cqe(2, -ETIME, 0), cqe(1, -ECANCELED, 0));
        }
    }

    /**
     * Runs {@code during} while a timer due in one second has started firing but waits for the ring's timeout lock
     * (the {@link TimeoutList} monitor, held here; the ring's task takes it again, as its owner).
     */
    private void whileFiring(TimeoutRing r, Runnable during) throws InterruptedException {
        TimeoutList list = emulator.ring(r.d.ring().fd()).ringLocal(TimeoutList.class, TimeoutList::new);
        Thread advancer = new Thread(() -> clock.advance(SECOND));
        synchronized (list) {
            advancer.start();
            while (!blockedInTimerCallback(advancer)) {
                Thread.onSpinWait();
            }
            during.run();
        }
        advancer.join();
    }

    private static boolean blockedInTimerCallback(Thread t) {
        if (t.getState() != Thread.State.BLOCKED) {
            return false;
        }
        for (StackTraceElement e : t.getStackTrace()) {
            if (e.getMethodName().equals("timeoutFn") || e.getMethodName().equals("linkTimeoutFn")) {
                return true;
            }
        }
        return false;
    }
}
