package dev.ringspec.teach;

import static dev.ringspec.uapi.IoUring.IORING_CQE_F_SKIP;
import static dev.ringspec.uapi.IoUring.IORING_SQ_CQ_OVERFLOW;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.cli.Ringspec;
import dev.ringspec.fixtures.vectors.Lesson;
import dev.ringspec.fixtures.vectors.Lessons;
import dev.ringspec.lockstep.DivergenceCatalogue;
import dev.ringspec.lockstep.ReferenceBackends;
import dev.ringspec.lockstep.ReplayCase;
import dev.ringspec.lockstep.ReplayStore;
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
        Lesson lesson = Lessons.load(name);
        return LessonRun.run(lesson, LessonRun.modelSide(lesson, KernelProfile.LINUX_7_3), null);
    }

    @Test
    void everyLessonRunsOnTheModelsSideWithoutAFailureAndNamesRules() {
        for (String name : Lessons.names()) {
            Lesson lesson = Lessons.load(name);
            assertThat(lesson.kernelOnly()).as(name + ": the model or the emulator runs every shipped lesson").isFalse();
            Explanation e = run(name);
            assertThat(e.modelName()).as(name).isEqualTo(lesson.emulator()
                    ? "emulator, profile 7.3 (the model's rules, real opcodes)" : MODEL.name());
            assertThat(e.frames()).as(name).isNotEmpty();
            assertThat(e.frames()).as(name).allSatisfy(f -> assertThat(f.model().failures()).isEmpty());
            assertThat(e.frames()).as(name).anySatisfy(f -> assertThat(f.model().rules()).isNotEmpty());
            assertThat(TerminalText.of(e)).as(name).contains("Question: ");
        }
    }

    /** The CQEs a frame's model side reaped, as "ud res flags" words. */
    private static List<String> reaped(Frame f) {
        return f.model().reaped().stream().map(c -> c.userData() + " " + c.res() + " " + c.flags()).toList();
    }

    @Test
    void aMultishotTimeoutPostsFMoreOnEveryCqeButItsLastOnTheEmulator() {
        Explanation e = run("multishot-f-more");
        List<Frame> reaps = e.frames().stream().filter(f -> f.action().startsWith("reap")).toList();
        assertThat(reaps).hasSize(2);
        // -ETIME is -62; IORING_CQE_F_MORE is 2
        assertThat(reaped(reaps.get(0))).containsExactly("9 -62 2");
        assertThat(reaped(reaps.get(1))).containsExactly("9 -62 2", "9 -62 0");
        assertThat(TerminalText.of(e)).contains("ud 9 res ETIME MORE", "why: ");
    }

    @Test
    void aDrainedNopWaitsForTheTimeoutBeforeIt() {
        Explanation e = run("drain");
        Frame submitted = e.frames().stream().filter(f -> f.action().endsWith("submit")).findFirst().orElseThrow();
        // only the NOP before the drain has completed: the drained NOP and the one after it wait for the timeout
        assertThat(submitted.model().ring().cqTail() - submitted.model().ring().cqHead()).isEqualTo(1);
        assertThat(submitted.model().rules()).filteredOn(r -> r.name().equals("DRAIN_REQ"))
                .extracting(Frame.Fired::detail).containsExactly(3L, 4L);
        Frame waited = e.frames().stream().filter(f -> f.action().startsWith("enter")).findFirst().orElseThrow();
        assertThat(waited.model().rules()).filteredOn(r -> r.name().equals("QUEUE_DEFERRED"))
                .extracting(Frame.Fired::detail).containsExactly(3L, 4L);
        List<Frame> reaps = e.frames().stream().filter(f -> f.action().startsWith("reap")).toList();
        assertThat(reaped(reaps.get(0))).containsExactly("2 0 0");
        assertThat(reaped(reaps.get(1))).containsExactly("1 -62 0", "3 0 0", "4 0 0");
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

    /** A catalogue entry's replay, the model beside a model of the same profile: every step names its rules. */
    @Test
    void aReplayNamesTheModelsRulesAtEachStep() throws Exception {
        DivergenceCatalogue.Entry entry = DivergenceCatalogue.load().entries().stream()
                .filter(x -> x.id().equals("resize-drops-sq-array-mapping")).findFirst().orElseThrow();
        Path file = ReplayStore.shipped().orElseThrow().directory().resolve(entry.replay());
        ReplayCase replay = ReplayStore.read(file);
        Backend model = ReferenceBackends.model(KernelProfile.LINUX_6_18);
        Explanation e = ReplayRun.run(replay, file.toString(), entry, model, ReferenceBackends.model(
                KernelProfile.LINUX_6_18));
        assertThat(e.frames()).hasSize(replay.steps().size());
        assertThat(e.partedAt()).isZero();
        // the resize step names the resize's rules
        Frame resize = e.frames().stream().filter(f -> f.action().toLowerCase(java.util.Locale.ROOT)
                .contains("resize")).findFirst().orElseThrow();
        assertThat(resize.model().rules()).extracting(Frame.Fired::name).anyMatch(n -> n.contains("RESIZE"));
        assertThat(e.frames()).allSatisfy(f -> assertThat(f.kernel().rules()).isEmpty());
        assertThat(TerminalText.of(e)).contains("why: ");
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
