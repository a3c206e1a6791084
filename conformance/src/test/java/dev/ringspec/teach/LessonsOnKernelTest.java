package dev.ringspec.teach;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ringspec.fixtures.vectors.Lesson;
import dev.ringspec.fixtures.vectors.Lessons;
import dev.ringspec.lockstep.ReferenceBackends;
import dev.ringspec.model.KernelProfile;
import dev.ringspec.seam.Backend;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Every lesson beside this kernel ({@code explain --kernel}): each step drawn on both sides, or a side left out. */
@Tag("kernel")
class LessonsOnKernelTest {

    @Test
    void everyLessonRunsBesideThisKernel() {
        Backend kernel = ReferenceBackends.kernel();
        assumeTrue(kernel.availability().available(), () -> "io_uring: " + kernel.availability().reason());
        for (String name : Lessons.names()) {
            Lesson lesson = Lessons.load(name);
            Explanation e = LessonRun.run(lesson, LessonRun.modelSide(lesson, KernelProfile.LINUX_7_3), kernel);
            if (e.kernelName() == null) {
                assertThat(e.notes()).as(name).anyMatch(n -> n.startsWith("Not run on kernel: it lacks "));
                continue;
            }
            assertThat(e.frames()).as(name).isNotEmpty().allSatisfy(f -> {
                assertThat(f.kernel()).isNotNull();
                assertThat(f.kernel().failures()).noneMatch(m -> m.contains(" threw "));
            });
            assertThat(e.modelName() == null).as(name).isEqualTo(lesson.kernelOnly());
        }
    }

    /** The emulator's lessons show what this kernel shows, step by step: nothing in them is left to timing. */
    @Test
    void theEmulatorsLessonsAgreeWithThisKernel() {
        Backend kernel = ReferenceBackends.kernel();
        assumeTrue(kernel.availability().available(), () -> "io_uring: " + kernel.availability().reason());
        KernelProfile profile = KernelProfile.forCapabilities(kernel.capabilities());
        for (String name : Lessons.names()) {
            Lesson lesson = Lessons.load(name);
            if (!lesson.emulator()) {
                continue;
            }
            Explanation e = LessonRun.run(lesson, LessonRun.modelSide(lesson, profile), kernel);
            assertThat(e.kernelName()).as(name).isNotNull();
            assertThat(e.partedAt()).as("%s%n%s", name, TerminalText.of(e)).isZero();
            assertThat(e.frames()).as(name).allSatisfy(f -> assertThat(f.kernel().failures()).isEmpty());
        }
        // IORING_CQE_F_MORE (2) on every expiry of the multishot timeout (-ETIME) but its last
        Explanation e = LessonRun.run(Lessons.load("multishot-f-more"), null, kernel);
        assertThat(e.frames().getLast().kernel().reaped()).extracting(c -> c.res() + " " + c.flags())
                .containsExactly("-62 2", "-62 0");
    }
}
