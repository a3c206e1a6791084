package dev.ringspec.lockstep;

import static dev.ringspec.uapi.IoUring.IORING_ENTER_GETEVENTS;
import static dev.ringspec.uapi.IoUring.IORING_OP_READV;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_DEFER_TASKRUN;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SINGLE_ISSUER;
import static dev.ringspec.uapi.IoUring.IOSQE_ASYNC;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.seam.Cqe;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * An IOSQE_ASYNC READV of an eventfd whose count is 0, emulator against this kernel with real I/O. An eventfd is an
 * anonymous inode (no file type in its mode) with a poll method, so the kernel's io-wq worker issues the read without
 * blocking and arms a poll on -EAGAIN (io_wq_submit_work); the read completes when the count is written. The
 * deterministic emulator took it for a file that cannot be polled and made the blocking read on the ring's own thread,
 * which never returned (the world lockstep hung there once READV of the eventfd was generated).
 */
@Tag("kernel")
class WorldAsyncEventfdReadTest {
    private static final int RUNS = 3;

    @BeforeEach
    void needsIoUring() {
        KernelTests.assumeIoUring();
    }

    // a DEFER_TASKRUN ring only: on a plain ring the kernel's read, woken by the write, runs as task work at a moment
    // the lockstep does not fix (in a CI run its buffer was still empty right after the write, and the emulator's full)
    @ParameterizedTest
    @ValueSource(ints = {IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN})
    @Timeout(60)
    void anAsyncReadOfAnEmptyEventfdWaitsForItsCount(int setupFlags) {
        List<Step> steps = List.of(new Step.Setup(4, setupFlags, 0),
                new Step.WriteIo(0, IORING_OP_READV, IOSQE_ASYNC, 0, OutsideWorld.EVENTFD, 0, 8, 0, 0, 0, 0, 1),
                new Step.WriteArray(0, 0),
                new Step.PublishTail(1),
                new Step.Enter(1, 0, 0),
                // 20 ms for the kernel's worker to arm its poll (else it reads the count itself, later: a CI run
                // compared the buffer before the worker had run)
                new Step.Outside(Step.Outside.ADVANCE_CLOCK, OutsideWorld.EVENTFD, 20),
                new Step.Outside(Step.Outside.WRITE, OutsideWorld.EVENTFD, 5),
                new Step.Enter(0, 1, IORING_ENTER_GETEVENTS));
        List<Cqe> cqes = WorldLockstepTest.visible(WorldLockstepTest.agreesWithTheKernel(steps, RUNS,
                new java.util.TreeMap<>()));
        assertThat(cqes).extracting(Cqe::userData).containsExactly(1L);
        assertThat(cqes).extracting(Cqe::res).containsExactly(8);
    }
}
