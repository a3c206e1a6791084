package dev.ringspec.emulator.ops;

import static dev.ringspec.uapi.IoUring.IORING_POLL_ADD_MULTI;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_COOP_TASKRUN;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_TASKRUN_FLAG;
import static dev.ringspec.uapi.Poll.POLLIN;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.emulator.EmulatedIoUring;
import dev.ringspec.emulator.EmulatorOptions;
import dev.ringspec.model.KernelProfile;
import dev.ringspec.seam.UserMemory;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A hosted program's exit, as {@code ringspec host --serve} met it once in 151 programs: the exit closes the
 * program's pipes, whose hangups wake its ring's multishot polls on the emulator's poll thread, and ends its ring
 * ({@code Supervisor.ringEnded}) at the same time. A wakeup that looked at its poll before the close cancelled it
 * queued its task work after the ring's memory was freed, and on a TASKRUN_FLAG ring raised IORING_SQ_TASKRUN there:
 * "Already closed" killed the poll thread. The kernel's {@code io_ring_exit_work} cancels the polls
 * ({@code io_poll_remove_all}) and waits for them before {@code io_ring_ctx_free}. A race: without the guard of
 * {@code TaskWork.release} this failed in 2 of 3 runs here (load 14); {@code RingExitDropsRemoteWorkTest} in the model
 * shows the same every time.
 */
class RingClosePollRaceTest {
    private static final int ROUNDS = 2000;
    private static final int PIPES = 16;

    @Test
    @Timeout(300)
    void hangupsRacingTheRingsEndNeverWriteItsFreedMemory() throws Exception {
        List<Throwable> uncaught = Collections.synchronizedList(new ArrayList<>());
        Thread.UncaughtExceptionHandler before = Thread.getDefaultUncaughtExceptionHandler();
        Thread.setDefaultUncaughtExceptionHandler((t, x) -> uncaught.add(x));
        try (UserMemory memory = new UserMemory();
                EmulatedIoUring e = EmulatedIoUring.open(EmulatorOptions.of(KernelProfile.LINUX_6_18), memory)) {
            for (int round = 0; round < ROUNDS && uncaught.isEmpty(); round++) {
                try (World w = new World()) {
                    TestRing r = new TestRing(e, memory, 2 * PIPES, IORING_SETUP_COOP_TASKRUN
                            | IORING_SETUP_TASKRUN_FLAG, 0);
                    int[] writers = new int[PIPES];
                    for (int i = 0; i < PIPES; i++) {
                        int[] p = w.pipe();
                        r.pollAdd(p[0], POLLIN, IORING_POLL_ADD_MULTI, i);
                        writers[i] = p[1];
                    }
                    assertThat(r.submit()).isEqualTo(PIPES);
                    AtomicInteger closed = new AtomicInteger();
                    Thread exit = Thread.ofPlatform().start(() -> {
                        for (int fd : writers) {
                            w.close(fd);
                            closed.incrementAndGet();
                        }
                    });
                    // the ring ends while the hangups are being delivered
                    while (closed.get() < PIPES / 2) {
                        Thread.onSpinWait();
                    }
                    e.close(r.d.ring());
                    exit.join();
                }
            }
        } finally {
            Thread.setDefaultUncaughtExceptionHandler(before);
        }
        assertThat(uncaught).isEmpty();
    }
}
