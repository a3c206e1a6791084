package dev.ringspec.guest.kernel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class KernelSpecTest {
    @Test
    void debianSeriesNameTheirSuites() {
        assertThat(KernelSpec.parse("debian:6.1")).isEqualTo(
                new KernelSpec.Debian("6.1", List.of("bookworm", "bookworm-security")));
        assertThat(KernelSpec.parse("debian:6.12")).isEqualTo(
                new KernelSpec.Debian("6.12", List.of("trixie", "trixie-security")));
        assertThat(KernelSpec.parse("debian:7.2")).isEqualTo(new KernelSpec.Debian("7.2", List.of("sid")));
        assertThat(KernelSpec.parse("debian:7.3")).isEqualTo(new KernelSpec.Debian("7.3", List.of("experimental")));
        assertThat(KernelSpec.parse("/boot/vmlinuz")).isEqualTo(new KernelSpec.File(Path.of("/boot/vmlinuz")));
    }

    @Test
    void unknownSeriesIsOneSentenceNamingTheKnownOnes() {
        assertThatThrownBy(() -> KernelSpec.parse("debian:5.10")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("debian:5.10").hasMessageContaining("debian:7.3");
        assertThatThrownBy(() -> KernelSpec.parse(" ")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aSeriesMatchesItsOwnVersionsOnly() {
        KernelSpec.Debian six = (KernelSpec.Debian) KernelSpec.parse("debian:6.1");
        assertThat(six.matches("6.1.192-2")).isTrue();
        assertThat(six.matches("6.1.176-1")).isTrue();
        assertThat(six.matches("6.12.117-1")).isFalse();
        assertThat(six.matches("16.1.0-1")).isFalse();
        KernelSpec.Debian rc = (KernelSpec.Debian) KernelSpec.parse("debian:7.3");
        assertThat(rc.matches("7.3~rc7-1~exp1")).isTrue();
        assertThat(rc.matches("7.3-1")).isTrue();
        assertThat(rc.matches("7.30.1-1")).isFalse();
    }
}
