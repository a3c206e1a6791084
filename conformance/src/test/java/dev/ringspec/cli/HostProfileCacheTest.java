package dev.ringspec.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.model.KernelProfile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code ringspec host}'s choice of this kernel's profile, kept between runs under a key of boot, kernel and jar. */
class HostProfileCacheTest {
    @TempDir
    Path tmp;

    private static final List<KernelProfile> PROFILES = List.of(KernelProfile.LINUX_6_12, KernelProfile.LINUX_6_18,
            KernelProfile.LINUX_7_2);

    private final AtomicInteger probes = new AtomicInteger();

    private Supplier<KernelProfile> probe(KernelProfile answer) {
        return () -> {
            probes.incrementAndGet();
            return answer;
        };
    }

    @Test
    void theSameKeyProbesOnceAnotherKeyProbesAgain() {
        Path file = tmp.resolve("c/ringspec/host-profile");
        assertThat(HostProfileCache.choose(file, Optional.of("boot-1 jar-1"), PROFILES,
                probe(KernelProfile.LINUX_7_2))).isEqualTo(KernelProfile.LINUX_7_2);
        assertThat(HostProfileCache.choose(file, Optional.of("boot-1 jar-1"), PROFILES,
                probe(KernelProfile.LINUX_6_12))).isEqualTo(KernelProfile.LINUX_7_2);
        assertThat(probes).hasValue(1);
        // a reboot (or another jar) probes again, and its answer is kept in place of the old one
        assertThat(HostProfileCache.choose(file, Optional.of("boot-2 jar-1"), PROFILES,
                probe(KernelProfile.LINUX_6_12))).isEqualTo(KernelProfile.LINUX_6_12);
        assertThat(HostProfileCache.choose(file, Optional.of("boot-2 jar-1"), PROFILES,
                probe(KernelProfile.LINUX_7_2))).isEqualTo(KernelProfile.LINUX_6_12);
        assertThat(probes).hasValue(2);
    }

    @Test
    void noKeyACorruptFileAnUnknownProfileOrAnUnwritablePlaceProbe() throws Exception {
        Path file = tmp.resolve("host-profile");
        assertThat(HostProfileCache.choose(file, Optional.empty(), PROFILES, probe(KernelProfile.LINUX_6_18)))
                .isEqualTo(KernelProfile.LINUX_6_18);
        assertThat(file).doesNotExist();
        Files.write(file, new byte[] {(byte) 0xff, 0, 'k', '\t'});
        assertThat(HostProfileCache.choose(file, Optional.of("k"), PROFILES, probe(KernelProfile.LINUX_6_18)))
                .isEqualTo(KernelProfile.LINUX_6_18);
        Files.writeString(file, "k\t9.9\n");
        assertThat(HostProfileCache.choose(file, Optional.of("k"), PROFILES, probe(KernelProfile.LINUX_6_12)))
                .isEqualTo(KernelProfile.LINUX_6_12);
        Files.writeString(file, "k\t7.2");
        assertThat(HostProfileCache.choose(file, Optional.of("k"), PROFILES, probe(KernelProfile.LINUX_6_18)))
                .as("a line cut short").isEqualTo(KernelProfile.LINUX_6_18);
        Path underAFile = file.resolve("host-profile");
        assertThat(HostProfileCache.choose(underAFile, Optional.of("k"), PROFILES, probe(KernelProfile.LINUX_7_2)))
                .isEqualTo(KernelProfile.LINUX_7_2);
        assertThat(probes).hasValue(5);
        assertThat(Files.list(tmp)).as("no temporary file left").containsExactly(file);
    }

    @Test
    void theFileIsUnderXdgCacheHomeWhenAbsolute() {
        assertThat(HostProfileCache.file(Map.of("XDG_CACHE_HOME", "/x"), "/home/u"))
                .isEqualTo(Path.of("/x/ringspec/host-profile"));
        assertThat(HostProfileCache.file(Map.of("XDG_CACHE_HOME", "rel"), "/home/u"))
                .isEqualTo(Path.of("/home/u/.cache/ringspec/host-profile"));
        assertThat(HostProfileCache.file(Map.of(), "/home/u"))
                .isEqualTo(Path.of("/home/u/.cache/ringspec/host-profile"));
    }

    @Test
    void fromAClassPathOfDirectoriesThereIsNoKey() {
        // Maven runs this test from target/classes: every hosted run there probes
        assertThat(HostProfileCache.key()).isEmpty();
    }
}
