package dev.ringspec.nativerunner;

import static dev.ringspec.nativerunner.KernelTests.KERNEL;
import static dev.ringspec.uapi.Errno.EACCES;
import static dev.ringspec.uapi.IoUring.IORING_CQE_F_32;
import static dev.ringspec.uapi.IoUring.IORING_ENTER_GETEVENTS;
import static dev.ringspec.uapi.IoUring.IORING_NOP_CQE32;
import static dev.ringspec.uapi.IoUring.IORING_OP_NOP;
import static dev.ringspec.uapi.IoUring.IORING_OP_NOP128;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_BPF_FILTER;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_QUERY;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_RESIZE_RINGS;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_CQE32;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_CQE_MIXED;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_DEFER_TASKRUN;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_NO_SQARRAY;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SINGLE_ISSUER;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SQE128;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SQE_MIXED;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SQ_REWIND;
import static dev.ringspec.uapi.IoUringBpfFilter.IO_URING_BPF_CMD_FILTER;
import static dev.ringspec.uapi.IoUringQuery.IO_URING_QUERY_OPCODES;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.capabilities.CapabilityProbe;
import dev.ringspec.capabilities.Feature;
import dev.ringspec.capabilities.KernelCapabilities;
import dev.ringspec.seam.Cqe;
import dev.ringspec.seam.Ring;
import dev.ringspec.seam.RingDriver;
import dev.ringspec.seam.Sqe;
import dev.ringspec.uapi.IoUringBpf;
import dev.ringspec.uapi.IoUringBpfFilterStruct;
import dev.ringspec.uapi.IoUringParams;
import dev.ringspec.uapi.IoUringQueryHdr;
import dev.ringspec.uapi.IoUringQueryOpcode;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Each feature the probe reports is checked against evidence gathered another way: a trial that uses the feature
 * and must succeed exactly when the feature is reported. So the test holds on any kernel, with or without it.
 */
@Tag("kernel")
class KernelCapabilitiesTest {
    private static KernelCapabilities caps;

    @BeforeAll
    static void probe() {
        KernelTests.assumeIoUring();
        caps = CapabilityProbe.probe(KERNEL);
    }

    private static Ring ringOrNull(Arena arena, int entries, int flags) {
        return KernelTests.setup(arena, entries, flags).ringOrNull();
    }

    private static Cqe nop(RingDriver driver, int nopFlags, long off, long addr, long userData) {
        long sqe = driver.nextSqe();
        Sqe.opcode(driver.sqes(), sqe, IORING_OP_NOP);
        Sqe.opFlags(driver.sqes(), sqe, nopFlags);
        Sqe.off(driver.sqes(), sqe, off);
        Sqe.addr(driver.sqes(), sqe, addr);
        Sqe.userData(driver.sqes(), sqe, userData);
        assertThat(driver.submit(1, IORING_ENTER_GETEVENTS)).isEqualTo(1);
        return driver.reap();
    }

    @Test
    void cqeMixedIsReportedExactlyWhenA32ByteCqeTakesTwoSlotsWithF32() {
        boolean evidence;
        try (Arena arena = Arena.ofConfined()) {
            Ring ring = ringOrNull(arena, 4, IORING_SETUP_CQE_MIXED);
            evidence = ring != null;
            if (ring != null) {
                RingDriver driver = new RingDriver(KERNEL, ring);
                int tailBefore = driver.cq().loadAcquireTail();
                Cqe cqe = nop(driver, IORING_NOP_CQE32, 0x1111, 0x2222, 7);
                evidence = (cqe.flags() & IORING_CQE_F_32) != 0 && cqe.big0() == 0x1111 && cqe.big1() == 0x2222
                        && driver.cq().loadAcquireTail() - tailBefore == 2;
                KERNEL.close(ring);
            }
        }
        assertThat(caps.has(Feature.CQE_MIXED)).isEqualTo(evidence);
    }

    @Test
    void sqeMixedIsReportedExactlyWhenNop128TakesTwoSqSlots() {
        boolean evidence;
        try (Arena arena = Arena.ofConfined()) {
            Ring ring = ringOrNull(arena, 4, IORING_SETUP_SQE_MIXED);
            evidence = ring != null;
            if (ring != null) {
                RingDriver driver = new RingDriver(KERNEL, ring);
                long sqe = driver.nextSqe();
                driver.nextSqe();
                Sqe.opcode(driver.sqes(), sqe, IORING_OP_NOP128);
                Sqe.userData(driver.sqes(), sqe, 9);
                int submitted = driver.submit(1, IORING_ENTER_GETEVENTS);
                Cqe cqe = driver.reap();
                evidence = submitted == 2 && driver.sq().loadAcquireHead() == 2 && cqe != null && cqe.res() == 0;
                KERNEL.close(ring);
            }
        }
        assertThat(caps.has(Feature.SQE_MIXED)).isEqualTo(evidence);
    }

    @Test
    void resizeIsReportedExactlyWhenADeferTaskrunRingGrowsWithItsCqes() {
        boolean evidence;
        boolean plainRefused;
        try (Arena arena = Arena.ofConfined()) {
            Ring ring = KernelTests.ring(arena, 4, IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN);
            RingDriver driver = new RingDriver(KERNEL, ring);
            nop(driver, 0, 0, 0, 1);
            nop(driver, 0, 0, 0, 2);
            driver.cq().storeReleaseHead(driver.cq().readOnceHead() - 2);
            MemorySegment params = arena.allocate(IoUringParams.LAYOUT);
            params.set(JAVA_INT, IoUringParams.SQ_ENTRIES_OFFSET, 32);
            evidence = KERNEL.register(ring, IORING_REGISTER_RESIZE_RINGS, params, 1) == 0;
            if (evidence) {
                driver.refreshViews();
                evidence = driver.cq().readOnceRingEntries() == 64 && driver.reap().userData() == 1
                        && driver.reap().userData() == 2;
            }
            KERNEL.close(ring);

            Ring plain = KernelTests.ring(arena, 4, 0);
            params.fill((byte) 0);
            params.set(JAVA_INT, IoUringParams.SQ_ENTRIES_OFFSET, 32);
            plainRefused = KERNEL.register(plain, IORING_REGISTER_RESIZE_RINGS, params, 1) < 0;
            KERNEL.close(plain);
        }
        assertThat(caps.has(Feature.RESIZE_RINGS)).isEqualTo(evidence);
        assertThat(caps.resizeNeedsDeferTaskrun()).isEqualTo(evidence && plainRefused);
    }

    @Test
    void queryIsReportedExactlyWhenABlindQueryAnswersAndAgreesWithProbeAndFeatures() {
        boolean evidence;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment hdr = arena.allocate(IoUringQueryHdr.LAYOUT);
            MemorySegment data = arena.allocate(IoUringQueryOpcode.LAYOUT);
            hdr.set(JAVA_LONG, IoUringQueryHdr.QUERY_DATA_OFFSET, data.address());
            hdr.set(JAVA_INT, IoUringQueryHdr.QUERY_OP_OFFSET, IO_URING_QUERY_OPCODES);
            hdr.set(JAVA_INT, IoUringQueryHdr.SIZE_OFFSET, (int) IoUringQueryOpcode.SIZE_BYTES);
            evidence = KERNEL.registerWithoutRing(IORING_REGISTER_QUERY, hdr, 0) == 0
                    && hdr.get(JAVA_INT, IoUringQueryHdr.RESULT_OFFSET) == 0;
            if (evidence) {
                assertThat(data.get(JAVA_INT, IoUringQueryOpcode.NR_REQUEST_OPCODES_OFFSET))
                        .isEqualTo(caps.lastOp() + 1);
                assertThat(data.get(JAVA_LONG, IoUringQueryOpcode.FEATURE_FLAGS_OFFSET))
                        .isEqualTo(Integer.toUnsignedLong(caps.features()));
                assertThat(data.get(JAVA_LONG, IoUringQueryOpcode.RING_SETUP_FLAGS_OFFSET))
                        .isEqualTo(Integer.toUnsignedLong(caps.setupFlags()));
            }
        }
        assertThat(caps.has(Feature.QUERY)).isEqualTo(evidence);
    }

    @Test
    void bpfFilterIsReportedExactlyWhenADenyFilterFailsANopWithEacces() {
        boolean evidence;
        try (Arena arena = Arena.ofConfined()) {
            Ring ring = KernelTests.ring(arena, 4, 0);
            MemorySegment program = arena.allocate(8, 8);
            program.set(JAVA_SHORT, 0, (short) 0x06); // BPF_RET | BPF_K, k = 0: deny
            MemorySegment bpf = arena.allocate(IoUringBpf.LAYOUT);
            bpf.set(JAVA_SHORT, IoUringBpf.CMD_TYPE_OFFSET, (short) IO_URING_BPF_CMD_FILTER);
            bpf.set(JAVA_INT, IoUringBpf.FILTER_OFFSET + IoUringBpfFilterStruct.OPCODE_OFFSET, IORING_OP_NOP);
            bpf.set(JAVA_INT, IoUringBpf.FILTER_OFFSET + IoUringBpfFilterStruct.FILTER_LEN_OFFSET, 1);
            bpf.set(JAVA_LONG, IoUringBpf.FILTER_OFFSET + IoUringBpfFilterStruct.FILTER_PTR_OFFSET,
                    program.address());
            evidence = KERNEL.register(ring, IORING_REGISTER_BPF_FILTER, bpf, 1) == 0
                    && nop(new RingDriver(KERNEL, ring), 0, 0, 0, 3).res() == -EACCES;
            KERNEL.close(ring);
        }
        assertThat(caps.has(Feature.BPF_FILTER)).isEqualTo(evidence);
    }

    @Test
    void taskRestrictionsAreReportedExactlyWhenAChildProcessCanRegisterThem()
            throws IOException, InterruptedException {
        String java = ProcessHandle.current().info().command().orElseThrow();
        Process child = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED", "-cp",
                System.getProperty("java.class.path"), TaskRestrictionTrial.class.getName())
                .redirectErrorStream(true).start();
        String out = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(child.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(out).contains("register ");
        boolean evidence = out.contains("register 0\n");
        assertThat(caps.has(Feature.TASK_RESTRICTIONS)).as(out).isEqualTo(evidence);
    }

    @Test
    void sqRewindIsReportedExactlyWhenAResubmitStartsAgainAtSqeZero() {
        boolean evidence;
        try (Arena arena = Arena.ofConfined()) {
            Ring ring = ringOrNull(arena, 4, IORING_SETUP_SQ_REWIND | IORING_SETUP_NO_SQARRAY);
            evidence = ring != null;
            if (ring != null) {
                Sqe.prepNop(ring.sqes(), 0, 77);
                int first = KERNEL.enter(ring, 1, 1, IORING_ENTER_GETEVENTS, MemorySegment.NULL, 0);
                int second = KERNEL.enter(ring, 1, 2, IORING_ENTER_GETEVENTS, MemorySegment.NULL, 0);
                RingDriver driver = new RingDriver(KERNEL, ring);
                evidence = first == 1 && second == 1 && driver.reap().userData() == 77
                        && driver.reap().userData() == 77;
                KERNEL.close(ring);
            }
        }
        assertThat(caps.has(Feature.SQ_REWIND)).isEqualTo(evidence);
    }

    @Test
    void noSqArrayIsReportedExactlyWhenARingWithoutTheArraySubmitsByPosition() {
        boolean evidence;
        try (Arena arena = Arena.ofConfined()) {
            Ring ring = ringOrNull(arena, 4, IORING_SETUP_NO_SQARRAY);
            evidence = ring != null;
            if (ring != null) {
                evidence = ring.params().sqOff().array() == 0 && nop(new RingDriver(KERNEL, ring), 0, 0, 0, 5)
                        .userData() == 5;
                KERNEL.close(ring);
            }
        }
        assertThat(caps.has(Feature.NO_SQARRAY)).isEqualTo(evidence);
    }

    @Test
    void cqe32IsReportedExactlyWhenCqesSitAtA32ByteStride() {
        boolean evidence;
        try (Arena arena = Arena.ofConfined()) {
            Ring ring = ringOrNull(arena, 4, IORING_SETUP_CQE32);
            evidence = ring != null;
            if (ring != null) {
                RingDriver driver = new RingDriver(KERNEL, ring);
                nop(driver, 0, 0, 0, 11);
                nop(driver, 0, 0, 0, 12);
                long second = ring.params().cqOff().cqes() + 32;
                evidence = ring.cqRing().get(JAVA_LONG, second) == 12;
                KERNEL.close(ring);
            }
        }
        assertThat(caps.has(Feature.CQE32)).isEqualTo(evidence);
    }

    @Test
    void sqe128IsReportedExactlyWhenSqesAreReadAtA128ByteStride() {
        boolean evidence;
        try (Arena arena = Arena.ofConfined()) {
            Ring ring = ringOrNull(arena, 4, IORING_SETUP_SQE128);
            evidence = ring != null;
            if (ring != null) {
                RingDriver driver = new RingDriver(KERNEL, ring);
                long sqe = driver.nextSqe();
                Sqe.opcode(driver.sqes(), sqe, IORING_OP_NOP);
                Sqe.userData(driver.sqes(), sqe, 21);
                Sqe.userData(driver.sqes(), 64 + 0, 99); // what a 64-byte stride would read as SQE 1
                driver.submit(1, IORING_ENTER_GETEVENTS);
                long second = driver.nextSqe();
                Sqe.opcode(driver.sqes(), second, IORING_OP_NOP);
                Sqe.userData(driver.sqes(), second, 22);
                driver.submit(1, IORING_ENTER_GETEVENTS);
                evidence = second == 128 && driver.reap().userData() == 21 && driver.reap().userData() == 22;
                KERNEL.close(ring);
            }
        }
        assertThat(caps.has(Feature.SQE128)).isEqualTo(evidence);
    }

    @Test
    void thisKernelHasWhatTheMachineFactsSay() {
        // shared/reference/uapi.md, "Kernel 6.18.44 reality": checked only on that kernel line.
        org.junit.jupiter.api.Assumptions.assumeTrue(caps.release().startsWith("6.18."),
                "the expected feature set is pinned for Linux 6.18 only");
        assertThat(caps.named()).contains(Feature.CQE_MIXED, Feature.RESIZE_RINGS, Feature.QUERY)
                .doesNotContain(Feature.SQE_MIXED, Feature.SQ_REWIND, Feature.BPF_FILTER, Feature.TASK_RESTRICTIONS);
        assertThat(caps.lastOp()).isEqualTo(62);
        assertThat(caps.features()).isEqualTo(0x3ffff);
        assertThat(caps.setupFlags()).isEqualTo(0x7ffff);
        assertThat(caps.registerOpcodes()).hasSize(36);
        assertThat(caps.nopFlags()).isEqualTo(0x3f);
        assertThat(caps.resizeNeedsDeferTaskrun()).isTrue();
    }
}
