package dev.ringspec.emulator.ops;

import static dev.ringspec.emulator.sys.Linux.SYS_OPENAT;
import static dev.ringspec.uapi.IoUring.IORING_POLL_ADD_LEVEL;
import static dev.ringspec.uapi.IoUring.IORING_POLL_ADD_MULTI;
import static dev.ringspec.uapi.IoUring.IORING_POLL_UPDATE_EVENTS;
import static dev.ringspec.uapi.IoUring.IORING_POLL_UPDATE_USER_DATA;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SUBMIT_ALL;
import static dev.ringspec.uapi.IoUring.IOSQE_CQE_SKIP_SUCCESS;
import static dev.ringspec.uapi.Poll.POLLIN;
import static dev.ringspec.uapi.Poll.POLLOUT;
import static dev.ringspec.uapi.Poll.POLLPRI;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.emulator.BothSides;
import dev.ringspec.emulator.sys.Linux;
import dev.ringspec.seam.Cqe;
import dev.ringspec.seam.Sqe;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Malformed POLL_ADD and POLL_REMOVE SQEs, and files that cannot be polled: the kernel's errno for each. */
@Tag("kernel")
class PollBadInputTest {

    @Test
    void malformedPollAddsGetTheKernelsErrnos() throws Exception {
        List<Cqe> cqes = BothSides.sameOnBoth(TestRing.on(16, IORING_SETUP_SUBMIT_ALL, 0, (w, r) -> {
            int[] p = w.pipe();
            Sqe.addr(r.d.sqes(), r.pollAdd(p[0], POLLIN, 0, 1), 8);
            Sqe.off(r.d.sqes(), r.pollAdd(p[0], POLLIN, 0, 2), 8);
            Sqe.bufIndex(r.d.sqes(), r.pollAdd(p[0], POLLIN, 0, 3), 1);
            r.pollAdd(p[0], POLLIN, IORING_POLL_ADD_LEVEL, 4);
            r.pollAdd(p[0], POLLIN, IORING_POLL_UPDATE_EVENTS, 5);
            Sqe.flags(r.d.sqes(), r.pollAdd(p[0], POLLIN, IORING_POLL_ADD_MULTI, 6), IOSQE_CQE_SKIP_SUCCESS);
            r.pollAdd(p[1] + 100, POLLIN, 0, 7);
            Sqe.fileIndex(r.d.sqes(), r.pollAdd(p[1], POLLOUT, 0, 8), 3);
            Sqe.ioprio(r.d.sqes(), r.pollAdd(p[1], POLLOUT, 0, 9), 1);
            r.submit();
            List<Cqe> out = r.settle(9);
            return out;
        }));
        assertThat(cqes).hasSize(9);
    }

    @Test
    void oneShotWithSkipSuccessPostsNothing() throws Exception {
        BothSides.sameOnBoth(TestRing.on((w, r) -> {
            int[] p = w.pipe();
            Sqe.flags(r.d.sqes(), r.pollAdd(p[1], POLLOUT, 0, 1), IOSQE_CQE_SKIP_SUCCESS);
            r.nop(2);
            r.submit();
            List<Cqe> out = r.settle(1);
            out.addAll(r.quiet());
            return out;
        }));
    }

    @Test
    void malformedPollRemovesGetTheKernelsErrnos() throws Exception {
        List<Cqe> cqes = BothSides.sameOnBoth((kernel, memory) -> {
            {
                TestRing r = new TestRing(kernel, memory, 16, IORING_SETUP_SUBMIT_ALL, 0);
                r.pollRemove(1, IORING_POLL_ADD_MULTI, 0, 0, 1);
                r.pollRemove(1, IORING_POLL_ADD_LEVEL, 0, 0, 2);
                r.pollRemove(1, 0, 0, 5, 3);
                r.pollRemove(1, 0, POLLIN, 0, 4);
                r.pollRemove(1, IORING_POLL_UPDATE_USER_DATA | 0x10, 0, 5, 5);
                Sqe.bufIndex(r.d.sqes(), r.pollRemove(1, 0, 0, 0, 6), 1);
                Sqe.fileIndex(r.d.sqes(), r.pollRemove(1, 0, 0, 0, 7), 1);
                r.pollRemove(1, IORING_POLL_UPDATE_EVENTS, POLLIN, 0, 8);
                r.submit();
                List<Cqe> out = r.settle(8);
                r.close();
                return out;
            }
        });
        assertThat(cqes).hasSize(8);
    }

    @Test
    void aRegularFileAnswersAtOnceOrNotAtAll() throws Exception {
        BothSides.sameOnBoth((kernel, memory) -> {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment path = arena.allocateFrom("/proc/self/status");
                int fd = (int) Linux.call(SYS_OPENAT, -100, path.address(), 0);
                TestRing r = new TestRing(kernel, memory);
                r.pollAdd(fd, POLLIN, 0, 1);
                r.pollAdd(fd, POLLIN | POLLOUT, IORING_POLL_ADD_MULTI, 2);
                r.pollAdd(fd, POLLPRI, 0, 3);
                r.submit();
                List<Cqe> out = r.settle(3);
                r.close();
                Linux.close(fd);
                return out;
            }
        });
    }
}
