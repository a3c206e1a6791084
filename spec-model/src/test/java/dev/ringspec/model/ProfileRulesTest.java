package dev.ringspec.model;

import static dev.ringspec.uapi.Errno.E2BIG;
import static dev.ringspec.uapi.Errno.EBADF;
import static dev.ringspec.uapi.Errno.EBUSY;
import static dev.ringspec.uapi.Errno.EFAULT;
import static dev.ringspec.uapi.Errno.EINVAL;
import static dev.ringspec.uapi.Errno.ERANGE;
import static dev.ringspec.uapi.IoUring.IORING_ENTER_GETEVENTS;
import static dev.ringspec.uapi.IoUring.IORING_NOP_INJECT_RESULT;
import static dev.ringspec.uapi.IoUring.IORING_NOP_TW;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_BUFFERS;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_FILES;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_PROBE;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_QUERY;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_RESIZE_RINGS;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_USE_REGISTERED_RING;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_CQE32;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_CQSIZE;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_DEFER_TASKRUN;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_NO_SQARRAY;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SINGLE_ISSUER;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_TASKRUN_FLAG;
import static dev.ringspec.uapi.IoUring.IORING_SQ_TASKRUN;
import static dev.ringspec.uapi.IoUring.IORING_SQ_CQ_OVERFLOW;
import static dev.ringspec.uapi.IoUring.IOSQE_IO_LINK;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ringspec.capabilities.Feature;
import dev.ringspec.capabilities.KernelCapabilities;
import dev.ringspec.seam.Cqe;
import dev.ringspec.seam.RingDriver;
import dev.ringspec.seam.RingGeometry;
import dev.ringspec.uapi.IoSqringOffsets;
import dev.ringspec.uapi.IoUringParams;
import dev.ringspec.uapi.IoUringQueryHdr;
import java.lang.foreign.MemorySegment;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The rules that differ between 6.1, 6.12, 6.18 and 7.2 (profiles-research.md, each confirmed or found by lockstep
 * against the kernel in QEMU), and the model bugs that research found in every kernel. Expected values come from the
 * kernel sources cited in the profiles and from the kernels' answers, never from the model.
 */
class ProfileRulesTest {

    private static KernelCapabilities caps(int features, int lastOp, Set<Feature> named,
            KernelCapabilities.QueryOpcodes query) {
        return new KernelCapabilities("test", "any release", features, 0, lastOp, List.of(), List.of(), 0, query,
                named, true, Set.of());
    }

    @Test
    void capabilitiesNotTheReleaseChooseTheOldAndNewProfiles() {
        // measured in QEMU: 6.1.192 features 0x1fff, last_op 48, no NO_SQARRAY; 6.12.117 0xffff, 57, NO_SQARRAY
        assertThat(KernelProfile.forCapabilities(caps(0x1fff, 48, EnumSet.of(Feature.SQE128), null)))
                .isSameAs(KernelProfile.LINUX_6_1);
        assertThat(KernelProfile.forCapabilities(caps(0xffff, 57, EnumSet.of(Feature.NO_SQARRAY), null)))
                .isSameAs(KernelProfile.LINUX_6_12);
        // the capability probe reported TASK_RESTRICTIONS on 6.12.118 (fd -1 answers -EBADF there): no QUERY wins
        assertThat(KernelProfile.forCapabilities(caps(0xffff, 57, EnumSet.of(Feature.NO_SQARRAY,
                Feature.TASK_RESTRICTIONS), null))).isSameAs(KernelProfile.LINUX_6_12);
        // a kernel between them (6.6: NO_SQARRAY, last_op 52) has no profile
        assertThatThrownBy(() -> KernelProfile.forCapabilities(caps(0x7fff, 52, EnumSet.of(Feature.NO_SQARRAY),
                null))).isInstanceOf(IllegalArgumentException.class);
        // 7.2.13 and 7.3-rc7: QUERY answers nr_query_opcodes 4
        Set<Feature> seven = EnumSet.of(Feature.QUERY, Feature.CQE_MIXED, Feature.SQE_MIXED, Feature.SQ_REWIND);
        assertThat(KernelProfile.forCapabilities(caps(0x3ffff, 64, seven,
                new KernelCapabilities.QueryOpcodes(65, 38, 0x3ffff, 0x1fffff, 0xff, 0x7f, 4))))
                .isSameAs(KernelProfile.LINUX_7_2);
        assertThat(KernelProfile.forCapabilities(caps(0x3ffff, 64, seven,
                new KernelCapabilities.QueryOpcodes(65, 38, 0x3ffff, 0x1fffff, 0xff, 0x7f, 3))))
                .isSameAs(KernelProfile.LINUX_7_0);
    }

    @Test
    void oldProfilesCarryTheirUapiConstants() {
        assertThat(KernelProfile.LINUX_6_1.maxRestrictions()).isEqualTo(79);
        assertThat(KernelProfile.LINUX_6_12.maxRestrictions()).isEqualTo(93);
        assertThat(KernelProfile.LINUX_7_3.nrQueryOpcodes()).isEqualTo(4);
    }

    private static Cqe single(ModelFixture f) {
        List<Cqe> cqes = f.reapAll();
        assertThat(cqes).hasSize(1);
        return cqes.getFirst();
    }

    @Test
    void nopPrepOf61RefusesAnyNopFlagsWord() {
        try (ModelFixture f = ModelFixture.of(KernelProfile.LINUX_6_1).setup(4, 0)) {
            f.inject(1, 7, 0);
            assertThat(f.submit()).isEqualTo(1);
            assertThat(single(f).res()).isEqualTo(-EINVAL);
        }
    }

    @Test
    void nopOf612KnowsOnlyInjectResult() {
        try (ModelFixture f = ModelFixture.of(KernelProfile.LINUX_6_12).setup(4, 0)) {
            f.inject(1, 7, 0);
            f.submit();
            assertThat(single(f).res()).isEqualTo(7);
            long at = f.nop(2);
            dev.ringspec.seam.Sqe.opFlags(f.driver.sqes(), at, IORING_NOP_TW);
            f.submit();
            assertThat(single(f).res()).isEqualTo(-EINVAL);
        }
    }

    /** Two chains A->B and C->D in one batch: the successors run as task work, B queued before D. */
    private static List<Long> twoChains(KernelProfile profile) {
        try (ModelFixture f = ModelFixture.of(profile).setup(8, 0)) {
            f.nop(1, IOSQE_IO_LINK);
            f.nop(2);
            f.nop(3, IOSQE_IO_LINK);
            f.nop(4);
            assertThat(f.submit()).isEqualTo(4);
            return f.userDatas(f.reapAll());
        }
    }

    @Test
    void taskWorkOf61RunsNewestFirst() {
        // 6.1 handle_tw_list walks the swapped-out llist from its head; 6.12+ reverse it first
        assertThat(twoChains(KernelProfile.LINUX_6_1)).containsExactly(1L, 3L, 4L, 2L);
        assertThat(twoChains(KernelProfile.LINUX_6_18)).containsExactly(1L, 3L, 2L, 4L);
    }

    /** 25 chains on a DEFER_TASKRUN ring, submitted, then one GETEVENTS with min_complete 0: CQEs posted. */
    private static int successorsRunByOneWait(KernelProfile profile) {
        try (ModelFixture f = ModelFixture.of(profile).setup(64, IORING_SETUP_SINGLE_ISSUER
                | IORING_SETUP_DEFER_TASKRUN, 0)) {
            for (int i = 0; i < 25; i++) {
                f.nop(2 * i + 1, IOSQE_IO_LINK);
                f.nop(2 * i + 2);
            }
            assertThat(f.submit()).isEqualTo(50);
            f.enter(0, 0, IORING_ENTER_GETEVENTS);
            return f.reapAll().size() - 25;
        }
    }

    @Test
    void localWorkIsCappedFrom613Only() {
        // IO_LOCAL_TW_DEFAULT_MAX (20) came with upstream f46b9cdb, 6.13; 6.12 and 6.1 run every item
        assertThat(successorsRunByOneWait(KernelProfile.LINUX_6_18)).isEqualTo(20);
        assertThat(successorsRunByOneWait(KernelProfile.LINUX_7_2)).isEqualTo(20);
        assertThat(successorsRunByOneWait(KernelProfile.LINUX_6_12)).isEqualTo(25);
        assertThat(successorsRunByOneWait(KernelProfile.LINUX_6_1)).isEqualTo(25);
    }

    @Test
    void blindRegisterBefore618IsABadDescriptor() {
        MemorySegment arg = MemorySegment.NULL;
        try (ModelFixture f = ModelFixture.of(KernelProfile.LINUX_6_12)) {
            assertThat(f.model.registerWithoutRing(IORING_REGISTER_PROBE, arg, 1)).isEqualTo(-EBADF);
        }
        try (ModelFixture f = ModelFixture.of(KernelProfile.LINUX_6_1)) {
            assertThat(f.model.registerWithoutRing(IORING_REGISTER_PROBE, arg, 1)).isEqualTo(-EBADF);
            assertThat(f.model.registerWithoutRing(IORING_REGISTER_QUERY, arg, 0)).isEqualTo(-EINVAL);
        }
    }

    @Test
    void registeredRingBitIsAnUnknownOpcodeOn61() {
        for (KernelProfile p : List.of(KernelProfile.LINUX_6_1, KernelProfile.LINUX_6_12)) {
            try (ModelFixture f = ModelFixture.of(p).setup(4, 0)) {
                MemorySegment probe = f.memory.allocate(16 + 8 * 64);
                int result = f.model.register(f.ring, IORING_REGISTER_PROBE | IORING_REGISTER_USE_REGISTERED_RING,
                        probe, 4);
                assertThat(result).as(p.toString()).isEqualTo(p == KernelProfile.LINUX_6_1 ? -EINVAL : 0);
            }
        }
    }

    @Test
    void probeOf61ChecksSlotsPastOpLast() {
        for (KernelProfile p : List.of(KernelProfile.LINUX_6_1, KernelProfile.LINUX_6_12)) {
            try (ModelFixture f = ModelFixture.of(p).setup(4, 0)) {
                MemorySegment probe = f.memory.allocate(16 + 8 * 64);
                probe.set(JAVA_BYTE, 16 + 8 * 60, (byte) 1); // slot 60, past both kernels' OP_LAST
                int result = f.model.register(f.ring, IORING_REGISTER_PROBE, probe, 64);
                assertThat(result).as(p.toString()).isEqualTo(p == KernelProfile.LINUX_6_1 ? -EINVAL : 0);
            }
        }
    }

    @Test
    void filesRegisterAnswersBusyBeforeLookingAtNrArgs() {
        try (ModelFixture f = ModelFixture.of().setup(4, 0)) {
            MemorySegment fds = f.memory.allocate(4);
            fds.set(JAVA_INT, 0, -1);
            assertThat(f.model.register(f.ring, IORING_REGISTER_FILES, fds, 1)).isZero();
            assertThat(f.model.register(f.ring, IORING_REGISTER_FILES, fds, 0)).isEqualTo(-EBUSY);
        }
    }

    private static int registerOneBuffer(KernelProfile profile, long base, long len) {
        try (ModelFixture f = ModelFixture.of(profile).setup(4, 0)) {
            MemorySegment iov = f.memory.allocate(16);
            iov.set(JAVA_LONG, 0, base);
            iov.set(JAVA_LONG, 8, len);
            return f.model.register(f.ring, IORING_REGISTER_BUFFERS, iov, 1);
        }
    }

    @Test
    void emptyBufferFaultsBeforeTheWrapCheck() {
        assertThat(registerOneBuffer(KernelProfile.LINUX_6_18, -1L, 0)).isEqualTo(-EFAULT);
    }

    @Test
    void bufferSizeCapIsOneTebibyteAndEinvalFrom72() {
        long twoTib = 2L << 40;
        assertThat(registerOneBuffer(KernelProfile.LINUX_6_18, 1L << 32, twoTib)).isEqualTo(-EFAULT);
        assertThat(registerOneBuffer(KernelProfile.LINUX_7_2, 1L << 32, twoTib)).isEqualTo(-EINVAL);
    }

    /** A chain of {@code n} QUERY headers, each asking op 0 with size 0 (answered -EINVAL in its result). */
    private static int queryChain(KernelProfile profile, int n, int size, int op) {
        try (ModelFixture f = ModelFixture.of(profile)) {
            long hdrBytes = IoUringQueryHdr.SIZE_BYTES;
            MemorySegment hdrs = f.memory.allocate(hdrBytes * n);
            MemorySegment data = f.memory.allocate(8192);
            for (int i = 0; i < n; i++) {
                long at = hdrBytes * i;
                hdrs.set(JAVA_LONG, at + IoUringQueryHdr.NEXT_ENTRY_OFFSET, i + 1 < n ? hdrs.address() + at
                        + hdrBytes : 0);
                hdrs.set(JAVA_LONG, at + IoUringQueryHdr.QUERY_DATA_OFFSET, data.address());
                hdrs.set(JAVA_INT, at + IoUringQueryHdr.QUERY_OP_OFFSET, op);
                hdrs.set(JAVA_INT, at + IoUringQueryHdr.SIZE_OFFSET, size);
            }
            return f.model.registerWithoutRing(IORING_REGISTER_QUERY, hdrs, 0);
        }
    }

    @Test
    void queryChainOfExactlyAThousandIsOutOfRange() {
        assertThat(queryChain(KernelProfile.LINUX_6_18, 999, 0, 0)).isZero();
        assertThat(queryChain(KernelProfile.LINUX_6_18, 1000, 0, 0)).isEqualTo(-ERANGE);
    }

    @Test
    void queryHeaderOverAPageIsTooBigFrom72() {
        assertThat(queryChain(KernelProfile.LINUX_6_18, 1, 4097, 0)).isZero();
        assertThat(queryChain(KernelProfile.LINUX_7_2, 1, 4097, 0)).isEqualTo(-E2BIG);
    }

    @Test
    void queryZcrxEventIsAnsweredFrom72() {
        try (ModelFixture f = ModelFixture.of(KernelProfile.LINUX_7_2)) {
            MemorySegment hdr = f.memory.allocate(IoUringQueryHdr.SIZE_BYTES);
            MemorySegment data = f.memory.allocate(48);
            hdr.set(JAVA_LONG, IoUringQueryHdr.QUERY_DATA_OFFSET, data.address());
            hdr.set(JAVA_INT, IoUringQueryHdr.QUERY_OP_OFFSET, 3);
            hdr.set(JAVA_INT, IoUringQueryHdr.SIZE_OFFSET, 48);
            assertThat(f.model.registerWithoutRing(IORING_REGISTER_QUERY, hdr, 0)).isZero();
            assertThat(hdr.get(JAVA_INT, IoUringQueryHdr.RESULT_OFFSET)).isZero();
            // ZCRX_EVENT_TYPE_MASK, sizeof(struct zcrx_stats), its alignment (7.2.13 query.c, zcrx.h)
            assertThat(data.get(JAVA_INT, 0)).isEqualTo(3);
            assertThat(data.get(JAVA_INT, 4)).isEqualTo(16);
            assertThat(data.get(JAVA_INT, 8)).isEqualTo(8);
        }
    }

    /** Two SQEs whose array entries are swapped, pending across a resize, then submitted. */
    private static List<Long> swappedAcrossResize(KernelProfile profile) {
        int flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;
        try (ModelFixture f = ModelFixture.of(profile).setup(4, flags)) {
            f.nop(1);
            f.nop(2);
            MemorySegment rings = f.ring.sqRing();
            long array = RingGeometry.sqArrayOffset(flags, f.ring.params().cqEntries());
            rings.set(JAVA_INT, array, 1);
            rings.set(JAVA_INT, array + 4, 0);
            f.publish(2);
            MemorySegment p = f.memory.allocate(IoUringParams.SIZE_BYTES);
            p.set(JAVA_INT, IoUringParams.SQ_ENTRIES_OFFSET, 8);
            p.set(JAVA_INT, IoUringParams.CQ_ENTRIES_OFFSET, 16);
            p.set(JAVA_INT, IoUringParams.FLAGS_OFFSET, IORING_SETUP_CQSIZE);
            assertThat(f.model.register(f.ring, IORING_REGISTER_RESIZE_RINGS, p, 1)).isZero();
            f.driver = new RingDriver(f.model, f.ring);
            assertThat(f.enter(2, 0, IORING_ENTER_GETEVENTS)).isEqualTo(2);
            return f.userDatas(f.reapAll());
        }
    }

    @Test
    void resizeFollowsTheSqArrayOnEveryProfile() {
        // By intent (io_uring_resize_rings(3), upstream 1fe703cc708f in 7.2): the swapped entries keep naming
        // their SQEs. 6.13 to 7.1 leave the new array zero (both positions name SQE 0, ud 1 twice): that is
        // catalogue entry resize-drops-sq-array-mapping, not the model.
        assertThat(swappedAcrossResize(KernelProfile.LINUX_7_2)).containsExactly(2L, 1L);
        assertThat(swappedAcrossResize(KernelProfile.LINUX_6_18)).containsExactly(2L, 1L);
    }

    /**
     * A full CQ of 4 with one CQE overflowed, the head moved one past the tail, one more NOP submitted with
     * GETEVENTS, whose wait flushes the overflow list.
     */
    private static int overflowFlagAfterHeadPastTail(KernelProfile profile) {
        try (ModelFixture f = ModelFixture.of(profile).setup(4, IORING_SETUP_CQSIZE, 4)) {
            for (int i = 0; i < 5; i++) {
                f.nop(i + 1);
                f.submit();
            }
            assertThat(f.sqFlags() & IORING_SQ_CQ_OVERFLOW).isNotZero();
            f.driver.cq().storeReleaseHead(f.cqTail() + 1);
            f.nop(9);
            f.submit(0, IORING_ENTER_GETEVENTS);
            return f.sqFlags() & IORING_SQ_CQ_OVERFLOW;
        }
    }

    @Test
    void headPastTheKernelsTailIsAnEmptyCqFrom72() {
        // lockstep on 7.2.13 (seed 3): the overflow list is flushed into the "empty" ring; 6.18.44 keeps it
        assertThat(overflowFlagAfterHeadPastTail(KernelProfile.LINUX_7_2)).isZero();
        assertThat(overflowFlagAfterHeadPastTail(KernelProfile.LINUX_6_18)).isNotZero();
    }

    @Test
    void noSqArrayLeavesTheCallersSqOffArray() {
        // measured on 6.18.44 (io_uring_setup with NO_SQARRAY and sq_off.array 0x12345678 passed in: unchanged);
        // read in 6.12.117 and 7.2.13 io_uring_fill_params
        try (ModelFixture f = ModelFixture.of()) {
            MemorySegment p = f.memory.allocate(IoUringParams.SIZE_BYTES);
            p.set(JAVA_INT, IoUringParams.FLAGS_OFFSET, IORING_SETUP_NO_SQARRAY);
            long array = IoUringParams.SQ_OFF_OFFSET + IoSqringOffsets.ARRAY_OFFSET;
            p.set(JAVA_INT, array, 0x12345678);
            assertThat(f.model.setup(4, p).result()).isNotNegative();
            assertThat(p.get(JAVA_INT, array)).isEqualTo(0x12345678);
        }
    }

    @Test
    void ringsOf61KeepHeadsAndTailsOnCacheLinesOfTheirOwn() {
        // what 6.1.192 wrote back for setup(2, CQE32) in QEMU: sq_off.tail 0x40, cq_off.head 0x80, cq_off.cqes
        // 0x140, sq_off.array 0x300 (the CQE32 doubling covers the header)
        try (ModelFixture f = ModelFixture.of(KernelProfile.LINUX_6_1)) {
            f.setup(2, IORING_SETUP_CQE32);
            assertThat(f.ring.params().sqOff().tail()).isEqualTo(0x40);
            assertThat(f.ring.params().cqOff().head()).isEqualTo(0x80);
            assertThat(f.ring.params().cqOff().cqes()).isEqualTo(0x140);
            assertThat(f.ring.params().sqOff().array()).isEqualTo(0x300);
            f.nop(5);
            assertThat(f.submit()).isEqualTo(1);
            assertThat(f.userDatas(f.reapAll())).containsExactly(5L);
        }
    }

    private static List<Long> goodThenUnknownOpcode(KernelProfile profile) {
        try (ModelFixture f = ModelFixture.of(profile).setup(2, 0)) {
            f.nop(1);
            long at = f.nop(2);
            dev.ringspec.seam.Sqe.opcode(f.driver.sqes(), at, 200);
            assertThat(f.submit()).isEqualTo(2);
            return f.userDatas(f.reapAll());
        }
    }

    @Test
    void initFailureOf61PostsBeforeTheBatch() {
        // lockstep against 6.1.192 (seed 1): io_req_complete_failed posts at once; 6.18 defers it to the batch
        assertThat(goodThenUnknownOpcode(KernelProfile.LINUX_6_1)).containsExactly(2L, 1L);
        assertThat(goodThenUnknownOpcode(KernelProfile.LINUX_6_18)).containsExactly(1L, 2L);
    }

    /** Two chains A->B with B a NOP_TW, the second submitted with GETEVENTS: is TASKRUN left raised? */
    private static int taskrunAfterQueuedBehindPendingWork(KernelProfile profile) {
        try (ModelFixture f = ModelFixture.of(profile).setup(8, IORING_SETUP_SINGLE_ISSUER
                | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_TASKRUN_FLAG, 0)) {
            for (int i = 0; i < 2; i++) {
                f.nop(1, IOSQE_IO_LINK);
                long at = f.nop(2);
                dev.ringspec.seam.Sqe.opFlags(f.driver.sqes(), at, IORING_NOP_TW);
                assertThat(f.submit(0, i == 1 ? IORING_ENTER_GETEVENTS : 0)).isEqualTo(2);
            }
            assertThat(f.reapAll()).hasSize(4);
            return f.sqFlags() & IORING_SQ_TASKRUN;
        }
    }

    @Test
    void taskrunIsRaisedOnlyForWorkQueuedOnAnEmptyQueueFrom72() {
        // lockstep on 7.2.13 (seed 264): completions queued behind pending work during the run leave TASKRUN clear
        assertThat(taskrunAfterQueuedBehindPendingWork(KernelProfile.LINUX_7_2)).isZero();
    }
}
