package dev.ringspec.lockstep;

import static dev.ringspec.uapi.IoUring.IORING_ENTER_GETEVENTS;
import static dev.ringspec.uapi.IoUring.IORING_OP_ASYNC_CANCEL;
import static dev.ringspec.uapi.IoUring.IORING_OP_SPLICE;
import static dev.ringspec.uapi.IoUring.IORING_OP_TEE;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.emulator.ops.Splice;
import dev.ringspec.model.KernelProfile;
import dev.ringspec.capabilities.CapabilityProbe;
import dev.ringspec.nativerunner.NativeIoUring;
import dev.ringspec.seam.Cqe;
import dev.ringspec.seam.RingObservation;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * An io-wq SPLICE from the world's empty pipe, emulator against this kernel: it waits in its worker (the engine goes
 * on: the deterministic emulator's io-wq work waits for the world) until the world's write completes it; one that
 * waits and is cancelled instead: ASYNC_CANCEL answers -EALREADY and the signalled call ends. Kernels after 6.12
 * put the call's -ERESTARTSYS, -512, in its CQE (catalogue entry splice-interrupted-cqe-holds-erestartsys); the
 * emulator answers -EINTR, as 6.1 and 6.12 do.
 */
@Tag("kernel")
class WorldSpliceTest {
    static final String ENTRY = "splice-interrupted-cqe-holds-erestartsys";

    @BeforeEach
    void needsIoUring() {
        KernelTests.assumeIoUring();
    }

    private static Step.WriteIo splice(int slot, long userData) {
        return new Step.WriteIo(slot, IORING_OP_SPLICE, 0, 0, OutsideWorld.FILE, 0, 16, 0, OutsideWorld.PIPE_READ, 0,
                0, userData);
    }

    /** 100 ms of the world's clock: the kernel's worker is in its call by then, under load too. */
    private static Step.Outside inTheCall() {
        return new Step.Outside(Step.Outside.ADVANCE_CLOCK, 0, 100);
    }

    /** A ring whose SPLICE (user_data 1) from the empty pipe waits in its worker, then {@code more}. */
    private static List<Step> spliceWaiting(Step... more) {
        List<Step> steps = new java.util.ArrayList<>(List.of(new Step.Setup(4, 0, 0),
                splice(0, 1),
                new Step.WriteArray(0, 0),
                new Step.PublishTail(1),
                new Step.Enter(1, 0, 0),
                inTheCall()));
        steps.addAll(List.of(more));
        return List.copyOf(steps);
    }

    /** A SPLICE the world's write completes. */
    static List<Step> spliceWritten() {
        return spliceWaiting(new Step.Outside(Step.Outside.WRITE, OutsideWorld.PIPE_WRITE, 5),
                new Step.Enter(0, 1, IORING_ENTER_GETEVENTS));
    }

    /**
     * A SPLICE that waits, and its cancellation, entered with a wait for both CQEs (a C program prints the same
     * counters: no step ends while a completion may still come).
     */
    static List<Step> spliceCancelled() {
        return spliceWaiting(new Step.WriteIo(1, IORING_OP_ASYNC_CANCEL, 0, 0, -1, 1, 0, 0, 0, 0, 0, 2),
                new Step.WriteArray(1, 1),
                new Step.PublishTail(1),
                new Step.Enter(1, 2, IORING_ENTER_GETEVENTS));
    }

    /**
     * The catalogue entry's replay is these steps (written with {@code -Dringspec.writeReproducers=true}, as the
     * reproducers are; CatalogueReproducersTest replays it and runs its C reproducer).
     */
    @Test
    void theCatalogueEntrysReplayIsTheseSteps() throws Exception {
        DivergenceCatalogue.Entry entry = DivergenceCatalogue.load().entries().stream()
                .filter(e -> e.id().equals(ENTRY)).findFirst().orElseThrow();
        Path file = Path.of("src/main/resources/replays").resolve(entry.replay());
        List<Step> steps = spliceCancelled();
        if (Boolean.getBoolean("ringspec.writeReproducers")) {
            Divergence d;
            try (LockstepRunner runner = new LockstepRunner(WorldLockstepTest.emulator(),
                    KernelTests.kernel("kernel"), DivergenceCatalogue.load()).withWorld()) {
                d = runner.run(steps, new Coverage()).divergence();
            }
            Files.createDirectories(file.getParent());
            Files.writeString(file, ReplayStore.toJson(new ReplayCase(0, "emulator, profile 6.18", "kernel",
                    "6.18.44-fc-v669", "Enter:CQEs", steps.size() - 1, d.referenceValue(), d.subjectValue(), steps))
                    + "\n");
        }
        assertThat(ReplayStore.read(file).steps()).isEqualTo(steps);
    }

    @Test
    void aSpliceWaitsForTheWorldsWrite() {
        try (LockstepRunner runner = new LockstepRunner(WorldLockstepTest.emulator(), KernelTests.kernel("kernel"),
                DivergenceCatalogue.load()).withWorld()) {
            List<Step> steps = spliceWritten();
            RingObservation[] kernel = new RingObservation[1];
            LockstepRunner.Outcome o = runner.run(steps, new Coverage(), (n, s, ref, sub) -> kernel[0] = sub);
            assertThat(o.divergence()).isNull();
            assertThat(o.refusedSteps()).isZero();
            assertThat(WorldLockstepTest.visible(kernel[0])).containsExactly(new Cqe(1, 5, 0, 0, 0));
        }
    }

    /**
     * A TEE of the world's empty pipe to itself: {@code do_tee} answers -EINVAL before any wait (ipipe == opipe), so
     * the kernel's worker posts it at once. The emulator took it for a call that waits while the pipe is empty and
     * held it in its worker for good (world lockstep seed 389: CqTail 1 against the kernel's 2; seed 217 too). A C
     * probe of the same TEE on this kernel: -EINVAL within 0.1 to 8 ms, 6 of 6.
     */
    @Test
    void aTeeOfAPipeToItselfFailsWithoutWaiting() {
        List<Step> steps = List.of(new Step.Setup(4, 0, 0),
                new Step.WriteIo(0, IORING_OP_TEE, 0, 0, OutsideWorld.PIPE_WRITE, 0, 46, 0, OutsideWorld.PIPE_READ,
                        0, 0, 1),
                new Step.WriteArray(0, 0),
                new Step.PublishTail(1),
                new Step.Enter(1, 0, 0),
                inTheCall(),
                new Step.Enter(0, 0, IORING_ENTER_GETEVENTS));
        RingObservation kernel = WorldLockstepTest.agreesWithTheKernel(steps, 3, new java.util.HashMap<>());
        assertThat(WorldLockstepTest.visible(kernel)).containsExactly(new Cqe(1, -22, 0, 0, 0));
    }

    @Test
    void aCancelledSpliceEndsEintrWhereTheKernelPutsErestartsys() {
        KernelProfile here = KernelProfile.forCapabilities(CapabilityProbe.probe(new NativeIoUring()));
        List<Step> steps = spliceCancelled();
        DivergenceCatalogue catalogue = DivergenceCatalogue.load();
        try (LockstepRunner runner = new LockstepRunner(WorldLockstepTest.emulator(), KernelTests.kernel("kernel"),
                catalogue).withWorld()) {
            for (int run = 0; run < 3; run++) {
                LockstepRunner.Outcome o = runner.run(steps, new Coverage());
                if (!Splice.putsRestartInCqe(here.version())) {
                    assertThat(o.divergence()).as("run %d on %s", run, here.version()).isNull();
                    continue;
                }
                assertThat(o.divergence()).as("run %d: the cancelled splice's CQE", run).isNotNull();
                assertThat(o.divergence().step()).as("run %d", run).isEqualTo(steps.size() - 1);
                assertThat(o.divergence().field()).isEqualTo("CQEs");
                assertThat(Divergence.visibleCqes(o.divergence().reference())).as("the emulator's")
                        .containsExactly(new Cqe(2, -114, 0, 0, 0), new Cqe(1, -4, 0, 0, 0));
                assertThat(Divergence.visibleCqes(o.divergence().subject())).as("the kernel's")
                        .containsExactly(new Cqe(2, -114, 0, 0, 0), new Cqe(1, -512, 0, 0, 0));
                assertThat(catalogue.match(o.divergence())).hasValueSatisfying(e -> assertThat(e.id())
                        .isEqualTo(ENTRY));
            }
        }
    }
}
