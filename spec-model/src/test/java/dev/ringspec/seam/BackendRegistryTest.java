package dev.ringspec.seam;

import static dev.ringspec.uapi.Errno.EBADF;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ringspec.model.ModelIoUring;
import dev.ringspec.seam.Backend.Availability;
import java.util.List;
import org.junit.jupiter.api.Test;

class BackendRegistryTest {
    private static final Backend A = Backend.model("a", memory -> null);
    private static final Backend B = Backend.kernel("b", memory -> null);
    private static final Backend SLOW = Backend.kernel("slow", memory -> null).optIn();

    @Test
    void spec_modelRegistersTheModelWithEveryProfileInVersionOrder() {
        assertThat(BackendRegistry.registered()).extracting(Backend::name)
                .containsSubsequence("model-6.1", "model-6.12", "model-6.18", "model-6.19", "model-7.0", "model-7.1",
                        "model-7.2", "model-7.3");
        assertThat(BackendRegistry.registered()).filteredOn(b -> b.name().startsWith("model-"))
                .allSatisfy(b -> assertThat(b.kind()).isEqualTo(Backend.Kind.MODEL));
    }

    @Test
    void aRegisteredModelOpensAModelWithItsProfile() {
        Backend model = BackendRegistry.registered().stream().filter(b -> b.name().equals("model-7.1")).findFirst()
                .orElseThrow();
        try (UserMemory memory = new UserMemory()) {
            IoUringKernel kernel = model.open(memory);
            assertThat(kernel).isInstanceOf(ModelIoUring.class);
            assertThat(kernel.release()).startsWith("7.1");
        }
        assertThat(model.capabilities().query()).as("QUERY through the model's own user memory").isNotNull();
    }

    @Test
    void withoutASelectionEveryBackendButTheOptInOnesRuns() {
        assertThat(BackendRegistry.select(null, List.of(A, B, SLOW))).containsExactly(A, B);
        assertThat(BackendRegistry.select(" ", List.of(A, B, SLOW))).containsExactly(A, B);
        assertThat(BackendRegistry.select("all", List.of(A, B, SLOW))).containsExactly(A, B, SLOW);
    }

    @Test
    void aSelectionRunsTheNamedBackendsInTheOrderNamed() {
        assertThat(BackendRegistry.select("slow, a", List.of(A, B, SLOW))).containsExactly(SLOW, A);
    }

    @Test
    void anUnknownOrRepeatedNameIsAnErrorThatListsTheNames() {
        assertThatThrownBy(() -> BackendRegistry.select("a,kernel", List.of(A, B)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'kernel'")
                .hasMessageContaining("registered: a, b");
        assertThatThrownBy(() -> BackendRegistry.select("a,a", List.of(A, B)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("twice");
        assertThatThrownBy(() -> BackendRegistry.select(null, List.of(A, Backend.model("a", memory -> null))))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("two backends are named a");
        assertThatThrownBy(() -> BackendRegistry.select(null, List.of(Backend.model("model, profile 7.1",
                memory -> null)))).isInstanceOf(IllegalStateException.class).hasMessageContaining("without commas");
    }

    @Test
    void optionsAfterAQuestionMarkGoToTheBackendVerbatim() {
        List<String> seen = new java.util.ArrayList<>();
        Backend emulator = Backend.emulator("emu-1", memory -> null).withOptionsFactory((memory, options) -> {
            seen.add(options);
            return null;
        });
        List<Backend> chosen = BackendRegistry.select("a,emu-1?faults=eintr:3;short-read", List.of(A, emulator));
        assertThat(chosen).extracting(Backend::name).containsExactly("a", "emu-1?faults=eintr:3;short-read");
        assertThat(chosen.get(1).kind()).isEqualTo(Backend.Kind.EMULATOR);
        try (UserMemory memory = new UserMemory()) {
            chosen.get(1).open(memory);
            BackendRegistry.named(" emu-1?faults=a,b ", List.of(A, emulator)).open(memory);
        }
        assertThat(seen).containsExactly("faults=eintr:3;short-read", "faults=a,b");
        assertThat(BackendRegistry.select("emu-1,emu-1?x=1", List.of(emulator))).hasSize(2);
    }

    @Test
    void aBackendWithoutOptionsCannotRunWithThemAndSaysSo() {
        Backend configured = BackendRegistry.named("b?faults=eagain", List.of(A, B));
        assertThat(configured.availability()).isEqualTo(
                Availability.unavailable("b takes no options, so it cannot run with 'faults=eagain'"));
        assertThatThrownBy(() -> BackendRegistry.named("c?x", List.of(A, B)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'c'");
        assertThatThrownBy(() -> BackendRegistry.named("b?", List.of(A, B)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("empty options");
    }

    @Test
    void anUnavailableBackendSaysWhyAndDoesNotOpen() {
        Backend gone = Backend.kernel("gone", memory -> {
            throw new AssertionError("opened");
        }).withAvailability(() -> Availability.unavailable("io_uring is disabled here."));
        assertThat(gone.availability()).isEqualTo(new Availability(false, "io_uring is disabled here."));
        assertThatThrownBy(gone::kernel).isInstanceOf(IllegalStateException.class)
                .hasMessage("backend gone cannot run here: io_uring is disabled here.");
    }

    @Test
    void theModelsProcessHandsOutDescriptorsUntilClosed() {
        BackendProcess process = BackendRegistry.registered().stream().filter(b -> b.name().equals("model-6.18"))
                .findFirst().orElseThrow().process();
        int[] pipe = process.pipe();
        assertThat(pipe).hasSize(2);
        assertThat(Math.min(pipe[0], pipe[1])).isNotNegative();
        assertThat(pipe[0]).isNotEqualTo(pipe[1]);
        assertThat(process.close(pipe[0])).isZero();
        assertThat(process.close(pipe[0])).isEqualTo(-EBADF);
        assertThat(Backend.model("bare", memory -> null).process().pipe()).containsExactly(-38);
    }
}
