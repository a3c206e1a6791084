package dev.ringspec.emulator.ops;

import static dev.ringspec.emulator.ops.FileWorld.O_RDONLY;
import static dev.ringspec.emulator.ops.FileWorld.O_WRONLY;
import static dev.ringspec.emulator.ops.FileWorld.sameOnBoth;
import static dev.ringspec.emulator.ops.RwTest.rw;
import static dev.ringspec.uapi.Errno.EOPNOTSUPP;
import static dev.ringspec.uapi.IoUring.IORING_ENTER_GETEVENTS;
import static dev.ringspec.uapi.IoUring.IORING_OP_NOP;
import static dev.ringspec.uapi.IoUring.IORING_OP_READ;
import static dev.ringspec.uapi.IoUring.IORING_OP_WRITE;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_IOPOLL;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.seam.Cqe;
import dev.ringspec.seam.IoUringKernel;
import dev.ringspec.seam.RingDriver;
import dev.ringspec.seam.Sqe;
import dev.ringspec.seam.UserMemory;
import dev.ringspec.uapi.IoUringParams;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import org.assertj.core.groups.Tuple;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Reads on an IOPOLL ring, emulator against kernel ({@code io_rw_init_file}, {@code io_iopoll_req_issued},
 * {@code io_iopoll_check}): a file that does not poll its completions (a pipe, a buffered file) answers -EOPNOTSUPP
 * in its CQE at submission; an O_DIRECT read of a file that polls (ext4, xfs, btrfs, a block device) posts its CQE
 * only when a GETEVENTS enter polls, so a submission without GETEVENTS leaves the CQ empty. The kernel's poll may
 * give up before the device is done, when the task should reschedule, and answer 0 without it: it is polled again.
 * Where the temporary directory's filesystem has no iopoll (tmpfs), or its disk's queue does not poll (this
 * machine's virtio disk), the read answers -EOPNOTSUPP on both sides.
 */
@Tag("kernel")
class IopollRwTest {
    private static final int O_DIRECT = 0x4000;
    private static final int BLOCK = 4096;

    private static RingDriver iopollRing(IoUringKernel kernel, UserMemory memory) {
        MemorySegment params = memory.allocate(IoUringParams.SIZE_BYTES);
        params.set(JAVA_INT, IoUringParams.FLAGS_OFFSET, IORING_SETUP_IOPOLL);
        return new RingDriver(kernel, kernel.setup(8, params).ringOrNull());
    }

    private static List<Cqe> reapAll(RingDriver d) {
        List<Cqe> cqes = new ArrayList<>();
        for (Cqe c = d.reap(); c != null; c = d.reap()) {
            cqes.add(c);
        }
        return cqes;
    }

    @Test
    void aFileThatCannotPollAnswersEopnotsuppAtSubmission() throws Exception {
        FileWorld.Outcome o = sameOnBoth((kernel, memory, world) -> {
            int[] pipe = world.pipe();
            FileWorld.write(pipe[1], "x");
            int buffered = world.file("buffered", O_RDONLY);
            MemorySegment buf = memory.allocate(16);
            RingDriver d = iopollRing(kernel, memory);
            rw(d, IORING_OP_READ, pipe[0], buf.address(), 1, 0, 1);
            rw(d, IORING_OP_READ, buffered, buf.address(), 4, 0, 2);
            assertThat(d.submit(0, 0)).isEqualTo(2);
            List<Cqe> cqes = reapAll(d);
            kernel.close(d.ring());
            return new FileWorld.Outcome(cqes, "");
        });
        assertThat(o.cqes()).extracting(Cqe::userData).containsExactly(1L, 2L);
        assertThat(o.cqes()).extracting(Cqe::res).containsOnly(-EOPNOTSUPP);
    }

    @Test
    void anODirectReadWaitsOnTheIopollListUntilGeteventsPolls() throws Exception {
        String content = "polled".repeat(BLOCK / 6 + 1).substring(0, BLOCK);
        FileWorld.Outcome o = sameOnBoth((kernel, memory, world) -> {
            world.file(content, O_RDONLY);
            int direct = world.open(world.lastPath(), O_RDONLY | O_DIRECT);
            MemorySegment buf = memory.allocate(2 * BLOCK);
            long aligned = (buf.address() + BLOCK - 1) & -BLOCK;
            RingDriver d = iopollRing(kernel, memory);
            rw(d, IORING_OP_READ, direct, aligned, BLOCK, 0, 7);
            long nop = d.nextSqe();
            Sqe.prepNop(d.sqes(), nop, 8);
            Sqe.opcode(d.sqes(), nop, IORING_OP_NOP);
            assertThat(d.submit(0, 0)).isEqualTo(2);
            List<Cqe> cqes = reapAll(d);
            String before = "visible before a poll: " + cqes.stream().map(Cqe::userData).toList();
            // io_iopoll_check spins on the device until the read completes or the task should reschedule: a
            // kernel under load may answer 0 before the CQE is there, so poll again (each answers 0)
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (cqes.size() < 2 && System.nanoTime() - deadline < 0) {
                assertThat(kernel.enter(d.ring(), 0, 1, IORING_ENTER_GETEVENTS, MemorySegment.NULL, 0)).isZero();
                cqes.addAll(reapAll(d));
            }
            kernel.close(d.ring());
            Cqe read = cqes.stream().filter(c -> c.userData() == 7).findFirst().orElseThrow();
            if (read.res() == -EOPNOTSUPP) {
                // refused: at submission, or (a choice point of the kernel's) when polled
                return new FileWorld.Outcome(FileWorld.byUserData(cqes), "refused");
            }
            return new FileWorld.Outcome(cqes, before + "; read " + FileWorld.text(buf.asSlice(aligned
                    - buf.address()), Math.min(read.res(), 6)));
        });
        if (o.effects().equals("refused")) {
            // no iopoll in the temporary directory's filesystem (tmpfs), or a disk queue that does not poll (a
            // virtio disk without poll queues, as on this machine): -EOPNOTSUPP on both sides
            assertThat(o.cqes()).extracting(Cqe::userData, Cqe::res).containsExactly(Tuple.tuple(7L, -EOPNOTSUPP),
                    Tuple.tuple(8L, 0));
            return;
        }
        assertThat(o.effects()).isEqualTo("visible before a poll: [8]; read polled");
        assertThat(o.cqes()).extracting(Cqe::userData, Cqe::res).containsExactly(Tuple.tuple(8L, 0),
                Tuple.tuple(7L, BLOCK));
    }

    /**
     * liburing's 500f9fbadef8: O_DIRECT writes that grow a new file are not polled ({@code iomap_dio_bio_iter} clears
     * IOCB_HIPRI for a write from the end of the file on), so they succeed on a disk whose queue does not poll, and
     * their CQEs wait for a poll like any on the iopoll list. (An overwrite of the first block right after was
     * answered 4096 by this kernel too, where the emulator answers -EOPNOTSUPP: not understood, not compared.)
     */
    @Test
    void anODirectWriteFromTheEndOfTheFileIsNotPolled() throws Exception {
        String content = "grown".repeat(BLOCK / 5 + 1).substring(0, BLOCK);
        FileWorld.Outcome o = sameOnBoth((kernel, memory, world) -> {
            world.file("", O_WRONLY);
            int direct = world.open(world.lastPath(), O_WRONLY | O_DIRECT);
            MemorySegment buf = memory.allocate(2 * BLOCK);
            long aligned = (buf.address() + BLOCK - 1) & -BLOCK;
            buf.asSlice(aligned - buf.address(), BLOCK).copyFrom(MemorySegment.ofArray(content.getBytes()));
            RingDriver d = iopollRing(kernel, memory);
            List<Cqe> cqes = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                rw(d, IORING_OP_WRITE, direct, aligned, BLOCK, (long) i * BLOCK, i + 1);
                assertThat(d.submit(0, 0)).isEqualTo(1);
                long deadline = System.nanoTime() + 10_000_000_000L;
                int want = i + 1;
                cqes.addAll(reapAll(d));
                while (cqes.size() < want && System.nanoTime() - deadline < 0) {
                    assertThat(kernel.enter(d.ring(), 0, 1, IORING_ENTER_GETEVENTS, MemorySegment.NULL, 0)).isZero();
                    cqes.addAll(reapAll(d));
                }
            }
            kernel.close(d.ring());
            return new FileWorld.Outcome(cqes, "size " + java.nio.file.Files.size(world.lastPath()));
        });
        assertThat(o.cqes()).extracting(Cqe::userData, Cqe::res).containsExactly(Tuple.tuple(1L, BLOCK),
                Tuple.tuple(2L, BLOCK));
        assertThat(o.effects()).isEqualTo("size " + 2 * BLOCK);
    }
}
