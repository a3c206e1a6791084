package dev.ringspec.emulator.ops;

import static dev.ringspec.emulator.ops.FileWorld.O_RDWR;
import static dev.ringspec.emulator.ops.FileWorld.ring;
import static dev.ringspec.uapi.IoUring.IORING_OP_SPLICE;
import static dev.ringspec.uapi.IoUring.IORING_OP_WRITE;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.emulator.BothSides;
import dev.ringspec.emulator.EmulatedIoUring;
import dev.ringspec.emulator.EmulatorOptions;
import dev.ringspec.model.KernelProfile;
import dev.ringspec.seam.Cqe;
import dev.ringspec.seam.IoUringKernel;
import dev.ringspec.seam.RingDriver;
import dev.ringspec.seam.Sqe;
import dev.ringspec.seam.UserMemory;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * io-wq's hashed work ({@link IoWqHash}): buffered writes to one regular file on a filesystem without
 * FOP_BUFFER_WASYNC (ext4, tmpfs) are issued once, answer -EAGAIN and go to io-wq with their file, where
 * io_uring.c {@code io_prep_async_work} hashes them by the inode and io-wq.c {@code io_get_next_work} runs a hash's
 * items one at a time, in queue order; so of writes that overlap, the last one queued is what the file holds. On the
 * kernel and on the emulator, over many writes large enough that concurrent workers would finish out of order.
 * (Forced-async writes, IOSQE_ASYNC, reach io-wq before any issue set their file and are not hashed: this kernel
 * left an earlier write's bytes last twice in the last session's module runs while this test used them, none in 40
 * runs of each case at load 10; the emulator's threads, in several of those 40.)
 */
@Tag("kernel")
class IoWqHashTest {
    /** Writes in one submission; each a letter of its own over the same range at offset 0. */
    private static final int WRITES = 24;
    private static final int BYTES = 256 * 1024;
    /** Runs of each case; 40 of each at load 10 (2026-11-27) left every kernel file with its last write's bytes. */
    private static final int RUNS = 5;

    /** {@code count} buffered WRITEs of {@code BYTES} at offset 0 of {@code fds[i % fds.length]}, in one submit. */
    private static List<Cqe> writeAll(IoUringKernel kernel, UserMemory memory, FileWorld world, int... fds) {
        RingDriver d = ring(kernel, memory, 32);
        for (int i = 0; i < WRITES; i++) {
            MemorySegment buf = memory.allocate(BYTES);
            buf.fill((byte) ('a' + i));
            long at = d.nextSqe();
            Sqe.clear(d.sqes(), at, 64);
            Sqe.opcode(d.sqes(), at, IORING_OP_WRITE);
            Sqe.fd(d.sqes(), at, fds[i % fds.length]);
            Sqe.addr(d.sqes(), at, buf.address());
            Sqe.len(d.sqes(), at, BYTES);
            Sqe.userData(d.sqes(), at, i);
        }
        return world.finish(kernel, d, WRITES);
    }

    /** The distinct letters of {@code p}'s bytes, in file order (one letter: one write left its bytes everywhere). */
    private static String letters(Path p) throws Exception {
        StringBuilder seen = new StringBuilder();
        for (byte b : Files.readAllBytes(p)) {
            if (seen.isEmpty() || seen.charAt(seen.length() - 1) != (char) b) {
                seen.append((char) b);
            }
        }
        return seen.toString();
    }

    @Test
    void bufferedWritesOfOneFileRunInTurnAndTheLastOneWins() throws Exception {
        String last = String.valueOf((char) ('a' + WRITES - 1));
        for (int run = 0; run < RUNS; run++) {
            List<String> effects = new ArrayList<>();
            List<Cqe> cqes = BothSides.sameOnBoth((kernel, memory) -> {
                try (FileWorld world = new FileWorld(memory)) {
                    int fd = world.file("", O_RDWR);
                    // by user_data: the CQEs' order is not compared; the file's bytes show the order the writes ran in
                    List<Cqe> posted = FileWorld.byUserData(writeAll(kernel, memory, world, fd));
                    effects.add(letters(world.lastPath()));
                    return posted;
                }
            });
            assertThat(cqes).extracting(Cqe::res).containsOnly(BYTES);
            assertThat(effects).as("run %d: the kernel's file, the emulator's", run).containsExactly(last, last);
        }
    }

    @Test
    void eachFilesWritesKeepTheirOrderWhenTwoFilesInterleave() throws Exception {
        String last = "" + (char) ('a' + WRITES - 2) + (char) ('a' + WRITES - 1);
        for (int run = 0; run < RUNS; run++) {
            List<String> effects = new ArrayList<>();
            List<Cqe> cqes = BothSides.sameOnBoth((kernel, memory) -> {
                try (FileWorld world = new FileWorld(memory)) {
                    int first = world.file("", O_RDWR);
                    Path firstPath = world.lastPath();
                    int second = world.file("", O_RDWR);
                    List<Cqe> posted = FileWorld.byUserData(writeAll(kernel, memory, world, first, second));
                    // each file's last write wins: its writes ran in turn
                    effects.add(letters(firstPath) + letters(world.lastPath()));
                    return posted;
                }
            });
            assertThat(cqes).extracting(Cqe::res).containsOnly(BYTES);
            assertThat(effects).as("run %d: the kernel's files, the emulator's", run).containsExactly(last, last);
        }
    }

    /**
     * Two SPLICEs from two pipes into one regular file, each forced to io-wq by its prep, in one submission; only the
     * second's pipe gets bytes. Both are writes of one inode (SPLICE has hash_reg_file), but neither has its file when
     * it is queued ({@link dev.ringspec.model.Req#fileAssigned}), so neither is hashed: the second runs while the first
     * still waits in its worker for bytes that come only after. Were they hashed, the second would wait behind the
     * first and the first CQE never come (world lockstep seed 174).
     */
    private static final BothSides.Scenario TWO_SPLICES = (kernel, memory) -> {
        try (FileWorld world = new FileWorld(memory); NetRing r = new NetRing(kernel, memory)) {
            int file = world.file("", O_RDWR);
            int[] first = world.pipe();
            int[] second = world.pipe();
            r.fileIndex(r.sqe(IORING_OP_SPLICE, file, 0, -1, 8, 0, 1), first[0]);
            r.fileIndex(r.sqe(IORING_OP_SPLICE, file, 100, -1, 8, 0, 2), second[0]);
            r.submit();
            FileWorld.write(second[1], "abcdefgh");
            List<Cqe> cqes = new ArrayList<>(r.await(1));
            FileWorld.write(first[1], "12345678");
            cqes.addAll(r.await(1));
            return cqes;
        }
    };

    @Test
    void forcedAsyncSplicesIntoOneFileAreNotHashed() throws Exception {
        List<Cqe> expected = List.of(new Cqe(2, 8, 0, 0, 0), new Cqe(1, 8, 0, 0, 0));
        assertThat(BothSides.sameOnBoth(TWO_SPLICES)).as("the kernel, then the emulator with worker threads")
                .isEqualTo(expected);
        try (UserMemory memory = new UserMemory(); EmulatedIoUring deterministic = EmulatedIoUring.open(
                EmulatorOptions.of(KernelProfile.LINUX_6_18).deterministic(1), memory)) {
            assertThat(TWO_SPLICES.run(deterministic, memory)).as("the deterministic emulator").isEqualTo(expected);
        }
    }
}
