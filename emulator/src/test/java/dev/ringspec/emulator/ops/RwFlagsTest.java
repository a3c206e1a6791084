package dev.ringspec.emulator.ops;

import static dev.ringspec.emulator.ops.FileWorld.O_RDONLY;
import static dev.ringspec.emulator.ops.FileWorld.ring;
import static dev.ringspec.emulator.ops.FileWorld.sameOnBoth;
import static dev.ringspec.emulator.ops.RwTest.TEXT;
import static dev.ringspec.emulator.ops.RwTest.rw;
import static dev.ringspec.uapi.IoUring.IORING_OP_READ;
import static dev.ringspec.uapi.IoUring.IORING_OP_READV;
import static dev.ringspec.uapi.IoUring.IORING_OP_WRITE;
import static dev.ringspec.uapi.IoUring.IORING_OP_WRITEV;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.seam.Cqe;
import dev.ringspec.seam.RingDriver;
import dev.ringspec.seam.Sqe;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * rw.c's io_rw_init_file where the real call answers something else (the SQE fuzz's finds), against this kernel: a
 * transfer of no bytes still has its rw_flags checked (kiocb_set_rw_flags), and a negative offset on a descriptor
 * not open for the direction is -EBADF (pwritev2(2) says -EINVAL first).
 */
@Tag("kernel")
class RwFlagsTest {
    private static final int RWF_HIPRI = 0x1;
    private static final int RWF_NOWAIT = 0x8;
    private static final int RWF_APPEND = 0x10;
    private static final int RWF_NOAPPEND = 0x20;
    private static final int RWF_ATOMIC = 0x40;
    private static final int RWF_DONTCACHE = 0x80;

    @Test
    void aTransferOfNoBytesStillHasItsFlagsChecked() throws Exception {
        FileWorld.Outcome o = sameOnBoth((kernel, memory, world) -> {
            int file = world.file(TEXT, O_RDONLY);
            int[] pipe = NetTest.pipe();
            MemorySegment buf = memory.allocate(16);
            try {
                RingDriver d = ring(kernel, memory, 8);
                List<Cqe> c = new ArrayList<>();
                long ud = 0;
                for (int flags : new int[] {0, RWF_NOWAIT, RWF_APPEND | RWF_NOAPPEND, RWF_ATOMIC, RWF_DONTCACHE,
                    RWF_DONTCACHE | RWF_NOWAIT}) {
                    for (int[] op : new int[][] {{IORING_OP_READV, file}, {IORING_OP_READ, file},
                        {IORING_OP_READV, pipe[0]}, {IORING_OP_WRITEV, pipe[1]}, {IORING_OP_WRITE, pipe[1]}}) {
                        long at = rw(d, op[0], op[1], buf.address(), 0, 0, ++ud);
                        Sqe.opFlags(d.sqes(), at, flags);
                        c.addAll(world.submitAndWait(kernel, d, 1));
                    }
                }
                kernel.close(d.ring());
                return new FileWorld.Outcome(c, world.contents());
            } finally {
                NetRing.closeAll(pipe);
            }
        });
        // a pipe has no FOP_DONTCACHE: -EOPNOTSUPP, though no byte was to move
        assertThat(o.cqes().get(4 * 5 + 2).res()).isEqualTo(-95);
    }

    /** kiocb_set_rw_flags before io_rw_init_file's RWF_HIPRI check, and before rw_verify_area's of the offset. */
    @Test
    void theFlagsFilesRefuseComeBeforeHipriAndTheOffset() throws Exception {
        FileWorld.Outcome o = sameOnBoth((kernel, memory, world) -> {
            int file = world.file(TEXT, O_RDONLY);
            int[] pipe = NetTest.pipe();
            MemorySegment buf = memory.allocate(16);
            try {
                RingDriver d = ring(kernel, memory, 8);
                List<Cqe> c = new ArrayList<>();
                long ud = 0;
                for (int flags : new int[] {RWF_HIPRI | RWF_ATOMIC, RWF_HIPRI | RWF_DONTCACHE,
                    RWF_HIPRI | RWF_APPEND | RWF_NOAPPEND, RWF_HIPRI, RWF_ATOMIC, RWF_DONTCACHE}) {
                    for (long off : new long[] {0, -2}) {
                        for (int[] op : new int[][] {{IORING_OP_READ, file}, {IORING_OP_WRITE, pipe[1]},
                            {IORING_OP_READ, pipe[0]}}) {
                            long at = rw(d, op[0], op[1], buf.address(), 4, off, ++ud);
                            Sqe.opFlags(d.sqes(), at, flags | RWF_NOWAIT);
                            c.addAll(world.submitAndWait(kernel, d, 1));
                        }
                    }
                }
                kernel.close(d.ring());
                return new FileWorld.Outcome(c, world.contents());
            } finally {
                NetRing.closeAll(pipe);
            }
        });
        assertThat(o.cqes().get(1).res()).as("ATOMIC on a pipe before HIPRI").isEqualTo(-95);
    }

    @Test
    void aNegativeOffsetOnTheWrongEndIsEbadf() throws Exception {
        FileWorld.Outcome o = sameOnBoth((kernel, memory, world) -> {
            int[] pipe = NetTest.pipe();
            MemorySegment buf = memory.allocate(16);
            try {
                RingDriver d = ring(kernel, memory, 8);
                List<Cqe> c = new ArrayList<>();
                long ud = 0;
                for (long off : new long[] {0x8060_0000_0000_0000L, -2, 0}) {
                    for (int[] op : new int[][] {{IORING_OP_WRITE, pipe[0]}, {IORING_OP_READ, pipe[1]},
                        {IORING_OP_WRITE, pipe[1]}}) {
                        rw(d, op[0], op[1], buf.address(), 4, off, ++ud);
                        c.addAll(world.submitAndWait(kernel, d, 1));
                    }
                }
                kernel.close(d.ring());
                return new FileWorld.Outcome(c, "");
            } finally {
                NetRing.closeAll(pipe);
            }
        });
        assertThat(o.cqes().getFirst().res()).as("a write to a pipe's read end").isEqualTo(-9);
    }
}
