package dev.ringspec.model;

import static dev.ringspec.model.BpfFilterFixture.ALLOW;
import static dev.ringspec.model.BpfFilterFixture.DENY;
import static dev.ringspec.model.BpfFilterFixture.LOW_USER_DATA;
import static dev.ringspec.model.BpfFilterFixture.bpf;
import static dev.ringspec.model.BpfFilterFixture.pduSize;
import static dev.ringspec.model.BpfFilterFixture.registerRing;
import static dev.ringspec.model.BpfFilterFixture.registerTask;
import static dev.ringspec.model.BpfFilterFixture.socket;
import static dev.ringspec.model.BpfFilterFixture.wordEquals;
import static dev.ringspec.uapi.Errno.EACCES;
import static dev.ringspec.uapi.Errno.EAFNOSUPPORT;
import static dev.ringspec.uapi.Errno.ECANCELED;
import static dev.ringspec.uapi.Errno.EFAULT;
import static dev.ringspec.uapi.Errno.EINVAL;
import static dev.ringspec.uapi.Errno.EMSGSIZE;
import static dev.ringspec.uapi.Errno.EPERM;
import static dev.ringspec.uapi.Filter.BPF_ABS;
import static dev.ringspec.uapi.Filter.BPF_ALU;
import static dev.ringspec.uapi.Filter.BPF_A;
import static dev.ringspec.uapi.Filter.BPF_K;
import static dev.ringspec.uapi.Filter.BPF_LD;
import static dev.ringspec.uapi.Filter.BPF_RET;
import static dev.ringspec.uapi.Filter.BPF_W;
import static dev.ringspec.uapi.IoUring.IORING_OP_CONNECT;
import static dev.ringspec.uapi.IoUring.IORING_OP_NOP;
import static dev.ringspec.uapi.IoUring.IORING_OP_OPENAT;
import static dev.ringspec.uapi.IoUring.IORING_OP_OPENAT2;
import static dev.ringspec.uapi.IoUring.IORING_OP_SOCKET;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_BPF_FILTER;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_ENABLE_RINGS;
import static dev.ringspec.uapi.IoUring.IORING_RESTRICTION_REGISTER_OP;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_R_DISABLED;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_RESTRICTIONS;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SUBMIT_ALL;
import static dev.ringspec.uapi.IoUring.IOSQE_CQE_SKIP_SUCCESS;
import static dev.ringspec.uapi.IoUring.IOSQE_IO_LINK;
import static dev.ringspec.uapi.IoUringBpfFilter.IO_URING_BPF_FILTER_DENY_REST;
import static dev.ringspec.uapi.IoUringBpfFilter.IO_URING_BPF_FILTER_SZ_STRICT;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.seam.Cqe;
import dev.ringspec.seam.Sqe;
import dev.ringspec.uapi.IoUringBpf;
import dev.ringspec.uapi.IoUringBpfFilterStruct;
import dev.ringspec.uapi.IoUringTaskRestriction;
import dev.ringspec.uapi.SockFilter;
import java.lang.foreign.MemorySegment;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code IORING_REGISTER_BPF_FILTER} in the model, each expectation read from the kernel source: io_uring/
 * bpf_filter.c ({@code io_bpf_filter_import}, {@code io_register_bpf_filter}, {@code io_bpf_filter_clone},
 * {@code __io_uring_run_bpf_filters}, {@code io_uring_populate_bpf_ctx}), register.c
 * ({@code io_register_bpf_filter_task}, {@code io_register_restrictions_task}), io_uring.c ({@code io_submit_sqe})
 * and opdef.c of 7.1.8, 7.2.13 and 7.3-rc7.
 */
class BpfFilterModelTest {
    private static final long FILTER = IoUringBpf.FILTER_OFFSET;
    /** SOCKET with an unknown family: -EAFNOSUPPORT at issue when no filter denies it. */
    private static final int NO_FAMILY = 100;

    private static ModelFixture ring(KernelProfile profile) {
        return ModelFixture.of(profile).setup(8, 0);
    }

    // io_bpf_filter_import: the struct's checks, each -EINVAL, and all before the pdu_size check (-EMSGSIZE),
    // which itself comes before the program is read (bpf_prog_create_from_user)
    @Test
    void importChecksTheStructBeforeThePayloadSizeAndTheProgram() {
        try (ModelFixture f = ring(KernelProfile.LINUX_7_2)) {
            int[][] bad = {
                {(int) IoUringBpf.CMD_TYPE_OFFSET, 2}, {(int) IoUringBpf.CMD_FLAGS_OFFSET, 1},
                {(int) IoUringBpf.RESV_OFFSET, 1},
                {(int) (FILTER + IoUringBpfFilterStruct.FLAGS_OFFSET), 4},
                {(int) (FILTER + IoUringBpfFilterStruct.RESV_OFFSET + 2), 1},
                {(int) (FILTER + IoUringBpfFilterStruct.RESV2_OFFSET + 32), 1},
            };
            for (int[] field : bad) {
                // a SOCKET filter with a too large pdu_size: only the earlier -EINVAL shows, nothing is written back
                MemorySegment b = bpf(f, IORING_OP_SOCKET, 0, 16, ALLOW);
                b.set(JAVA_BYTE, field[0], (byte) field[1]);
                assertThat(registerRing(f, b)).as("byte %d", field[0]).isEqualTo(-EINVAL);
                assertThat(pduSize(b)).isEqualTo(16);
            }
            // opcode >= IORING_OP_LAST (65 on 7.2)
            assertThat(registerRing(f, bpf(f, 65, 0, 0, ALLOW))).isEqualTo(-EINVAL);
            assertThat(registerRing(f, bpf(f, 64, 0, 0, ALLOW))).isZero();
            // filter_len 0 and above BPF_MAXINSNS (4096)
            MemorySegment empty = bpf(f, IORING_OP_SOCKET, 0, 16, ALLOW);
            empty.set(JAVA_INT, FILTER + IoUringBpfFilterStruct.FILTER_LEN_OFFSET, 0);
            assertThat(registerRing(f, empty)).isEqualTo(-EINVAL);
            MemorySegment huge = bpf(f, IORING_OP_SOCKET, 0, 16, ALLOW);
            huge.set(JAVA_INT, FILTER + IoUringBpfFilterStruct.FILTER_LEN_OFFSET, 4097);
            assertThat(registerRing(f, huge)).isEqualTo(-EINVAL);
            // the pdu_size check comes before the program is copied in: a NULL program is -EMSGSIZE, not -EINVAL
            MemorySegment nullProgram = bpf(f, IORING_OP_SOCKET, 0, 16, ALLOW);
            nullProgram.set(JAVA_LONG, FILTER + IoUringBpfFilterStruct.FILTER_PTR_OFFSET, 0);
            assertThat(registerRing(f, nullProgram)).isEqualTo(-EMSGSIZE);
            // bpf_check_basics_ok: a NULL program -> -EINVAL; copy_from_user of the program -> -EFAULT
            MemorySegment nullOk = bpf(f, IORING_OP_SOCKET, 0, 12, ALLOW);
            nullOk.set(JAVA_LONG, FILTER + IoUringBpfFilterStruct.FILTER_PTR_OFFSET, 0);
            assertThat(registerRing(f, nullOk)).isEqualTo(-EINVAL);
            MemorySegment unmapped = bpf(f, IORING_OP_SOCKET, 0, 12, ALLOW);
            unmapped.set(JAVA_LONG, FILTER + IoUringBpfFilterStruct.FILTER_PTR_OFFSET, 8);
            assertThat(registerRing(f, unmapped)).isEqualTo(-EFAULT);
            // copy_from_user of the struct -> -EFAULT; __io_uring_register: nr_args != 1 -> -EINVAL
            assertThat(registerRing(f, MemorySegment.NULL)).isEqualTo(-EFAULT);
            assertThat(f.model.register(f.ring, IORING_REGISTER_BPF_FILTER, bpf(f, IORING_OP_NOP, 0, 0, ALLOW), 0))
                    .isEqualTo(-EINVAL);
        }
    }

    // io_bpf_filter_import: equal is fine, smaller too unless SZ_STRICT, larger never; the opcode's size is
    // written back whatever the verdict (opdef.c: SOCKET 12, OPENAT and OPENAT2 24, CONNECT 24 from 7.2, NOP 0)
    @Test
    void payloadSizeIsCheckedAndTheKernelsSizeWrittenBack() {
        try (ModelFixture f = ring(KernelProfile.LINUX_7_2)) {
            MemorySegment larger = bpf(f, IORING_OP_SOCKET, 0, 13, ALLOW);
            assertThat(registerRing(f, larger)).isEqualTo(-EMSGSIZE);
            assertThat(pduSize(larger)).isEqualTo(12);
            MemorySegment strict = bpf(f, IORING_OP_SOCKET, IO_URING_BPF_FILTER_SZ_STRICT, 11, ALLOW);
            assertThat(registerRing(f, strict)).isEqualTo(-EMSGSIZE);
            assertThat(pduSize(strict)).isEqualTo(12);
            MemorySegment smaller = bpf(f, IORING_OP_SOCKET, 0, 0, ALLOW);
            assertThat(registerRing(f, smaller)).isZero();
            assertThat(pduSize(smaller)).isEqualTo(12);
            int[][] sizes = {{IORING_OP_OPENAT, 24}, {IORING_OP_OPENAT2, 24}, {IORING_OP_CONNECT, 24}, {0, 0}};
            for (int[] size : sizes) {
                MemorySegment b = bpf(f, size[0], IO_URING_BPF_FILTER_SZ_STRICT, 255, ALLOW);
                assertThat(registerRing(f, b)).isEqualTo(-EMSGSIZE);
                assertThat(pduSize(b)).as("opcode %d", size[0]).isEqualTo(size[1]);
            }
        }
        // 7.1.8 opdef.c: CONNECT has no filter payload yet
        try (ModelFixture f = ring(KernelProfile.LINUX_7_1)) {
            MemorySegment connect = bpf(f, IORING_OP_CONNECT, 0, 24, ALLOW);
            assertThat(registerRing(f, connect)).isEqualTo(-EMSGSIZE);
            assertThat(pduSize(connect)).isZero();
        }
    }

    // io_uring_check_cbpf_filter: only aligned context loads within the 40 bytes; no MOD
    @Test
    void programsOutsideIoUringsRulesAreEinval() {
        try (ModelFixture f = ring(KernelProfile.LINUX_7_2)) {
            for (int k : new int[] {40, 2}) {
                assertThat(registerRing(f, bpf(f, IORING_OP_NOP, 0, 0, List.of(
                        SockFilter.stmt(BPF_LD | BPF_W | BPF_ABS, k), SockFilter.stmt(BPF_RET | BPF_A, 0)))))
                        .as("load at %d", k).isEqualTo(-EINVAL);
            }
            assertThat(registerRing(f, bpf(f, IORING_OP_NOP, 0, 0, List.of(
                    SockFilter.stmt(BPF_ALU | 0x90 | BPF_K, 3), SockFilter.stmt(BPF_RET | BPF_A, 0)))))
                    .as("BPF_MOD").isEqualTo(-EINVAL);
            f.nop(1);
            f.submit();
            assertThat(f.reapAll()).containsExactly(new Cqe(1, 0, 0, 0, 0));
        }
    }

    // __io_uring_run_bpf_filters: a deny is -EACCES through io_submit_fail_init, which stops the batch (without
    // SUBMIT_ALL) and counts the denied SQE
    @ParameterizedTest
    @ValueSource(ints = {0, IORING_SETUP_SUBMIT_ALL})
    void aDenyIsAnInitFailure(int setupFlags) {
        try (ModelFixture f = ModelFixture.of(KernelProfile.LINUX_7_2).setup(8, setupFlags)) {
            assertThat(registerRing(f, bpf(f, IORING_OP_NOP, 0, 0, LOW_USER_DATA))).isZero();
            f.nop(0);
            f.nop(2);
            assertThat(f.submit()).isEqualTo(setupFlags == 0 ? 1 : 2);
            List<Cqe> expected = setupFlags == 0 ? List.of(new Cqe(0, -EACCES, 0, 0, 0))
                    : List.of(new Cqe(0, -EACCES, 0, 0, 0), new Cqe(2, 0, 0, 0, 0));
            assertThat(f.reapAll()).isEqualTo(expected);
        }
    }

    // io_submit_fail_init: a denied member fails the chain's head with -ECANCELED; the chain completes as failed
    @Test
    void aDeniedLinkMemberFailsItsChain() {
        try (ModelFixture f = ring(KernelProfile.LINUX_7_2)) {
            registerRing(f, bpf(f, IORING_OP_NOP, 0, 0, LOW_USER_DATA));
            f.nop(1, IOSQE_IO_LINK);
            f.nop(0, IOSQE_IO_LINK);
            f.nop(3);
            assertThat(f.submit()).isEqualTo(3);
            assertThat(f.reapAll()).extracting(Cqe::userData, Cqe::res).containsExactlyInAnyOrder(
                    org.assertj.core.groups.Tuple.tuple(1L, -ECANCELED), org.assertj.core.groups.Tuple.tuple(0L,
                            -EACCES), org.assertj.core.groups.Tuple.tuple(3L, -ECANCELED));
        }
    }

    // __io_uring_run_bpf_filters: every filter must return non-zero; newest first, but programs are pure, so the
    // order never shows in the verdict
    @Test
    void everyStackedFilterMustAllowInAnyOrder() {
        for (List<List<SockFilter>> order : List.of(List.of(ALLOW, DENY), List.of(DENY, ALLOW))) {
            try (ModelFixture f = ring(KernelProfile.LINUX_7_2)) {
                registerRing(f, bpf(f, IORING_OP_NOP, 0, 0, order.get(0)));
                registerRing(f, bpf(f, IORING_OP_NOP, 0, 0, order.get(1)));
                f.nop(7);
                f.submit();
                assertThat(f.reapAll()).containsExactly(new Cqe(7, -EACCES, 0, 0, 0));
            }
        }
    }

    // io_register_bpf_filter: DENY_REST fills every opcode without a filter with dummy_filter, which stays at the
    // tail of that opcode's list, so a filter added later cannot allow it; opcodes that had a filter keep theirs
    @Test
    void denyRestDeniesEveryOtherOpcodeForGood() {
        try (ModelFixture f = ring(KernelProfile.LINUX_7_2)) {
            registerRing(f, bpf(f, IORING_OP_SOCKET, 0, 12, ALLOW));
            registerRing(f, bpf(f, IORING_OP_NOP, IO_URING_BPF_FILTER_DENY_REST, 0, ALLOW));
            registerRing(f, bpf(f, IORING_OP_OPENAT, 0, 24, ALLOW));
            f.nop(1);
            socket(f, 2, NO_FAMILY, 1, 0, 0);
            Sqe.addr(f.driver.sqes(), BpfFilterFixture.sqe(f, IORING_OP_OPENAT, 3), BpfFilterFixture.path(f,
                    "/ringspec-absent/x"));
            assertThat(f.submit()).isEqualTo(3);
            assertThat(f.reapAll()).containsExactly(new Cqe(1, 0, 0, 0, 0), new Cqe(2, -EAFNOSUPPORT, 0, 0, 0),
                    new Cqe(3, -EACCES, 0, 0, 0));
        }
    }

    // io_uring_populate_bpf_ctx: opcode at byte 8, sqe_flags (req->flags & SQE_VALID_FLAGS) at 9, pdu_size at 10;
    // SOCKET's family, type and protocol at 16, 20, 24 (io_socket_bpf_populate)
    @Test
    void theContextHoldsWhatInitAndPrepRead() {
        try (ModelFixture f = ring(KernelProfile.LINUX_7_2)) {
            int header = IORING_OP_SOCKET | IOSQE_CQE_SKIP_SUCCESS << 8 | 12 << 16;
            registerRing(f, bpf(f, IORING_OP_SOCKET, 0, 12, wordEquals(8, header)));
            registerRing(f, bpf(f, IORING_OP_SOCKET, 0, 12, wordEquals(16, NO_FAMILY)));
            registerRing(f, bpf(f, IORING_OP_SOCKET, 0, 12, wordEquals(20, 2 | 0x800)));
            registerRing(f, bpf(f, IORING_OP_SOCKET, 0, 12, wordEquals(24, 9)));
            Sqe.flags(f.driver.sqes(), socket(f, 1, NO_FAMILY, 2 | 0x800, 9, 0), IOSQE_CQE_SKIP_SUCCESS);
            socket(f, 2, NO_FAMILY, 2, 9, 0);
            assertThat(f.submit()).isEqualTo(2);
            // the first passes every filter and fails at issue (a failure posts despite CQE_SKIP_SUCCESS); the
            // second's header lacks the flag and its type lacks SOCK_NONBLOCK: denied
            assertThat(f.reapAll()).containsExactly(new Cqe(1, -EAFNOSUPPORT, 0, 0, 0),
                    new Cqe(2, -EACCES, 0, 0, 0));
        }
    }

    // io_register_bpf_filter_task: the privilege check first (-EACCES), then nr_args (-EINVAL)
    @Test
    void taskFiltersNeedNoNewPrivsOrCapSysAdmin() {
        try (ModelFixture f = ModelFixture.of(KernelProfile.LINUX_7_2)) {
            f.model.withCapSysAdmin(false).freshTask();
            MemorySegment b = bpf(f, IORING_OP_NOP, 0, 0, DENY);
            assertThat(f.model.registerWithoutRing(IORING_REGISTER_BPF_FILTER, b, 2)).isEqualTo(-EACCES);
            f.model.setNoNewPrivs();
            assertThat(f.model.registerWithoutRing(IORING_REGISTER_BPF_FILTER, b, 2)).isEqualTo(-EINVAL);
            assertThat(registerTask(f, bpf(f, IORING_OP_NOP, 0, 1, DENY))).isEqualTo(-EMSGSIZE);
            // a failed registration leaves the task without io_uring_restrict: restrictions can still be set
            assertThat(restrictTask(f)).isZero();
        }
    }

    // io_register_restrictions_task: current->io_uring_restrict, which a task filter sets, -> -EPERM; the other
    // way round a filter joins the task's existing io_restriction
    @Test
    void aTaskFilterCountsAsTaskRestrictionsButNotTheOtherWayRound() {
        try (ModelFixture f = ModelFixture.of(KernelProfile.LINUX_7_2)) {
            assertThat(registerTask(f, bpf(f, IORING_OP_NOP, 0, 0, ALLOW))).isZero();
            assertThat(restrictTask(f)).isEqualTo(-EPERM);
            f.model.freshTask();
            assertThat(restrictTask(f)).isZero();
            assertThat(registerTask(f, bpf(f, IORING_OP_NOP, 0, 0, ALLOW))).isZero();
            f.model.forkTask(false);
            assertThat(restrictTask(f)).isEqualTo(-EPERM);
        }
    }

    // io_ctx_restriction_clone and __io_uring_fork share the task's filters copy-on-write; a ring's own filter
    // copies the set first (io_bpf_filter_cow), so its creator and its siblings do not see it
    @Test
    void ringsAndChildrenInheritTaskFiltersAndStackTheirOwnOverThem() {
        try (ModelFixture f = ModelFixture.of(KernelProfile.LINUX_7_2)) {
            assertThat(registerTask(f, bpf(f, IORING_OP_NOP, 0, 0, LOW_USER_DATA))).isZero();
            f.setup(4, 0);
            assertThat(registerRing(f, bpf(f, IORING_OP_SOCKET, 0, 12, DENY))).isZero();
            f.nop(0);
            f.submit();
            socket(f, 1, NO_FAMILY, 1, 0, 0);
            f.submit();
            assertThat(f.reapAll()).containsExactly(new Cqe(0, -EACCES, 0, 0, 0), new Cqe(1, -EACCES, 0, 0, 0));
            f.model.forkTask(false);
            f.setup(4, 0);
            f.nop(0);
            f.submit();
            socket(f, 1, NO_FAMILY, 1, 0, 0);
            f.submit();
            assertThat(f.reapAll()).containsExactly(new Cqe(0, -EACCES, 0, 0, 0),
                    new Cqe(1, -EAFNOSUPPORT, 0, 0, 0));
        }
    }

    // io_bpf_filter_clone: 7.1.8 and 7.2.13 mark only the receiver copy-on-write, so a task's later filter is
    // added in place and reaches the ring it created before and the child it forked before; 7.3-rc7 also marks the
    // source (src->bpf_filters_cow = true), so the task copies its set first
    @ParameterizedTest
    @ValueSource(strings = {"7.1", "7.2", "7.3"})
    void aTasksLaterFilterReachesEarlierRingsAndChildrenBefore73(String version) {
        KernelProfile profile = switch (version) {
            case "7.1" -> KernelProfile.LINUX_7_1;
            case "7.2" -> KernelProfile.LINUX_7_2;
            default -> KernelProfile.LINUX_7_3;
        };
        int expected = version.equals("7.3") ? 0 : -EACCES;
        try (ModelFixture f = ModelFixture.of(profile)) {
            assertThat(registerTask(f, bpf(f, IORING_OP_NOP, 0, 0, ALLOW))).isZero();
            f.setup(4, 0);
            assertThat(registerTask(f, bpf(f, IORING_OP_NOP, 0, 0, DENY))).isZero();
            f.nop(1);
            f.submit();
            assertThat(f.reapAll()).containsExactly(new Cqe(1, expected, 0, 0, 0));
        }
        try (ModelFixture f = ModelFixture.of(profile)) {
            assertThat(registerTask(f, bpf(f, IORING_OP_NOP, 0, 0, ALLOW))).isZero();
            IoUringTask parent = f.model.currentTask();
            f.model.forkTask(false);
            IoUringTask child = f.model.currentTask();
            f.model.runAs(parent);
            assertThat(registerTask(f, bpf(f, IORING_OP_NOP, 0, 0, DENY))).isZero();
            f.model.runAs(child);
            f.setup(4, 0);
            f.nop(2);
            f.submit();
            assertThat(f.reapAll()).containsExactly(new Cqe(2, expected, 0, 0, 0));
        }
    }

    // __io_uring_register: a ring whose register restrictions do not list BPF_FILTER refuses it with -EACCES
    // before the argument is read (a NULL argument would be -EFAULT)
    @Test
    void ringRegisterRestrictionsApplyToBpfFilter() {
        try (ModelFixture f = ModelFixture.of(KernelProfile.LINUX_7_2).setup(8, IORING_SETUP_R_DISABLED)) {
            MemorySegment res = f.memory.allocate(16, 8);
            res.set(JAVA_SHORT, 0, (short) IORING_RESTRICTION_REGISTER_OP);
            res.set(JAVA_BYTE, 2, (byte) IORING_REGISTER_ENABLE_RINGS);
            assertThat(f.model.register(f.ring, IORING_REGISTER_RESTRICTIONS, res, 1)).isZero();
            assertThat(f.model.register(f.ring, IORING_REGISTER_ENABLE_RINGS, MemorySegment.NULL, 0)).isZero();
            assertThat(registerRing(f, MemorySegment.NULL)).isEqualTo(-EACCES);
        }
        try (ModelFixture f = ring(KernelProfile.LINUX_7_2)) {
            assertThat(registerRing(f, MemorySegment.NULL)).isEqualTo(-EFAULT);
        }
    }

    // register.c: IORING_REGISTER_BPF_FILTER (37) is at or above IORING_REGISTER_LAST before 7.0
    @Test
    void kernelsBefore70DoNotKnowTheOpcode() {
        for (KernelProfile old : List.of(KernelProfile.LINUX_6_18, KernelProfile.LINUX_6_19)) {
            try (ModelFixture f = ring(old)) {
                assertThat(registerRing(f, bpf(f, IORING_OP_NOP, 0, 0, DENY))).isEqualTo(-EINVAL);
            }
        }
    }

    private static int restrictTask(ModelFixture f) {
        MemorySegment arg = f.memory.allocate(IoUringTaskRestriction.SIZE_BYTES + 16, 8);
        arg.set(JAVA_SHORT, IoUringTaskRestriction.NR_RES_OFFSET, (short) 0);
        return f.model.registerWithoutRing(IORING_REGISTER_RESTRICTIONS, arg, 1);
    }
}
