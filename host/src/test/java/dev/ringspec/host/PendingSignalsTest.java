package dev.ringspec.host;

import static dev.ringspec.uapi.IoUring.IORING_ENTER_GETEVENTS;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.emulator.sys.Linux;
import org.junit.jupiter.api.Test;

/**
 * {@link PendingSignals}' watcher looks only at waits that sleep, as the kernel looks at signals only in its wait's
 * sleep. With no listener (-1) every NOTIF_ID_VALID fails, so a wait the watcher looks at is taken as abandoned at
 * once and its thread (here the test's) interrupted.
 */
class PendingSignalsTest {
    private static final int SELF = (int) Linux.call(Linux.SYS_GETPID, 0);
    private static final Seccomp.Notification WAIT = new Seccomp.Notification(1, SELF, Supervisor.NR_ENTER,
            new long[] {3, 0, 1, IORING_ENTER_GETEVENTS, 0, 0});

    /** Sleeps {@code millis} on the calling thread: whether something interrupted it. */
    private static boolean interruptedWithin(long millis) {
        try {
            Thread.sleep(millis);
            return false;
        } catch (InterruptedException e) {
            return true;
        }
    }

    @Test
    void waitThatNeverSleepsIsNotWatched() {
        try (PendingSignals signals = new PendingSignals(-1, false)) {
            PendingSignals.Serving w = signals.begin(WAIT, SELF);
            boolean interrupted = interruptedWithin(20 * PendingSignals.PERIOD_MILLIS);
            signals.end(w);
            assertThat(interrupted).isFalse();
            assertThat(signals.ended()).isZero();
        }
    }

    @Test
    void sleepingWaitIsWatched() {
        try (PendingSignals signals = new PendingSignals(-1, false)) {
            PendingSignals.Serving w = signals.begin(WAIT, SELF);
            signals.sleeping();
            boolean interrupted = interruptedWithin(60_000);
            signals.end(w);
            assertThat(interrupted).isTrue();
            assertThat(signals.ended()).isEqualTo(1);
            assertThat(Thread.currentThread().isInterrupted()).isFalse();
        }
    }
}
