package dev.ringspec.emulator.ops;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.model.KernelProfile;
import org.junit.jupiter.api.Test;

/** Kernel versions compare by major, then minor, as numbers; a release candidate is its release's version. */
class VersionsTest {

    @Test
    void minorVersionsCompareAsNumbersNotText() {
        assertThat(Versions.atLeast(KernelProfile.LINUX_6_18, 6, 2)).isTrue();
        assertThat(Versions.atLeast(KernelProfile.LINUX_6_1, 6, 12)).isFalse();
        assertThat(Versions.atLeast(KernelProfile.LINUX_6_12, 6, 12)).isTrue();
        assertThat(Versions.atLeast(KernelProfile.LINUX_6_18, 6, 19)).isFalse();
    }

    @Test
    void aNewerMajorIsLaterWhateverItsMinor() {
        assertThat(Versions.atLeast(KernelProfile.LINUX_7_0, 6, 18)).isTrue();
        assertThat(Versions.atLeast(KernelProfile.LINUX_6_19, 7, 0)).isFalse();
    }

    @Test
    void aReleaseCandidateCountsAsItsRelease() {
        KernelProfile rc = KernelProfile.LINUX_7_2.toBuilder().version("7.3-rc7").build();
        assertThat(Versions.atLeast(rc, 7, 3)).isTrue();
        assertThat(Versions.atLeast(rc, 7, 4)).isFalse();
        assertThat(Rw.before(rc, 7, 3)).isFalse();
        assertThat(Kbuf.atLeast(rc, 7, 3)).isTrue();
    }
}
