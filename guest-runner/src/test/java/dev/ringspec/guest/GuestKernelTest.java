package dev.ringspec.guest;

import static dev.ringspec.uapi.IoUring.IORING_ENTER_GETEVENTS;
import static dev.ringspec.uapi.IoUring.IORING_OP_NOP;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_RESIZE_RINGS;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_DEFER_TASKRUN;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_NO_MMAP;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SINGLE_ISSUER;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.abort;

import dev.ringspec.capabilities.CapabilityProbe;
import dev.ringspec.capabilities.Feature;
import dev.ringspec.capabilities.KernelCapabilities;
import dev.ringspec.guest.agent.AgentException;
import dev.ringspec.guest.agent.AgentSession;
import dev.ringspec.seam.IoUringKernel.SetupResult;
import dev.ringspec.seam.Ring;
import dev.ringspec.seam.RingDriver;
import dev.ringspec.seam.Sqe;
import dev.ringspec.seam.UserMemory;
import dev.ringspec.uapi.IoUringParams;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The guest backend on a real guest: Debian's 7.2 kernel booted in QEMU with the agent as /init (skipped, with
 * the reason, where QEMU or the kernel cannot be had). Each answer is checked against what the kernel facts say
 * 7.2 does, not against this class's own code.
 */
@Tag("kernel")
@Tag("qemu")
class GuestKernelTest {
    private static final int DEFER = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;
    private static GuestKernel kernel;
    private static UserMemory memory;
    private static GuestIoUring guest;

    @BeforeAll
    static void boot() throws Exception {
        String spec = System.getProperty("ringspec.guest.kernel", "debian:7.2");
        try {
            kernel = GuestKernel.boot(spec);
        } catch (GuestUnavailableException e) {
            abort(e.getMessage());
        }
        memory = new UserMemory();
        guest = kernel.backend(memory);
        System.out.printf("%s booted in %d ms (%s)%n", guest.description(), kernel.bootTime().toMillis(),
                kernel.accelerator());
    }

    @AfterAll
    static void stop() {
        if (kernel != null) {
            kernel.close();
            memory.close();
        }
    }

    private static Ring ring(int entries, int flags) {
        MemorySegment params = memory.allocate(IoUringParams.SIZE_BYTES, 8);
        params.set(JAVA_INT, IoUringParams.FLAGS_OFFSET, flags);
        SetupResult result = guest.setup(entries, params);
        assertThat(result).isInstanceOf(SetupResult.Created.class);
        return result.ringOrNull();
    }

    @Test
    void releaseIsTheGuestsKernel() {
        assertThat(guest.release()).isEqualTo(kernel.image().release());
    }

    @ParameterizedTest(name = "setup flags 0x{0}")
    @ValueSource(ints = {0, IORING_SETUP_NO_MMAP, DEFER, DEFER | IORING_SETUP_NO_MMAP})
    void nopsRoundTripAndResizeKeepsThem(int flags) {
        Ring ring = ring(4, flags);
        try {
            RingDriver driver = new RingDriver(guest, ring);
            for (int round = 0; round < 3; round++) {
                long sqe = driver.nextSqe();
                Sqe.opcode(driver.sqes(), sqe, IORING_OP_NOP);
                Sqe.userData(driver.sqes(), sqe, 77 + round);
                assertThat(driver.submit(1, IORING_ENTER_GETEVENTS)).isEqualTo(1);
                assertThat(driver.reap().userData()).isEqualTo(77 + round);
            }
            if ((flags & IORING_SETUP_DEFER_TASKRUN) != 0) {
                long sqe = driver.nextSqe();
                Sqe.opcode(driver.sqes(), sqe, IORING_OP_NOP);
                Sqe.userData(driver.sqes(), sqe, 500);
                assertThat(driver.submit(1, IORING_ENTER_GETEVENTS)).isEqualTo(1);
                MemorySegment params = memory.allocate(IoUringParams.SIZE_BYTES, 8);
                params.set(JAVA_INT, IoUringParams.SQ_ENTRIES_OFFSET, 16);
                assertThat(guest.register(ring, IORING_REGISTER_RESIZE_RINGS, params, 1)).isZero();
                driver.refreshViews();
                assertThat(driver.ready()).isEqualTo(1);
                assertThat(driver.reap().userData()).isEqualTo(500);
            }
        } finally {
            assertThat(guest.close(ring)).isZero();
        }
    }

    @Test
    void capabilitiesOfSevenTwoIncludeTheNewFeatures() {
        KernelCapabilities caps = CapabilityProbe.probe(guest, memory);
        assertThat(caps.named()).contains(Feature.SQE_MIXED, Feature.SQ_REWIND, Feature.BPF_FILTER,
                Feature.TASK_RESTRICTIONS, Feature.QUERY, Feature.RESIZE_RINGS);
        assertThat(caps.lastOp()).isEqualTo(64);
    }

    @Test
    void roundTripRate() {
        AgentSession session = kernel.session();
        for (int i = 0; i < 200; i++) {
            session.ping();
        }
        int count = 2000;
        long start = System.nanoTime();
        for (int i = 0; i < count; i++) {
            session.ping();
        }
        double perSecond = count / ((System.nanoTime() - start) / 1e9);
        Ring ring = ring(4, 0);
        try {
            for (int i = 0; i < 200; i++) {
                assertThat(guest.enter(ring, 0, 0, 0, MemorySegment.NULL, 0)).isZero();
            }
            start = System.nanoTime();
            for (int i = 0; i < count; i++) {
                guest.enter(ring, 0, 0, 0, MemorySegment.NULL, 0);
            }
        } finally {
            guest.close(ring);
        }
        double entersPerSecond = count / ((System.nanoTime() - start) / 1e9);
        System.out.printf("%s: %.0f round trips/s (ping), %.0f empty enters/s%n", guest.description(), perSecond,
                entersPerSecond);
        assertThat(perSecond).isPositive();
        assertThat(entersPerSecond).isPositive();
    }

    @Test
    void aProgramInTheGuestRunsWithItsStatus() {
        AgentSession.RunResult run = kernel.session().run(List.of("/init", "--no-such-mode"), Duration.ofSeconds(10));
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(new String(run.stderr())).contains("usage");
    }

    @Test
    void aMissingProgramIsExitStatus127() {
        AgentSession.RunResult run = kernel.session().run(List.of("/nothing/here"), Duration.ofSeconds(10));
        assertThat(run.exitCode()).isEqualTo(127);
        assertThatThrownBy(() -> kernel.session().run(List.of(), Duration.ofSeconds(1)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(AgentException.class).isNotNull();
    }
}
