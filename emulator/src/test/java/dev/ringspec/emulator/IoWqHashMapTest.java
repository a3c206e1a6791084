package dev.ringspec.emulator;

import static dev.ringspec.uapi.Errno.EAGAIN;
import static dev.ringspec.uapi.IoUring.IORING_ENTER_GETEVENTS;
import static dev.ringspec.uapi.IoUring.IORING_OP_WRITE;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.emulator.sys.Linux;
import dev.ringspec.model.KernelProfile;
import dev.ringspec.model.OpDef;
import dev.ringspec.seam.RingDriver;
import dev.ringspec.seam.Sqe;
import dev.ringspec.seam.UserMemory;
import dev.ringspec.uapi.IoUringParams;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * io-wq serializes the hashed work of one inode only among io-wqs that share a hash map: a task's io-wq takes the
 * map of the ring it was made for ({@code io_init_wq_offload}: {@code ctx->hash_map}), so two tasks whose io-wqs
 * were made for two rings may write one file at once, while two made for one ring write it in turn (io-wq.c
 * {@code io_get_next_work}). In the deterministic mode: task A's write is still running at the next enter
 * ({@link IoWqChoices#IOWQ_STILL_RUNNING}), task B queues a write of the same file on the same ring, and the chooser
 * takes the newest item it can ({@link IoWqChoices#IOWQ_COMPLETION_ORDER}). The writes are a test opcode that records
 * the order it runs in.
 */
class IoWqHashMapTest {
    @TempDir
    Path dir;

    private static final List<Long> RAN = new CopyOnWriteArrayList<>();

    /** A write to a regular file (hash_reg_file) that never completes without blocking; on io-wq it records itself. */
    private static List<EmuOp> recordingWrite(EmulatorServices services) {
        OpDef def = new OpDef(IORING_OP_WRITE, "WRITE", OpDef.NEEDS_FILE | OpDef.HASH_REG_FILE, (req, ctx) -> 0,
                (req, ctx) -> -EAGAIN);
        return List.of(new EmuOp(def, (req, ctx) -> {
            RAN.add(req.userData());
            return 0;
        }));
    }

    /** The order two writes of one file ran in, where B set up a ring of its own first or did not. */
    private List<Long> order(boolean bSetsUpARing) throws IOException {
        RAN.clear();
        Path file = Files.writeString(dir.resolve("f" + bSetsUpARing), "");
        int fd;
        try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
            fd = (int) Linux.call(Linux.SYS_OPENAT, -100 /* AT_FDCWD */, arena.allocateFrom(file.toString()).address(),
                    2 /* O_RDWR */);
        }
        assertThat(fd).isNotNegative();
        AtomicBoolean stillRunningAsked = new AtomicBoolean();
        Object[] task = {"A"};
        try (UserMemory memory = new UserMemory();
                EmulatedIoUring e = EmulatedIoUring.open(EmulatorOptions.of(KernelProfile.LINUX_6_18)
                        .deterministic(1).withOpcodes(IoWqHashMapTest::recordingWrite), memory)) {
            e.withTaskKey(() -> task[0]);
            e.withChooser((choice, ringFd) -> {
                if (choice == IoWqChoices.IOWQ_STILL_RUNNING) {
                    return stillRunningAsked.getAndSet(true) ? 0 : 1; // A's write, the first queued
                }
                return choice == IoWqChoices.IOWQ_COMPLETION_ORDER ? 1 : choice.defaultOutcome();
            });
            RingDriver one = new RingDriver(e, e.setup(8, memory.allocate(IoUringParams.SIZE_BYTES)).ringOrNull());
            if (bSetsUpARing) {
                task[0] = "B";
                assertThat(e.setup(8, memory.allocate(IoUringParams.SIZE_BYTES)).ringOrNull()).isNotNull();
            }
            write(one, fd, 1, task, "A");
            write(one, fd, 2, task, "B");
            assertThat(e.enter(one.ring(), 0, 2, IORING_ENTER_GETEVENTS, MemorySegment.NULL, 0)).isZero();
            return List.copyOf(RAN);
        } finally {
            Linux.close(fd);
        }
    }

    private static void write(RingDriver d, int fd, long userData, Object[] task, String as) {
        task[0] = as;
        long at = d.nextSqe();
        Sqe.clear(d.sqes(), at, 64);
        Sqe.opcode(d.sqes(), at, IORING_OP_WRITE);
        Sqe.fd(d.sqes(), at, fd);
        Sqe.userData(d.sqes(), at, userData);
        assertThat(d.submit(0, 0)).isOne();
    }

    /** Before, one map for all rings: B's write waited for A's (1, 2) either way. */
    @Test
    void writesOfOneFileByIoWqsMadeForTwoRingsRunAtOnce() throws IOException {
        assertThat(order(true)).containsExactly(2L, 1L);
    }

    @Test
    void writesOfOneFileByIoWqsMadeForOneRingRunInTurn() throws IOException {
        assertThat(order(false)).containsExactly(1L, 2L);
    }
}
