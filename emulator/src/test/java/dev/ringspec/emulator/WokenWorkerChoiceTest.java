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
 * Two READs of an empty pipe wait in polls and a SPLICE from it waits on an io-wq worker; a write of 39 bytes wakes
 * all three. Who reads first is the deterministic emulator's choice point
 * {@link DeterministicScheduler#TASK_WORK_BEFORE_A_WOKEN_WORKER}, asked at the next enter: the worker (it splices all
 * 39 bytes and the READs wait again) or the task's task work (the newer READ its 5 bytes, the older its 23, then the
 * worker the other 11), as the kernel does either (WorldPipeWaitersTest). The same where the bytes come from a SPLICE
 * on io-wq that the enter's look at pending work runs first (WorldIoWqWakesPipeWaitersTest), where the woken worker
 * may also post before the SPLICE that woke it ({@link IoWqChoices#WOKEN_WORKER_POSTS_FIRST}).
 */
class WokenWorkerChoiceTest {

    /**
     * The CQEs ({@code user_data:res}) after the write and one enter, with the chooser's {@code outcome} for
     * {@link DeterministicScheduler#TASK_WORK_BEFORE_A_WOKEN_WORKER}.
     */
    private static List<String> afterTheWrite(int outcome, List<Choice> asked) {
        return afterTheWrite(outcome, asked, false);
    }

    /**
     * {@link #afterTheWrite(int, List)}; {@code byIoWq}: the bytes come from a SPLICE on io-wq (user_data 4, from a
     * second pipe) submitted before that enter, not from the outside world.
     */
    private static List<String> afterTheWrite(int outcome, List<Choice> asked, boolean byIoWq) {
        return afterTheWrite(DeterministicScheduler.TASK_WORK_BEFORE_A_WOKEN_WORKER, outcome, asked, byIoWq);
    }

    /** {@link #afterTheWrite(int, List, boolean)}, the chooser answering {@code outcome} for {@code choice}. */
    private static List<String> afterTheWrite(Choice choice, int outcome, List<Choice> asked, boolean byIoWq) {
        try (UserMemory memory = new UserMemory();
                EmulatedIoUring e = EmulatedIoUring.open(EmulatorOptions.of(KernelProfile.LINUX_6_18)
                        .deterministic(1), memory)) {
            e.withChooser((c, ringFd) -> {
                asked.add(c);
                return c == choice ? outcome : c.defaultOutcome();
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
            if (byIoWq) {
                // the 39 bytes wait in another pipe, and a SPLICE on io-wq moves them in at the next enter
                assertThat(Linux.call(SYS_WRITE, src[1], bytes.address(), 39)).isEqualTo(39);
                PipeSqes.splice(d, in[1], src[0], 39, 4);
            } else {
                assertThat(Linux.call(SYS_WRITE, in[1], bytes.address(), 39)).isEqualTo(39);
            }
            assertThat(e.enter(d.ring(), 0, 0, IORING_ENTER_GETEVENTS, MemorySegment.NULL, 0)).isZero();
            List<String> cqes = PipeSqes.reap(d);
            for (int fd : new int[] {in[0], in[1], out[0], out[1], src[0], src[1]}) {
                Linux.close(fd);
            }
            return cqes;
        }
    }

    @Test
    void theWokenWorkerTakesTheBytesByDefault() {
        List<Choice> asked = new ArrayList<>();
        assertThat(afterTheWrite(0, asked)).containsExactly("3:39");
        assertThat(asked).contains(DeterministicScheduler.TASK_WORK_BEFORE_A_WOKEN_WORKER);
    }

    @Test
    void theTasksTaskWorkMayReadBeforeTheWokenWorker() {
        assertThat(afterTheWrite(1, new ArrayList<>())).containsExactly("2:5", "1:23", "3:11");
    }

    @Test
    void aWorkerWokenByIoWqWorkTakesTheBytesByDefault() {
        List<Choice> asked = new ArrayList<>();
        assertThat(afterTheWrite(0, asked, true)).containsExactly("4:39", "3:39");
        assertThat(asked).contains(DeterministicScheduler.TASK_WORK_BEFORE_A_WOKEN_WORKER);
    }

    @Test
    void theTasksTaskWorkMayReadBeforeAWorkerWokenByIoWqWork() {
        assertThat(afterTheWrite(1, new ArrayList<>(), true)).containsExactly("4:39", "2:5", "1:23", "3:11");
    }

    @Test
    void theWorkerWokenByIoWqWorkMayPostBeforeItsWaker() {
        List<Choice> asked = new ArrayList<>();
        assertThat(afterTheWrite(IoWqChoices.WOKEN_WORKER_POSTS_FIRST, 1, asked, true))
                .containsExactly("3:39", "4:39");
        assertThat(asked).doesNotContain(DeterministicScheduler.TASK_WORK_BEFORE_A_WOKEN_WORKER);
    }

    @Test
    void theWakerPostsFirstByDefault() {
        List<Choice> asked = new ArrayList<>();
        assertThat(afterTheWrite(IoWqChoices.WOKEN_WORKER_POSTS_FIRST, 0, asked, true))
                .containsExactly("4:39", "3:39");
        assertThat(asked).contains(IoWqChoices.WOKEN_WORKER_POSTS_FIRST);
    }
}
