package dev.ringspec.emulator.ops;

import static dev.ringspec.emulator.ops.FileWorld.O_RDONLY;
import static dev.ringspec.emulator.ops.FileWorld.ring;
import static dev.ringspec.emulator.ops.FileWorld.sameOnBoth;
import static dev.ringspec.emulator.ops.RwTest.rw;
import static dev.ringspec.uapi.IoUring.IORING_OP_FADVISE;
import static dev.ringspec.uapi.IoUring.IORING_OP_MADVISE;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.seam.Cqe;
import dev.ringspec.seam.RingDriver;
import dev.ringspec.seam.Sqe;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** advise.c's FADVISE and MADVISE on the emulator against the kernel: the same CQEs for good and bad advice. */
@Tag("kernel")
class AdviseTest {
    static final int POSIX_FADV_SEQUENTIAL = 2;
    static final int POSIX_FADV_WILLNEED = 3;
    static final int MADV_WILLNEED = 3;
    static final int MADV_DONTNEED = 4;

    private static void advise(RingDriver d, int opcode, int fd, long addr, int len, long off, int advice, long ud) {
        long at = rw(d, opcode, fd, addr, len, off, ud);
        Sqe.opFlags(d.sqes(), at, advice);
    }

    @Test
    void adviceOnAFileAndOnMemoryAnswersAsTheKernel() throws Exception {
        FileWorld.Outcome o = sameOnBoth((kernel, memory, world) -> {
            int fd = world.file("some bytes to advise on", O_RDONLY);
            MemorySegment pages = memory.allocate(8192, 4096);
            RingDriver d = ring(kernel, memory, 8);
            advise(d, IORING_OP_FADVISE, fd, 0, 0, 0, POSIX_FADV_SEQUENTIAL, 1);
            advise(d, IORING_OP_FADVISE, fd, 0, 4096, 0, POSIX_FADV_WILLNEED, 2);
            advise(d, IORING_OP_FADVISE, fd, 0, 0, 0, 99, 3);
            advise(d, IORING_OP_MADVISE, 0, pages.address(), 8192, 0, MADV_WILLNEED, 4);
            advise(d, IORING_OP_MADVISE, 0, pages.address() + 1, 8192, 0, MADV_DONTNEED, 5);
            advise(d, IORING_OP_MADVISE, 0, pages.address(), 8192, 0, 12345, 6);
            return new FileWorld.Outcome(world.finishInAnyOrder(kernel, d, 6), "");
        });
        // the kernel's answers, which the emulator's matched: good advice 0, bad advice and a misaligned range not
        assertThat(o.cqes()).extracting(Cqe::res).startsWith(0, 0).doesNotContainNull();
        assertThat(o.cqes().get(2).res()).isNegative();
        assertThat(o.cqes().get(3).res()).isZero();
        assertThat(o.cqes().get(4).res()).isNegative();
    }
}
