package dev.ringspec.emulator.ops;

import static dev.ringspec.uapi.Errno.ECANCELED;
import static dev.ringspec.uapi.IoUring.IORING_ASYNC_CANCEL_ALL;
import static dev.ringspec.uapi.IoUring.IORING_ASYNC_CANCEL_ANY;
import static dev.ringspec.uapi.IoUring.IORING_CQE_F_MORE;
import static dev.ringspec.uapi.IoUring.IORING_POLL_ADD_MULTI;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_COOP_TASKRUN;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_DEFER_TASKRUN;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SINGLE_ISSUER;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_TASKRUN_FLAG;
import static dev.ringspec.uapi.Poll.EPOLLEXCLUSIVE;
import static dev.ringspec.uapi.Poll.POLLIN;
import static dev.ringspec.uapi.Poll.POLLOUT;
import static dev.ringspec.uapi.Poll.POLLRDNORM;
import static dev.ringspec.uapi.Poll.POLLWRNORM;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.emulator.BothSides;
import dev.ringspec.model.KernelProfile;
import dev.ringspec.seam.Cqe;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** POLL_ADD against this machine's kernel, on real pipes, eventfds and socketpairs (io_uring/poll.c). */
@Tag("kernel")
class PollTest {

    @Test
    void oneShotOnAPipeCompletesWithTheEventsWhenWrittenTo() throws Exception {
        List<Cqe> cqes = BothSides.sameOnBoth(TestRing.on((w, r) -> {
            int[] p = w.pipe();
            r.pollAdd(p[0], POLLIN | POLLRDNORM, 0, 1);
            r.submit();
            List<Cqe> out = new ArrayList<>(r.quiet());
            w.write(p[1], 3);
            out.addAll(r.settle(1));
            return out;
        }));
        assertThat(cqes).hasSize(1);
    }

    @Test
    void oneShotOnAReadyFileCompletesAtOnce() throws Exception {
        BothSides.sameOnBoth(TestRing.on((w, r) -> {
            int[] p = w.pipe();
            w.write(p[1], 1);
            r.pollAdd(p[0], POLLIN, 0, 1);
            r.pollAdd(p[1], POLLOUT | POLLWRNORM, 0, 2);
            r.pollAdd(p[1], POLLIN, 0, 3);
            r.submit();
            List<Cqe> out = r.settle(2);
            return out;
        }));
    }

    @Test
    void closingTheWriterWakesAReaderWithHangUp() throws Exception {
        BothSides.sameOnBoth(TestRing.on((w, r) -> {
            int[] p = w.pipe();
            r.pollAdd(p[0], POLLIN, 0, 1);
            r.submit();
            w.close(p[1]);
            List<Cqe> out = r.settle(1);
            return out;
        }));
    }

    @Test
    void anEventfdIsReadableOnceSignalled() throws Exception {
        BothSides.sameOnBoth(TestRing.on((w, r) -> {
            int e = w.eventfd();
            r.pollAdd(e, POLLIN | POLLOUT, 0, 1);
            r.pollAdd(e, POLLIN, 0, 2);
            r.submit();
            List<Cqe> out = new ArrayList<>(r.settle(1));
            w.signal(e, 5);
            out.addAll(r.settle(1));
            return out;
        }));
    }

    @Test
    void aSocketWhosePeerShutsDownReportsReadHangUpUnasked() throws Exception {
        BothSides.sameOnBoth(TestRing.on((w, r) -> {
            int[] s = w.socketpair();
            r.pollAdd(s[0], POLLIN, 0, 1);
            r.submit();
            List<Cqe> out = new ArrayList<>(r.quiet());
            w.write(s[1], 4);
            out.addAll(r.settle(1));
            r.pollAdd(s[1], POLLIN, 0, 2);
            r.submit();
            out.addAll(r.quiet());
            w.shutdownWrite(s[0]);
            out.addAll(r.settle(1));
            return out;
        }));
    }

    @ParameterizedTest
    @ValueSource(ints = {0, IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN,
            IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG})
    void multishotPostsEveryWakeupWithMoreUntilCancelled(int setupFlags) throws Exception {
        List<Cqe> cqes = BothSides.sameOnBoth(TestRing.on(8, setupFlags, 0, (w, r) -> {
            int[] p = w.pipe();
            r.pollAdd(p[0], POLLIN, IORING_POLL_ADD_MULTI, 1);
            r.submit();
            List<Cqe> out = new ArrayList<>(r.quiet());
            for (int i = 0; i < 3; i++) {
                w.write(p[1], 1);
                out.addAll(r.settle(1));
            }
            out.addAll(r.cancelAndSettle(1, 2, 2));
            return out;
        }));
        assertThat(cqes).hasSize(5);
        assertThat(cqes.subList(0, 3)).allMatch(c -> (c.flags() & IORING_CQE_F_MORE) != 0);
        assertThat(cqes.getLast().res()).isEqualTo(-ECANCELED);
    }

    @Test
    void multishotOnAReadyFilePostsAtOnceAndKeepsWaiting() throws Exception {
        BothSides.sameOnBoth(TestRing.on((w, r) -> {
            int[] p = w.pipe();
            w.write(p[1], 1);
            r.pollAdd(p[0], POLLIN, IORING_POLL_ADD_MULTI, 1);
            r.submit();
            List<Cqe> out = new ArrayList<>(r.settle(1));
            out.addAll(r.quiet());
            w.write(p[1], 1);
            out.addAll(r.settle(1));
            w.close(p[1]);
            out.addAll(r.settle(1));
            out.addAll(r.cancelAny(9, 2));
            return out;
        }));
    }

    @Test
    void multishotThatFindsTheCqFullEndsWithAFinalCqeWithoutMore() throws Exception {
        List<Cqe> cqes = BothSides.sameOnBoth(TestRing.on(2, 0, 0, (w, r) -> {
            int cqEntries = r.d.ring().params().cqEntries();
            int[] p = w.pipe();
            r.pollAdd(p[0], POLLIN, IORING_POLL_ADD_MULTI, 1);
            r.submit();
            r.quiet();
            for (int i = 1; i <= cqEntries; i++) {
                w.write(p[1], 1);
                int n = i;
                r.settleWithoutReaping(() -> r.d.ready() >= n);
            }
            w.write(p[1], 1);
            r.settleWithoutReaping(() -> (r.d.sq().readOnceFlags() & 2) != 0);
            List<Cqe> out = new ArrayList<>(r.reap());
            out.addAll(r.settle(1));
            w.write(p[1], 1);
            out.addAll(r.quiet());
            return out;
        }));
        assertThat(cqes.getLast().flags() & IORING_CQE_F_MORE).isZero();
    }

    @Test
    void anExclusivePollWaitsLikeAnyOther() throws Exception {
        BothSides.sameOnBoth(TestRing.on((w, r) -> {
            int[] p = w.pipe();
            r.pollAdd(p[0], POLLIN | POLLRDNORM | EPOLLEXCLUSIVE, 0, 1);
            r.pollAdd(p[0], POLLIN | EPOLLEXCLUSIVE, IORING_POLL_ADD_MULTI, 2);
            r.submit();
            List<Cqe> out = new ArrayList<>(r.quiet());
            w.write(p[1], 1);
            out.addAll(r.settle(1));
            out.addAll(r.quiet());
            w.close(p[1]);
            out.addAll(r.settle(1));
            out.addAll(r.cancelAny(9, 2));
            return out;
        }));
    }

    @Test
    void aPollHoldsItsFileWhenTheApplicationClosesItsDescriptor() throws Exception {
        BothSides.sameOnBoth(TestRing.on((w, r) -> {
            int[] p = w.pipe();
            r.pollAdd(p[0], POLLIN, 0, 1);
            r.pollAdd(p[1], POLLOUT, IORING_POLL_ADD_MULTI, 2);
            r.submit();
            List<Cqe> out = new ArrayList<>(r.settle(1));
            w.close(p[0]);
            out.addAll(r.quiet());
            // the read end is the poll's alone now: the write wakes it, and its completion drops the last
            // reference, so the pipe loses its reader and the write end reports POLLERR (the kernel in the same
            // enter; the emulator when epoll reports the release)
            w.write(p[1], 1);
            out.addAll(r.settle(2));
            out.addAll(r.cancelAndSettle(2, 9, 2));
            return out;
        }));
    }

    /** Nothing of this differs between 6.1 and 7.3: each profile's emulator posts what this kernel posts. */
    @ParameterizedTest
    @ValueSource(strings = {"6.1", "6.12", "7.2", "7.3"})
    void multishotAndItsCancellationAreTheSameOnEveryProfile(String version) throws Exception {
        KernelProfile profile = Stream.of(KernelProfile.LINUX_6_1, KernelProfile.LINUX_6_12, KernelProfile.LINUX_7_2,
                KernelProfile.LINUX_7_3).filter(k -> k.version().equals(version)).findFirst().orElseThrow();
        BothSides.sameOnBoth(profile, TestRing.on((w, r) -> {
            int[] s = w.socketpair();
            r.pollAdd(s[0], POLLIN, IORING_POLL_ADD_MULTI, 1);
            r.submit();
            List<Cqe> out = new ArrayList<>(r.quiet());
            for (int i = 0; i < 2; i++) {
                w.write(s[1], 1);
                out.addAll(r.settle(1));
            }
            r.cancel(1, IORING_ASYNC_CANCEL_ALL, 0, 0, 2);
            r.submit();
            out.addAll(r.settle(2));
            return out;
        }));
    }
}
