package dev.ringspec.lockstep;

import static dev.ringspec.uapi.IoUring.IORING_ENTER_GETEVENTS;
import static dev.ringspec.uapi.IoUring.IORING_NOP_CQE32;
import static dev.ringspec.uapi.IoUring.IORING_OP_FSYNC;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_CQE_MIXED;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.emulator.EmulatedIoUring;
import dev.ringspec.emulator.EmulatorBackendProvider;
import dev.ringspec.emulator.EmulatorOptions;
import dev.ringspec.model.Choice;
import dev.ringspec.model.Chooser;
import dev.ringspec.seam.Backend;
import dev.ringspec.seam.IoUringKernel;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A difference no allowed outcome explains, but which the catalogue knows under one the choice search tried
 * ({@link ChoiceRebuild#explain}): world lockstep seed 2580, an FSYNC whose worker finished after a flush had left
 * Linux 6.18's cached CQE range stale, and wrote its CQE through it. The subject is the deterministic emulator told to
 * hold the FSYNC back, as in {@link ChoicesTogetherTest}; as the emulator never writes through a stale range (the
 * model follows the intended rule and only notes where the kernel would), the subject's skip CQE loses its
 * IORING_CQE_F_SKIP ({@link FaultInjectingKernel.Fault#LOSE_SKIP_FLAG}) in its place, a difference that no outcome
 * explains.
 */
class CatalogueUnderChoiceTest {

    /** The FSYNC's user_data. */
    private static final long FSYNC = 100;

    /**
     * On a CQE_MIXED ring of 16 CQEs: 16 NOPs' CQEs fill it, a NOP's overflows, an FSYNC of the world's file goes to
     * io-wq, 14 more NOPs' CQEs and a NOP's with IORING_NOP_CQE32 overflow, and the application reaps all 16 and waits.
     * An FSYNC that finished at once (its CQE second on the overflow list) is flushed second, and the NOPs' CQEs fill
     * the ring. An FSYNC still running at the wait leaves the flush (__io_cqring_overflow_flush) the 15 NOPs' CQEs,
     * written through the range it refilled, which keeps the last slot; the 32-byte CQE needs two, so
     * io_cqe_cache_refill writes a skip CQE there (io_fill_nop_cqe), finds the ring full and fails, keeping its cached
     * range of that slot, and the 32-byte CQE stays on the list. When the FSYNC's worker finishes,
     * io_req_complete_post's io_fill_cqe_req writes its CQE through that stale range, over the skip CQE: the model
     * notes it (Rules.STALE_CQE_CACHE_6_18) and queues the CQE on the overflow list, as intended.
     */
    private static List<Step> anFsyncStillRunningPastASkipCqe() {
        List<Step> steps = new ArrayList<>(List.of(new Step.Setup(8, IORING_SETUP_CQE_MIXED, 0)));
        int[] position = {0};
        nops(steps, position, 16, 0);
        nops(steps, position, 1, 0);
        steps.addAll(List.of(new Step.WriteIo(position[0] & 7, IORING_OP_FSYNC, 0, 0, OutsideWorld.FILE, 0, 0, 0, 0,
                0, 0, FSYNC), new Step.WriteArray(position[0], position[0] & 7), new Step.PublishTail(1),
                new Step.Enter(1, 0, 0)));
        position[0]++;
        nops(steps, position, 14, 0);
        nops(steps, position, 1, IORING_NOP_CQE32);
        steps.addAll(List.of(new Step.ConsumeCqes(16), new Step.Enter(0, 0, IORING_ENTER_GETEVENTS)));
        return steps;
    }

    /** {@code count} NOPs with {@code nopFlags}, each of user_data its SQ position + 1, submitted 8 at a time. */
    private static void nops(List<Step> steps, int[] position, int count, int nopFlags) {
        for (int done = 0; done < count;) {
            int batch = Math.min(8, count - done);
            for (int i = 0; i < batch; i++, position[0]++) {
                steps.add(Step.WriteSqe.nop(position[0] & 7, 0, nopFlags, 0, position[0] + 1));
                steps.add(new Step.WriteArray(position[0], position[0] & 7));
            }
            steps.addAll(List.of(new Step.PublishTail(batch), new Step.Enter(batch, 0, 0)));
            done += batch;
        }
    }

    /** The emulator holding the FSYNC back {@code stillRunning} enters, its skip CQEs' flag lost if {@code lose}. */
    private static Backend subject(int stillRunning, boolean lose) {
        return Backend.kernel("emulator taking IOWQ_STILL_RUNNING " + stillRunning + (lose ? ", skip flag lost" : ""),
                memory -> {
                    boolean[] asked = {false};
                    Chooser chooser = (Choice c, int ringFd) -> {
                        if (!c.name().equals("IOWQ_STILL_RUNNING") || asked[0]) {
                            return c.defaultOutcome();
                        }
                        asked[0] = true;
                        return stillRunning;
                    };
                    IoUringKernel emulator = EmulatedIoUring.open(EmulatorOptions.parse(ChoicesTogetherTest.PROFILE,
                            "seed=1"), memory).withChooser(chooser);
                    return lose ? new FaultInjectingKernel(emulator, FaultInjectingKernel.Fault.LOSE_SKIP_FLAG)
                            : emulator;
                });
    }

    private static LockstepRunner.Outcome run(Backend subject, DivergenceCatalogue catalogue, Coverage coverage) {
        Backend reference = EmulatorBackendProvider.backend(ChoicesTogetherTest.PROFILE).withOptions("seed=1");
        try (LockstepRunner runner = new LockstepRunner(reference, subject, catalogue).withWorld()) {
            return runner.run(anFsyncStillRunningPastASkipCqe(), coverage);
        }
    }

    /**
     * The subject held the FSYNC back past the wait (at the next four enters) and shows the skip CQE without its flag,
     * which no outcome explains. The run as taken (the FSYNC finished at once) shows the FSYNC's CQE first and no stale
     * write; the search's trial that holds the FSYNC back as the subject did comes nearer, and hears the kernel take
     * the stale slot when the FSYNC finishes after the wait, so the difference is reported as
     * cqe-stale-cache-jumps-overflow-list, with that trial's reference, and not as new.
     */
    @Test
    void aDifferenceTheCatalogueKnowsUnderATriedOutcomeIsReportedAsItsEntry() {
        DivergenceCatalogue catalogue = DivergenceCatalogue.load();
        Coverage coverage = new Coverage();
        LockstepRunner.Outcome o = run(subject(4, true), catalogue, coverage);
        assertThat(o.divergence()).as("the difference").isNotNull();
        assertThat(o.divergence().referenceNotes()).contains(LockstepRunner.KERNEL_USES_STALE_CQE_CACHE);
        assertThat(catalogue.match(o.divergence()).map(DivergenceCatalogue.Entry::id))
                .contains("cqe-stale-cache-jumps-overflow-list");
        assertThat(coverage.choices()).as("no outcome explained a step").isEmpty();
        assertThat(coverage.table()).containsPattern("choice search: not explained, catalogued under another "
                + "outcome +1\\b");
    }

    /**
     * The same subject with its skip CQE's flag: the trial that holds the FSYNC back agrees, and explains the step as
     * before; the catalogue is not asked.
     */
    @Test
    void anOutcomeThatAgreesIsTakenBeforeTheCatalogueIsAsked() {
        Coverage coverage = new Coverage();
        LockstepRunner.Outcome o = run(subject(4, false), DivergenceCatalogue.load(), coverage);
        assertThat(o.divergence()).as("the run, the FSYNC still running at the wait").isNull();
        assertThat(coverage.choices().keySet()).contains("IOWQ_STILL_RUNNING = still running at 3 more enters");
        assertThat(coverage.table()).doesNotContain("catalogued under another outcome");
    }
}
