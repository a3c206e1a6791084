package dev.ringspec.emulator.ops;

import static dev.ringspec.emulator.ops.FileWorld.bytes;
import static dev.ringspec.emulator.ops.FileWorld.sameOnBoth;
import static dev.ringspec.emulator.ops.RwTest.rw;
import static dev.ringspec.uapi.Errno.EPIPE;
import static dev.ringspec.uapi.IoUring.IORING_ENTER_GETEVENTS;
import static dev.ringspec.uapi.IoUring.IORING_OP_NOP;
import static dev.ringspec.uapi.IoUring.IORING_OP_WRITE;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_DEFER_TASKRUN;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SINGLE_ISSUER;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_TASKRUN_FLAG;
import static dev.ringspec.uapi.IoUring.IORING_SQ_TASKRUN;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.seam.Cqe;
import dev.ringspec.seam.IoUringKernel;
import dev.ringspec.seam.RingDriver;
import dev.ringspec.seam.Sqe;
import dev.ringspec.seam.UserMemory;
import dev.ringspec.uapi.IoUringParams;
import java.lang.foreign.MemorySegment;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A write that the file's write_iter fails (a pipe without readers: -EPIPE) completes through task work
 * (io_uring/rw.c kiocb_done, io_rw_done, io_complete_rw), not inline as a read's error does: its CQE comes after
 * those of the batch's inline completions, and on a DEFER_TASKRUN ring it waits for the next GETEVENTS with
 * IORING_SQ_TASKRUN raised. Against this kernel (found by the world lockstep, seeds 112, 123, 128 and 139).
 */
@Tag("kernel")
class RwWriteErrorTest {

    private static RingDriver ring(IoUringKernel kernel, UserMemory memory, int flags) {
        MemorySegment params = memory.allocate(IoUringParams.SIZE_BYTES);
        params.set(JAVA_INT, IoUringParams.FLAGS_OFFSET, flags);
        return new RingDriver(kernel, kernel.setup(8, params).ringOrNull());
    }

    /** A pipe whose read end is closed: its write end. */
    private static int widowedPipe(FileWorld world) {
        int[] p = world.pipe();
        world.closeNow(p[0]);
        return p[1];
    }

    @Test
    void aFailedWriteCompletesAfterTheBatchsInlineCompletions() throws Exception {
        FileWorld.Outcome o = sameOnBoth((kernel, memory, world) -> {
            int w = widowedPipe(world);
            RingDriver d = ring(kernel, memory, 0);
            rw(d, IORING_OP_WRITE, w, bytes(memory, "lost", 8).address(), 4, 0, 1);
            long at = d.nextSqe();
            Sqe.opcode(d.sqes(), at, IORING_OP_NOP);
            Sqe.userData(d.sqes(), at, 2);
            return new FileWorld.Outcome(world.finish(kernel, d, 2), "");
        });
        assertThat(o.cqes()).extracting(Cqe::userData).containsExactly(2L, 1L);
        assertThat(o.cqes().get(1).res()).isEqualTo(-EPIPE);
    }

    @Test
    void onADeferTaskrunRingTheFailedWriteWaitsForGetevents() throws Exception {
        FileWorld.Outcome o = sameOnBoth((kernel, memory, world) -> {
            int w = widowedPipe(world);
            RingDriver d = ring(kernel, memory, IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_SINGLE_ISSUER
                    | IORING_SETUP_TASKRUN_FLAG);
            rw(d, IORING_OP_WRITE, w, bytes(memory, "lost", 8).address(), 4, 0, 1);
            assertThat(d.submit(0, 0)).isEqualTo(1);
            String before = d.ready() + " ready, taskrun " + ((d.sq().readOnceFlags() & IORING_SQ_TASKRUN) != 0);
            assertThat(kernel.enter(d.ring(), 0, 1, IORING_ENTER_GETEVENTS, MemorySegment.NULL, 0)).isZero();
            String after = d.ready() + " ready, taskrun " + ((d.sq().readOnceFlags() & IORING_SQ_TASKRUN) != 0);
            List<Cqe> cqes = world.reap(kernel, d, 1);
            kernel.close(d.ring());
            return new FileWorld.Outcome(cqes, before + "; " + after);
        });
        assertThat(o.effects()).isEqualTo("0 ready, taskrun true; 1 ready, taskrun false");
        assertThat(o.cqes().getFirst().res()).isEqualTo(-EPIPE);
    }
}
