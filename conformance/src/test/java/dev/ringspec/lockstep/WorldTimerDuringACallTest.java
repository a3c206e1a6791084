package dev.ringspec.lockstep;

import static dev.ringspec.uapi.Errno.ECANCELED;
import static dev.ringspec.uapi.Errno.ENOENT;
import static dev.ringspec.uapi.Errno.ETIME;
import static dev.ringspec.uapi.IoUring.IORING_ENTER_GETEVENTS;
import static dev.ringspec.uapi.IoUring.IORING_OP_LINK_TIMEOUT;
import static dev.ringspec.uapi.IoUring.IORING_OP_READ;
import static dev.ringspec.uapi.IoUring.IORING_OP_READ_FIXED;
import static dev.ringspec.uapi.IoUring.IORING_OP_STATX;
import static dev.ringspec.uapi.IoUring.IOSQE_IO_LINK;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.nativerunner.NativeIoUring;
import dev.ringspec.seam.Backend;
import dev.ringspec.seam.ForwardingIoUringKernel;
import dev.ringspec.seam.IoUringKernel;
import dev.ringspec.seam.Ring;
import dev.ringspec.seam.RingObservation;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A timer that fires while the application's thread is held up within a step (seed 49 of
 * {@link WorldLockstepTest}), emulator against this kernel: a READ of the empty pipe linked to a LINK_TIMEOUT of the
 * world's 5 ms, submitted by an enter after which the kernel's side is held up 10 ms, as the scheduler may hold a
 * thread up under load (seed 49: the kernel's side of that step took over 5 ms at load 14). The kernel's hrtimer
 * fires in real time and its task work runs on the way back from the next call, so the kernel shows both CQEs after
 * the enter's step; the emulator's virtual clock had not moved, and showed them only after the world's clock advance.
 */
@Tag("kernel")
class WorldTimerDuringACallTest {
    private static final int RUNS = 3;
    private static final long HELD_UP_NANOS = 10_000_000L;

    @BeforeEach
    void needsIoUring() {
        KernelTests.assumeIoUring();
    }

    /** This kernel, whose every enter that submits holds the calling thread up {@value #HELD_UP_NANOS} ns after. */
    private static final class HeldUpKernel extends ForwardingIoUringKernel {
        HeldUpKernel(IoUringKernel kernel) {
            super(kernel);
        }

        @Override
        public String description() {
            return kernel.description() + ", held up after each submission";
        }

        @Override
        public int enter(Ring ring, int toSubmit, int minComplete, int flags, MemorySegment arg, long argSizeBytes) {
            int r = kernel.enter(ring, toSubmit, minComplete, flags, arg, argSizeBytes);
            if (toSubmit > 0) {
                long until = System.nanoTime() + HELD_UP_NANOS;
                while (System.nanoTime() - until < 0) {
                    java.util.concurrent.locks.LockSupport.parkNanos(until - System.nanoTime());
                }
            }
            return r;
        }
    }

    /** {@code steps}, {@value #RUNS} times against the held-up kernel, none diverging; the kernel's last ring. */
    private static RingObservation agreesWithTheHeldUpKernel(List<Step> steps, Map<String, Long> taken) {
        return agreesWithTheHeldUpKernel(List.of(), steps, taken);
    }

    /**
     * {@code before} once, then {@code steps} {@value #RUNS} times, in one runner against the held-up kernel, none
     * diverging; the kernel's last ring.
     */
    private static RingObservation agreesWithTheHeldUpKernel(List<Step> before, List<Step> steps,
            Map<String, Long> taken) {
        RingObservation kernel = null;
        Backend heldUp = Backend.kernel("kernel", memory -> new HeldUpKernel(new NativeIoUring()));
        try (LockstepRunner runner = new LockstepRunner(WorldLockstepTest.emulator(), heldUp).withWorld()) {
            if (!before.isEmpty()) {
                RingObservation[] last = new RingObservation[1];
                LockstepRunner.Outcome o = runner.run(before, new Coverage(), (n, s, ref, sub) -> last[0] = sub);
                assertThat(o.divergence()).as("the run before").isNull();
                assertThat(WorldLockstepTest.visible(last[0]).stream().map(c -> c.userData() + ":" + c.res()))
                        .as("the run before read 64 bytes into registered buffer 1").containsExactly("7:64");
            }
            for (int i = 0; i < RUNS; i++) {
                Coverage coverage = new Coverage();
                RingObservation[] last = new RingObservation[1];
                LockstepRunner.Outcome o = runner.run(steps, coverage, (n, s, ref, sub) -> last[0] = sub);
                assertThat(o.divergence()).as("run %d", i).isNull();
                coverage.choices().forEach((k, v) -> taken.merge(k, v, Long::sum));
                kernel = last[0];
            }
        }
        return kernel;
    }

    /** A READ of the empty pipe linked to a LINK_TIMEOUT of 5 ms, and {@code more} after them, in one enter. */
    private static List<Step> readWithAShortLinkTimeout(List<Step.WriteIo> more) {
        List<Step> steps = new java.util.ArrayList<>(List.of(new Step.Setup(4, 0, 0),
                new Step.WriteIo(0, IORING_OP_READ, IOSQE_IO_LINK, 0, OutsideWorld.PIPE_READ, 0, 8, 0, 0, 0, 0, 1),
                new Step.WriteIo(1, IORING_OP_LINK_TIMEOUT, 0, 0, -1, 0, 0, 0, 0, 0, 0, 2)));
        steps.addAll(more);
        for (int i = 0; i < 2 + more.size(); i++) {
            steps.add(new Step.WriteArray(i, i));
        }
        steps.add(new Step.PublishTail(2 + more.size()));
        steps.add(new Step.Enter(2 + more.size(), 0, 0));
        steps.add(new Step.Outside(Step.Outside.ADVANCE_CLOCK, 0, 20));
        return steps;
    }

    @Test
    void aShortTimeoutMayFireWithinTheStepThatArmedIt() {
        Map<String, Long> taken = new TreeMap<>();
        RingObservation kernel = agreesWithTheHeldUpKernel(readWithAShortLinkTimeout(List.of()), taken);
        // as the kernel showed them in seed 49: the LINK_TIMEOUT's -ETIME, then the READ it cancelled
        assertThat(WorldLockstepTest.visible(kernel).stream().map(c -> c.userData() + ":" + c.res()).toList())
                .containsExactly("2:" + -ETIME, "1:" + -ECANCELED);
        assertThat(taken).containsKey("TIMER_FIRES_BEFORE_THE_CALL = fired before the call");
    }

    /**
     * The same after a run, in the same runner, that read the data file into a registered buffer. A choice is taken
     * by a rebuilt reference, a new side whose registered buffers hold zeroes; the runner's own sides kept the bytes
     * the earlier run read there (alike on both, so they never showed), and every rebuilt reference then differed
     * from the kernel in them: no choice could explain a difference once any earlier run had read into a registered
     * buffer (world lockstep seeds 82, 100, 120 and 150 diverged in the run of seeds 1 to 150, none alone).
     */
    @Test
    void anEarlierRunsBytesInARegisteredBufferLeaveTheChoiceOpen() {
        List<Step> readFixed = List.of(new Step.Setup(4, 0, 0), new Step.RegisterBuffers(2, 4096),
                new Step.WriteIo(0, IORING_OP_READ_FIXED, 0, 0, OutsideWorld.FILE, 0, 64, 0, 1, 1, 0, 7),
                new Step.WriteArray(0, 0), new Step.PublishTail(1), new Step.Enter(1, 1, IORING_ENTER_GETEVENTS));
        Map<String, Long> taken = new TreeMap<>();
        agreesWithTheHeldUpKernel(readFixed, readWithAShortLinkTimeout(List.of()), taken);
        assertThat(taken).containsKey("TIMER_FIRES_BEFORE_THE_CALL = fired before the call");
    }

    /**
     * The same with a STATX of a path that does not exist after them (io-wq: io_statx_prep forces it async), as in
     * seed 49: the kernel's worker usually posts -ENOENT before the timer fires, so the STATX's CQE comes first. The
     * emulator's clock reached the timer before its io-wq work ran, and posted the STATX's CQE last.
     */
    @Test
    void ioWqWorkDoneByTheCallPostsBeforeTheTimerThatFiredWithinIt() {
        Map<String, Long> taken = new TreeMap<>();
        RingObservation kernel = agreesWithTheHeldUpKernel(readWithAShortLinkTimeout(List.of(new Step.WriteIo(2,
                IORING_OP_STATX, 0, 0, OutsideWorld.DIRECTORY, 0, 0x7ff, 0, 3, 0, 0, 3))), taken);
        assertThat(WorldLockstepTest.visible(kernel).stream().map(c -> c.userData() + ":" + c.res()).toList())
                .containsExactlyInAnyOrder("3:" + -ENOENT, "2:" + -ETIME, "1:" + -ECANCELED);
        System.out.println("choices taken against the kernel: " + taken);
    }
}
