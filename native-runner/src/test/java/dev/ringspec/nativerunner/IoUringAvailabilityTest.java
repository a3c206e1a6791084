package dev.ringspec.nativerunner;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.nativerunner.IoUringAvailability.Status;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The one-sentence reasons for a failed trial setup. The kernel side was verified for real: see the note of the
 * foundation issue (kernel.io_uring_disabled set to 2 and back).
 */
class IoUringAvailabilityTest {

    @Test
    void eppermWithTheSysctlAt2IsDisabled() {
        IoUringAvailability a = IoUringAvailability.classify(-1, Optional.of(2), Optional.of(0));
        assertThat(a.status()).isEqualTo(Status.DISABLED);
        assertThat(a.reason()).contains("kernel.io_uring_disabled = 2");
    }

    @Test
    void eppermWithTheSysctlAt1IsDisabledForThisUser() {
        IoUringAvailability a = IoUringAvailability.classify(-1, Optional.of(1), Optional.empty());
        assertThat(a.status()).isEqualTo(Status.DISABLED);
        assertThat(a.reason()).contains("io_uring_group");
    }

    @Test
    void eppermUnderASeccompFilterIsBlocked() {
        IoUringAvailability a = IoUringAvailability.classify(-1, Optional.of(0), Optional.of(2));
        assertThat(a.status()).isEqualTo(Status.BLOCKED);
        assertThat(a.reason()).contains("seccomp");
    }

    @Test
    void enosysIsAbsent() {
        IoUringAvailability a = IoUringAvailability.classify(-38, Optional.empty(), Optional.of(0));
        assertThat(a.status()).isEqualTo(Status.ABSENT);
        assertThat(a.reason()).contains("CONFIG_IO_URING");
    }

    @Test
    void aDescriptorIsAvailable() {
        assertThat(IoUringAvailability.classify(3, Optional.of(0), Optional.of(0)).available()).isTrue();
    }

    @Test
    void everyReasonIsOneSentence() {
        for (int errno : new int[] {-1, -38, -12}) {
            for (int sysctl : new int[] {0, 1, 2}) {
                for (int seccomp : new int[] {0, 2}) {
                    String reason = IoUringAvailability.classify(errno, Optional.of(sysctl), Optional.of(seccomp))
                            .reason();
                    assertThat(reason).endsWith(".").doesNotContain("\n");
                    assertThat(reason.chars().filter(c -> c == '.').count()).as(reason).isLessThanOrEqualTo(3);
                }
            }
        }
    }
}
