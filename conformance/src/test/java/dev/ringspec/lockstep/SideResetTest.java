package dev.ringspec.lockstep;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * A side starts each run as a fresh side does, so that a reference rebuilt for a choice point (a fresh side that
 * replays the run) can agree with the run's sides: in a run of world seeds 1 to 150, seed 88's rebuilds all failed on
 * bytes an earlier seed's READ_FIXED had left in the registered buffers' memory of the run's sides.
 */
class SideResetTest {

    @Test
    void aNewRunStartsWithTheRegisteredBuffersOfAFreshSide() {
        Side used = new Side(WorldLockstepTest.emulator(), -1, -1);
        Side fresh = new Side(WorldLockstepTest.emulator(), -1, -1);
        try {
            used.buffers.asSlice(Side.BUFFER_BYTES, 16).fill((byte) 'j'); // an earlier run's read into buffer 1
            used.resetWorld();
            assertThat(used.buffers.mismatch(fresh.buffers)).isEqualTo(-1L);
        } finally {
            used.close();
            fresh.close();
        }
    }
}
