package dev.ringspec.model;

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
import static java.lang.foreign.ValueLayout.JAVA_SHORT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import dev.ringspec.seam.Cqe;
import dev.ringspec.seam.Sqe;
import dev.ringspec.uapi.IoUringParams;
import dev.ringspec.uapi.IoUringQueryHdr;
import dev.ringspec.uapi.IoUringRestriction;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

/** R_DISABLED, REGISTER_RESTRICTIONS, ENABLE_RINGS: ring-semantics.md A6, Part B row 15 (X1-X5), Appendix A 10. */
class RestrictionsTest {

    private static MemorySegment restrictions(ModelFixture f, int[][] entries) {
        MemorySegment res = f.memory.allocate(Math.max(1, entries.length) * IoUringRestriction.SIZE_BYTES);
        for (int i = 0; i < entries.length; i++) {
            long at = i * IoUringRestriction.SIZE_BYTES;
            res.set(JAVA_SHORT, at + IoUringRestriction.OPCODE_OFFSET, (short) entries[i][0]);
            res.set(JAVA_BYTE, at + IoUringRestriction.REGISTER_OP_OFFSET, (byte) entries[i][1]);
            res.set(JAVA_BYTE, at + IoUringRestriction.RESV_OFFSET, (byte) 0x55);
            res.set(JAVA_INT, at + IoUringRestriction.RESV2_OFFSET, 0x55);
        }
        return res;
    }

    private static int register(ModelFixture f, int op, MemorySegment arg, int nr) {
        return f.model.register(f.ring, op, arg, nr);
    }

    @Test
    void restrictionsAndEnableNeedADisabledRing() {
        try (ModelFixture f = ModelFixture.of().setup(8, 0)) {
            MemorySegment res = restrictions(f, new int[][] {{IORING_RESTRICTION_SQE_OP, 0}});
            assertThat(register(f, IORING_REGISTER_RESTRICTIONS, res, 1)).isEqualTo(-77);
            assertThat(register(f, IORING_REGISTER_ENABLE_RINGS, MemorySegment.NULL, 0)).isEqualTo(-77);
        }
    }

    @Test
    void aDisabledRingRefusesEnterAndOneRegistrationIsAllowed() {
        try (ModelFixture f = ModelFixture.of().setup(8, IORING_SETUP_R_DISABLED)) {
            assertThat(f.enter(0, 0, 0)).isEqualTo(-77);
            MemorySegment badOp = restrictions(f, new int[][] {{IORING_RESTRICTION_SQE_OP, 63}});
            assertThat(register(f, IORING_REGISTER_RESTRICTIONS, badOp, 1)).isEqualTo(-22);
            MemorySegment unknown = restrictions(f, new int[][] {{4, 0}});
            assertThat(register(f, IORING_REGISTER_RESTRICTIONS, unknown, 1)).isEqualTo(-22);
            MemorySegment ok = restrictions(f, new int[][] {{IORING_RESTRICTION_SQE_OP, 0}});
            assertThat(register(f, IORING_REGISTER_RESTRICTIONS, ok, 1)).isZero();
            assertThat(register(f, IORING_REGISTER_RESTRICTIONS, ok, 1)).isEqualTo(-16);
        }
    }

    @Test
    void afterEnableOnlyListedRegisterOpsAndSqesPass() {
        try (ModelFixture f = ModelFixture.of().setup(8, IORING_SETUP_R_DISABLED)) {
            MemorySegment res = restrictions(f, new int[][] {
                {IORING_RESTRICTION_REGISTER_OP, IORING_REGISTER_ENABLE_RINGS},
                {IORING_RESTRICTION_REGISTER_OP, IORING_REGISTER_PROBE},
                {IORING_RESTRICTION_SQE_OP, 0},
                {IORING_RESTRICTION_SQE_FLAGS_ALLOWED, IOSQE_IO_LINK}});
            assertThat(register(f, IORING_REGISTER_RESTRICTIONS, res, 4)).isZero();
            assertThat(register(f, IORING_REGISTER_ENABLE_RINGS, MemorySegment.NULL, 0)).isZero();
            assertThat(register(f, IORING_REGISTER_ENABLE_RINGS, MemorySegment.NULL, 0)).isEqualTo(-77);
            assertThat(register(f, IORING_REGISTER_RESTRICTIONS, res, 4)).isEqualTo(-13);
            MemorySegment params = f.memory.allocate(IoUringParams.SIZE_BYTES);
            assertThat(register(f, IORING_REGISTER_RESIZE_RINGS, params, 1)).isEqualTo(-13);
            MemorySegment hdr = f.memory.allocate(IoUringQueryHdr.SIZE_BYTES);
            assertThat(register(f, IORING_REGISTER_QUERY, hdr, 0)).isEqualTo(-13);
            assertThat(register(f, IORING_REGISTER_PROBE, f.memory.allocate(16), 0)).isZero();
            assertThat(f.model.registerWithoutRing(IORING_REGISTER_QUERY, MemorySegment.NULL, 0)).isZero();
            for (int i = 0; i < 4; i++) {
                f.nop(i);
            }
            long at = f.nop(4);
            Sqe.opcode(f.driver.sqes(), at, 1); // IORING_OP_READV: not listed
            for (int i = 5; i < 8; i++) {
                f.nop(i);
            }
            assertThat(f.submit()).isEqualTo(5);
            assertThat(f.reapAll()).extracting(Cqe::res).containsExactly(0, 0, 0, 0, -13);
        }
    }

    @Test
    void unlistedFlagsAndMissingRequiredFlagsAreEacces() {
        try (ModelFixture f = ModelFixture.of().setup(8, IORING_SETUP_R_DISABLED)) {
            MemorySegment res = restrictions(f, new int[][] {
                {IORING_RESTRICTION_SQE_OP, 0},
                {IORING_RESTRICTION_SQE_FLAGS_REQUIRED, IOSQE_CQE_SKIP_SUCCESS}});
            assertThat(register(f, IORING_REGISTER_RESTRICTIONS, res, 2)).isZero();
            assertThat(register(f, IORING_REGISTER_ENABLE_RINGS, MemorySegment.NULL, 0)).isZero();
            f.nop(1);
            f.submit();
            f.nop(2, IOSQE_CQE_SKIP_SUCCESS | IOSQE_ASYNC);
            f.submit();
            f.nop(3, IOSQE_CQE_SKIP_SUCCESS);
            f.submit();
            assertThat(f.reapAll()).extracting(Cqe::userData, Cqe::res)
                    .containsExactly(tuple(1L, -13), tuple(2L, -13));
        }
    }

    @Test
    void anEmptySetDeniesEverything() {
        try (ModelFixture f = ModelFixture.of().setup(8, IORING_SETUP_R_DISABLED)) {
            assertThat(register(f, IORING_REGISTER_RESTRICTIONS, f.memory.allocate(16), 0)).isZero();
            assertThat(register(f, IORING_REGISTER_ENABLE_RINGS, MemorySegment.NULL, 0)).isZero();
            assertThat(register(f, IORING_REGISTER_PROBE, f.memory.allocate(16), 0)).isEqualTo(-13);
            f.nop(1);
            f.submit();
            assertThat(f.reapAll()).extracting(Cqe::res).containsExactly(-13);
        }
    }

    @Test
    void linux618SqeRulesAloneDenyEveryRegisterOpButLinux70DoesNot() {
        for (KernelProfile profile : new KernelProfile[] {KernelProfile.LINUX_6_18, KernelProfile.LINUX_7_0}) {
            try (ModelFixture f = ModelFixture.of(profile).setup(8, IORING_SETUP_R_DISABLED)) {
                MemorySegment res = restrictions(f, new int[][] {{IORING_RESTRICTION_SQE_OP, 0}});
                assertThat(register(f, IORING_REGISTER_RESTRICTIONS, res, 1)).isZero();
                assertThat(register(f, IORING_REGISTER_ENABLE_RINGS, MemorySegment.NULL, 0)).isZero();
                int probe = register(f, IORING_REGISTER_PROBE, f.memory.allocate(16), 0);
                assertThat(probe).as(profile.version()).isEqualTo(profile == KernelProfile.LINUX_6_18 ? -13 : 0);
            }
        }
    }

    @Test
    void aDeniedSqeInsideAChainFailsTheChain() {
        try (ModelFixture f = ModelFixture.of().setup(8, IORING_SETUP_R_DISABLED)) {
            MemorySegment res = restrictions(f, new int[][] {
                {IORING_RESTRICTION_SQE_OP, 0}, {IORING_RESTRICTION_SQE_FLAGS_ALLOWED, IOSQE_IO_LINK}});
            assertThat(register(f, IORING_REGISTER_RESTRICTIONS, res, 2)).isZero();
            assertThat(register(f, IORING_REGISTER_ENABLE_RINGS, MemorySegment.NULL, 0)).isZero();
            f.nop(1, IOSQE_IO_LINK);
            long at = f.nop(2, IOSQE_IO_LINK);
            Sqe.opcode(f.driver.sqes(), at, 1);
            f.nop(3);
            f.submit();
            assertThat(f.reapAll()).extracting(Cqe::res).containsExactly(-125, -13, -125);
        }
    }
}
