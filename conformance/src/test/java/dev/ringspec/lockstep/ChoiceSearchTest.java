package dev.ringspec.lockstep;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.emulator.EmulatorBackendProvider;
import dev.ringspec.seam.Backend;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * When the lockstep starts its choice search ({@link ChoiceRebuild}) and what it carries forward. As in
 * {@link ChoicesTogetherTest}, the subject is the deterministic emulator told to take given io-wq outcomes, so each
 * run shows the same thing.
 */
class ChoiceSearchTest {

    /**
     * The first difference of {@link ChoicesTogetherTest#threeFsyncsIntoAFullCq} against a subject that held two
     * FSYNCs back is one a pair of choices explains (that test). Where the catalogue knows it (here an entry that
     * matches every difference), the run reports it as that entry and starts no search.
     */
    @Test
    void aCataloguedDifferenceIsReportedAsItsEntryAndStartsNoSearch() {
        DivergenceCatalogue catalogue = new DivergenceCatalogue(List.of(new DivergenceCatalogue.Entry("any",
                "*", "any", "anything", "nothing", "this test", null, "kernel", "a test's entry", null, null, null,
                null)));
        Backend reference = EmulatorBackendProvider.backend(ChoicesTogetherTest.PROFILE).withOptions("seed=1");
        try (LockstepRunner runner = new LockstepRunner(reference, ChoicesTogetherTest.taking(1, 1), catalogue)
                .withWorld()) {
            Coverage coverage = new Coverage();
            LockstepRunner.Outcome o = runner.run(ChoicesTogetherTest.threeFsyncsIntoAFullCq(), coverage);
            assertThat(o.divergence()).as("the catalogued difference").isNotNull();
            assertThat(catalogue.match(o.divergence())).isPresent();
            assertThat(coverage.choices()).as("the choices taken").isEmpty();
            assertThat(coverage.table()).containsPattern("choice search: not started, catalogued +1\\b")
                    .containsPattern("choice search: steps explained +0\\b")
                    .containsPattern("choice search: steps not explained +0\\b");
        }
    }
}
