package dev.ringspec.lockstep;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.model.Rules;
import org.junit.jupiter.api.Test;

/** The coverage table prints a rule-counted label from the rule's firings, not from the ring-read counts. */
class CoverageTableTest {

    @Test
    void aRuleCountedLabelShowsTheRulesFirings() {
        Coverage cov = new Coverage();
        for (int i = 0; i < 3; i++) {
            cov.rule(Rules.GET_SQE_DROPPED);
        }
        cov.rule(Rules.CQ_OVERFLOW_FLUSH);
        assertThat(cov.table()).containsPattern("(?m)^  dropped sqes +3$")
                .containsPattern("(?m)^  overflow flushes +1$").containsPattern("(?m)^  skip fillers +0$");
    }
}
