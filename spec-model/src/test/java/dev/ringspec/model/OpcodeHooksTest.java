package dev.ringspec.model;

import static dev.ringspec.uapi.Errno.EBADF;
import static dev.ringspec.uapi.Errno.EINVAL;
import static dev.ringspec.uapi.Errno.ENXIO;
import static dev.ringspec.uapi.IoUring.IORING_ENTER_GETEVENTS;
import static dev.ringspec.uapi.IoUring.IORING_OP_CLOSE;
import static dev.ringspec.uapi.IoUring.IORING_OP_MSG_RING;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_FILES;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_DEFER_TASKRUN;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SINGLE_ISSUER;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.seam.Cqe;
import dev.ringspec.seam.Sqe;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The engine hooks opcodes from other modules use (the emulator's MSG_RING and CLOSE), through test opcodes: an
 * aux CQE posts ahead of the batch, a remote one waits for the target's task work, a direct descriptor's slot is
 * removed with the kernel's errnos (msg_ring.c, io_uring.c io_post_aux_cqe, filetable.c io_fixed_fd_remove).
 */
class OpcodeHooksTest {
    /** MSG_RING's number for a test opcode: posts an aux CQE (off = its user_data, len = its res) on its own ring. */
    private static final OpDef AUX = new OpDef(IORING_OP_MSG_RING, "AUX", 0, (req, ctx) -> 0, (req, ctx) -> {
        if (req.opFlags() != 0) {
            ctx.postAuxCqeRemote(req.off(), req.len(), 0);
        } else {
            ctx.postAuxCqe(req.off(), req.len(), 0);
        }
        ctx.setRes(req, 0, 0);
        return OpDef.COMPLETE;
    });
    /** CLOSE's number for a test opcode: removes slot file_index - 1. */
    private static final OpDef REMOVE = new OpDef(IORING_OP_CLOSE, "REMOVE", 0, (req, ctx) -> 0, (req, ctx) -> {
        ctx.setRes(req, ctx.fixedFdRemove(req.fileIndex() - 1), 0);
        return OpDef.COMPLETE;
    });

    private static ModelFixture fixture() {
        return new ModelFixture(KernelProfile.LINUX_6_18.toBuilder().opcode(AUX).opcode(REMOVE).build(), Set.of());
    }

    private static long sqe(ModelFixture f, int opcode, long userData) {
        long at = f.driver.nextSqe();
        Sqe.opcode(f.driver.sqes(), at, opcode);
        Sqe.userData(f.driver.sqes(), at, userData);
        return at;
    }

    @Test
    void anAuxCqePostsAheadOfTheBatchsCompletions() {
        try (ModelFixture f = fixture().setup(8, 0)) {
            f.nop(1);
            long at = sqe(f, IORING_OP_MSG_RING, 2);
            Sqe.off(f.driver.sqes(), at, 3);
            Sqe.len(f.driver.sqes(), at, 33);
            assertThat(f.submit()).isEqualTo(2);
            List<Cqe> c = f.reapAll();
            assertThat(f.userDatas(c)).containsExactly(3L, 1L, 2L);
            assertThat(c.getFirst().res()).isEqualTo(33);
        }
    }

    @Test
    void aRemoteAuxCqeWaitsForTheTargetsTaskWork() {
        try (ModelFixture f = fixture().setup(8, IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN)) {
            long at = sqe(f, IORING_OP_MSG_RING, 2);
            Sqe.off(f.driver.sqes(), at, 3);
            Sqe.opFlags(f.driver.sqes(), at, 1);
            assertThat(f.submit()).isEqualTo(1);
            assertThat(f.userDatas(f.reapAll())).containsExactly(2L);
            f.enter(0, 1, IORING_ENTER_GETEVENTS);
            assertThat(f.userDatas(f.reapAll())).containsExactly(3L);
        }
    }

    @Test
    void removingADirectDescriptorAnswersAsTheKernel() {
        try (ModelFixture f = fixture().setup(8, 0)) {
            Sqe.fileIndex(f.driver.sqes(), sqe(f, IORING_OP_CLOSE, 1), 1);
            f.submit();
            MemorySegment fds = f.memory.allocate(8, 4);
            fds.set(JAVA_INT, 0, -1);
            fds.set(JAVA_INT, 4, -1);
            assertThat(f.model.register(f.ring, IORING_REGISTER_FILES, fds, 2)).isZero();
            Sqe.fileIndex(f.driver.sqes(), sqe(f, IORING_OP_CLOSE, 2), 1);
            Sqe.fileIndex(f.driver.sqes(), sqe(f, IORING_OP_CLOSE, 3), 3);
            f.submit();
            assertThat(f.reapAll()).extracting(Cqe::res).containsExactly(-ENXIO, -EBADF, -EINVAL);
        }
    }
}
