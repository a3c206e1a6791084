package dev.ringspec.emulator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.ringspec.model.ModelIoUring;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A closing ring's descriptor number is given back only after the emulator forgot the ring's state under it: until
 * then no ring set up on another thread can get the same number (the lowest free one) and lose its lock or wait
 * permit to the old ring's clean-up.
 */
class HeldRingDescriptorsTest {
    /** Descriptors that record what happens to them, in order. */
    private static final class Recorded implements ModelIoUring.RingDescriptors {
        final List<String> events = new ArrayList<>();
        private int next = 3;

        @Override
        public int open() {
            events.add("open " + next);
            return next++;
        }

        @Override
        public void close(int fd) {
            events.add("close " + fd);
        }
    }

    @Test
    void aClosedRingsNumberIsGivenBackAfterItsStateIsForgotten() {
        Recorded real = new Recorded();
        HeldRingDescriptors held = new HeldRingDescriptors(real);
        int fd = held.open();
        int r = held.closeHolding(() -> {
            held.close(fd); // the model's close gives the descriptor back
            real.events.add("model closed");
            return 0;
        }, () -> real.events.add("forgotten"));
        assertEquals(0, r);
        assertEquals(List.of("open 3", "model closed", "forgotten", "close 3"), real.events);
    }

    @Test
    void aFailedSetupsDescriptorIsGivenBackAtOnce() {
        Recorded real = new Recorded();
        HeldRingDescriptors held = new HeldRingDescriptors(real);
        held.close(held.open());
        assertEquals(List.of("open 3", "close 3"), real.events);
    }

    @Test
    void aCloseThatFailsForgetsNothingAndGivesNothingBack() {
        Recorded real = new Recorded();
        HeldRingDescriptors held = new HeldRingDescriptors(real);
        int r = held.closeHolding(() -> -9, () -> real.events.add("forgotten"));
        assertEquals(-9, r);
        assertEquals(List.of(), real.events);
        // and the next close outside closeHolding is not held
        held.close(7);
        assertEquals(List.of("close 7"), real.events);
    }

    @Test
    void aForgetThatThrowsStillGivesTheNumberBack() {
        Recorded real = new Recorded();
        HeldRingDescriptors held = new HeldRingDescriptors(real);
        int fd = held.open();
        assertThrows(IllegalStateException.class, () -> held.closeHolding(() -> {
            held.close(fd);
            return 0;
        }, () -> {
            throw new IllegalStateException("clean-up failed");
        }));
        assertEquals(List.of("open 3", "close 3"), real.events);
    }

    @Test
    void aCloseOnAnotherThreadMeanwhileIsNotHeld() throws InterruptedException {
        Recorded real = new Recorded();
        HeldRingDescriptors held = new HeldRingDescriptors(real);
        held.closeHolding(() -> {
            Thread other = Thread.ofPlatform().start(() -> held.close(11)); // another ring's failed setup
            try {
                other.join();
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
            held.close(3);
            return 0;
        }, () -> real.events.add("forgotten"));
        assertEquals(List.of("close 11", "forgotten", "close 3"), real.events);
    }
}
