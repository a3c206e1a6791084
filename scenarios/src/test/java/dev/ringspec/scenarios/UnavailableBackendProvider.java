package dev.ringspec.scenarios;

import dev.ringspec.seam.Backend;
import dev.ringspec.seam.BackendProvider;
import java.util.List;

/** A backend that cannot run here, registered for this module's tests only, and only when named. */
public final class UnavailableBackendProvider implements BackendProvider {
    static final String REASON = "io_uring is disabled for this test.";

    @Override
    public List<Backend> backends() {
        return List.of(Backend.kernel("unavailable", memory -> {
            throw new AssertionError("an unavailable backend was opened");
        }).withAvailability(() -> Backend.Availability.unavailable(REASON)).optIn());
    }
}
