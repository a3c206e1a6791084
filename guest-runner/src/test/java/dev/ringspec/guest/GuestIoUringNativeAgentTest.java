package dev.ringspec.guest;

import static dev.ringspec.seam.SharedMemory.loadAcquire;
import static dev.ringspec.seam.SharedMemory.readOnce;
import static dev.ringspec.seam.SharedMemory.storeRelease;
import static dev.ringspec.seam.SharedMemory.writeOnce;
import static dev.ringspec.uapi.Errno.EBADF;
import static dev.ringspec.uapi.Errno.EEXIST;
import static dev.ringspec.uapi.Errno.EFAULT;
import static dev.ringspec.uapi.IoUring.IORING_ENTER_EXT_ARG;
import static dev.ringspec.uapi.IoUring.IORING_ENTER_GETEVENTS;
import static dev.ringspec.uapi.IoUring.IORING_FEAT_SINGLE_MMAP;
import static dev.ringspec.uapi.IoUring.IORING_NOP_INJECT_RESULT;
import static dev.ringspec.uapi.IoUring.IORING_OP_NOP;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_PROBE;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_QUERY;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_RESIZE_RINGS;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_DEFER_TASKRUN;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_NO_MMAP;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SINGLE_ISSUER;
import static dev.ringspec.uapi.IoUringQuery.IO_URING_QUERY_OPCODES;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ringspec.guest.agent.AgentException;
import dev.ringspec.guest.agent.AgentSession;
import dev.ringspec.guest.agent.NativeAgent;
import dev.ringspec.nativerunner.IoUringAvailability;
import dev.ringspec.nativerunner.NativeIoUring;
import dev.ringspec.seam.Cqe;
import dev.ringspec.seam.IoUringKernel;
import dev.ringspec.seam.IoUringKernel.SetupResult;
import dev.ringspec.seam.Ring;
import dev.ringspec.seam.RingDriver;
import dev.ringspec.seam.RingParams;
import dev.ringspec.seam.Sqe;
import dev.ringspec.seam.UserMemory;
import dev.ringspec.uapi.IoUringParams;
import dev.ringspec.uapi.IoUringProbe;
import dev.ringspec.uapi.IoUringProbeOp;
import dev.ringspec.uapi.IoUringQueryHdr;
import dev.ringspec.uapi.IoUringQueryOpcode;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The guest backend over an agent running natively against this machine's kernel: every answer must be the one
 * the native runner gets from the same kernel for the same call, down to the bytes of the rings.
 */
@Tag("kernel")
class GuestIoUringNativeAgentTest {
    private static final int DEFER = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;
    private static final NativeIoUring NATIVE = new NativeIoUring();
    private static AgentSession session;
    private static UserMemory memory;
    private static GuestIoUring guest;

    @BeforeAll
    static void agent() {
        IoUringAvailability availability = IoUringAvailability.probe();
        assumeTrue(availability.available(), availability.reason());
        session = NativeAgent.session();
        memory = new UserMemory();
        guest = new GuestIoUring(session, memory);
    }

    @AfterAll
    static void end() {
        if (session != null) {
            session.close();
            memory.close();
        }
    }

    private static Ring ring(IoUringKernel kernel, MemorySegment params, int entries, int flags) {
        params.fill((byte) 0);
        params.set(JAVA_INT, IoUringParams.FLAGS_OFFSET, flags);
        SetupResult result = kernel.setup(entries, params);
        if (result instanceof SetupResult.Created(Ring ring)) {
            return ring;
        }
        throw new AssertionError(kernel.description() + ": setup(" + entries + ", 0x" + Integer.toHexString(flags)
                + ") failed: " + result.result());
    }

    private static void nops(RingDriver driver, int count, long firstUserData) {
        for (int i = 0; i < count; i++) {
            long sqe = driver.nextSqe();
            Sqe.opcode(driver.sqes(), sqe, IORING_OP_NOP);
            Sqe.userData(driver.sqes(), sqe, firstUserData + i);
        }
    }

    /** The offsets the kernel reported, without the user addresses (memory of each side's own under NO_MMAP). */
    private static List<Object> withoutUserAddr(RingParams p) {
        RingParams.SqOffsets sq = p.sqOff();
        RingParams.CqOffsets cq = p.cqOff();
        return List.of(new RingParams.SqOffsets(sq.head(), sq.tail(), sq.ringMask(), sq.ringEntries(), sq.flags(),
                sq.dropped(), sq.array(), 0), new RingParams.CqOffsets(cq.head(), cq.tail(), cq.ringMask(),
                cq.ringEntries(), cq.overflow(), cq.cqes(), cq.flags(), 0));
    }

    @Test
    void releaseIsTheKernelsOwn() {
        assertThat(guest.release()).isEqualTo(NATIVE.release());
    }

    @ParameterizedTest(name = "setup flags 0x{0}")
    @ValueSource(ints = {0, IORING_SETUP_NO_MMAP, DEFER})
    void setupAnswersAsNativelyWithOneMappingForBothRings(int flags) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment guestParams = arena.allocate(IoUringParams.LAYOUT);
            MemorySegment nativeParams = arena.allocate(IoUringParams.LAYOUT);
            Ring g = ring(guest, guestParams, 8, flags);
            Ring n = ring(NATIVE, nativeParams, 8, flags);
            try {
                RingParams gp = g.params();
                RingParams np = n.params();
                assertThat(gp.sqEntries()).isEqualTo(np.sqEntries());
                assertThat(gp.cqEntries()).isEqualTo(np.cqEntries());
                assertThat(gp.features()).isEqualTo(np.features());
                assertThat(withoutUserAddr(gp)).isEqualTo(withoutUserAddr(np));
                assertThat(gp.features() & IORING_FEAT_SINGLE_MMAP).isNotZero();
                assertThat(g.sqRing().address()).isEqualTo(g.cqRing().address());
                assertThat(g.sqRing().byteSize()).isEqualTo(n.sqRing().byteSize());
                assertThat(g.sqes().byteSize()).isEqualTo(n.sqes().byteSize());
                // the ring memory as the kernel initialised it, byte for byte
                assertThat(g.sqRing().toArray(JAVA_BYTE)).isEqualTo(n.sqRing().toArray(JAVA_BYTE));
            } finally {
                assertThat(guest.close(g)).isZero();
                NATIVE.close(n);
            }
        }
    }

    @ParameterizedTest(name = "setup flags 0x{0}")
    @ValueSource(ints = {0, IORING_SETUP_NO_MMAP, DEFER})
    void nopRoundTripThroughRawRingMemory(int flags) {
        try (Arena arena = Arena.ofConfined()) {
            Ring ring = ring(guest, arena.allocate(IoUringParams.LAYOUT), 4, flags);
            try {
                RingParams p = ring.params();
                MemorySegment sqRing = ring.sqRing();
                MemorySegment cqRing = ring.cqRing();
                MemorySegment sqes = ring.sqes();
                for (int round = 0; round < 10; round++) {
                    int tail = readOnce(sqRing, p.sqOff().tail());
                    int index = tail & readOnce(sqRing, p.sqOff().ringMask());
                    long sqe = (long) index * 64;
                    sqes.asSlice(sqe, 64).fill((byte) 0);
                    sqes.set(JAVA_INT, sqe + 24, 4242 + round);
                    sqes.set(JAVA_INT, sqe + 28, IORING_NOP_INJECT_RESULT);
                    sqes.set(JAVA_LONG, sqe + 32, 0xfeedfacecafe0000L + round);
                    writeOnce(sqRing, p.sqOff().array() + 4L * index, index);
                    storeRelease(sqRing, p.sqOff().tail(), tail + 1);

                    assertThat(guest.enter(ring, 1, 1, IORING_ENTER_GETEVENTS, MemorySegment.NULL, 0)).isEqualTo(1);
                    assertThat(loadAcquire(sqRing, p.sqOff().head())).isEqualTo(tail + 1);
                    int cqHead = readOnce(cqRing, p.cqOff().head());
                    assertThat(loadAcquire(cqRing, p.cqOff().tail()) - cqHead).isEqualTo(1);
                    long cqe = p.cqOff().cqes() + 16L * (cqHead & readOnce(cqRing, p.cqOff().ringMask()));
                    assertThat(cqRing.get(JAVA_LONG, cqe)).isEqualTo(0xfeedfacecafe0000L + round);
                    assertThat(cqRing.get(JAVA_INT, cqe + 8)).isEqualTo(4242 + round);
                    storeRelease(cqRing, p.cqOff().head(), cqHead + 1);
                }
                assertThat(readOnce(sqRing, p.sqOff().dropped())).isZero();
            } finally {
                assertThat(guest.close(ring)).isZero();
            }
        }
    }

    @Test
    void probeWritesWhatTheNativeProbeWrites() {
        try (Arena arena = Arena.ofConfined()) {
            Ring g = ring(guest, arena.allocate(IoUringParams.LAYOUT), 4, 0);
            Ring n = ring(NATIVE, arena.allocate(IoUringParams.LAYOUT), 4, 0);
            try {
                long bytes = IoUringProbe.SIZE_BYTES + 256 * IoUringProbeOp.SIZE_BYTES;
                MemorySegment guestProbe = arena.allocate(bytes);
                MemorySegment nativeProbe = arena.allocate(bytes);
                assertThat(guest.register(g, IORING_REGISTER_PROBE, guestProbe, 256)).isZero();
                assertThat(NATIVE.register(n, IORING_REGISTER_PROBE, nativeProbe, 256)).isZero();
                assertThat(guestProbe.get(JAVA_BYTE, IoUringProbe.LAST_OP_OFFSET)).isGreaterThan((byte) 40);
                assertThat(guestProbe.toArray(JAVA_BYTE)).isEqualTo(nativeProbe.toArray(JAVA_BYTE));
                // a heap argument goes through a copy and comes back filled
                byte[] heap = new byte[(int) bytes];
                assertThat(guest.register(g, IORING_REGISTER_PROBE, MemorySegment.ofArray(heap), 256)).isZero();
                assertThat(heap).isEqualTo(nativeProbe.toArray(JAVA_BYTE));
            } finally {
                guest.close(g);
                NATIVE.close(n);
            }
        }
    }

    @Test
    void queryChainReachesNestedDataInUserMemory() {
        MemorySegment hdr = memory.allocate(IoUringQueryHdr.SIZE_BYTES, 8);
        MemorySegment data = memory.allocate(IoUringQueryOpcode.SIZE_BYTES, 8);
        hdr.set(JAVA_LONG, IoUringQueryHdr.QUERY_DATA_OFFSET, data.address());
        hdr.set(JAVA_INT, IoUringQueryHdr.QUERY_OP_OFFSET, IO_URING_QUERY_OPCODES);
        hdr.set(JAVA_INT, IoUringQueryHdr.SIZE_OFFSET, (int) IoUringQueryOpcode.SIZE_BYTES);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment nativeHdr = arena.allocate(IoUringQueryHdr.SIZE_BYTES, 8);
            MemorySegment nativeData = arena.allocate(IoUringQueryOpcode.SIZE_BYTES, 8);
            nativeHdr.copyFrom(hdr);
            nativeHdr.set(JAVA_LONG, IoUringQueryHdr.QUERY_DATA_OFFSET, nativeData.address());
            int expected = NATIVE.registerWithoutRing(IORING_REGISTER_QUERY, nativeHdr, 0);
            assertThat(guest.registerWithoutRing(IORING_REGISTER_QUERY, hdr, 0)).isEqualTo(expected);
            assertThat(data.get(JAVA_INT, IoUringQueryOpcode.NR_REQUEST_OPCODES_OFFSET))
                    .isEqualTo(nativeData.get(JAVA_INT, IoUringQueryOpcode.NR_REQUEST_OPCODES_OFFSET))
                    .isPositive();
            assertThat(data.toArray(JAVA_BYTE)).isEqualTo(nativeData.toArray(JAVA_BYTE));
        }
    }

    @ParameterizedTest(name = "setup flags 0x{0}")
    @ValueSource(ints = {DEFER, DEFER | IORING_SETUP_NO_MMAP})
    void resizeKeepsPendingCqesAndMapsTheNewRings(int flags) {
        try (Arena arena = Arena.ofConfined()) {
            Ring ring = ring(guest, arena.allocate(IoUringParams.LAYOUT), 4, flags);
            try {
                RingDriver driver = new RingDriver(guest, ring);
                nops(driver, 3, 100);
                assertThat(driver.submit(3, IORING_ENTER_GETEVENTS)).isEqualTo(3);
                MemorySegment oldSqRing = ring.sqRing();
                MemorySegment params = arena.allocate(IoUringParams.LAYOUT);
                params.set(JAVA_INT, IoUringParams.SQ_ENTRIES_OFFSET, 16);
                assertThat(guest.register(ring, IORING_REGISTER_RESIZE_RINGS, params, 1)).isZero();
                assertThat(ring.params().sqEntries()).isEqualTo(16);
                assertThat(ring.params().cqEntries()).isEqualTo(32);
                assertThat(oldSqRing.scope().isAlive()).as("old regions freed").isFalse();
                driver.refreshViews();
                assertThat(driver.sq().readOnceRingEntries()).isEqualTo(16);
                assertThat(driver.cq().readOnceRingEntries()).isEqualTo(32);
                assertThat(driver.ready()).isEqualTo(3);
                for (long ud = 100; ud < 103; ud++) {
                    assertThat(driver.reap().userData()).isEqualTo(ud);
                }
                nops(driver, 10, 200);
                assertThat(driver.submit(10, IORING_ENTER_GETEVENTS)).isEqualTo(10);
                for (long ud = 200; ud < 210; ud++) {
                    Cqe cqe = driver.reap();
                    assertThat(cqe.userData()).isEqualTo(ud);
                    assertThat(cqe.res()).isZero();
                }
            } finally {
                assertThat(guest.close(ring)).isZero();
            }
        }
    }

    @Test
    void singleIssuerRingAnswersAnotherThreadEexist() throws InterruptedException {
        try (Arena arena = Arena.ofShared()) {
            Ring ring = ring(guest, arena.allocate(IoUringParams.LAYOUT), 4, IORING_SETUP_SINGLE_ISSUER);
            try {
                RingDriver driver = new RingDriver(guest, ring);
                nops(driver, 1, 1);
                driver.sq().storeReleaseTail(driver.sq().readOnceTail() + 1);
                AtomicInteger fromOther = new AtomicInteger();
                Thread other = Thread.ofPlatform().start(
                        () -> fromOther.set(guest.enter(ring, 1, 0, 0, MemorySegment.NULL, 0)));
                other.join();
                assertThat(fromOther.get()).isEqualTo(-EEXIST);
                assertThat(guest.enter(ring, 1, 1, IORING_ENTER_GETEVENTS, MemorySegment.NULL, 0)).isEqualTo(1);
            } finally {
                guest.close(ring);
            }
        }
    }

    @Test
    void aCallWaitingForCompletionsDoesNotStopAnotherThreadsCalls() throws Exception {
        try (Arena arena = Arena.ofShared()) {
            Ring ring = ring(guest, arena.allocate(IoUringParams.LAYOUT), 4, 0);
            try {
                AtomicInteger waited = new AtomicInteger(Integer.MIN_VALUE);
                Thread waiter = Thread.ofPlatform().start(
                        () -> waited.set(guest.enter(ring, 0, 1, IORING_ENTER_GETEVENTS, MemorySegment.NULL, 0)));
                Thread.sleep(200); // the waiter is inside io_uring_enter in the agent by now
                assertThat(waiter.isAlive()).as("waiting for a completion nobody has submitted").isTrue();
                RingDriver driver = new RingDriver(guest, ring);
                nops(driver, 1, 31);
                driver.sq().storeReleaseTail(driver.sq().readOnceTail() + 1);
                assertThat(guest.enter(ring, 1, 0, 0, MemorySegment.NULL, 0)).isEqualTo(1);
                waiter.join(10_000);
                assertThat(waited.get()).isZero();
                assertThat(driver.reap().userData()).isEqualTo(31);
            } finally {
                guest.close(ring);
            }
        }
    }

    @Test
    void argumentsPointingNowhereAreEfault() {
        // an address with nothing mapped at it, as a zero-length segment: passed on, never read by the host
        MemorySegment nowhere = MemorySegment.ofAddress(4096);
        assertThat(guest.setup(4, nowhere).result()).isEqualTo(-EFAULT);
        assertThat(guest.registerWithoutRing(IORING_REGISTER_QUERY, nowhere, 0))
                .isEqualTo(NATIVE.registerWithoutRing(IORING_REGISTER_QUERY, nowhere, 0))
                .isEqualTo(-EFAULT);
        try (Arena arena = Arena.ofConfined()) {
            Ring ring = ring(guest, arena.allocate(IoUringParams.LAYOUT), 4, 0);
            try {
                assertThat(guest.register(ring, IORING_REGISTER_PROBE, arena.allocate(64), 256)).isEqualTo(-EFAULT);
                assertThat(guest.enter(ring, 0, 1, IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG, nowhere, 24))
                        .isEqualTo(-EFAULT);
            } finally {
                assertThat(guest.close(ring)).isZero();
                assertThat(guest.close(ring)).isEqualTo(-EBADF);
                assertThat(guest.enter(ring, 0, 0, 0, MemorySegment.NULL, 0)).isEqualTo(-EBADF);
            }
        }
    }

    @Test
    void aProgramRunsWithItsOutputAndStatus() {
        AgentSession.RunResult echo = session.run(List.of("/bin/sh", "-c", "echo out; echo err >&2; exit 3"),
                Duration.ofSeconds(10));
        assertThat(new String(echo.stdout())).isEqualTo("out\n");
        assertThat(new String(echo.stderr())).isEqualTo("err\n");
        assertThat(echo.exitCode()).isEqualTo(3);
        assertThat(echo.timedOut()).isFalse();
        AgentSession.RunResult sleep = session.run(List.of("/bin/sleep", "10"), Duration.ofMillis(200));
        assertThat(sleep.timedOut()).isTrue();
        assertThat(sleep.exitCode()).isEqualTo(128 + 9);
    }

    @Test
    void aDeadAgentIsOneClearSentenceNotAHang() {
        AgentSession own = NativeAgent.session();
        GuestIoUring kernel = new GuestIoUring(own, null);
        try (Arena arena = Arena.ofConfined()) {
            Ring ring = ring(kernel, arena.allocate(IoUringParams.LAYOUT), 4, 0);
            own.run(List.of("/bin/sh", "-c", "kill -9 $PPID"), Duration.ofSeconds(5));
            assertThatThrownBy(() -> kernel.enter(ring, 0, 0, 0, MemorySegment.NULL, 0))
                    .isInstanceOf(AgentException.class)
                    .hasMessageContaining("channel");
            assertThatThrownBy(() -> kernel.enter(ring, 0, 0, 0, MemorySegment.NULL, 0))
                    .isInstanceOf(AgentException.class);
        } catch (AgentException e) {
            // the run itself may already see the agent die
            assertThat(e).hasMessageContaining("agent");
        } finally {
            own.close();
        }
    }

    @Test
    void anUnansweredCallTimesOut() {
        AgentSession own = AgentSession.open(dev.ringspec.guest.agent.NativeAgent.start(), Duration.ofSeconds(30),
                Duration.ofSeconds(1));
        GuestIoUring kernel = new GuestIoUring(own, null);
        try (Arena arena = Arena.ofConfined()) {
            Ring ring = ring(kernel, arena.allocate(IoUringParams.LAYOUT), 4, 0);
            long start = System.nanoTime();
            // waits for a completion that never comes
            assertThatThrownBy(() -> kernel.enter(ring, 0, 1, IORING_ENTER_GETEVENTS, MemorySegment.NULL, 0))
                    .isInstanceOf(AgentException.class)
                    .hasMessageContaining("did not answer an enter call within 1 s");
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
        } finally {
            own.close();
        }
    }
}
