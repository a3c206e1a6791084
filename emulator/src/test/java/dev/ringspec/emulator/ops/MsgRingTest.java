package dev.ringspec.emulator.ops;

import static dev.ringspec.uapi.IoUring.IORING_FILE_INDEX_ALLOC;
import static dev.ringspec.uapi.IoUring.IORING_MSG_DATA;
import static dev.ringspec.uapi.IoUring.IORING_MSG_RING_CQE_SKIP;
import static dev.ringspec.uapi.IoUring.IORING_MSG_RING_FLAGS_PASS;
import static dev.ringspec.uapi.IoUring.IORING_MSG_SEND_FD;
import static dev.ringspec.uapi.IoUring.IORING_OP_FIXED_FD_INSTALL;
import static dev.ringspec.uapi.IoUring.IORING_OP_MSG_RING;
import static dev.ringspec.uapi.IoUring.IORING_OP_NOP;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_DEFER_TASKRUN;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SINGLE_ISSUER;
import static dev.ringspec.uapi.IoUring.IOSQE_FIXED_FILE;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.emulator.BothSides;
import dev.ringspec.emulator.sys.Linux;
import dev.ringspec.seam.Cqe;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** msg_ring.c between two rings, on the emulator against this machine's kernel. */
@Tag("kernel")
class MsgRingTest {

    @Test
    void dataReachesTheTargetRing() throws Exception {
        BothSides.sameOnBoth((k, m) -> {
            int[] p = NetTest.pipe();
            try (NetRing a = new NetRing(k, m); NetRing b = new NetRing(k, m)) {
                a.sqe(IORING_OP_MSG_RING, b.fd(), 77, IORING_MSG_DATA, 0x55, 0, 1);
                long at = a.sqe(IORING_OP_MSG_RING, b.fd(), 78, IORING_MSG_DATA, 0x56, IORING_MSG_RING_FLAGS_PASS, 2);
                a.fileIndex(at, 0x400);
                a.sqe(IORING_OP_MSG_RING, b.fd(), 79, IORING_MSG_DATA, 1, IORING_MSG_RING_CQE_SKIP, 3);
                at = a.sqe(IORING_OP_MSG_RING, b.fd(), 80, IORING_MSG_DATA, 1, 0, 4);
                a.fileIndex(at, 1);
                a.sqe(IORING_OP_MSG_RING, p[0], 81, IORING_MSG_DATA, 1, 0, 5);
                a.sqe(IORING_OP_MSG_RING, b.fd(), 82, 7, 1, 0, 6);
                a.sqe(IORING_OP_MSG_RING, b.fd(), 83, IORING_MSG_DATA, 1, 4, 7);
                at = a.sqe(IORING_OP_MSG_RING, b.fd(), 84, IORING_MSG_DATA, 1, 0, 8);
                a.addr3(at, 1);
                List<Cqe> c = new ArrayList<>(a.submitAndWait(8));
                c.addAll(b.drain());
                // to itself: the target's CQE is posted at once, ahead of the batch's own completions
                a.sqe(IORING_OP_NOP, 0, 0, 0, 0, 0, 10);
                a.sqe(IORING_OP_MSG_RING, a.fd(), 11, IORING_MSG_DATA, 12, 0, 12);
                c.addAll(a.submitAndWait(3));
                return c;
            } finally {
                NetRing.closeAll(p);
            }
        });
    }

    /**
     * IO_RING_F_TASK_COMPLETE is DEFER_TASKRUN's (io_uring_create), not SINGLE_ISSUER's: a SINGLE_ISSUER ring that
     * messages itself gets the CQE at once, ahead of its batch (found by the world lockstep, seed 136).
     */
    @Test
    void aSingleIssuerRingWithoutDeferTaskrunGetsItsMessageAtOnce() throws Exception {
        List<Cqe> cqes = BothSides.sameOnBoth((k, m) -> {
            try (NetRing a = new NetRing(k, m, 8, IORING_SETUP_SINGLE_ISSUER)) {
                a.sqe(IORING_OP_NOP, 0, 0, 0, 0, 0, 10);
                a.sqe(IORING_OP_MSG_RING, a.fd(), 11, IORING_MSG_DATA, 12, 0, 12);
                return a.submitAndWait(3);
            }
        });
        assertThat(cqes).extracting(Cqe::userData).containsExactly(11L, 10L, 12L);
    }

    @Test
    void aSingleIssuerTargetGetsItsCqeWhenItRunsTaskWork() throws Exception {
        BothSides.sameOnBoth((k, m) -> {
            int flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;
            try (NetRing a = new NetRing(k, m); NetRing b = new NetRing(k, m, 8, flags)) {
                a.sqe(IORING_OP_MSG_RING, b.fd(), 5, IORING_MSG_DATA, 6, 0, 1);
                List<Cqe> c = new ArrayList<>(a.submitAndWait(1));
                assertThat(b.d.ready()).as("not posted before the target runs its task work").isZero();
                c.addAll(b.await(1));
                return c;
            }
        });
    }

    @Test
    void aRegisteredFileIsSentAsADirectDescriptor() throws Exception {
        BothSides.sameOnBoth((k, m) -> {
            int[] p = NetTest.pipe();
            try (NetRing a = new NetRing(k, m); NetRing b = new NetRing(k, m)) {
                assertThat(a.registerFiles(p[1])).isZero();
                assertThat(b.registerSparseFiles(4)).isZero();
                long at = a.sqe(IORING_OP_MSG_RING, b.fd(), 90, IORING_MSG_SEND_FD, 0, 0, 1);
                a.fileIndex(at, IORING_FILE_INDEX_ALLOC);
                at = a.sqe(IORING_OP_MSG_RING, b.fd(), 91, IORING_MSG_SEND_FD, 0, IORING_MSG_RING_CQE_SKIP, 2);
                a.fileIndex(at, 3);
                at = a.sqe(IORING_OP_MSG_RING, b.fd(), 92, IORING_MSG_SEND_FD, 0, 0, 3);
                a.addr3(at, 2);
                at = a.sqe(IORING_OP_MSG_RING, a.fd(), 93, IORING_MSG_SEND_FD, 0, 0, 4);
                a.fileIndex(at, 1);
                at = a.sqe(IORING_OP_MSG_RING, b.fd(), 94, IORING_MSG_SEND_FD, 1, 0, 5);
                a.fileIndex(at, 1);
                List<Cqe> c = new ArrayList<>(a.submitAndWait(5));
                c.addAll(b.drain());
                at = b.sqe(IORING_OP_FIXED_FD_INSTALL, 2, 0, 0, 0, 0, 6);
                b.flags(at, IOSQE_FIXED_FILE);
                Cqe w = b.submitAndWait(1).getFirst();
                c.add(NetTest.descriptor(w));
                NetRing.write(w.res(), "sent");
                assertThat(NetRing.read(p[0], 16)).isEqualTo("sent");
                Linux.close(w.res());
                return c;
            } finally {
                NetRing.closeAll(p);
            }
        });
    }
}
