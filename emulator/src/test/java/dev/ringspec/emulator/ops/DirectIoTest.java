package dev.ringspec.emulator.ops;

import static dev.ringspec.emulator.ops.FileWorld.O_RDONLY;
import static dev.ringspec.emulator.ops.FileWorld.ring;
import static dev.ringspec.emulator.ops.FileWorld.sameOnBoth;
import static dev.ringspec.emulator.ops.RwTest.rw;
import static dev.ringspec.uapi.Errno.EINVAL;
import static dev.ringspec.uapi.Errno.ENOENT;
import static dev.ringspec.uapi.IoUring.IORING_ENTER_SQ_WAKEUP;
import static dev.ringspec.uapi.IoUring.IORING_OP_ASYNC_CANCEL;
import static dev.ringspec.uapi.IoUring.IORING_OP_READ;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_DEFER_TASKRUN;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SINGLE_ISSUER;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SQPOLL;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_TASKRUN_FLAG;
import static dev.ringspec.uapi.IoUring.IORING_SQ_NEED_WAKEUP;
import static dev.ringspec.uapi.IoUring.IORING_SQ_TASKRUN;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ringspec.emulator.EmulatedIoUring;
import dev.ringspec.emulator.EmulatorOptions;
import dev.ringspec.emulator.sys.Linux;
import dev.ringspec.model.KernelProfile;
import dev.ringspec.seam.Cqe;
import dev.ringspec.seam.IoUringKernel;
import dev.ringspec.seam.RingDriver;
import dev.ringspec.seam.UserMemory;
import dev.ringspec.uapi.IoUringParams;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.assertj.core.groups.Tuple;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * O_DIRECT reads of a file on a block device's filesystem, emulator against kernel: the file system queues the bios
 * and answers -EIOCBQUEUED ({@code __iomap_dio_rw}), so the SQE is consumed and the enter returns at once, and the CQE
 * comes later from the bio's completion through task work ({@code io_complete_rw}); ASYNC_CANCEL does not find the
 * read (no io-wq work, no poll: -ENOENT). What is timing (when the disk finishes) is compared only where it cannot
 * decide the outcome: a DEFER_TASKRUN ring posts the CQE only in a GETEVENTS enter, and a read of megabytes takes the
 * disk milliseconds where consuming an SQE takes microseconds. Skipped where the temporary directory is not on ext4,
 * xfs or btrfs (tmpfs completes a direct read inside the call).
 */
@Tag("kernel")
class DirectIoTest {
    private static final int O_DIRECT = 0x4000;
    private static final int BLOCK = 4096;
    private static final int MIB = 1 << 20;

    /** A file of {@code sizeBytes} on disk (written back, so a direct read needs no writeback), open O_DIRECT. */
    private static int directFile(FileWorld world, int sizeBytes) throws IOException {
        StringBuilder content = new StringBuilder(sizeBytes);
        for (int i = 0; content.length() < sizeBytes; i++) {
            content.append((char) ('a' + i % 26));
        }
        int plain = world.file(content.substring(0, sizeBytes), O_RDONLY);
        Path p = world.lastPath();
        assumeTrue(Set.of("ext4", "xfs", "btrfs").contains(Files.getFileStore(p).type()),
                "the temporary directory is on " + Files.getFileStore(p).type() + ", which has no bios to wait for");
        assertThat(Linux.call(Linux.SYS_FSYNC, plain)).isZero();
        return world.open(p, O_RDONLY | O_DIRECT);
    }

    private static MemorySegment aligned(UserMemory memory, int sizeBytes) {
        MemorySegment buf = memory.allocate(sizeBytes + BLOCK);
        return buf.asSlice(((buf.address() + BLOCK - 1) & -BLOCK) - buf.address(), sizeBytes);
    }

    private static RingDriver ringWith(IoUringKernel kernel, UserMemory memory, int entries, int flags) {
        MemorySegment params = memory.allocate(IoUringParams.SIZE_BYTES);
        params.set(JAVA_INT, IoUringParams.FLAGS_OFFSET, flags);
        params.set(JAVA_INT, IoUringParams.SQ_THREAD_IDLE_OFFSET, 2000);
        return new RingDriver(kernel, kernel.setup(entries, params).ringOrNull());
    }

    private static List<Long> visible(RingDriver d, List<Cqe> into) {
        List<Long> seen = new ArrayList<>();
        for (Cqe c = d.reap(); c != null; c = d.reap()) {
            into.add(c);
            seen.add(c.userData());
        }
        return seen;
    }

    /**
     * A direct read and an ASYNC_CANCEL of it on a DEFER_TASKRUN ring with TASKRUN_FLAG: what was visible after the
     * submission, whether IORING_SQ_TASKRUN was raised, what was visible before a wait, and the bytes read.
     */
    private static FileWorld.Outcome readAndCancel(IoUringKernel kernel, UserMemory memory, FileWorld world)
            throws IOException {
        int fd = directFile(world, BLOCK);
        MemorySegment buf = aligned(memory, BLOCK);
        RingDriver d = ringWith(kernel, memory, 8,
                IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_TASKRUN_FLAG);
        rw(d, IORING_OP_READ, fd, buf.address(), BLOCK, 0, 1);
        rw(d, IORING_OP_ASYNC_CANCEL, -1, 1, 0, 0, 2);
        assertThat(d.submit(0, 0)).isEqualTo(2);
        List<Cqe> cqes = new ArrayList<>();
        List<Long> afterSubmit = visible(d, cqes);
        // io_req_local_work_add: the bio's completion raises IORING_SQ_TASKRUN; the CQE waits for GETEVENTS
        long deadline = System.nanoTime() + 10_000_000_000L;
        while ((d.sq().readOnceFlags() & IORING_SQ_TASKRUN) == 0 && System.nanoTime() - deadline < 0) {
            Thread.onSpinWait();
        }
        boolean taskrun = (d.sq().readOnceFlags() & IORING_SQ_TASKRUN) != 0;
        List<Long> beforeWait = visible(d, cqes);
        cqes.addAll(world.reap(kernel, d, 1));
        kernel.close(d.ring());
        return new FileWorld.Outcome(cqes, "after submit " + afterSubmit + ", taskrun raised " + taskrun
                + ", before a wait " + beforeWait + ", read " + FileWorld.text(buf, 6));
    }

    @Test
    void aDirectReadCompletesThroughTaskWorkThatCancellationCannotFind() throws Exception {
        FileWorld.Outcome o = sameOnBoth(DirectIoTest::readAndCancel);
        assertThat(o.effects()).isEqualTo("after submit [2], taskrun raised true, before a wait [], read abcdef");
        assertThat(o.cqes()).extracting(Cqe::userData, Cqe::res).containsExactly(Tuple.tuple(2L, -ENOENT),
                Tuple.tuple(1L, BLOCK));
    }

    /** The deterministic mode has no bio threads: the read runs at issue, its CQE still comes from task work. */
    @Test
    void theDeterministicModeCompletesADirectReadThroughTaskWorkToo() throws Exception {
        FileWorld.Outcome onKernel = sameOnBoth(DirectIoTest::readAndCancel);
        try (UserMemory memory = new UserMemory(); EmulatedIoUring emulator = EmulatedIoUring.open(
                EmulatorOptions.of(KernelProfile.LINUX_6_18).deterministic(7), memory);
                FileWorld world = new FileWorld(memory)) {
            FileWorld.Outcome o = readAndCancel(emulator, memory, world);
            assertThat(o.effects()).isEqualTo(onKernel.effects());
            assertThat(o.cqes()).isEqualTo(onKernel.cqes());
        }
    }

    @Test
    void anEnterThatSubmitsADirectReadReturnsBeforeItsCqe() throws Exception {
        int size = 8 * MIB;
        FileWorld.Outcome o = sameOnBoth((kernel, memory, world) -> {
            int fd = directFile(world, size);
            MemorySegment buf = aligned(memory, size);
            RingDriver d = ring(kernel, memory, 8);
            rw(d, IORING_OP_READ, fd, buf.address(), size, 0, 1);
            assertThat(d.submit(0, 0)).isEqualTo(1);
            List<Cqe> cqes = new ArrayList<>();
            // the disk takes milliseconds for 8 MiB; the enter returned after queueing the bios
            List<Long> afterSubmit = visible(d, cqes);
            if (cqes.isEmpty()) {
                cqes.addAll(world.reap(kernel, d, 1));
            }
            kernel.close(d.ring());
            return new FileWorld.Outcome(cqes, "after submit " + afterSubmit + ", read "
                    + FileWorld.text(buf.asSlice(size - 26), 3));
        });
        assertThat(o.effects()).isEqualTo("after submit [], read " + "abcdefghijklmnopqrstuvwxyz".substring(
                size % 26, size % 26 + 3));
        assertThat(o.cqes()).extracting(Cqe::userData, Cqe::res).containsExactly(Tuple.tuple(1L, size));
    }

    /**
     * An SQPOLL ring's thread consumes direct reads at once ({@code sq.head} moves) and their CQEs come as the disk
     * finishes. Three tries a side: one is enough to see the head move first, where a thread descheduled for the
     * disk's whole time (a loaded machine) would miss it once.
     */
    @Test
    void theSqThreadConsumesDirectReadsBeforeTheyComplete() throws Exception {
        int reads = 4;
        int each = 4 * MIB;
        FileWorld.Outcome o = sameOnBoth((kernel, memory, world) -> {
            int fd = directFile(world, reads * each);
            MemorySegment buf = aligned(memory, reads * each);
            boolean headFirst = false;
            List<Cqe> cqes = new ArrayList<>();
            for (int attempt = 0; attempt < 3 && !headFirst; attempt++) {
                RingDriver d = ringWith(kernel, memory, reads, IORING_SETUP_SQPOLL);
                for (int i = 0; i < reads; i++) {
                    rw(d, IORING_OP_READ, fd, buf.address() + (long) i * each, each, (long) i * each, i + 1);
                }
                int tail = d.sq().readOnceTail() + reads;
                d.sq().storeReleaseTail(tail);
                if ((d.sq().readOnceFlags() & IORING_SQ_NEED_WAKEUP) != 0) {
                    kernel.enter(d.ring(), 0, 0, IORING_ENTER_SQ_WAKEUP, MemorySegment.NULL, 0);
                }
                long deadline = System.nanoTime() + 10_000_000_000L;
                while (d.sq().loadAcquireHead() != tail && System.nanoTime() - deadline < 0) {
                    Thread.onSpinWait();
                }
                headFirst = d.ready() < reads;
                cqes = FileWorld.byUserData(world.reap(kernel, d, reads));
                kernel.close(d.ring());
            }
            return new FileWorld.Outcome(cqes, "head moved before the last CQE " + headFirst + ", read "
                    + FileWorld.text(buf.asSlice((long) reads * each - 26), 3));
        });
        assertThat(o.effects()).startsWith("head moved before the last CQE true");
        assertThat(o.cqes()).extracting(Cqe::res).containsOnly(each).hasSize(reads);
    }

    /**
     * What the kernel answers inside the submission, with no bio: a read from the end of the file (0), and one whose
     * length is not a multiple of the file's direct-I/O alignment (-EINVAL); both CQEs are there when the enter of a
     * DEFER_TASKRUN ring returns.
     */
    @Test
    void aDirectReadWithNoBioAnswersInsideTheSubmission() throws Exception {
        FileWorld.Outcome o = sameOnBoth((kernel, memory, world) -> {
            int fd = directFile(world, BLOCK);
            MemorySegment buf = aligned(memory, 2 * BLOCK);
            RingDriver d = ringWith(kernel, memory, 8, IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN);
            rw(d, IORING_OP_READ, fd, buf.address(), BLOCK, BLOCK, 1);
            rw(d, IORING_OP_READ, fd, buf.address(), 100, 0, 2);
            assertThat(d.submit(0, 0)).isEqualTo(2);
            List<Cqe> cqes = new ArrayList<>();
            List<Long> afterSubmit = visible(d, cqes);
            if (cqes.size() < 2) {
                cqes.addAll(world.reap(kernel, d, 2 - cqes.size()));
            }
            kernel.close(d.ring());
            return new FileWorld.Outcome(FileWorld.byUserData(cqes), "after submit " + afterSubmit);
        });
        assertThat(o.effects()).isEqualTo("after submit [1, 2]");
        assertThat(o.cqes()).extracting(Cqe::userData, Cqe::res).containsExactly(Tuple.tuple(1L, 0),
                Tuple.tuple(2L, -EINVAL));
    }
}
