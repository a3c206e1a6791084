package dev.ringspec.scenarios;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.seam.Backend;
import dev.ringspec.seam.Cqe;
import org.junit.jupiter.api.Tag;

/**
 * Heads and tails are free-running counters; a CQE lands in slot {@code counter & mask}, lap after lap
 * (ring-semantics.md A2 fast path, STYLE "a head or tail is a counter; a slot is an index").
 */
@Tag("kernel")
class CqWrapTest {

    @Scenario
    void countersCrossTheRingManyTimesAndSlotIsCounterAndMask(Backend backend) {
        try (ScenarioRing r = ScenarioRing.open(backend, 2, 0)) {
            assertThat(r.ring.params().cqEntries()).isEqualTo(4);
            long ud = 0;
            for (int round = 0; round < 100; round++) {
                int cqTail = r.cq().loadAcquireTail();
                r.nop(ud);
                r.nop(ud + 1);
                assertThat(r.submit()).isEqualTo(2);
                assertThat(r.cq().loadAcquireTail()).isEqualTo(cqTail + 2);
                assertThat(r.sq().loadAcquireHead()).isEqualTo(2 * (round + 1));
                // Read the raw slots before reaping: counter & mask, not counter modulo anything else.
                assertThat(r.cq().userData(cqTail & 3)).isEqualTo(ud);
                assertThat(r.cq().userData((cqTail + 1) & 3)).isEqualTo(ud + 1);
                assertThat(r.reapAll()).extracting(Cqe::userData).containsExactly(ud, ud + 1);
                ud += 2;
            }
            assertThat(r.cq().readOnceHead()).isEqualTo(200);
            assertThat(r.cq().readOnceOverflow()).isZero();
        }
    }

    // Odd batch sizes put the wrap point in the middle of a batch.
    @Scenario
    void batchesStraddlingTheWrapPointKeepOrder(Backend backend) {
        try (ScenarioRing r = ScenarioRing.open(backend, 4, 0)) {
            long ud = 0;
            for (int round = 0; round < 40; round++) {
                int count = 1 + round % 3;
                for (int i = 0; i < count; i++) {
                    r.nop(ud + i);
                }
                assertThat(r.submit()).isEqualTo(count);
                for (int i = 0; i < count; i++) {
                    assertThat(r.reap().userData()).isEqualTo(ud + i);
                }
                assertThat(r.reap()).isNull();
                ud += count;
            }
            assertThat(r.cq().loadAcquireTail()).isEqualTo((int) ud);
            assertThat(r.sq().loadAcquireHead()).isEqualTo((int) ud);
        }
    }
}
