package dev.ringspec.lockstep;

import static dev.ringspec.uapi.IoUring.IORING_OP_FSYNC;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_CQE32;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.emulator.EmulatorBackendProvider;
import dev.ringspec.seam.Backend;
import dev.ringspec.seam.CqRingView;
import dev.ringspec.seam.ForwardingIoUringKernel;
import dev.ringspec.seam.IoUringKernel;
import dev.ringspec.seam.Ring;
import dev.ringspec.uapi.IoUringCqe;
import java.lang.foreign.MemorySegment;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A step that shows two things at once, an io-wq completion where the model's default does not put it and a known
 * kernel bug, is reported as that bug against the reference rebuilt with the io-wq outcome (world seed 1971: an
 * FSYNC's CQE later than the default, and cqe32-stale-big-cqe-after-skip's stale big_cqe on a plain NOP). The
 * subject is the deterministic emulator still running its FSYNC on io-wq, with the kernel bug planted in what the
 * application reads: each run shows the same thing.
 */
class ChoiceThenCatalogueTest {
    /** The user_data of the NOP whose CQE the subject shows with another request's big_cqe. */
    private static final long STALE = 3;

    /** {@code kernel} with the big_cqe {0x1111, 0x2222} on each CQE of user_data {@value #STALE} it posts. */
    private static final class StaleBigCqe extends ForwardingIoUringKernel {
        StaleBigCqe(IoUringKernel kernel) {
            super(kernel);
        }

        @Override
        public int enter(Ring ring, int toSubmit, int minComplete, int flags, MemorySegment arg, long argSizeBytes) {
            int result = kernel.enter(ring, toSubmit, minComplete, flags, arg, argSizeBytes);
            CqRingView cq = ring.cq();
            MemorySegment memory = cq.memory();
            for (int counter = cq.readOnceHead(); counter != cq.loadAcquireTail(); counter++) {
                long at = cq.cqeOffset(counter & ring.params().cqEntries() - 1);
                if (memory.get(JAVA_LONG, at + IoUringCqe.USER_DATA_OFFSET) == STALE) {
                    memory.set(JAVA_LONG, at + IoUringCqe.BIG_CQE_OFFSET, 0x1111);
                    memory.set(JAVA_LONG, at + IoUringCqe.BIG_CQE_OFFSET + 8, 0x2222);
                }
            }
            return result;
        }
    }

    private static Backend subject() {
        Backend emulator = ChoicesTogetherTest.taking(1);
        return Backend.kernel("emulator still running an FSYNC, with a stale big_cqe",
                memory -> new StaleBigCqe(emulator.open(memory)));
    }

    /** On a CQE32 ring: an FSYNC of the world's file and a NOP in one enter, then a NOP of its own. */
    private static List<Step> anFsyncAndNops() {
        return List.of(new Step.Setup(8, IORING_SETUP_CQE32, 0),
                new Step.WriteIo(0, IORING_OP_FSYNC, 0, 0, OutsideWorld.FILE, 0, 0, 0, 0, 0, 0, 1),
                new Step.WriteArray(0, 0), Step.WriteSqe.nop(1, 0, 0, 0, STALE), new Step.WriteArray(1, 1),
                new Step.PublishTail(2), new Step.Enter(2, 0, 0),
                Step.WriteSqe.nop(2, 0, 0, 0, 4), new Step.WriteArray(2, 2), new Step.PublishTail(1),
                new Step.Enter(1, 0, 0));
    }

    @Test
    void anIoWqOutcomeAndAKnownKernelBugInOneStepAreTheOutcomeAndTheBug() {
        Backend reference = EmulatorBackendProvider.backend(ChoicesTogetherTest.PROFILE).withOptions("seed=1");
        DivergenceCatalogue catalogue = DivergenceCatalogue.load();
        Coverage coverage = new Coverage();
        LockstepRunner.Outcome o;
        try (LockstepRunner runner = new LockstepRunner(reference, subject(), catalogue).withWorld()) {
            o = runner.run(anFsyncAndNops(), coverage);
        }
        assertThat(o.divergence()).as("the run's divergence").isNotNull();
        assertThat(catalogue.match(o.divergence())).as("the entry the divergence matches")
                .hasValueSatisfying(e -> assertThat(e.id()).isEqualTo("cqe32-stale-big-cqe-after-skip"));
        assertThat(coverage.table()).as("the search took an outcome and reported the bug under it")
                .containsPattern("choice search: not explained, catalogued under another outcome +1\\b");
    }
}
