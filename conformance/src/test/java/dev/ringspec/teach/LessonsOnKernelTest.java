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
        Backend model = ReferenceBackends.model(KernelProfile.LINUX_7_3);
        for (String name : Lessons.names()) {
            Lesson lesson = Lessons.load(name);
            Explanation e = LessonRun.run(lesson, model, kernel);
            if (e.kernelName() == null) {
                assertThat(e.notes()).as(name).anyMatch(n -> n.startsWith("Not run on kernel: kernel lacks"));
                continue;
            }
            assertThat(e.frames()).as(name).isNotEmpty().allSatisfy(f -> {
                assertThat(f.kernel()).isNotNull();
                assertThat(f.kernel().failures()).noneMatch(m -> m.contains(" threw "));
            });
            assertThat(e.modelName() == null).as(name).isEqualTo(lesson.kernelOnly());
        }
    }

    @Test
    void theMultishotLessonShowsFMoreFromThisKernel() {
        Backend kernel = ReferenceBackends.kernel();
        assumeTrue(kernel.availability().available(), () -> "io_uring: " + kernel.availability().reason());
        Explanation e = LessonRun.run(Lessons.load("multishot-f-more"), null, kernel);
        // IORING_CQE_F_MORE (2): the multishot timeout is still armed after its first expiry (-ETIME)
        // (the later expiries may or may not have come by the reap: only the first is certain)
        assertThat(e.frames().getLast().kernel().reaped()).isNotEmpty();
        assertThat(e.frames().getLast().kernel().reaped().getFirst().flags() & 2).isEqualTo(2);
        assertThat(e.frames().getLast().kernel().reaped().getFirst().res()).isEqualTo(-62);
    }
}
