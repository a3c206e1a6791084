package dev.ringspec.emulator.ops;

import static dev.ringspec.uapi.IoUring.IORING_OP_READ;
import static dev.ringspec.uapi.IoUring.IORING_OP_SPLICE;
import static dev.ringspec.uapi.IoUring.IORING_OP_TEE;
import static dev.ringspec.uapi.IoUring.IORING_OP_WRITE;
import static dev.ringspec.uapi.IoUring.IOSQE_FIXED_FILE;
import static dev.ringspec.uapi.IoUring.IOSQE_IO_DRAIN;
import static dev.ringspec.uapi.IoUring.IOSQE_IO_LINK;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.emulator.BothSides;
import dev.ringspec.seam.Cqe;
import dev.ringspec.seam.Sqe;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** SPLICE and TEE (io_uring/splice.c) through {@link Splice}, on the emulator against this machine's kernel. */
@Tag("kernel")
class SpliceTest {

    private static long splice(RingScenario s, int opcode, int in, int out, int len, long userData) {
        long at = s.sqe(opcode, out, userData);
        Sqe.fileIndex(s.d.sqes(), at, in);
        Sqe.len(s.d.sqes(), at, len);
        if (opcode == IORING_OP_SPLICE) {
            Sqe.addr(s.d.sqes(), at, -1);
            Sqe.off(s.d.sqes(), at, -1);
        }
        return at;
    }

    @Test
    void teeCopiesAndSpliceMovesBetweenPipes() throws Exception {
        List<Cqe> cqes = BothSides.sameOnBoth((k, m) -> {
            try (RingScenario s = new RingScenario(k, m, 8)) {
                int[] a = s.pipe();
                int[] b = s.pipe();
                int[] c = s.pipe();
                s.write(a[1], "spliced!");
                // TEE a -> b leaves a's bytes; SPLICE a -> c moves 5 of them; c's READ gets those
                long at = splice(s, IORING_OP_TEE, a[0], b[1], 8, 1);
                Sqe.flags(s.d.sqes(), at, IOSQE_IO_LINK);
                at = splice(s, IORING_OP_SPLICE, a[0], c[1], 5, 2);
                Sqe.flags(s.d.sqes(), at, IOSQE_IO_LINK);
                MemorySegment got = m.allocate(16);
                at = s.sqe(IORING_OP_READ, c[0], 3);
                Sqe.addr(s.d.sqes(), at, got.address());
                Sqe.len(s.d.sqes(), at, 16);
                List<Cqe> out = new ArrayList<>(s.submitAndAwait(3));
                out.addAll(RingScenario.data(got));
                return out;
            }
        });
        assertThat(cqes.stream().filter(c -> c.userData() <= 3).map(Cqe::res)).containsExactlyInAnyOrder(8, 5, 5);
    }

    @Test
    void badFlagsOffsetsAndDescriptorsAreTheKernelsErrors() throws Exception {
        BothSides.sameOnBoth((k, m) -> {
            try (RingScenario s = new RingScenario(k, m, 8)) {
                int[] a = s.pipe();
                int[] b = s.pipe();
                s.write(a[1], "x");
                // an unknown splice flag; an offset on TEE; an input that is not open; an offset on a pipe
                long at = splice(s, IORING_OP_SPLICE, a[0], b[1], 1, 1);
                Sqe.opFlags(s.d.sqes(), at, 0x10);
                at = splice(s, IORING_OP_TEE, a[0], b[1], 1, 2);
                Sqe.off(s.d.sqes(), at, 4);
                splice(s, IORING_OP_SPLICE, 999, b[1], 1, 3);
                at = splice(s, IORING_OP_SPLICE, a[0], b[1], 1, 4);
                Sqe.addr(s.d.sqes(), at, 0);
                // a length of 0 moves nothing and succeeds, but still takes its input (found by the SQE fuzz)
                splice(s, IORING_OP_SPLICE, a[0], b[1], 0, 5);
                splice(s, IORING_OP_SPLICE, 999, b[1], 0, 6);
                splice(s, IORING_OP_TEE, 999, b[1], 0, 7);
                return s.submitAndAwait(7);
            }
        });
    }

    @Test
    void aLengthOfZeroStillNeedsItsOutputFile() throws Exception {
        // io_wq_submit_work's io_assign_file: an output that names nothing -> -EBADF, even with nothing to move (the
        // SQE fuzz: an emulator worker answered 0); a drained one, a fixed slot of no table, and a TEE alike
        BothSides.sameOnBoth((k, m) -> {
            try (RingScenario s = new RingScenario(k, m, 8)) {
                int[] a = s.pipe();
                // one at a time: io-wq's workers complete requests submitted together in an order of their own
                List<Cqe> cqes = new ArrayList<>();
                splice(s, IORING_OP_SPLICE, a[0], -1, 0, 1);
                cqes.addAll(s.submitAndAwait(1));
                long at = splice(s, IORING_OP_SPLICE, a[0], -1, 0, 2);
                Sqe.flags(s.d.sqes(), at, IOSQE_IO_DRAIN);
                cqes.addAll(s.submitAndAwait(1));
                at = splice(s, IORING_OP_SPLICE, a[0], 9, 0, 3);
                Sqe.flags(s.d.sqes(), at, IOSQE_FIXED_FILE);
                cqes.addAll(s.submitAndAwait(1));
                splice(s, IORING_OP_TEE, a[0], -1, 0, 4);
                cqes.addAll(s.submitAndAwait(1));
                return cqes;
            }
        });
    }

    /**
     * splice(2) clears FMODE_NOWAIT on each pipe it is handed (pipe_clear_nowait in __do_splice, even where it then
     * answers -ESPIPE); io_uring's SPLICE calls do_splice and leaves it. So after SPLICEs between pipes, a READ or a
     * WRITE with RWF_NOWAIT on those pipes still moves bytes (found by the 1M fuzz: the emulator answered -EOPNOTSUPP
     * there, the kernel -EFAULT for a buffer at address 0).
     */
    @Test
    void spliceLeavesItsPipesOpenToNowaitTransfers() throws Exception {
        List<Cqe> cqes = BothSides.sameOnBoth((k, m) -> {
            try (RingScenario s = new RingScenario(k, m, 8)) {
                int[] a = s.pipe();
                int[] b = s.pipe();
                int[] c = s.pipe();
                int[] d = s.pipe();
                s.write(a[1], "abcdef");
                s.write(c[1], "ghij");
                List<Cqe> out = new ArrayList<>();
                // a -> b moves 2 bytes; c -> d with an output offset is -ESPIPE (one at a time: io-wq's order)
                splice(s, IORING_OP_SPLICE, a[0], b[1], 2, 1);
                out.addAll(s.submitAndAwait(1));
                long at = splice(s, IORING_OP_SPLICE, c[0], d[1], 2, 2);
                Sqe.off(s.d.sqes(), at, 5);
                out.addAll(s.submitAndAwait(1));
                MemorySegment got = m.allocate(32);
                long ud = 2;
                for (int[] end : new int[][] {{a[0], 0}, {b[0], 8}, {c[0], 16}, {b[1], 24}, {d[1], 24}}) {
                    boolean write = end[0] == b[1] || end[0] == d[1];
                    at = s.sqe(write ? IORING_OP_WRITE : IORING_OP_READ, end[0], ++ud);
                    Sqe.addr(s.d.sqes(), at, got.address() + end[1]);
                    Sqe.len(s.d.sqes(), at, write ? 2 : 8);
                    Sqe.opFlags(s.d.sqes(), at, Rw.RWF_NOWAIT);
                    out.addAll(s.submitAndAwait(1));
                }
                out.addAll(RingScenario.data(got));
                return out;
            }
        });
        assertThat(cqes.stream().filter(c -> c.userData() <= 7).map(Cqe::res))
                .as("the splices, then the NOWAIT reads of a, b, c and writes to b and d").containsExactly(2, -29, 4, 2,
                        4, 2, 2);
    }
}
