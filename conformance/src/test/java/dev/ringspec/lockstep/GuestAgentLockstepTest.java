package dev.ringspec.lockstep;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.seam.Backend;
import dev.ringspec.guest.GuestIoUring;
import dev.ringspec.guest.agent.AgentSession;
import dev.ringspec.guest.agent.NativeAgent;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The guest backend, over an agent running natively on this kernel, in lockstep with the native runner on the same
 * kernel: the same generated steps must give the same observable state after every step, so any divergence is
 * the guest backend's (memory sync, threads, resize, NO_MMAP placement), never the kernel's.
 */
@Tag("kernel")
class GuestAgentLockstepTest {
    private static AgentSession session;

    @BeforeAll
    static void agent() {
        KernelTests.assumeIoUring();
        session = NativeAgent.session();
    }

    @AfterAll
    static void end() {
        if (session != null) {
            session.close();
        }
    }

    @Test
    void guestBackendOverANativeAgentNeverDivergesFromTheNativeRunner() {
        Backend guest = Backend.kernel("guest agent", memory -> new GuestIoUring(session, memory));
        Coverage coverage = new Coverage();
        long steps = 0;
        long runs = Long.getLong("lockstep.runs", 100);
        long start = System.nanoTime();
        try (LockstepRunner runner = new LockstepRunner(KernelTests.kernel("native kernel"), guest)) {
            for (long seed = 1; seed <= runs; seed++) {
                LockstepRunner.Outcome outcome = runner.generate(new Generator(seed), 200, coverage);
                if (outcome.diverged()) {
                    // The kernel very rarely disagrees with itself (see KernelVsKernelTest); a divergence of the
                    // backend's own comes back when the same steps run again.
                    LockstepRunner.Outcome again = runner.run(outcome.steps(), null);
                    assertThat(again.divergence()).as("seed %d diverged reproducibly: %s", seed,
                            outcome.divergence()).isNull();
                }
                steps += outcome.steps().size();
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf("native runner vs guest backend (native agent): %d steps in %.2f s (%.0f steps/s)%n",
                steps, seconds, steps / seconds);
        // A run ends at the first step the referee refuses (an io-wq handoff, a wait that could never end).
        assertThat(steps).isGreaterThan(runs * 120);
        assertThat(coverage.count(Coverage.Label.CQ_WRAPS)).isPositive();
        assertThat(coverage.count(Coverage.Label.OVERFLOW_ENTERED)).isPositive();
        assertThat(coverage.count(Coverage.Label.DROPPED_SQES)).isPositive();
    }
}
