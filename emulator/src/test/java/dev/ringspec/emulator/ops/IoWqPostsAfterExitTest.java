package dev.ringspec.emulator.ops;

import static dev.ringspec.emulator.sys.Linux.SYS_EVENTFD2;
import static dev.ringspec.emulator.sys.Linux.SYS_READ;
import static dev.ringspec.uapi.IoUring.IORING_OP_FSYNC;
import static dev.ringspec.uapi.IoUring.IORING_OP_SPLICE;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_EVENTFD_ASYNC;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.emulator.EmulatedIoUring;
import dev.ringspec.emulator.EmulatorOptions;
import dev.ringspec.emulator.IoWqChoices;
import dev.ringspec.emulator.sys.Linux;
import dev.ringspec.model.Choice;
import dev.ringspec.model.KernelProfile;
import dev.ringspec.seam.UserMemory;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link IoWqChoices.IOWQ_POSTS_AFTER_EXIT} in the deterministic mode: a ring with an ASYNC eventfd is closed while an
 * io-wq worker waits in its SPLICE from an empty pipe; the exit signals that worker (io_ring_exit_work ->
 * io_wq_cancel_cb -> io_wq_worker_cancel), which ends its call and posts from the worker, signalling the eventfd
 * (io_req_complete_post -> io_commit_cqring_flush), after the close, at the look the chooser says (world lockstep
 * seed 2961). A SPLICE no worker had taken yet ({@link IoWqChoices#IOWQ_NOT_TAKEN_YET}) is cancelled from io-wq's
 * list, its completion the task's, which signals nothing.
 */
class IoWqPostsAfterExitTest {
    private static final long SYS_PIPE2 = 293;
    private static final int EFD_NONBLOCK = 0x800;

    private static int[] pipe() {
        MemorySegment fds = Arena.ofAuto().allocate(8, 4);
        assertThat(Linux.call(SYS_PIPE2, fds.address(), 0)).isZero();
        return new int[] {fds.get(JAVA_INT, 0), fds.get(JAVA_INT, 4)};
    }

    /** The eventfd's count, read (0 where the read finds none). */
    private static long count(int eventfd) {
        MemorySegment value = Arena.ofAuto().allocate(JAVA_LONG);
        return Linux.call(SYS_READ, eventfd, value.address(), 8) == 8 ? value.get(JAVA_LONG, 0) : 0;
    }

    /**
     * The ring closed with the SPLICE waiting, then {@code looks} empty enters of another ring (each a look at io-wq
     * work): the count read after each, and the choices asked into {@code asked}.
     */
    private static List<Long> countsAfterTheClose(Choice choice, int outcome, int looks, List<Choice> asked) {
        return countsAfterTheClose(null, Map.of(choice == null ? IoWqChoices.IOWQ_POSTS_AFTER_EXIT : choice,
                choice == null ? IoWqChoices.IOWQ_POSTS_AFTER_EXIT.defaultOutcome() : outcome), looks, asked);
    }

    /**
     * {@link #countsAfterTheClose(Choice, int, int, List)} with {@code outcomes} chosen, and an FSYNC of {@code file}
     * rather than the SPLICE where it is not null.
     */
    private static List<Long> countsAfterTheClose(Path file, Map<Choice, Integer> outcomes, int looks,
            List<Choice> asked) {
        int[] in = pipe();
        int[] out = pipe();
        int eventfd = (int) Linux.call(SYS_EVENTFD2, 0, EFD_NONBLOCK);
        List<Long> counts = new ArrayList<>();
        try (UserMemory memory = new UserMemory();
                EmulatedIoUring e = EmulatedIoUring.open(EmulatorOptions.of(KernelProfile.LINUX_6_18)
                        .deterministic(1), memory);
                NetRing other = new NetRing(e, memory)) {
            e.withChooser((c, ringFd) -> {
                asked.add(c);
                return outcomes.getOrDefault(c, c.defaultOutcome());
            });
            NetRing r = new NetRing(e, memory);
            MemorySegment fd = memory.allocate(4, 4);
            fd.set(JAVA_INT, 0, eventfd);
            assertThat(e.register(r.d.ring(), IORING_REGISTER_EVENTFD_ASYNC, fd, 1)).isZero();
            int fsynced = file == null ? -1 : (int) Linux.call(Linux.SYS_OPENAT, -100,
                    Arena.ofAuto().allocateFrom(file.toString()).address(), 2, 0, 0, 0);
            if (file == null) {
                r.fileIndex(r.sqe(IORING_OP_SPLICE, out[1], -1, -1, 16, 0, 1), in[0]);
            } else {
                r.sqe(IORING_OP_FSYNC, fsynced, 0, 0, 0, 0, 1);
            }
            assertThat(r.submit()).isEqualTo(1);
            // a look: a worker takes the SPLICE, which waits in its call
            assertThat(e.enter(r.d.ring(), 0, 0, 0, MemorySegment.NULL, 0)).isZero();
            r.close();
            if (fsynced >= 0) {
                Linux.close(fsynced);
            }
            counts.add(count(eventfd));
            for (int look = 0; look < looks; look++) {
                assertThat(e.enter(other.d.ring(), 0, 0, 0, MemorySegment.NULL, 0)).isZero();
                counts.add(count(eventfd));
            }
        } finally {
            NetRing.closeAll(in[0], in[1], out[0], out[1], eventfd);
        }
        return counts;
    }

    @Test
    void theInterruptedWorkerSignalsTheAsyncEventfdAtTheSecondLookByDefault() {
        List<Choice> asked = new ArrayList<>();
        assertThat(countsAfterTheClose(null, 0, 4, asked)).containsExactly(0L, 0L, 1L, 0L, 0L);
        assertThat(asked).contains(IoWqChoices.IOWQ_POSTS_AFTER_EXIT);
    }

    @Test
    void theInterruptedWorkerMayPostByTheNextLook() {
        assertThat(countsAfterTheClose(IoWqChoices.IOWQ_POSTS_AFTER_EXIT, 0, 2, new ArrayList<>()))
                .containsExactly(0L, 1L, 0L);
    }

    @Test
    void theInterruptedWorkerMayStillRunAtThreeMoreCalls() {
        assertThat(countsAfterTheClose(IoWqChoices.IOWQ_POSTS_AFTER_EXIT, 3, 5, new ArrayList<>()))
                .containsExactly(0L, 0L, 0L, 0L, 1L, 0L);
    }

    @Test
    void aSpliceNoWorkerHadTakenIsCancelledWithoutASignal() {
        List<Choice> asked = new ArrayList<>();
        assertThat(countsAfterTheClose(IoWqChoices.IOWQ_NOT_TAKEN_YET, 1, 4, asked)).containsOnly(0L);
        assertThat(asked).doesNotContain(IoWqChoices.IOWQ_POSTS_AFTER_EXIT);
    }

    /**
     * An FSYNC held as still running past the next enter ({@link IoWqChoices#IOWQ_STILL_RUNNING}) when the ring is
     * closed: a worker has it by default, whose vfs_fsync_range the exit's signal does not end, and it posts from the
     * worker after the close; where no worker had taken it yet the exit cancels it (no signal).
     */
    @Test
    void anFsyncHeldAsStillRunningPostsFromItsWorkerAfterTheClose(@TempDir Path d) throws IOException {
        Path file = Files.writeString(d.resolve("data"), "dirty");
        assertThat(countsAfterTheClose(file, Map.of(IoWqChoices.IOWQ_STILL_RUNNING, 1), 3, new ArrayList<>()))
                .containsExactly(0L, 0L, 1L, 0L);
        assertThat(countsAfterTheClose(file, Map.of(IoWqChoices.IOWQ_STILL_RUNNING, 1,
                IoWqChoices.IOWQ_NOT_TAKEN_YET, 1), 3, new ArrayList<>())).containsOnly(0L);
    }
}
