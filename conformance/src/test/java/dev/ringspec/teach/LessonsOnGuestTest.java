package dev.ringspec.teach;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ringspec.fixtures.vectors.Lesson;
import dev.ringspec.fixtures.vectors.Lessons;
import dev.ringspec.guest.GuestBackendProvider;
import dev.ringspec.model.KernelProfile;
import dev.ringspec.seam.Backend;
import java.util.Set;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Every lesson beside the Debian 6.12 guest kernel in QEMU ({@code explain --kernel debian:6.12}; one boot, shared
 * with the JVM's other guest tests; skipped with the reason where QEMU or the kernel cannot be had). The model's side
 * takes 6.12's profile; a lesson needing what 6.12 lacks runs on the model alone, saying so in one line.
 */
@Tag("kernel")
@Tag("qemu")
@Tag("guest")
class LessonsOnGuestTest {
    private static final Backend GUEST = GuestBackendProvider.backend("debian:6.12");
    private static final Set<String> NEWER = Set.of("resize.lesson", "skip-cqe-at-the-wrap.lesson",
            "mixed-sqes.lesson", "bpf-filter-denies.lesson");

    @Test
    void everyLessonRunsBesideThe612GuestOrSaysWhatItLacks() {
        assumeTrue(GUEST.availability().available(), GUEST.availability().reason());
        KernelProfile profile = KernelProfile.forCapabilities(GUEST.capabilities());
        assertThat(profile).isEqualTo(KernelProfile.LINUX_6_12);
        for (String name : Lessons.names()) {
            Lesson lesson = Lessons.load(name);
            Backend model = LessonRun.modelSide(lesson, profile);
            Explanation e = LessonRun.run(lesson, model, GUEST);
            // 6.12 has none of 6.13's to 7.0's features: resize, mixed CQEs and SQEs, BPF filters
            if (NEWER.contains(name)) {
                assertThat(e.kernelName()).as(name).isNull();
                assertThat(e.notes()).as(name).filteredOn(n -> n.startsWith("Not run on guest:debian:6.12: it lacks "))
                        .hasSize(1);
                continue;
            }
            assertThat(e.kernelName()).as(name).isEqualTo("guest:debian:6.12");
            assertThat(e.frames()).as(name).isNotEmpty().allSatisfy(f -> {
                assertThat(f.kernel()).isNotNull();
                assertThat(f.kernel().failures()).noneMatch(m -> m.contains(" threw "));
            });
            if (lesson.emulator()) {
                assertThat(e.modelName()).as(name).startsWith("emulator, profile 6.12 ");
            }
            if (name.equals("multishot-f-more.lesson")) {
                // nothing in it is left to timing: 6.12 and its emulator agree at every step
                assertThat(e.partedAt()).as("%s%n%s", name, TerminalText.of(e)).isZero();
            }
        }
    }

    @Test
    void theDrainOn612WaitsBySequence() {
        assumeTrue(GUEST.availability().available(), GUEST.availability().reason());
        Lesson drain = Lessons.load("drain");
        Explanation e = LessonRun.run(drain, LessonRun.modelSide(drain, KernelProfile.LINUX_6_12), GUEST);
        Frame submitted = e.frames().stream().filter(f -> f.action().endsWith("submit")).findFirst().orElseThrow();
        assertThat(submitted.kernel().ring().cqTail()).isEqualTo(1);
        assertThat(submitted.model().ring().cqTail()).isEqualTo(1);
        // 6.1 and 6.12 end a drain when the CQ tail counts a CQE per SQE before it (6.18 on: once they are freed)
        assertThat(e.frames()).flatExtracting(f -> f.model().rules()).extracting(Frame.Fired::name)
                .contains("DRAIN_BY_SEQUENCE").doesNotContain("DRAIN_WAITS_FOR_FREED_REQUESTS");
        // the timeout first; then ud 3 (in io-wq) and ud 4 (released with it on 6.12) in an order of 6.12's choosing
        assertThat(e.frames().getLast().kernel().reaped()).extracting(c -> c.userData()).startsWith(1L)
                .containsExactlyInAnyOrder(1L, 3L, 4L);
        assertThat(e.frames().getLast().model().reaped()).extracting(c -> c.userData()).containsExactly(1L, 3L, 4L);
    }
}
