package dev.ringspec.emulator.ops;

import static dev.ringspec.uapi.IoUring.IORING_ENTER_GETEVENTS;
import static dev.ringspec.uapi.IoUring.IORING_OP_READ;
import static dev.ringspec.uapi.IoUring.IOSQE_ASYNC;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ringspec.emulator.BothSides;
import dev.ringspec.emulator.sys.Linux;
import dev.ringspec.seam.Cqe;
import dev.ringspec.seam.Sqe;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * io-wq's retry of a request whose file can be polled but not tried without blocking: {@code /dev/kmsg} answers
 * RWF_NOWAIT with -EOPNOTSUPP (it has no FMODE_NOWAIT) and can be polled. A forced-async READ of it on io-wq is
 * tried without blocking first ({@code io_wq_submit_work}); when that cannot be, the worker makes the blocking call.
 * The emulator used to send such a request back to the non-blocking try forever (found by the SQE fuzz: one enter
 * that never returned). The first record of the kernel's log is read on this kernel and on the emulator.
 */
@Tag("kernel")
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class IoWqRetryTest {
    private static final int O_RDONLY = 0;
    private static final int AT_FDCWD = -100;

    @Test
    void aForcedAsyncReadOfAFileWithoutNowaitEndsWithTheBlockingRead() throws Exception {
        readKmsg(IOSQE_ASYNC);
    }

    @Test
    void aReadOfAFileWithoutNowaitGoesToIoWqAndEnds() throws Exception {
        readKmsg(0);
    }

    private static void readKmsg(int sqeFlags) throws Exception {
        List<Cqe> cqes = BothSides.sameOnBoth(TestRing.on((w, r) -> {
            int fd = openKmsg();
            try {
                MemorySegment buffer = r.memory.allocate(8192);
                long at = r.d.nextSqe();
                Sqe.opcode(r.d.sqes(), at, IORING_OP_READ);
                Sqe.flags(r.d.sqes(), at, sqeFlags);
                Sqe.fd(r.d.sqes(), at, fd);
                Sqe.addr(r.d.sqes(), at, buffer.address());
                Sqe.len(r.d.sqes(), at, 8192);
                Sqe.off(r.d.sqes(), at, -1);
                Sqe.userData(r.d.sqes(), at, 5);
                assertThat(r.d.submit(1, IORING_ENTER_GETEVENTS)).isEqualTo(1);
                List<Cqe> out = new ArrayList<>();
                for (Cqe c = r.d.reap(); c != null; c = r.d.reap()) {
                    out.add(c);
                }
                return out;
            } finally {
                Linux.close(fd);
            }
        }));
        assertThat(cqes).hasSize(1);
        assertThat(cqes.getFirst().res()).as("the first record's length").isPositive();
    }

    private static int openKmsg() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment path = arena.allocateFrom("/dev/kmsg");
            long fd = Linux.call(Linux.SYS_OPENAT, AT_FDCWD, path.address(), O_RDONLY | Linux.O_CLOEXEC, 0, 0, 0);
            assumeTrue(fd >= 0, "/dev/kmsg cannot be read here (errno " + -fd + ")");
            return (int) fd;
        }
    }
}
