package dev.ringspec.scenarios;

import static dev.ringspec.uapi.Errno.EACCES;
import static dev.ringspec.uapi.Errno.EBADFD;
import static dev.ringspec.uapi.Errno.EBUSY;
import static dev.ringspec.uapi.Errno.ECANCELED;
import static dev.ringspec.uapi.Errno.EINVAL;
import static dev.ringspec.uapi.IoUring.IORING_NOP_INJECT_RESULT;
import static dev.ringspec.uapi.IoUring.IORING_OP_NOP;
import static dev.ringspec.uapi.IoUring.IORING_OP_READV;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_ENABLE_RINGS;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_PROBE;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_QUERY;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_RESIZE_RINGS;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_RESTRICTIONS;
import static dev.ringspec.uapi.IoUring.IORING_RESTRICTION_REGISTER_OP;
import static dev.ringspec.uapi.IoUring.IORING_RESTRICTION_SQE_FLAGS_ALLOWED;
import static dev.ringspec.uapi.IoUring.IORING_RESTRICTION_SQE_FLAGS_REQUIRED;
import static dev.ringspec.uapi.IoUring.IORING_RESTRICTION_SQE_OP;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_R_DISABLED;
import static dev.ringspec.uapi.IoUring.IOSQE_ASYNC;
import static dev.ringspec.uapi.IoUring.IOSQE_CQE_SKIP_SUCCESS;
import static dev.ringspec.uapi.IoUring.IOSQE_IO_LINK;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.capabilities.Feature;
import dev.ringspec.seam.Backend;
import dev.ringspec.seam.Cqe;
import dev.ringspec.uapi.IoUringProbe;
import dev.ringspec.uapi.IoUringProbeOp;
import dev.ringspec.uapi.IoUringQuery;
import dev.ringspec.uapi.IoUringQueryHdr;
import dev.ringspec.uapi.IoUringQueryOpcode;
import dev.ringspec.uapi.IoUringRestriction;
import java.lang.foreign.MemorySegment;
import java.util.List;
import org.junit.jupiter.api.Tag;

/**
 * R_DISABLED rings, IORING_REGISTER_RESTRICTIONS and ENABLE_RINGS: an allowlist registered once on a disabled
 * ring; denied SQEs complete with -EACCES, denied register ops return -EACCES (ring-semantics.md A6, Part B
 * row 15, Appendix A.10, liburing-notes 6.4).
 */
@Tag("kernel")
class RestrictionsTest {

    /** One restriction: its type and the byte it carries (register_op, sqe_op or sqe_flags). */
    record Rule(int type, int value) {
    }

    private static MemorySegment rules(Backend backend, Rule... rules) {
        MemorySegment array = backend.memory().allocate(Math.max(1, rules.length) * IoUringRestriction.SIZE_BYTES, 8);
        for (int i = 0; i < rules.length; i++) {
            long at = i * IoUringRestriction.SIZE_BYTES;
            array.set(JAVA_SHORT, at + IoUringRestriction.OPCODE_OFFSET, (short) rules[i].type());
            array.set(JAVA_BYTE, at + IoUringRestriction.SQE_OP_OFFSET, (byte) rules[i].value());
        }
        return array;
    }

    private static int restrict(ScenarioRing r, Rule... rules) {
        return r.register(IORING_REGISTER_RESTRICTIONS, rules(r.backend, rules), rules.length);
    }

    private static int enable(ScenarioRing r) {
        return r.register(IORING_REGISTER_ENABLE_RINGS, MemorySegment.NULL, 0);
    }

    private static int probe(ScenarioRing r) {
        MemorySegment probe = r.backend.memory().allocate(IoUringProbe.SIZE_BYTES + 4 * IoUringProbeOp.SIZE_BYTES, 8);
        return r.register(IORING_REGISTER_PROBE, probe, 4);
    }

    private static final Rule NOP = new Rule(IORING_RESTRICTION_SQE_OP, IORING_OP_NOP);

    // Row 15: on a ring that is not disabled, RESTRICTIONS and ENABLE_RINGS -> -EBADFD.
    @Scenario
    void restrictionsAndEnableNeedADisabledRing(Backend backend) {
        try (ScenarioRing r = ScenarioRing.open(backend, 4, 0)) {
            assertThat(restrict(r, NOP)).isEqualTo(-EBADFD);
            assertThat(enable(r)).isEqualTo(-EBADFD);
        }
    }

    // Row 15: enter on a disabled ring -> -EBADFD; after ENABLE_RINGS (no restrictions) everything works.
    @Scenario
    void disabledRingRefusesEnterUntilEnabled(Backend backend) {
        try (ScenarioRing r = ScenarioRing.open(backend, 4, IORING_SETUP_R_DISABLED)) {
            r.nop(1);
            r.sq().storeReleaseTail(r.sq().readOnceTail() + 1);
            assertThat(r.enter(1, 0, 0)).isEqualTo(-EBADFD);
            assertThat(r.sq().loadAcquireHead()).isZero();
            assertThat(enable(r)).isZero();
            assertThat(r.enter(1, 0, 0)).isEqualTo(1);
            assertThat(r.reapAll()).containsExactly(new Cqe(1, 0, 0, 0, 0));
            assertThat(probe(r)).as("no restriction set: register ops unrestricted").isZero();
        }
    }

    // Row 15, liburing-notes 6.4: bad restrictions -> -EINVAL and the one-shot is not used up; resv ignored;
    // a second registration -> -EBUSY.
    @Scenario
    void invalidRestrictionsAreEinvalAndASecondRegistrationIsEbusy(Backend backend) {
        try (ScenarioRing r = ScenarioRing.open(backend, 4, IORING_SETUP_R_DISABLED)) {
            assertThat(restrict(r, new Rule(7, 0))).as("unknown restriction type").isEqualTo(-EINVAL);
            assertThat(restrict(r, new Rule(IORING_RESTRICTION_REGISTER_OP, 200))).isEqualTo(-EINVAL);
            assertThat(restrict(r, new Rule(IORING_RESTRICTION_SQE_OP, 200))).isEqualTo(-EINVAL);
            assertThat(r.register(IORING_REGISTER_RESTRICTIONS, MemorySegment.NULL, 1)).isEqualTo(-EINVAL);
            assertThat(r.register(IORING_REGISTER_RESTRICTIONS, rules(backend, NOP), 300)).isEqualTo(-EINVAL);

            MemorySegment withResv = rules(backend, NOP);
            withResv.set(JAVA_BYTE, IoUringRestriction.RESV_OFFSET, (byte) 1);
            withResv.set(JAVA_INT, IoUringRestriction.RESV2_OFFSET, 1);
            withResv.set(JAVA_LONG, IoUringRestriction.RESV2_OFFSET + 4, -1L);
            assertThat(r.register(IORING_REGISTER_RESTRICTIONS, withResv, 1)).as("resv is not checked").isZero();
            assertThat(restrict(r, NOP)).isEqualTo(-EBUSY);
        }
    }

    // Row 15: after enable, unlisted register ops -> -EACCES (RESTRICTIONS, ENABLE_RINGS and QUERY through the ring
    // fd included); PROBE, listed -> 0; QUERY through fd -1 -> 0.
    @Scenario
    void unlistedRegisterOpsAreEaccesAfterEnable(Backend backend) {
        try (ScenarioRing r = ScenarioRing.open(backend, 4, IORING_SETUP_R_DISABLED)) {
            assertThat(restrict(r, NOP, new Rule(IORING_RESTRICTION_REGISTER_OP, IORING_REGISTER_PROBE))).isZero();
            assertThat(probe(r)).as("before enable register ops are unrestricted").isZero();
            assertThat(enable(r)).isZero();
            assertThat(probe(r)).isZero();
            assertThat(restrict(r, NOP)).isEqualTo(-EACCES);
            assertThat(enable(r)).isEqualTo(-EACCES);
            if (backend.capabilities().has(Feature.RESIZE_RINGS)) {
                assertThat(r.register(IORING_REGISTER_RESIZE_RINGS, ScenarioRing.params(backend, 0), 1))
                        .as("refused as unlisted before the resize's own checks").isEqualTo(-EACCES);
            }
            if (backend.capabilities().has(Feature.QUERY)) {
                MemorySegment hdr = queryOpcodes(backend);
                assertThat(r.register(IORING_REGISTER_QUERY, hdr, 0)).isEqualTo(-EACCES);
                assertThat(backend.kernel().registerWithoutRing(IORING_REGISTER_QUERY, hdr, 0)).isZero();
                assertThat(hdr.get(JAVA_INT, IoUringQueryHdr.RESULT_OFFSET)).isZero();
            }
        }
    }

    private static MemorySegment queryOpcodes(Backend backend) {
        MemorySegment data = backend.memory().allocate(IoUringQueryOpcode.SIZE_BYTES, 8);
        MemorySegment hdr = backend.memory().allocate(IoUringQueryHdr.SIZE_BYTES, 8);
        hdr.set(JAVA_LONG, IoUringQueryHdr.QUERY_DATA_OFFSET, data.address());
        hdr.set(JAVA_INT, IoUringQueryHdr.QUERY_OP_OFFSET, IoUringQuery.IO_URING_QUERY_OPCODES);
        hdr.set(JAVA_INT, IoUringQueryHdr.SIZE_OFFSET, (int) IoUringQueryOpcode.SIZE_BYTES);
        return hdr;
    }

    // Row 15: ENABLE again when ENABLE_RINGS is listed -> -EBADFD (the op is allowed, the ring is not disabled).
    @Scenario
    void listedEnableRingsOnAnEnabledRingIsEbadfd(Backend backend) {
        try (ScenarioRing r = ScenarioRing.open(backend, 4, IORING_SETUP_R_DISABLED)) {
            assertThat(restrict(r, NOP, new Rule(IORING_RESTRICTION_REGISTER_OP, IORING_REGISTER_ENABLE_RINGS)))
                    .isZero();
            assertThat(enable(r)).isZero();
            assertThat(enable(r)).isEqualTo(-EBADFD);
        }
    }

    // Row 15: a denied SQE (READV) -> CQE -EACCES and the batch stops: enter(8) -> 5.
    @Scenario
    void deniedSqeCompletesWithEaccesAndStopsTheBatch(Backend backend) {
        try (ScenarioRing r = ScenarioRing.open(backend, 8, IORING_SETUP_R_DISABLED)) {
            assertThat(restrict(r, NOP)).isZero();
            assertThat(enable(r)).isZero();
            for (int i = 0; i < 4; i++) {
                r.nop(i);
            }
            r.sqe(IORING_OP_READV, 4);
            for (int i = 5; i < 8; i++) {
                r.nop(i);
            }
            assertThat(r.submit()).isEqualTo(5);
            // io_queue_sqe_fallback: 6.1 posts a request failed at init at once, ahead of the batch's inline CQEs
            // (io_req_complete_failed); later kernels queue it behind them
            assertThat(r.reapAll()).extracting(Cqe::res).containsExactlyElementsOf(
                    Scenarios.profile(backend).failedFallbackPostsAtOnce() ? List.of(-EACCES, 0, 0, 0, 0)
                            : List.of(0, 0, 0, 0, -EACCES));
        }
    }

    // Row 15: SQE flags outside FLAGS_ALLOWED -> -EACCES; listed flags pass (liburing-notes 6.4: LINK unlisted
    // -> -EACCES).
    @Scenario
    void sqeFlagsOutsideTheAllowedSetAreDenied(Backend backend) {
        try (ScenarioRing r = ScenarioRing.open(backend, 8, IORING_SETUP_R_DISABLED)) {
            assertThat(restrict(r, NOP, new Rule(IORING_RESTRICTION_SQE_FLAGS_ALLOWED, IOSQE_IO_LINK))).isZero();
            assertThat(enable(r)).isZero();
            r.nop(1, IOSQE_IO_LINK);
            r.nop(2);
            assertThat(r.submit()).isEqualTo(2);
            assertThat(r.reapAll()).containsExactly(new Cqe(1, 0, 0, 0, 0), new Cqe(2, 0, 0, 0, 0));
            r.nop(3, IOSQE_ASYNC);
            assertThat(r.submit()).isEqualTo(1);
            assertThat(r.reapAll()).containsExactly(new Cqe(3, -EACCES, 0, 0, 0));
        }
        try (ScenarioRing r = ScenarioRing.open(backend, 8, IORING_SETUP_R_DISABLED)) {
            assertThat(restrict(r, NOP)).isZero();
            assertThat(enable(r)).isZero();
            r.nop(4, IOSQE_IO_LINK);
            assertThat(r.submit()).isEqualTo(1);
            assertThat(r.reapAll()).as("no FLAGS_ALLOWED entry: no flag is allowed")
                    .containsExactly(new Cqe(4, -EACCES, 0, 0, 0));
        }
    }

    // Row 15: REQUIRED = CQE_SKIP_SUCCESS: an SQE without it -> -EACCES; with it the NOP succeeds silently.
    @Scenario
    void sqeMissingARequiredFlagIsDenied(Backend backend) {
        try (ScenarioRing r = ScenarioRing.open(backend, 8, IORING_SETUP_R_DISABLED)) {
            assertThat(restrict(r, NOP, new Rule(IORING_RESTRICTION_SQE_FLAGS_REQUIRED, IOSQE_CQE_SKIP_SUCCESS)))
                    .isZero();
            assertThat(enable(r)).isZero();
            r.nop(1);
            assertThat(r.submit()).isEqualTo(1);
            assertThat(r.reapAll()).containsExactly(new Cqe(1, -EACCES, 0, 0, 0));
            r.nop(2, IOSQE_CQE_SKIP_SUCCESS);
            assertThat(r.submit()).isEqualTo(1);
            assertThat(r.ready()).isZero();
            r.nop(3, IOSQE_CQE_SKIP_SUCCESS | IOSQE_ASYNC);
            assertThat(r.submit()).isEqualTo(1);
            assertThat(r.reapAll()).as("a required flag is allowed, no other").containsExactly(
                    new Cqe(3, -EACCES, 0, 0, 0));
        }
    }

    // Row 15 (X5): an empty set (nr = 0) denies every SQE and every register op.
    @Scenario
    void emptyRestrictionSetDeniesEverything(Backend backend) {
        try (ScenarioRing r = ScenarioRing.open(backend, 8, IORING_SETUP_R_DISABLED)) {
            assertThat(r.register(IORING_REGISTER_RESTRICTIONS, rules(backend), 0)).isZero();
            assertThat(enable(r)).isZero();
            r.nop(1);
            assertThat(r.submit()).isEqualTo(1);
            assertThat(r.reapAll()).containsExactly(new Cqe(1, -EACCES, 0, 0, 0));
            assertThat(probe(r)).isEqualTo(-EACCES);
            assertThat(enable(r)).isEqualTo(-EACCES);
        }
    }

    // A6 (X3d): a denied SQE inside a link fails the whole chain: -ECANCELED, -EACCES, -ECANCELED.
    @Scenario
    void deniedSqeInAChainCancelsTheChain(Backend backend) {
        try (ScenarioRing r = ScenarioRing.open(backend, 8, IORING_SETUP_R_DISABLED)) {
            assertThat(restrict(r, NOP, new Rule(IORING_RESTRICTION_SQE_FLAGS_ALLOWED, IOSQE_IO_LINK))).isZero();
            assertThat(enable(r)).isZero();
            r.nop(1, IOSQE_IO_LINK);
            r.sqe(IORING_OP_READV, 2);
            r.sqes().set(JAVA_BYTE, r.sq().sqeOffset(1) + 1, (byte) IOSQE_IO_LINK);
            r.nop(3);
            assertThat(r.submit()).isEqualTo(3);
            assertThat(r.reapAll()).extracting(Cqe::userData, Cqe::res).containsExactlyInAnyOrder(
                    org.assertj.core.groups.Tuple.tuple(1L, -ECANCELED),
                    org.assertj.core.groups.Tuple.tuple(2L, -EACCES),
                    org.assertj.core.groups.Tuple.tuple(3L, -ECANCELED));
        }
    }

    // A6: SQE_FLAGS_ALLOWED entries overwrite each other; the last one wins.
    @Scenario
    void lastFlagsAllowedEntryWins(Backend backend) {
        Scenarios.assumeNopFlags(backend, IORING_NOP_INJECT_RESULT);
        try (ScenarioRing r = ScenarioRing.open(backend, 8, IORING_SETUP_R_DISABLED)) {
            assertThat(restrict(r, NOP, new Rule(IORING_RESTRICTION_SQE_FLAGS_ALLOWED, IOSQE_IO_LINK),
                    new Rule(IORING_RESTRICTION_SQE_FLAGS_ALLOWED, IOSQE_CQE_SKIP_SUCCESS))).isZero();
            assertThat(enable(r)).isZero();
            r.nop(1, IOSQE_IO_LINK);
            assertThat(r.submit()).isEqualTo(1);
            assertThat(r.reapAll()).containsExactly(new Cqe(1, -EACCES, 0, 0, 0));
            r.nop(2, IOSQE_CQE_SKIP_SUCCESS);
            r.nop(3, IOSQE_CQE_SKIP_SUCCESS, IORING_NOP_INJECT_RESULT, -5);
            assertThat(r.submit()).isEqualTo(2);
            assertThat(r.reapAll()).containsExactly(new Cqe(3, -5, 0, 0, 0));
        }
    }

    // Row 15 (X3/X5) and ring-semantics.md section 1: before 7.0 one `registered` flag covers both kinds, so SQE rules
    // alone deny every register op after enable; 7.0 splits op and register restrictions (op_registered,
    // reg_registered), and register ops stay unrestricted.
    @Scenario
    void sqeRulesAloneRestrictRegisterOpsOnlyBefore70(Backend backend) {
        boolean split = Scenarios.profile(backend).splitRestrictions();
        try (ScenarioRing r = ScenarioRing.open(backend, 8, IORING_SETUP_R_DISABLED)) {
            assertThat(restrict(r, NOP)).isZero();
            assertThat(enable(r)).isZero();
            assertThat(probe(r)).as("PROBE on %s", backend.kernel().release()).isEqualTo(split ? 0 : -EACCES);
            r.sqe(IORING_OP_READV, 1);
            assertThat(r.submit()).isEqualTo(1);
            assertThat(r.reapAll()).containsExactly(new Cqe(1, -EACCES, 0, 0, 0));
        }
    }

    // The other half of the split (7.2.13 io_uring.c io_check_restriction tests IO_RING_F_OP_RESTRICTED, which
    // io_register_restrictions sets only for SQE_OP and SQE_FLAGS entries; 6.x io_check_restriction runs whenever
    // ctx->restricted): register rules alone deny every SQE after enable before 7.0, and none from 7.0.
    @Scenario
    void registerRulesAloneRestrictSqesOnlyBefore70(Backend backend) {
        boolean split = Scenarios.profile(backend).splitRestrictions();
        try (ScenarioRing r = ScenarioRing.open(backend, 8, IORING_SETUP_R_DISABLED)) {
            assertThat(restrict(r, new Rule(IORING_RESTRICTION_REGISTER_OP, IORING_REGISTER_ENABLE_RINGS))).isZero();
            assertThat(enable(r)).isZero();
            r.nop(1);
            assertThat(r.submit()).isEqualTo(1);
            assertThat(r.reapAll()).as("a NOP on %s", backend.kernel().release())
                    .containsExactly(new Cqe(1, split ? 0 : -EACCES, 0, 0, 0));
            assertThat(probe(r)).as("PROBE is unlisted").isEqualTo(-EACCES);
        }
    }
}
