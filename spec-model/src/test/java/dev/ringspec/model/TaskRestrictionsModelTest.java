package dev.ringspec.model;

import static dev.ringspec.uapi.Errno.EACCES;
import static dev.ringspec.uapi.Errno.EBADFD;
import static dev.ringspec.uapi.Errno.EBUSY;
import static dev.ringspec.uapi.Errno.EEXIST;
import static dev.ringspec.uapi.Errno.EFAULT;
import static dev.ringspec.uapi.Errno.EINVAL;
import static dev.ringspec.uapi.Errno.EPERM;
import static dev.ringspec.uapi.IoUring.IORING_OP_NOP;
import static dev.ringspec.uapi.IoUring.IORING_OP_READV;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_ENABLE_RINGS;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_PROBE;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_RESTRICTIONS;
import static dev.ringspec.uapi.IoUring.IORING_RESTRICTION_REGISTER_OP;
import static dev.ringspec.uapi.IoUring.IORING_RESTRICTION_SQE_OP;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_R_DISABLED;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SINGLE_ISSUER;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;
import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Per-task restrictions (7.0+), from io_uring/register.c {@code io_register_restrictions_task}, io_uring.c
 * {@code io_ctx_restriction_clone} and tctx.c {@code __io_uring_fork} of 7.2.13 (ring-semantics.md A6). Each test
 * forks its own task first, so the thread's later tests start unrestricted.
 */
class TaskRestrictionsModelTest {

    /** {@code struct io_uring_task_restriction} (16 bytes) and 16-byte entries of {type, value}. */
    private static MemorySegment arg(ModelFixture f, int flags, int[]... entries) {
        MemorySegment a = f.memory.allocate(16 + 16L * Math.max(entries.length, 1), 8);
        a.set(JAVA_SHORT, 0, (short) flags);
        a.set(JAVA_SHORT, 2, (short) entries.length);
        for (int i = 0; i < entries.length; i++) {
            a.set(JAVA_SHORT, 16 + 16L * i, (short) entries[i][0]);
            a.set(JAVA_BYTE, 16 + 16L * i + 2, (byte) entries[i][1]);
        }
        return a;
    }

    /** The entries alone, as a ring's own registration takes them. */
    private static MemorySegment entries(ModelFixture f, int[]... entries) {
        return arg(f, 0, entries).asSlice(16);
    }

    private static final int[] NOP = {IORING_RESTRICTION_SQE_OP, IORING_OP_NOP};
    /** Allows READV only, so a NOP is denied (-EACCES) on a restricted ring and completes on any other. */
    private static final int[] READV = {IORING_RESTRICTION_SQE_OP, IORING_OP_READV};
    private static final int[] PROBE = {IORING_RESTRICTION_REGISTER_OP, IORING_REGISTER_PROBE};

    private static int restrictTask(ModelFixture f, MemorySegment arg, int nrArgs) {
        return f.model.registerWithoutRing(IORING_REGISTER_RESTRICTIONS, arg, nrArgs);
    }

    @Test
    void checksRunInTheKernelsOrder() {
        try (ModelFixture f = ModelFixture.of(KernelProfile.LINUX_7_2)) {
            f.model.withCapSysAdmin(false).freshTask();
            // no_new_privs and CAP_SYS_ADMIN missing: -EACCES before nr_args is looked at
            assertThat(restrictTask(f, arg(f, 0, NOP), 2)).isEqualTo(-EACCES);
            assertThat(f.model.setNoNewPrivs()).isZero();
            assertThat(restrictTask(f, arg(f, 0, NOP), 2)).isEqualTo(-EINVAL);
            assertThat(restrictTask(f, MemorySegment.ofAddress(8), 1)).isEqualTo(-EFAULT);
            assertThat(restrictTask(f, arg(f, 1, NOP), 1)).isEqualTo(-EINVAL);
            MemorySegment resv = arg(f, 0, NOP);
            resv.set(JAVA_INT, 12, 1);
            assertThat(restrictTask(f, resv, 1)).isEqualTo(-EINVAL);
            assertThat(restrictTask(f, arg(f, 0, new int[] {7, 0}), 1)).as("unknown restriction type")
                    .isEqualTo(-EINVAL);
            MemorySegment tooMany = arg(f, 0, NOP);
            tooMany.set(JAVA_SHORT, 2, (short) 0xffff);
            assertThat(restrictTask(f, tooMany, 1)).isEqualTo(-EINVAL);
            // failures restrict nothing: one registration still succeeds, and the second is -EPERM, before all else
            assertThat(restrictTask(f, arg(f, 0, NOP), 1)).isZero();
            assertThat(restrictTask(f, arg(f, 0, NOP), 1)).isEqualTo(-EPERM);
            assertThat(restrictTask(f, MemorySegment.NULL, 7)).isEqualTo(-EPERM);
            f.model.freshTask();
        }
    }

    @Test
    void ringsCreatedAfterwardsAreRestrictedAtOnce() {
        try (ModelFixture f = ModelFixture.of(KernelProfile.LINUX_7_2)) {
            f.model.forkTask(false);
            f.setup(4, 0);
            var before = f.ring;
            assertThat(restrictTask(f, arg(f, 0, READV, PROBE), 1)).isZero();
            // the ring set up before is not touched
            f.nop(1);
            assertThat(f.submit()).isEqualTo(1);
            assertThat(f.reapAll().getFirst().res()).isZero();
            f.model.close(before);
            f.setup(4, 0);
            f.nop(2);
            assertThat(f.submit()).isEqualTo(1);
            assertThat(f.reapAll().getFirst().res()).isEqualTo(-EACCES);
            f.model.freshTask();
        }
    }

    @Test
    void aChildInheritsAndCannotRegisterAgain() {
        try (ModelFixture f = ModelFixture.of(KernelProfile.LINUX_7_3)) {
            f.model.forkTask(false);
            assertThat(restrictTask(f, arg(f, 0, READV), 1)).isZero();
            f.model.forkTask(true);
            // the child has the parent's set: its second registration is -EPERM, even without CAP_SYS_ADMIN
            assertThat(restrictTask(f, arg(f, 0, NOP, PROBE), 1)).isEqualTo(-EPERM);
            f.setup(4, 0);
            f.nop(1);
            assertThat(f.submit()).isEqualTo(1);
            assertThat(f.reapAll().getFirst().res()).isEqualTo(-EACCES);
            f.model.freshTask();
        }
    }

    @Test
    void aSingleIssuerRingRefusesItsCreatorsChild() {
        try (ModelFixture f = ModelFixture.of(KernelProfile.LINUX_7_2)) {
            f.model.forkTask(false);
            f.setup(4, IORING_SETUP_SINGLE_ISSUER);
            f.model.forkTask(false);
            f.nop(1);
            assertThat(f.submit()).isEqualTo(-EEXIST);
            f.model.freshTask();
        }
    }

    @Test
    void inheritedRegisterRestrictionsBindADisabledRingFrom7_2() {
        for (KernelProfile profile : new KernelProfile[] {KernelProfile.LINUX_7_1, KernelProfile.LINUX_7_2}) {
            try (ModelFixture f = ModelFixture.of(profile)) {
                f.model.forkTask(false);
                assertThat(restrictTask(f, arg(f, 0, PROBE), 1)).isZero();
                f.setup(4, IORING_SETUP_R_DISABLED);
                int enable = f.model.register(f.ring, IORING_REGISTER_ENABLE_RINGS, MemorySegment.NULL, 0);
                int restrict = f.model.register(f.ring, IORING_REGISTER_RESTRICTIONS, arg(f, 0, NOP), 1);
                if (profile == KernelProfile.LINUX_7_1) {
                    // 7.1.8: a disabled ring is exempt from register restrictions; the inherited set makes
                    // RESTRICTIONS -EBUSY, and the ring can be enabled
                    assertThat(enable).isZero();
                    assertThat(restrict).isEqualTo(-EACCES);
                } else {
                    assertThat(enable).isEqualTo(-EACCES);
                    assertThat(restrict).isEqualTo(-EACCES);
                }
                f.model.freshTask();
            }
        }
        try (ModelFixture f = ModelFixture.of(KernelProfile.LINUX_7_1)) {
            f.model.forkTask(false);
            assertThat(restrictTask(f, arg(f, 0, PROBE), 1)).isZero();
            f.setup(4, IORING_SETUP_R_DISABLED);
            assertThat(f.model.register(f.ring, IORING_REGISTER_RESTRICTIONS, arg(f, 0, NOP), 1))
                    .isEqualTo(-EBUSY);
            f.setup(4, 0);
            assertThat(f.model.register(f.ring, IORING_REGISTER_RESTRICTIONS, arg(f, 0, NOP), 1))
                    .isEqualTo(-EACCES);
            f.model.freshTask();
        }
    }

    @Test
    void beforeSevenTheBlindOpcodeIsUnknown() {
        try (ModelFixture f = ModelFixture.of(KernelProfile.LINUX_6_18)) {
            assertThat(restrictTask(f, arg(f, 0, NOP), 1)).isEqualTo(-EINVAL);
            f.setup(4, 0);
            f.model.forkTask(false);
            f.nop(1);
            assertThat(f.submit()).isEqualTo(1);
            assertThat(f.model.register(f.ring, IORING_REGISTER_RESTRICTIONS, arg(f, 0, NOP), 1))
                    .isEqualTo(-EBADFD);
            f.model.freshTask();
        }
    }

    /**
     * 7.2.13 io_parse_restrictions sets op_registered for SQE_OP and SQE_FLAGS entries and reg_registered for
     * REGISTER_OP entries (both for none); io_register_restrictions and io_ctx_restriction_clone turn each into its
     * own ring flag. The model reports a set of one half (detail 1: SQE half, 2: register half); 6.18's one
     * {@code registered} flag has no halves.
     */
    @Test
    void aSetOfOneHalfIsReportedAndRestrictsOnlyThatHalf() {
        for (KernelProfile profile : new KernelProfile[] {KernelProfile.LINUX_6_18, KernelProfile.LINUX_7_2}) {
            try (ModelFixture f = ModelFixture.of(profile)) {
                List<Long> halves = new ArrayList<>();
                f.model.withRuleListener((rule, ringFd, detail) -> {
                    if (rule == Rules.RESTRICTIONS_SPLIT) {
                        halves.add(detail);
                    }
                });
                f.setup(4, IORING_SETUP_R_DISABLED);
                assertThat(f.model.register(f.ring, IORING_REGISTER_RESTRICTIONS, entries(f, PROBE), 1)).isZero();
                f.model.register(f.ring, IORING_REGISTER_ENABLE_RINGS, MemorySegment.NULL, 0);
                f.nop(1);
                f.submit();
                int nop = f.reapAll().getFirst().res();
                f.model.close(f.ring);
                f.setup(4, IORING_SETUP_R_DISABLED);
                assertThat(f.model.register(f.ring, IORING_REGISTER_RESTRICTIONS, entries(f, NOP, NOP), 2)).isZero();
                f.model.register(f.ring, IORING_REGISTER_ENABLE_RINGS, MemorySegment.NULL, 0);
                MemorySegment probe = f.memory.allocate(16);
                int probed = f.model.register(f.ring, IORING_REGISTER_PROBE, probe, 0);
                if (profile == KernelProfile.LINUX_6_18) {
                    assertThat(halves).isEmpty();
                    assertThat(nop).isEqualTo(-EACCES);
                    assertThat(probed).isEqualTo(-EACCES);
                } else {
                    assertThat(halves).containsExactly(2L, 1L);
                    assertThat(nop).isZero();
                    assertThat(probed).isZero();
                }
            }
        }
    }
}
