package dev.ringspec.emulator.ops;

import static dev.ringspec.emulator.ops.FileWorld.O_RDONLY;
import static dev.ringspec.emulator.ops.FileWorld.O_RDWR;
import static dev.ringspec.emulator.ops.FileWorld.byUserData;
import static dev.ringspec.emulator.ops.FileWorld.ring;
import static dev.ringspec.emulator.ops.FileWorld.sameOnBoth;
import static dev.ringspec.emulator.ops.RwTest.rw;
import static dev.ringspec.uapi.IoUring.IORING_FSYNC_DATASYNC;
import static dev.ringspec.uapi.IoUring.IORING_OP_FALLOCATE;
import static dev.ringspec.uapi.IoUring.IORING_OP_FSYNC;
import static dev.ringspec.uapi.IoUring.IORING_OP_SYNC_FILE_RANGE;
import static dev.ringspec.uapi.IoUring.IOSQE_ASYNC;
import static dev.ringspec.uapi.IoUring.IOSQE_IO_LINK;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.seam.Cqe;
import dev.ringspec.seam.RingDriver;
import dev.ringspec.seam.Sqe;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** sync.c's opcodes on the emulator against the kernel: the same CQEs and the same file sizes. */
@Tag("kernel")
class SyncTest {
    /** {@code SYNC_FILE_RANGE_WRITE}. */
    static final int SYNC_FILE_RANGE_WRITE = 2;

    /** A sync SQE: {@code fd}, {@code off}, {@code len}, {@code addr}, and the opcode's flags. */
    static long sync(RingDriver d, int opcode, int fd, long off, int len, long addr, int flags, long userData) {
        long at = rw(d, opcode, fd, addr, len, off, userData);
        Sqe.opFlags(d.sqes(), at, flags);
        return at;
    }

    @Test
    void fsyncAndDatasyncOfAFileSucceedAndPrepRefusesWhatItMust() throws Exception {
        FileWorld.Outcome o = sameOnBoth((kernel, memory, world) -> {
            int fd = world.file("some data", O_RDWR);
            RingDriver d = ring(kernel, memory, 16);
            sync(d, IORING_OP_FSYNC, fd, 0, 0, 0, 0, 1);
            sync(d, IORING_OP_FSYNC, fd, 0, 4, 0, IORING_FSYNC_DATASYNC, 2);
            long at = sync(d, IORING_OP_FSYNC, fd, 0, 0, 0, 0, 3);
            Sqe.flags(d.sqes(), at, IOSQE_ASYNC);
            List<Cqe> ok = world.submitAndWait(kernel, d, 3);
            sync(d, IORING_OP_FSYNC, fd, 0, 0, 8, 0, 4);
            sync(d, IORING_OP_FSYNC, fd, 0, 0, 0, 2, 5);
            sync(d, IORING_OP_FSYNC, fd, -1, 0, 0, 0, 6);
            at = sync(d, IORING_OP_FSYNC, fd, 0, 0, 0, 0, 7);
            Sqe.bufIndex(d.sqes(), at, 1);
            at = sync(d, IORING_OP_FSYNC, fd, 0, 0, 0, 0, 8);
            Sqe.fileIndex(d.sqes(), at, 1);
            sync(d, IORING_OP_FSYNC, 9999, 0, 0, 0, 0, 9);
            List<Cqe> bad = world.submitAndWait(kernel, d, 6);
            kernel.close(d.ring());
            return new FileWorld.Outcome(concat(byUserData(ok), byUserData(bad)), "");
        });
        assertThat(o.cqes().subList(0, 3)).extracting(Cqe::res).containsOnly(0);
        assertThat(o.cqes().subList(3, 9)).extracting(Cqe::res).allMatch(res -> res < 0);
    }

    @Test
    void aFailedFsyncDoesNotBreakItsLink() throws Exception {
        FileWorld.Outcome o = sameOnBoth((kernel, memory, world) -> {
            int[] p = world.pipe();
            RingDriver d = ring(kernel, memory, 8);
            long at = sync(d, IORING_OP_FSYNC, p[0], 0, 0, 0, 0, 1);
            Sqe.flags(d.sqes(), at, IOSQE_IO_LINK);
            at = d.nextSqe();
            Sqe.prepNop(d.sqes(), at, 2);
            return new FileWorld.Outcome(world.finish(kernel, d, 2), "");
        });
        assertThat(o.cqes().get(0).res()).isNegative();
        assertThat(o.cqes().get(1).userData()).isEqualTo(2);
    }

    @Test
    void syncFileRangeSyncsARangeAndAnswersTheKernelsErrnos() throws Exception {
        sameOnBoth((kernel, memory, world) -> {
            int fd = world.file("0123456789", O_RDWR);
            int[] p = world.pipe();
            RingDriver d = ring(kernel, memory, 16);
            sync(d, IORING_OP_SYNC_FILE_RANGE, fd, 0, 10, 0, SYNC_FILE_RANGE_WRITE, 1);
            sync(d, IORING_OP_SYNC_FILE_RANGE, fd, 0, 0, 0, 0, 2);
            sync(d, IORING_OP_SYNC_FILE_RANGE, fd, 0, 10, 0, 0x100, 3);
            sync(d, IORING_OP_SYNC_FILE_RANGE, fd, -5, 10, 0, SYNC_FILE_RANGE_WRITE, 4);
            sync(d, IORING_OP_SYNC_FILE_RANGE, fd, 0, 10, 4, SYNC_FILE_RANGE_WRITE, 5);
            sync(d, IORING_OP_SYNC_FILE_RANGE, p[0], 0, 10, 0, SYNC_FILE_RANGE_WRITE, 6);
            sync(d, IORING_OP_SYNC_FILE_RANGE, 9999, 0, 10, 0, SYNC_FILE_RANGE_WRITE, 7);
            return new FileWorld.Outcome(world.finishInAnyOrder(kernel, d, 7), "");
        });
    }

    @Test
    void fallocateGrowsTheFileAndAnswersTheKernelsErrnos() throws Exception {
        FileWorld.Outcome o = sameOnBoth((kernel, memory, world) -> {
            int ro = world.file("", O_RDONLY);
            int fd = world.file("abc", O_RDWR);
            RingDriver d = ring(kernel, memory, 16);
            // FALLOCATE: off in off, length in addr, mode in len
            sync(d, IORING_OP_FALLOCATE, fd, 0, 0, 8192, 0, 1);
            List<Cqe> cqes = new ArrayList<>(world.submitAndWait(kernel, d, 1));
            long size = Files.size(world.lastPath());
            sync(d, IORING_OP_FALLOCATE, fd, 0, 0, -1, 0, 2);
            sync(d, IORING_OP_FALLOCATE, fd, 0, 0x7fff_ffff, 4096, 0, 3);
            sync(d, IORING_OP_FALLOCATE, fd, 0, 0, 4096, 1, 4);
            sync(d, IORING_OP_FALLOCATE, ro, 0, 0, 4096, 0, 5);
            long at = sync(d, IORING_OP_FALLOCATE, fd, 0, 0, 4096, 0, 6);
            Sqe.bufIndex(d.sqes(), at, 2);
            cqes.addAll(byUserData(world.submitAndWait(kernel, d, 5)));
            kernel.close(d.ring());
            return new FileWorld.Outcome(cqes, "size " + size);
        });
        assertThat(o.cqes().getFirst().res()).isZero();
        assertThat(o.effects()).isEqualTo("size 8192");
    }

    static List<Cqe> concat(List<Cqe> a, List<Cqe> b) {
        List<Cqe> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }
}
