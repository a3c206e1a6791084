package dev.ringspec.host;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** {@link RingEnds}' watcher thread, with no ring to watch. */
class RingEndsTest {
    /**
     * With nothing to report, the watcher wakes once a release period to let idle references go, and sleeps between:
     * the ppoll system call writes the time left back into its timeout, so a timeout set once reads 0 after the first
     * period and the thread would spin on the CPU the program and the supervisor need (it did, at thousands of
     * wake-ups a second).
     */
    @Test
    void idleWatcherWakesOncePerReleasePeriod() throws InterruptedException {
        long start = System.nanoTime();
        try (RingEnds ends = new RingEnds(ring -> { })) {
            Thread.sleep(4 * RingEnds.RELEASE_MILLIS);
            long wakeUps = ends.wakeUps();
            // a loaded machine wakes it late, never early: one wake-up per whole period gone by, at most
            long periods = (System.nanoTime() - start) / (RingEnds.RELEASE_MILLIS * 1_000_000L);
            assertThat(wakeUps).isLessThanOrEqualTo(periods);
        }
    }
}
