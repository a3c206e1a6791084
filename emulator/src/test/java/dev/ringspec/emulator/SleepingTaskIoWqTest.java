package dev.ringspec.emulator;

import static dev.ringspec.emulator.sys.Linux.SYS_WRITE;
import static dev.ringspec.uapi.IoUring.IORING_ENTER_GETEVENTS;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.emulator.sys.Linux;
import dev.ringspec.model.Choice;
import dev.ringspec.model.KernelProfile;
import dev.ringspec.seam.RingDriver;
import dev.ringspec.seam.UserMemory;
import dev.ringspec.uapi.IoUringParams;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * io-wq work still running when the ring's task goes to sleep outside the emulator ({@link EmulatedIoUring#taskSleeps}:
 * the world lockstep's clock advance) runs in that sleep once its count of calls is spent, and the file it makes ready
 * wakes the READs' polls and an io-wq worker waiting in its call there at once, so
 * {@link DeterministicScheduler#TASK_WORK_BEFORE_A_WOKEN_WORKER} decides who reads first, as at an enter (world
 * lockstep seed 198: the kernel's READV read a SPLICE's 16 bytes while the task slept). Two READs of an empty pipe
 * wait in polls and a SPLICE from it waits on its worker, as in {@link WokenWorkerChoiceTest}; a second SPLICE on
 * io-wq, still running ({@link IoWqChoices#IOWQ_STILL_RUNNING}), moves 39 bytes into the pipe.
 */
class SleepingTaskIoWqTest {

    /**
     * The CQEs ({@code user_data:res}) after the task's sleep, then after each of two GETEVENTS enters; the SPLICE
     * that moves the bytes in is still running at {@code enters} more calls, and the chooser answers {@code outcome}
     * at TASK_WORK_BEFORE_A_WOKEN_WORKER.
     */
    private static List<List<String>> afterTheSleep(int enters, int outcome, List<Choice> asked) {
        try (UserMemory memory = new UserMemory();
                EmulatedIoUring e = EmulatedIoUring.open(EmulatorOptions.of(KernelProfile.LINUX_6_18)
                        .deterministic(1), memory)) {
            int[] queued = {0};
            e.withChooser((choice, ringFd) -> {
                asked.add(choice);
                if (choice == IoWqChoices.IOWQ_STILL_RUNNING) {
                    return queued[0]++ == 1 ? enters : 0; // the second SPLICE, which feeds the pipe
                }
                return choice == DeterministicScheduler.TASK_WORK_BEFORE_A_WOKEN_WORKER ? outcome
                        : choice.defaultOutcome();
            });
            RingDriver d = new RingDriver(e, e.setup(8, memory.allocate(IoUringParams.SIZE_BYTES)).ringOrNull());
            int[] in = PipeSqes.pipe(memory);
            int[] out = PipeSqes.pipe(memory);
            int[] src = PipeSqes.pipe(memory);
            MemorySegment buffer = memory.allocate(64);
            long[] lens = {23, 5};
            for (int i = 0; i < 2; i++) {
                PipeSqes.read(d, in[0], buffer.address() + 32L * i, (int) lens[i], i + 1);
            }
            PipeSqes.splice(d, out[1], in[0], 57, 3);
            assertThat(e.enter(d.ring(), 0, 0, IORING_ENTER_GETEVENTS, MemorySegment.NULL, 0)).isZero();
            assertThat(d.ready()).as("an empty pipe: everybody waits").isZero();
            MemorySegment bytes = memory.allocate(39);
            assertThat(Linux.call(SYS_WRITE, src[1], bytes.address(), 39)).isEqualTo(39);
            PipeSqes.splice(d, in[1], src[0], 39, 4);
            assertThat(e.enter(d.ring(), 0, 0, 0, MemorySegment.NULL, 0)).isZero(); // an empty enter: no time
            assertThat(d.ready()).as("the SPLICE into the pipe still runs").isZero();
            e.taskSleeps(d.ring());
            List<String> slept = PipeSqes.reap(d);
            assertThat(e.enter(d.ring(), 0, 0, IORING_ENTER_GETEVENTS, MemorySegment.NULL, 0)).isZero();
            List<String> then = PipeSqes.reap(d);
            assertThat(e.enter(d.ring(), 0, 0, IORING_ENTER_GETEVENTS, MemorySegment.NULL, 0)).isZero();
            List<String> later = PipeSqes.reap(d);
            for (int fd : new int[] {in[0], in[1], out[0], out[1], src[0], src[1]}) {
                Linux.close(fd);
            }
            return List.of(slept, then, later);
        }
    }

    @Test
    void workStillRunningFinishesWhileTheTaskSleepsAndItsWokenWorkerReadsByDefault() {
        List<Choice> asked = new ArrayList<>();
        assertThat(afterTheSleep(1, 0, asked)).containsExactly(List.of("4:39", "3:39"), List.of(), List.of());
        assertThat(asked).contains(DeterministicScheduler.TASK_WORK_BEFORE_A_WOKEN_WORKER);
    }

    @Test
    void theSleepingTasksTaskWorkMayReadBeforeTheWokenWorker() {
        assertThat(afterTheSleep(1, 1, new ArrayList<>()))
                .containsExactly(List.of("4:39", "2:5", "1:23", "3:11"), List.of(), List.of());
    }

    @Test
    void theSleepCountsAsOneCallOfWorkStillRunning() {
        // still running at the sleep and at the first enter after it, done by the look of the second
        assertThat(afterTheSleep(2, 1, new ArrayList<>())).containsExactly(List.of(), List.of(),
                List.of("4:39", "2:5", "1:23", "3:11"));
    }
}
