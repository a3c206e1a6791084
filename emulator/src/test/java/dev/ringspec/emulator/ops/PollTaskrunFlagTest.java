package dev.ringspec.emulator.ops;

import static dev.ringspec.uapi.IoUring.IORING_ENTER_GETEVENTS;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_DEFER_TASKRUN;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SINGLE_ISSUER;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_TASKRUN_FLAG;
import static dev.ringspec.uapi.IoUring.IORING_SQ_TASKRUN;
import static dev.ringspec.uapi.Poll.POLLIN;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.emulator.BothSides;
import dev.ringspec.seam.Cqe;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * liburing 2.3's {@code defer-taskrun} test, {@code test_flag}: on a DEFER_TASKRUN|TASKRUN_FLAG ring a POLL_ADD of an
 * eventfd waits; the application's write to the eventfd wakes the poll inside the write ({@code eventfd_write} ->
 * {@code io_poll_wake} -> {@code io_req_local_work_add}, which raises IORING_SQ_TASKRUN), so the flag is set as soon
 * as the write returns and no CQE is there yet; the next enter with GETEVENTS runs the local work
 * ({@code io_run_local_work} clears the flag) and posts the poll's CQE. The emulator learns of the write only through
 * its poll thread's epoll, a few microseconds to milliseconds later (a wakeup it cannot see inside a syscall it does
 * not make), so the test waits for the flag before it compares; what it pins is that the wakeup raises it, before any
 * CQE, and that the enter clears it.
 */
@Tag("kernel")
@Timeout(30)
class PollTaskrunFlagTest {
    private static final int FLAGS = IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_SINGLE_ISSUER
            | IORING_SETUP_TASKRUN_FLAG;

    private static Cqe observation(int step, long value) {
        return new Cqe(1000 + step, (int) value, 0, 0, 0);
    }

    @Test
    void anEventfdWriteWakingAPollRaisesTaskrunBeforeTheWriteReturns() throws Exception {
        List<Cqe> seen = BothSides.sameOnBoth(TestRing.on(8, FLAGS, 0, (w, r) -> {
            int e = w.eventfd();
            List<Cqe> out = new ArrayList<>();
            r.pollAdd(e, POLLIN, 0, 1);
            out.add(observation(1, r.submit()));
            out.add(observation(2, r.d.sq().readOnceFlags() & IORING_SQ_TASKRUN));
            w.signal(e, 1);
            // the kernel raised it inside the write; the emulator sees the write through epoll, on its poll thread
            // (about 20 us later at load 8 here; README.md "Hosting unmodified programs" says what that costs)
            long deadline = System.nanoTime() + 5_000_000_000L;
            while ((r.d.sq().readOnceFlags() & IORING_SQ_TASKRUN) == 0 && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
            out.add(observation(3, r.d.sq().readOnceFlags() & IORING_SQ_TASKRUN));
            out.add(observation(4, r.d.cq().loadAcquireTail() - r.d.cq().readOnceHead()));
            out.add(observation(5, r.kernel.enter(r.d.ring(), 0, 0, IORING_ENTER_GETEVENTS, MemorySegment.NULL, 0)));
            out.add(observation(6, r.d.sq().readOnceFlags() & IORING_SQ_TASKRUN));
            out.add(r.d.reap());
            return out;
        }));
        assertThat(seen.get(2).res()).isEqualTo(IORING_SQ_TASKRUN);
    }
}
