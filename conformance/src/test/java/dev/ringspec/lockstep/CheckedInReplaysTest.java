package dev.ringspec.lockstep;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Every checked-in replay, run against the reference and this kernel: a replay that diverges and is not in the
 * divergence catalogue fails the build (catalogued ones are reported apart, not hidden).
 */
@Tag("kernel")
class CheckedInReplaysTest {

    @Test
    void checkedInReplaysShowNoUncataloguedDivergence() {
        KernelTests.assumeIoUring();
        LockstepCheck.Config config = LockstepCheck.Config.defaults().withRuns(0).withSaveReplays(false)
                .withReplayDirectory(Path.of("src/main/resources/replays"));
        StringWriter text = new StringWriter();
        LockstepCheck.Summary s = new LockstepCheck(ReferenceBackends.reference(null), ReferenceBackends.kernel(),
                DivergenceCatalogue.load(), config).run(new PrintWriter(text));
        assertThat(s.runs()).isZero();
        assertThat(s.newDivergences()).as(text.toString()).isEmpty();
    }
}
