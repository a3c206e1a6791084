package dev.ringspec.emulator.ops;

import static dev.ringspec.uapi.Errno.ECANCELED;
import static dev.ringspec.uapi.Errno.ENOENT;
import static dev.ringspec.uapi.IoUring.IORING_CQE_F_MORE;
import static dev.ringspec.uapi.IoUring.IORING_POLL_ADD_MULTI;
import static dev.ringspec.uapi.IoUring.IORING_POLL_UPDATE_EVENTS;
import static dev.ringspec.uapi.IoUring.IORING_POLL_UPDATE_USER_DATA;
import static dev.ringspec.uapi.Poll.POLLIN;
import static dev.ringspec.uapi.Poll.POLLOUT;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.emulator.BothSides;
import dev.ringspec.seam.Cqe;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** POLL_REMOVE, plain and with IORING_POLL_UPDATE_EVENTS / _USER_DATA, against this machine's kernel. */
@Tag("kernel")
class PollRemoveTest {

    @Test
    void removeCancelsThePollAfterItsOwnCqe() throws Exception {
        List<Cqe> cqes = BothSides.sameOnBoth(TestRing.on((w, r) -> {
            int[] p = w.pipe();
            r.pollAdd(p[0], POLLIN, 0, 1);
            r.submit();
            r.pollRemove(1, 0, 0, 0, 2);
            r.pollRemove(1, 0, 0, 0, 3);
            r.submit();
            List<Cqe> out = new ArrayList<>(r.settle(3));
            w.write(p[1], 1);
            out.addAll(r.quiet());
            return out;
        }));
        assertThat(cqes).extracting(Cqe::res).contains(-ECANCELED, -ENOENT);
    }

    @Test
    void updatingTheEventsToOnesThatHappenedCompletesThePoll() throws Exception {
        BothSides.sameOnBoth(TestRing.on((w, r) -> {
            int[] p = w.pipe();
            r.pollAdd(p[1], POLLIN, 0, 1);
            r.submit();
            r.pollRemove(1, IORING_POLL_UPDATE_EVENTS | IORING_POLL_UPDATE_USER_DATA, POLLOUT, 5, 2);
            r.submit();
            List<Cqe> out = r.settle(2);
            return out;
        }));
    }

    @Test
    void updatingTheUserDataKeepsThePollWaitingUnderItsNewName() throws Exception {
        BothSides.sameOnBoth(TestRing.on((w, r) -> {
            int[] p = w.pipe();
            r.pollAdd(p[0], POLLIN, IORING_POLL_ADD_MULTI, 1);
            r.submit();
            r.pollRemove(1, IORING_POLL_UPDATE_USER_DATA, 0, 7, 2);
            r.submit();
            List<Cqe> out = new ArrayList<>(r.settle(1));
            w.write(p[1], 1);
            out.addAll(r.settle(1));
            r.pollRemove(1, 0, 0, 0, 3);
            r.pollRemove(7, IORING_POLL_UPDATE_EVENTS | IORING_POLL_ADD_MULTI, POLLIN | POLLOUT, 0, 4);
            r.submit();
            out.addAll(r.settle(2));
            out.addAll(r.quiet());
            r.pollRemove(7, 0, 0, 0, 5);
            r.submit();
            out.addAll(r.settle(2));
            return out;
        }));
    }

    @Test
    void removingAMultishotEndsItWithoutMore() throws Exception {
        List<Cqe> cqes = BothSides.sameOnBoth(TestRing.on((w, r) -> {
            int[] s = w.socketpair();
            r.pollAdd(s[0], POLLIN, IORING_POLL_ADD_MULTI, 1);
            r.submit();
            w.write(s[1], 1);
            List<Cqe> out = new ArrayList<>(r.settle(1));
            r.pollRemove(1, 0, 0, 0, 2);
            r.submit();
            out.addAll(r.settle(2));
            return out;
        }));
        assertThat(cqes.getLast().flags() & IORING_CQE_F_MORE).isZero();
    }
}
