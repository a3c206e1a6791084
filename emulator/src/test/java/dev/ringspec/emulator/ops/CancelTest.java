package dev.ringspec.emulator.ops;

import static dev.ringspec.uapi.Errno.ECANCELED;
import static dev.ringspec.uapi.Errno.ENOENT;
import static dev.ringspec.uapi.IoUring.IORING_ASYNC_CANCEL_ALL;
import static dev.ringspec.uapi.IoUring.IORING_ASYNC_CANCEL_ANY;
import static dev.ringspec.uapi.IoUring.IORING_ASYNC_CANCEL_FD;
import static dev.ringspec.uapi.IoUring.IORING_ASYNC_CANCEL_FD_FIXED;
import static dev.ringspec.uapi.IoUring.IORING_ASYNC_CANCEL_OP;
import static dev.ringspec.uapi.IoUring.IORING_ASYNC_CANCEL_USERDATA;
import static dev.ringspec.uapi.IoUring.IORING_OP_NOP;
import static dev.ringspec.uapi.IoUring.IORING_OP_POLL_ADD;
import static dev.ringspec.uapi.IoUring.IORING_POLL_ADD_MULTI;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SUBMIT_ALL;
import static dev.ringspec.uapi.IoUring.IOSQE_BUFFER_SELECT;
import static dev.ringspec.uapi.IoUring.IOSQE_FIXED_FILE;
import static dev.ringspec.uapi.Poll.POLLIN;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.emulator.BothSides;
import dev.ringspec.emulator.sys.Linux;
import dev.ringspec.seam.Cqe;
import dev.ringspec.seam.Sqe;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** ASYNC_CANCEL of each kind against this machine's kernel, on polls waiting on real pipes (io_uring/cancel.c). */
@Tag("kernel")
class CancelTest {

    /** Arms one-shot POLLIN polls on fresh pipes' read ends with these user_data; answers the pipes. */
    private static List<int[]> polls(World w, TestRing r, long... userData) {
        List<int[]> pipes = new ArrayList<>();
        for (long ud : userData) {
            int[] p = w.pipe();
            pipes.add(p);
            r.pollAdd(p[0], POLLIN, 0, ud);
        }
        r.submit();
        return pipes;
    }

    @Test
    void byUserDataCancelsTheOneAndThenFindsNothing() throws Exception {
        List<Cqe> cqes = BothSides.sameOnBoth(TestRing.on((w, r) -> {
            polls(w, r, 1, 2);
            r.cancel(1, 0, 0, 0, 10);
            r.submit();
            List<Cqe> out = new ArrayList<>(r.settle(2));
            out.addAll(r.cancelAndSettle(1, 11, 1));
            return out;
        }));
        assertThat(cqes).extracting(Cqe::res).containsExactly(0, -ECANCELED, -ENOENT);
    }

    @Test
    void allCountsEveryRequestWithThatUserDataNewestFirst() throws Exception {
        List<Cqe> cqes = BothSides.sameOnBoth(TestRing.on((w, r) -> {
            List<int[]> pipes = polls(w, r, 7, 7, 8, 7);
            r.cancel(7, IORING_ASYNC_CANCEL_ALL, 0, 0, 10);
            r.submit();
            List<Cqe> out = new ArrayList<>(r.settle(4));
            w.write(pipes.get(2)[1], 1);
            out.addAll(r.settle(1));
            r.cancel(7, IORING_ASYNC_CANCEL_ALL, 0, 0, 11);
            r.submit();
            out.addAll(r.settle(1));
            return out;
        }));
        assertThat(cqes.getFirst().res()).isEqualTo(3);
    }

    @Test
    void byFileMatchesTheOpenFileWhicheverDescriptorNamesIt() throws Exception {
        BothSides.sameOnBoth(TestRing.on(8, 0, 64, (w, r) -> {
            List<int[]> pipes = polls(w, r, 1, 2, 3);
            int[] a = pipes.get(0);
            r.pollAdd(a[0], POLLIN, IORING_POLL_ADD_MULTI, 4);
            r.submit();
            int dup = Linux.dup(a[0]);
            r.cancel(0, IORING_ASYNC_CANCEL_FD, dup, 0, 10);
            r.submit();
            List<Cqe> out = new ArrayList<>(r.settle(2));
            r.cancel(0, IORING_ASYNC_CANCEL_FD | IORING_ASYNC_CANCEL_ALL, a[0], 0, 11);
            r.cancel(0, IORING_ASYNC_CANCEL_FD | IORING_ASYNC_CANCEL_ALL, a[1], 0, 12);
            r.cancel(3, IORING_ASYNC_CANCEL_FD | IORING_ASYNC_CANCEL_USERDATA, pipes.get(1)[0], 0, 13);
            r.cancel(2, IORING_ASYNC_CANCEL_FD | IORING_ASYNC_CANCEL_USERDATA, pipes.get(1)[0], 0, 14);
            r.submit();
            out.addAll(r.settle(6));
            Linux.close(dup);
            return out;
        }));
    }

    @Test
    void byRegisteredFileMatchesThePollsOnThatFile() throws Exception {
        BothSides.sameOnBoth(TestRing.on((w, r) -> {
            int[] p = w.pipe();
            int[] q = w.pipe();
            assertThat(r.registerFiles(p[0], q[0])).isZero();
            Sqe.flags(r.d.sqes(), r.pollAdd(0, POLLIN, 0, 1), IOSQE_FIXED_FILE);
            Sqe.flags(r.d.sqes(), r.pollAdd(1, POLLIN, 0, 2), IOSQE_FIXED_FILE);
            r.pollAdd(q[0], POLLIN, 0, 3);
            r.submit();
            r.cancel(0, IORING_ASYNC_CANCEL_FD | IORING_ASYNC_CANCEL_FD_FIXED, 0, 0, 10);
            Sqe.flags(r.d.sqes(), r.cancel(0, IORING_ASYNC_CANCEL_FD | IORING_ASYNC_CANCEL_ALL, 1, 0, 11),
                    IOSQE_FIXED_FILE);
            r.cancel(0, IORING_ASYNC_CANCEL_FD | IORING_ASYNC_CANCEL_FD_FIXED, 5, 0, 12);
            r.cancel(0, IORING_ASYNC_CANCEL_FD, p[0], 0, 13);
            r.submit();
            List<Cqe> out = r.settle(7);
            return out;
        }));
    }

    @Test
    void byOpcodeAndAnyCancelInTheHashTablesOrder() throws Exception {
        BothSides.sameOnBoth(TestRing.on(8, 0, 256, (w, r) -> {
            polls(w, r, 1, 2, 3, 4, 5, 6);
            r.cancel(0, IORING_ASYNC_CANCEL_OP, 0, IORING_OP_NOP, 10);
            r.cancel(0, IORING_ASYNC_CANCEL_OP, 0, IORING_OP_POLL_ADD, 11);
            r.cancel(5, IORING_ASYNC_CANCEL_OP | IORING_ASYNC_CANCEL_USERDATA, 0, IORING_OP_POLL_ADD, 12);
            r.cancel(0, IORING_ASYNC_CANCEL_ANY, 0, 0, 13);
            r.submit();
            List<Cqe> out = new ArrayList<>(r.settle(10));
            r.cancel(0, IORING_ASYNC_CANCEL_ANY | IORING_ASYNC_CANCEL_ALL, 0, 0, 14);
            r.submit();
            out.addAll(r.settle(1));
            out.addAll(r.cancelAny(15, 1));
            return out;
        }));
    }

    @Test
    void allOfManyPollsPostsTheirCancellationsInBucketOrder() throws Exception {
        BothSides.sameOnBoth(TestRing.on(16, 0, 1024, (w, r) -> {
            long[] uds = new long[12];
            for (int i = 0; i < uds.length; i++) {
                uds[i] = 0x1000L * (i + 1) + i * 7;
            }
            polls(w, r, uds);
            r.cancel(0, IORING_ASYNC_CANCEL_OP | IORING_ASYNC_CANCEL_ALL, 0, IORING_OP_POLL_ADD, 99);
            r.submit();
            List<Cqe> out = r.settle(13);
            return out;
        }));
    }

    @Test
    void malformedCancelsGetTheKernelsErrnos() throws Exception {
        BothSides.sameOnBoth(TestRing.on(16, IORING_SETUP_SUBMIT_ALL, 0, (w, r) -> {
            int[] p = w.pipe();
            r.cancel(1, 0x40, 0, 0, 1);
            r.cancel(1, IORING_ASYNC_CANCEL_FD | IORING_ASYNC_CANCEL_ANY, p[0], 0, 2);
            r.cancel(1, IORING_ASYNC_CANCEL_OP | IORING_ASYNC_CANCEL_ANY, 0, 0, 3);
            Sqe.off(r.d.sqes(), r.cancel(1, 0, 0, 0, 4), 1);
            Sqe.fileIndex(r.d.sqes(), r.cancel(1, 0, 0, 0, 5), 1);
            r.cancel(1, IORING_ASYNC_CANCEL_FD, p[1] + 100, 0, 6);
            r.cancel(1, IORING_ASYNC_CANCEL_FD | IORING_ASYNC_CANCEL_FD_FIXED, 0, 0, 7);
            r.cancel(1, IORING_ASYNC_CANCEL_OP, 0, 255, 8);
            r.cancel(1, IORING_ASYNC_CANCEL_OP, 0, 0x101, 9);
            Sqe.flags(r.d.sqes(), r.cancel(1, 0, 0, 0, 10), IOSQE_BUFFER_SELECT);
            r.cancel(1, IORING_ASYNC_CANCEL_FD_FIXED, 3, 0, 11);
            Sqe.ioprio(r.d.sqes(), r.cancel(1, 0, 0, 0, 12), 1);
            r.submit();
            List<Cqe> out = r.settle(12);
            return out;
        }));
    }
}
