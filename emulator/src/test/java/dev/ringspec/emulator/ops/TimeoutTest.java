package dev.ringspec.emulator.ops;

import static dev.ringspec.uapi.Errno.ECANCELED;
import static dev.ringspec.uapi.Errno.ENOENT;
import static dev.ringspec.uapi.Errno.ETIME;
import static dev.ringspec.uapi.IoUring.IORING_CQE_F_MORE;
import static dev.ringspec.uapi.IoUring.IORING_LINK_TIMEOUT_UPDATE;
import static dev.ringspec.uapi.IoUring.IORING_TIMEOUT_ABS;
import static dev.ringspec.uapi.IoUring.IORING_TIMEOUT_BOOTTIME;
import static dev.ringspec.uapi.IoUring.IORING_TIMEOUT_ETIME_SUCCESS;
import static dev.ringspec.uapi.IoUring.IORING_TIMEOUT_MULTISHOT;
import static dev.ringspec.uapi.IoUring.IORING_TIMEOUT_REALTIME;
import static dev.ringspec.uapi.IoUring.IORING_TIMEOUT_UPDATE;
import static dev.ringspec.uapi.IoUring.IOSQE_IO_LINK;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.emulator.BothSides;
import dev.ringspec.emulator.sys.Linux;
import dev.ringspec.seam.Cqe;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * io_uring/timeout.c on the emulator against this machine's kernel: every scenario runs on both and must reap the
 * same CQEs in the same order ({@link BothSides}). Timers are real and short (tens of milliseconds); timeouts that
 * must not fire are 10 seconds long and are removed or cancelled.
 */
@Tag("kernel")
class TimeoutTest {
    private static final long SHORT = 20_000_000L;
    private static final long LONG = 10_000_000_000L;

    private static Cqe cqe(long userData, int res, int flags) {
        return new Cqe(userData, res, flags, 0, 0);
    }

    @Test
    void aRelativeTimeoutExpiresWithEtime() throws Exception {
        List<Cqe> onKernel = BothSides.sameOnBoth((kernel, memory) -> {
            try (TimeoutRing r = new TimeoutRing(kernel, memory)) {
                r.timeout(1, SHORT, 0, 0, 0);
                r.submit();
                return r.await(1);
            }
        });
        assertThat(onKernel).containsExactly(cqe(1, -ETIME, 0));
    }

    @Test
    void absoluteTimeoutsOnEachClockExpire() throws Exception {
        BothSides.sameOnBoth((kernel, memory) -> {
            try (TimeoutRing r = new TimeoutRing(kernel, memory)) {
                r.timeout(1, Linux.clockGettimeNanos(Linux.CLOCK_MONOTONIC) + SHORT, 0, IORING_TIMEOUT_ABS, 0);
                r.timeout(2, Linux.clockGettimeNanos(Linux.CLOCK_BOOTTIME) + 2 * SHORT, 0,
                        IORING_TIMEOUT_ABS | IORING_TIMEOUT_BOOTTIME, 0);
                r.timeout(3, Linux.clockGettimeNanos(Linux.CLOCK_REALTIME) + 3 * SHORT, 0,
                        IORING_TIMEOUT_ABS | IORING_TIMEOUT_REALTIME, 0);
                // in the past: expires at once
                r.timeout(4, 1, 0, IORING_TIMEOUT_ABS, 0);
                r.submit();
                return r.await(4);
            }
        });
    }

    @Test
    void aCountTimeoutCompletesWithZeroOnceItsCqesArePosted() throws Exception {
        List<Cqe> onKernel = BothSides.sameOnBoth((kernel, memory) -> {
            try (TimeoutRing r = new TimeoutRing(kernel, memory)) {
                r.timeout(1, LONG, 2, 0, 0);
                r.nop(2, 0);
                r.submit();
                r.now();
                r.nop(3, 0);
                r.submit();
                return r.await(3);
            }
        });
        assertThat(onKernel).containsExactly(cqe(2, 0, 0), cqe(3, 0, 0), cqe(1, 0, 0));
    }

    @Test
    void countTimeoutsCompleteInTargetOrderAndCountNoTimeoutCqes() throws Exception {
        BothSides.sameOnBoth((kernel, memory) -> {
            try (TimeoutRing r = new TimeoutRing(kernel, memory)) {
                r.timeout(1, LONG, 3, 0, 0);
                r.timeout(2, LONG, 1, 0, 0);
                r.timeout(3, SHORT, 0, 0, 0);
                r.submit();
                // the pure timeout's -ETIME is no event for the count-based ones
                r.await(1);
                r.nop(4, 0);
                r.submit();
                r.await(3);
                r.nop(5, 0);
                r.nop(6, 0);
                r.submit();
                return r.await(6);
            }
        });
    }

    @Test
    void aRemovedTimeoutsCancellationCqeCountsAsAnEvent() throws Exception {
        List<Cqe> onKernel = BothSides.sameOnBoth((kernel, memory) -> {
            try (TimeoutRing r = new TimeoutRing(kernel, memory)) {
                r.timeout(1, LONG, 2, 0, 0);
                r.timeout(2, LONG, 0, 0, 0);
                r.submit();
                r.remove(3, 2);
                r.submit();
                r.await(2);
                // on 6.18.44 both CQEs (the remove's and the cancelled timeout's) count: the first completes now
                r.now();
                r.nop(4, 0);
                r.submit();
                List<Cqe> seen = r.await(3);
                r.remove(5, 1);
                r.submit();
                r.await(seen.size() + 1);
                return r.now();
            }
        });
        assertThat(onKernel).startsWith(cqe(3, 0, 0), cqe(2, -ECANCELED, 0), cqe(1, 0, 0));
    }

    @Test
    void aMultishotTimeoutWithACountPostsThatManyCqesTheLastWithoutMore() throws Exception {
        List<Cqe> onKernel = BothSides.sameOnBoth((kernel, memory) -> {
            try (TimeoutRing r = new TimeoutRing(kernel, memory)) {
                r.timeout(1, SHORT, 3, IORING_TIMEOUT_MULTISHOT, 0);
                r.submit();
                return r.await(3);
            }
        });
        assertThat(onKernel).containsExactly(cqe(1, -ETIME, IORING_CQE_F_MORE), cqe(1, -ETIME, IORING_CQE_F_MORE),
                cqe(1, -ETIME, 0));
    }

    @Test
    void aMultishotTimeoutWithoutACountRunsUntilRemoved() throws Exception {
        BothSides.sameOnBoth((kernel, memory) -> {
            try (TimeoutRing r = new TimeoutRing(kernel, memory)) {
                r.timeout(1, 2 * SHORT, 0, IORING_TIMEOUT_MULTISHOT, 0);
                r.submit();
                r.await(2);
                r.remove(2, 1);
                r.submit();
                return r.await(4);
            }
        });
    }

    @Test
    void etimeSuccessKeepsTheChainGoingAndEtimeAloneCancelsIt() throws Exception {
        List<Cqe> onKernel = BothSides.sameOnBoth((kernel, memory) -> {
            try (TimeoutRing r = new TimeoutRing(kernel, memory)) {
                r.timeout(1, SHORT, 0, IORING_TIMEOUT_ETIME_SUCCESS, IOSQE_IO_LINK);
                r.nop(2, 0);
                // later than the first: two timers that expire together complete in one task work run
                r.timeout(3, 3 * SHORT, 0, 0, IOSQE_IO_LINK);
                r.nop(4, 0);
                r.submit();
                return r.await(4);
            }
        });
        assertThat(onKernel).contains(cqe(2, 0, 0), cqe(4, -ECANCELED, 0));
    }

    @Test
    void removeAndUpdateAnswerZeroOrEnoent() throws Exception {
        List<Cqe> onKernel = BothSides.sameOnBoth((kernel, memory) -> {
            try (TimeoutRing r = new TimeoutRing(kernel, memory)) {
                r.timeout(1, LONG, 0, 0, 0);
                r.timeout(2, LONG, 0, 0, 0);
                r.submit();
                r.remove(3, 1);
                r.remove(4, 99);
                r.update(5, 2, SHORT, IORING_TIMEOUT_UPDATE);
                r.update(6, 99, SHORT, IORING_TIMEOUT_UPDATE);
                r.update(7, 2, SHORT, IORING_TIMEOUT_UPDATE | IORING_LINK_TIMEOUT_UPDATE);
                r.submit();
                return r.await(7);
            }
        });
        assertThat(onKernel).contains(cqe(4, -ENOENT, 0), cqe(1, -ECANCELED, 0), cqe(2, -ETIME, 0));
    }

    @Test
    void anUpdatedCountTimeoutBecomesAPureOne() throws Exception {
        BothSides.sameOnBoth((kernel, memory) -> {
            try (TimeoutRing r = new TimeoutRing(kernel, memory)) {
                r.timeout(1, LONG, 1, 0, 0);
                r.submit();
                r.update(2, 1, LONG, IORING_TIMEOUT_UPDATE);
                r.submit();
                r.await(1);
                r.nop(3, 0);
                r.submit();
                r.await(2);
                r.update(4, 1, SHORT, IORING_TIMEOUT_UPDATE);
                r.submit();
                return r.await(4);
            }
        });
    }

    @Test
    void aRequestThatCompletesFirstCancelsItsLinkTimeout() throws Exception {
        List<Cqe> onKernel = BothSides.sameOnBoth((kernel, memory) -> {
            try (TimeoutRing r = new TimeoutRing(kernel, memory)) {
                r.nop(1, IOSQE_IO_LINK);
                r.linkTimeout(2, LONG, 0, IOSQE_IO_LINK);
                r.nop(3, 0);
                r.submit();
                return r.await(3);
            }
        });
        assertThat(onKernel).contains(cqe(2, -ECANCELED, 0), cqe(3, 0, 0));
    }

    @Test
    void aLinkTimeoutThatFiresFirstCancelsItsRequestAndTheRestOfTheChain() throws Exception {
        List<Cqe> onKernel = BothSides.sameOnBoth((kernel, memory) -> {
            try (TimeoutRing r = new TimeoutRing(kernel, memory)) {
                r.timeout(1, LONG, 0, 0, IOSQE_IO_LINK);
                r.linkTimeout(2, SHORT, 0, IOSQE_IO_LINK);
                r.nop(3, 0);
                r.submit();
                return r.await(3);
            }
        });
        assertThat(onKernel).contains(cqe(2, -ETIME, 0), cqe(1, -ECANCELED, 0), cqe(3, -ECANCELED, 0));
    }

    @Test
    void aLinkTimeoutUpdateMovesItsTimerAndARemoveDoesNotFindIt() throws Exception {
        BothSides.sameOnBoth((kernel, memory) -> {
            try (TimeoutRing r = new TimeoutRing(kernel, memory)) {
                r.timeout(1, LONG, 0, 0, IOSQE_IO_LINK);
                r.linkTimeout(2, LONG, 0, 0);
                r.submit();
                r.remove(3, 2);
                r.update(4, 2, SHORT, IORING_TIMEOUT_UPDATE | IORING_LINK_TIMEOUT_UPDATE);
                r.update(5, 99, SHORT, IORING_TIMEOUT_UPDATE | IORING_LINK_TIMEOUT_UPDATE);
                r.submit();
                return r.await(5);
            }
        });
    }

    @Test
    void aLinkTimeoutAfterAFailedRequestIsCancelledWithIt() throws Exception {
        BothSides.sameOnBoth((kernel, memory) -> {
            try (TimeoutRing r = new TimeoutRing(kernel, memory)) {
                // a TIMEOUT with len 0 fails its prep
                long at = r.timeout(1, LONG, 0, 0, IOSQE_IO_LINK);
                dev.ringspec.seam.Sqe.len(r.d.sqes(), at, 0);
                r.linkTimeout(2, LONG, 0, IOSQE_IO_LINK);
                r.nop(3, 0);
                r.submit();
                return r.await(3);
            }
        });
    }
}
