package dev.ringspec.lockstep;

import static dev.ringspec.uapi.IoUring.IORING_ENTER_GETEVENTS;
import static dev.ringspec.uapi.IoUring.IORING_OP_SPLICE;
import static dev.ringspec.uapi.IoUring.IORING_OP_WRITE;
import static dev.ringspec.uapi.IoUring.IOSQE_ASYNC;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.seam.Cqe;
import dev.ringspec.seam.RingObservation;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Which io-wq work is hashed, emulator against this kernel with real I/O (world lockstep seed 531: a SPLICE into the
 * world's file and a buffered WRITEV of it, the WRITEV's CQE first on the kernel). io_init_req leaves
 * {@code req->file} NULL and only an issue sets it ({@code io_assign_file}), so a forced-async request (a SPLICE,
 * whose prep forces it; IOSQE_ASYNC) reaches {@code io_prep_async_work} without a file and is not hashed, while a
 * buffered write the filesystem refused without blocking (-EAGAIN: no FOP_BUFFER_WASYNC) was issued once and is
 * hashed by its inode (io_uring/io_uring.c, 6.18). Here a SPLICE from the empty pipe into the file waits in its
 * worker; a WRITE of the same file queued after it completes at once on the kernel, where the emulator held it
 * behind the SPLICE as if both were hashed.
 */
@Tag("kernel")
class WorldIoWqHashTest {
    private static final int RUNS = 4;

    @BeforeEach
    void needsIoUring() {
        KernelTests.assumeIoUring();
    }

    /** A SPLICE (user_data 1) from the empty pipe into the file, then a WRITE of the file (user_data 2). */
    private static List<Step> spliceThenWrite(int writeFlags) {
        return List.of(new Step.Setup(4, 0, 0),
                new Step.WriteIo(0, IORING_OP_SPLICE, 0, 0, OutsideWorld.FILE, 0, 16, 0, OutsideWorld.PIPE_READ, 0,
                        0, 1),
                new Step.WriteArray(0, 0),
                new Step.WriteIo(1, IORING_OP_WRITE, writeFlags, 0, OutsideWorld.FILE, 1024, 16, 0, 0, 0, 0, 2),
                new Step.WriteArray(1, 1),
                new Step.PublishTail(2),
                new Step.Enter(2, 0, 0),
                // 100 ms of the world's clock: the kernel's workers are in their calls or done by then
                new Step.Outside(Step.Outside.ADVANCE_CLOCK, 0, 100),
                new Step.Enter(0, 0, IORING_ENTER_GETEVENTS),
                new Step.Outside(Step.Outside.WRITE, OutsideWorld.PIPE_WRITE, 16),
                new Step.Enter(0, 2, IORING_ENTER_GETEVENTS));
    }

    /** The user_data of the CQEs {@code o} shows, in order. */
    private static List<Long> userData(RingObservation o) {
        return WorldLockstepTest.visible(o).stream().map(Cqe::userData).toList();
    }

    /**
     * The buffered WRITE was issued once (-EAGAIN) and went to io-wq hashed by the file's inode; the SPLICE into that
     * file went there without a file, unhashed, so the WRITE does not wait for it: its CQE comes first, before the
     * world writes to the pipe.
     */
    @Test
    void aForcedAsyncSpliceIntoAFileDoesNotHoldBackABufferedWriteOfIt() {
        Map<String, Long> taken = new TreeMap<>();
        RingObservation kernel = WorldLockstepTest.agreesWithTheKernel(spliceThenWrite(0), RUNS, taken);
        assertThat(userData(kernel)).as("the WRITE's CQE, then the SPLICE's").containsExactly(2L, 1L);
        System.out.println("choices taken against the kernel: " + taken);
    }

    /** The same with IOSQE_ASYNC on the WRITE: forced async too, so neither is hashed, and the WRITE goes first. */
    @Test
    void twoForcedAsyncRequestsOfOneFileAreNotHashed() {
        Map<String, Long> taken = new TreeMap<>();
        RingObservation kernel = WorldLockstepTest.agreesWithTheKernel(spliceThenWrite(IOSQE_ASYNC), RUNS, taken);
        assertThat(userData(kernel)).as("the WRITE's CQE, then the SPLICE's").containsExactly(2L, 1L);
        System.out.println("choices taken against the kernel: " + taken);
    }
}
