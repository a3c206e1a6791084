package dev.ringspec.guest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.abort;

import dev.ringspec.seam.Backend;
import dev.ringspec.seam.BackendRegistry;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Guest kernels in the backend registry: opt-in names, and one shared guest behind a selected one. */
class GuestBackendProviderTest {

    @Test
    void everyDebianSeriesIsAnOptInBackendThatBootsNothingWhenListed() {
        List<Backend> guests = BackendRegistry.registered().stream()
                .filter(b -> b.name().startsWith("guest:")).toList();
        assertThat(guests).extracting(Backend::name).containsExactlyInAnyOrder("guest:debian:6.1",
                "guest:debian:6.12", "guest:debian:7.2", "guest:debian:7.3");
        assertThat(guests).allSatisfy(b -> {
            assertThat(b.isOptIn()).isTrue();
            assertThat(b.kind()).isEqualTo(Backend.Kind.KERNEL);
        });
        assertThat(BackendRegistry.select(null, BackendRegistry.registered())).noneMatch(b -> b.name()
                .startsWith("guest:"));
        assertThat(BackendRegistry.select("guest:debian:7.2", BackendRegistry.registered()))
                .extracting(Backend::name).containsExactly("guest:debian:7.2");
        assertThatThrownBy(() -> BackendRegistry.select("guest:debian:5.10", BackendRegistry.registered()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("guest:debian:5.10");
    }

    @Test
    @Tag("qemu")
    void aSelectedGuestIsBootedOnceAndSharedWithItsPipesMirrored() {
        Backend backend = GuestBackendProvider.backend("debian:7.2");
        if (!backend.availability().available()) {
            abort(backend.availability().reason());
        }
        assertThat(backend.capabilities().release()).startsWith("7.2.");
        Backend again = GuestBackendProvider.backend("debian:7.2");
        assertThat(again.availability().available()).isTrue();
        assertThat(GuestBackendProvider.guest("debian:7.2")).isSameAs(GuestBackendProvider.guest("debian:7.2"));
        int[] pipe = backend.process().pipe();
        assertThat(pipe).hasSize(2);
        assertThat(pipe[0]).isNotNegative();
        assertThat(backend.process().close(pipe[0])).isZero();
        assertThat(backend.process().close(pipe[1])).isZero();
        assertThat(backend.process().close(pipe[1])).as("closed already").isNegative();
    }
}
