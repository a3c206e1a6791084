package dev.ringspec.teach;

import static dev.ringspec.uapi.IoUring.IORING_CQE_F_SKIP;
import static dev.ringspec.uapi.IoUring.IORING_SQ_CQ_OVERFLOW;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.cli.Ringspec;
import dev.ringspec.fixtures.vectors.Lesson;
import dev.ringspec.fixtures.vectors.Lessons;
import dev.ringspec.lockstep.ReferenceBackends;
import dev.ringspec.model.KernelProfile;
import dev.ringspec.seam.Backend;
import dev.ringspec.seam.Cqe;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LessonRunTest {
    private static final Backend MODEL = ReferenceBackends.model(KernelProfile.LINUX_7_3);

    private static Explanation run(String name) {
        return LessonRun.run(Lessons.load(name), MODEL, null);
    }

    @Test
    void everyModelLessonRunsWithoutAFailureAndNamesRules() {
        for (String name : Lessons.names()) {
            Lesson lesson = Lessons.load(name);
            if (lesson.kernelOnly()) {
                continue;
            }
            Explanation e = LessonRun.run(lesson, MODEL, null);
            assertThat(e.frames()).as(name).isNotEmpty();
            assertThat(e.frames()).as(name).allSatisfy(f -> assertThat(f.model().failures()).isEmpty());
            assertThat(e.frames()).as(name).anySatisfy(f -> assertThat(f.model().rules()).isNotEmpty());
            assertThat(TerminalText.of(e)).as(name).contains("Question: ");
        }
    }

    @Test
    void overflowedCqesWaitOnTheListUntilAnEnterFlushesThem() {
        List<Frame> frames = run("overflow-and-flush").frames();
        Frame full = frames.stream().filter(f -> f.action().contains("nop ud=6")).findFirst().orElseThrow();
        assertThat(full.model().overflowList()).extracting(Cqe::userData).containsExactly(5L, 6L);
        assertThat(full.model().ring().sqFlags() & IORING_SQ_CQ_OVERFLOW).isNotZero();
        Frame flushed = frames.stream().filter(f -> f.action().startsWith("enter")).findFirst().orElseThrow();
        assertThat(flushed.model().overflowList()).isEmpty();
        assertThat(flushed.model().ring().sqFlags() & IORING_SQ_CQ_OVERFLOW).isZero();
        assertThat(flushed.model().rules()).extracting(Frame.Fired::name).contains("CQ_OVERFLOW_FLUSH");
    }

    @Test
    void aBigCqeAtTheLastSlotOfAMixedRingFollowsASkipCqe() {
        Frame last = run("skip-cqe-at-the-wrap").frames().getLast();
        assertThat(last.model().reaped()).hasSize(2);
        assertThat(last.model().reaped().getFirst().flags() & IORING_CQE_F_SKIP).isNotZero();
        assertThat(last.model().reaped().get(1).userData()).isEqualTo(7);
        assertThat(last.model().reaped().get(1).big0()).isEqualTo(0xaaaa);
    }

    @Test
    void fillingSqesIsShownWithTheSubmitThatPublishesThem() {
        Frame submit = run("sq-array-and-dropped").frames().get(1);
        assertThat(submit.action()).isEqualTo("nop ud=1; nop ud=2; nop ud=3; sqarray 1=9; submit");
        assertThat(submit.model().ring().sqDropped()).isEqualTo(1);
        assertThat(submit.model().result()).isEqualTo(1L);
    }

    @Test
    void aBadLessonFileIsAUsageErrorNamingTheLine(@TempDir Path dir) throws Exception {
        Path bad = dir.resolve("bad.lesson");
        Files.writeString(bad, "title T\nsetup sq=4\nreap many\nquestion Q?\n");
        assertThat(Ringspec.run("explain", bad.toString())).isEqualTo(2);
        assertThat(Ringspec.run("explain", "no-such-lesson")).isEqualTo(2);
        assertThat(Ringspec.run("explain", "--replay", dir.resolve("missing.json").toString())).isEqualTo(2);
    }

    @Test
    void theHtmlPageIsSelfContained(@TempDir Path dir) throws Exception {
        Path page = dir.resolve("p.html");
        assertThat(Ringspec.run("explain", "overflow-and-flush", "--html", page.toString())).isZero();
        String html = Files.readString(page);
        assertThat(html).contains("<svg", "id=\"step-1\"", "class=\"slot visible changed\"", "Question:");
        assertThat(html).doesNotContain("src=\"http", "href=\"http", "@import");
    }
}
