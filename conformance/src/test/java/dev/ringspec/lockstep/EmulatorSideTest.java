package dev.ringspec.lockstep;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.emulator.EmulatorBackendProvider;
import dev.ringspec.model.KernelProfile;
import dev.ringspec.seam.Backend;
import org.junit.jupiter.api.Test;

/** A lockstep run with an emulator side closes it: its threads end with the runner. */
class EmulatorSideTest {

    private static long emulatorThreads() {
        return Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive)
                .filter(t -> t.getName().startsWith("ringspec-emulator")).count();
    }

    @Test
    void theRunnerClosesTheEmulatorsItOpened() {
        Backend emulator = EmulatorBackendProvider.backend(KernelProfile.LINUX_6_18);
        Backend model = ReferenceBackends.reference(null);
        emulator.capabilities(); // the backend's shared instance, which lives as long as the backend
        long before = emulatorThreads();
        for (int i = 0; i < 5; i++) {
            try (LockstepRunner runner = new LockstepRunner(emulator, model)) {
                assertThat(emulatorThreads()).as("the emulator side runs threads").isGreaterThan(before);
                LockstepRunner.Outcome o = runner.generate(new Generator(40 + i), 100, null);
                assertThat(o.diverged()).as("%s", o.divergence()).isFalse();
            }
        }
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (emulatorThreads() > before && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        assertThat(emulatorThreads()).as("threads after five runners closed").isEqualTo(before);
    }
}
