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

    /** Which descriptor of the scenario an SQE names. */
    private enum Target { FILE, PIPE_READ, PIPE_WRITE }

    /**
     * One SQE at a time, on both sides, for every flags in {@code flags}, offset in {@code offsets} and
     * (opcode, target) in {@code ops}, of {@code len} bytes: the CQEs in that order.
     */
    private static List<Cqe> eachAlone(int[] flags, long[] offsets, int len, Object[][] ops) throws Exception {
        return sameOnBoth((kernel, memory, world) -> {
            int file = world.file(TEXT, O_RDONLY);
            int[] pipe = NetTest.pipe();
            MemorySegment buf = memory.allocate(16);
            try {
                RingDriver d = ring(kernel, memory, 8);
                List<Cqe> c = new ArrayList<>();
                long ud = 0;
                for (int f : flags) {
                    for (long off : offsets) {
                        for (Object[] op : ops) {
                            int fd = switch ((Target) op[1]) {
                                case FILE -> file;
                                case PIPE_READ -> pipe[0];
                                case PIPE_WRITE -> pipe[1];
                            };
                            long at = rw(d, (Integer) op[0], fd, buf.address(), len, off, ++ud);
                            Sqe.opFlags(d.sqes(), at, f);
                            c.addAll(world.submitAndWait(kernel, d, 1));
                        }
                    }
                }
                kernel.close(d.ring());
                return new FileWorld.Outcome(c, world.contents());
            } finally {
                NetRing.closeAll(pipe);
            }
        }).cqes();
    }

    @Test
    void aTransferOfNoBytesStillHasItsFlagsChecked() throws Exception {
        List<Cqe> cqes = eachAlone(new int[] {0, RWF_NOWAIT, RWF_APPEND | RWF_NOAPPEND, RWF_ATOMIC, RWF_DONTCACHE,
            RWF_DONTCACHE | RWF_NOWAIT}, new long[] {0}, 0, new Object[][] {{IORING_OP_READV, Target.FILE},
                {IORING_OP_READ, Target.FILE}, {IORING_OP_READV, Target.PIPE_READ},
                {IORING_OP_WRITEV, Target.PIPE_WRITE}, {IORING_OP_WRITE, Target.PIPE_WRITE}});
        // a pipe has no FOP_DONTCACHE: -EOPNOTSUPP, though no byte was to move
        assertThat(cqes.get(4 * 5 + 2).res()).isEqualTo(-95);
    }

    /** kiocb_set_rw_flags before io_rw_init_file's RWF_HIPRI check, and before rw_verify_area's of the offset. */
    @Test
    void theFlagsFilesRefuseComeBeforeHipriAndTheOffset() throws Exception {
        List<Cqe> cqes = eachAlone(new int[] {RWF_HIPRI | RWF_ATOMIC, RWF_HIPRI | RWF_DONTCACHE,
            RWF_HIPRI | RWF_APPEND | RWF_NOAPPEND, RWF_HIPRI, RWF_ATOMIC, RWF_DONTCACHE}, new long[] {0, -2}, 4,
                new Object[][] {{IORING_OP_READ, Target.FILE}, {IORING_OP_WRITE, Target.PIPE_WRITE},
                    {IORING_OP_READ, Target.PIPE_READ}});
        assertThat(cqes.get(1).res()).as("ATOMIC on a pipe before HIPRI").isEqualTo(-95);
    }

    @Test
    void aNegativeOffsetOnTheWrongEndIsEbadf() throws Exception {
        List<Cqe> cqes = eachAlone(new int[] {0}, new long[] {0x8060_0000_0000_0000L, -2, 0}, 4, new Object[][] {
            {IORING_OP_WRITE, Target.PIPE_READ}, {IORING_OP_READ, Target.PIPE_WRITE},
            {IORING_OP_WRITE, Target.PIPE_WRITE}});
        assertThat(cqes.getFirst().res()).as("a write to a pipe's read end").isEqualTo(-9);
    }
}
