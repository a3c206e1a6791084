package dev.ringspec.emulator;

import static dev.ringspec.uapi.Errno.ETIME;
import static dev.ringspec.uapi.IoUring.IORING_OP_TIMEOUT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.model.Choice;
import dev.ringspec.model.KernelProfile;
import dev.ringspec.seam.Cqe;
import dev.ringspec.seam.RingDriver;
import dev.ringspec.seam.Sqe;
import dev.ringspec.seam.UserMemory;
import dev.ringspec.uapi.IoUringParams;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * On the deterministic emulator's virtual clock, a timer due soon may have fired by the task's next call
 * ({@link DeterministicScheduler#TIMER_FIRES_BEFORE_THE_CALL}), as a kernel's hrtimer fires in real time while the
 * application's thread is held up: a TIMEOUT of 5 ms, submitted, then an empty enter.
 */
class TimerChoiceTest {

    /** The CQEs an empty enter after a TIMEOUT of {@code nanos} shows, with the chooser's {@code outcome}. */
    private static List<String> afterAnEmptyEnter(long nanos, int outcome, List<Choice> asked) {
        try (UserMemory memory = new UserMemory();
                EmulatedIoUring e = EmulatedIoUring.open(EmulatorOptions.of(KernelProfile.LINUX_6_18)
                        .deterministic(1), memory)) {
            e.withChooser((choice, ringFd) -> {
                asked.add(choice);
                return choice == DeterministicScheduler.TIMER_FIRES_BEFORE_THE_CALL ? outcome
                        : choice.defaultOutcome();
            });
            RingDriver d = new RingDriver(e, e.setup(8, memory.allocate(IoUringParams.SIZE_BYTES)).ringOrNull());
            MemorySegment ts = memory.allocate(16);
            ts.set(JAVA_LONG, 0, nanos / 1_000_000_000L);
            ts.set(JAVA_LONG, 8, nanos % 1_000_000_000L);
            long at = d.nextSqe();
            Sqe.clear(d.sqes(), at, 64);
            Sqe.opcode(d.sqes(), at, IORING_OP_TIMEOUT);
            Sqe.addr(d.sqes(), at, ts.address());
            Sqe.len(d.sqes(), at, 1);
            Sqe.userData(d.sqes(), at, 9);
            assertThat(d.submit(0, 0)).isEqualTo(1);
            assertThat(e.enter(d.ring(), 0, 0, 0, MemorySegment.NULL, 0)).isZero();
            List<String> out = new ArrayList<>();
            for (Cqe c = d.reap(); c != null; c = d.reap()) {
                out.add(c.userData() + ":" + c.res());
            }
            return out;
        }
    }

    @Test
    void aTimerDueSoonFiresBeforeTheCallWhenTheChooserSaysSo() {
        List<Choice> asked = new ArrayList<>();
        assertThat(afterAnEmptyEnter(5_000_000L, 0, asked)).isEmpty();
        assertThat(asked).contains(DeterministicScheduler.TIMER_FIRES_BEFORE_THE_CALL);
        assertThat(afterAnEmptyEnter(5_000_000L, 1, new ArrayList<>())).containsExactly("9:" + -ETIME);
    }

    @Test
    void aTimerDueLaterIsNeverAskedAbout() {
        List<Choice> asked = new ArrayList<>();
        assertThat(afterAnEmptyEnter(1_000_000_000_000L, 1, asked)).isEmpty();
        assertThat(asked).doesNotContain(DeterministicScheduler.TIMER_FIRES_BEFORE_THE_CALL);
    }
}
