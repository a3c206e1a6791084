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

    @Test
    void everyCountStartsInOneColumnWhateverTheLabelsLength() {
        Coverage cov = new Coverage();
        cov.refused("SUBMIT_STATE_END_DANGLING_LINK: A link chain left open at the end of a batch runs on its own, "
                + "async.");
        cov.choice("a choice whose name is longer than the forty characters the table once gave every label");
        cov.rule(Rules.GET_SQE_DROPPED);
        java.util.Set<Integer> columns = new java.util.TreeSet<>();
        for (String line : cov.table().split("\\R")) {
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("^(.*\\S)? +(\\d+)$").matcher(line);
            if (m.matches() && !line.startsWith("  rules seen")) {
                columns.add(m.start(2));
            }
        }
        assertThat(columns).hasSize(1);
        assertThat(cov.table()).contains("dangling_link".toUpperCase(java.util.Locale.ROOT), "runs on its own, async.");
    }
}
