package dev.ringspec.model;

import static dev.ringspec.uapi.Errno.EACCES;
import static dev.ringspec.uapi.Errno.EFAULT;
import static dev.ringspec.uapi.Errno.EINVAL;
import static dev.ringspec.uapi.Errno.EMSGSIZE;
import static dev.ringspec.uapi.Filter.BPF_MAXINSNS;
import static dev.ringspec.uapi.IoUringBpfFilter.IO_URING_BPF_CMD_FILTER;
import static dev.ringspec.uapi.IoUringBpfFilter.IO_URING_BPF_FILTER_DENY_REST;
import static dev.ringspec.uapi.IoUringBpfFilter.IO_URING_BPF_FILTER_SZ_STRICT;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import dev.ringspec.bpf.BpfMutant;
import dev.ringspec.uapi.IoUringBpf;
import dev.ringspec.uapi.IoUringBpfFilterStruct;
import java.lang.foreign.MemorySegment;
import java.util.EnumSet;
import java.util.Set;

/**
 * {@code IORING_REGISTER_BPF_FILTER} (io_uring/bpf_filter.c and register.c, 7.0+; ring-semantics.md A7): a ring's
 * ({@code __io_uring_register}) or the calling task's ({@code io_register_bpf_filter_task}) registration of one
 * classic-BPF filter for one opcode, {@code struct io_uring_bpf} checked in the kernel's order
 * ({@code io_bpf_filter_import}), the program checked by io_uring's cBPF checker, and the filter put in front of
 * the opcode's list ({@code io_register_bpf_filter}). Running the filters is {@link BpfFilterRun}.
 */
final class BpfFilter {
    /** {@code IO_URING_BPF_FILTER_FLAGS}. */
    private static final int FILTER_FLAGS = IO_URING_BPF_FILTER_DENY_REST | IO_URING_BPF_FILTER_SZ_STRICT;
    private static final long FILTER = IoUringBpf.FILTER_OFFSET;

    private final KernelProfile profile;
    private final UserArgs args;
    private final IoIssueDefs defs;
    private final boolean mDenyRestIgnored;
    private final boolean mPduSizeNotWrittenBack;
    private final boolean mSzStrictIgnored;
    /** The classic-BPF core's mutants of io_uring's checker that the model's mutants turn on. */
    private final Set<BpfMutant> coreMutants;

    BpfFilter(KernelProfile profile, UserArgs args, IoIssueDefs defs, Set<Mutant> mutants) {
        this.profile = profile;
        this.args = args;
        this.defs = defs;
        this.mDenyRestIgnored = mutants.contains(Mutant.BPF_DENY_REST_IGNORED);
        this.mPduSizeNotWrittenBack = mutants.contains(Mutant.BPF_PDU_SIZE_NOT_WRITTEN_BACK);
        this.mSzStrictIgnored = mutants.contains(Mutant.BPF_SZ_STRICT_IGNORED);
        EnumSet<BpfMutant> core = EnumSet.noneOf(BpfMutant.class);
        if (mutants.contains(Mutant.BPF_CBPF_UNALIGNED_LOAD_ACCEPTED)) {
            core.add(BpfMutant.IO_URING_UNALIGNED_LOAD_ACCEPTED);
        }
        if (mutants.contains(Mutant.BPF_CBPF_MOD_ACCEPTED)) {
            core.add(BpfMutant.IO_URING_MOD_ACCEPTED);
        }
        if (mutants.contains(Mutant.BPF_CBPF_LEN_IS_ZERO)) {
            core.add(BpfMutant.IO_URING_LEN_IS_ZERO);
        }
        this.coreMutants = Set.copyOf(core);
    }

    /** {@code __io_uring_register}, case {@code IORING_REGISTER_BPF_FILTER}: the ring's own filters. */
    int registerRing(RestrictionFilters ring, MemorySegment arg, int nrArgs, RuleSink rules) {
        // __io_uring_register: nr_args != 1 -> -EINVAL
        if (nrArgs != 1) {
            return -EINVAL;
        }
        return registerBpfFilter(ring, arg, rules);
    }

    /** {@code io_register_bpf_filter_task}: {@code io_uring_register(-1, IORING_REGISTER_BPF_FILTER, ...)}. */
    int registerTask(IoUringTask task, MemorySegment arg, int nrArgs, RuleSink rules) {
        // io_register_bpf_filter_task: like seccomp, neither no_new_privs nor CAP_SYS_ADMIN -> -EACCES, first
        if (!task.mayRestrictItself()) {
            rules.fire(Rules.BPF_FILTER_TASK_PRIVILEGE, 0);
            return -EACCES;
        }
        // io_register_bpf_filter_task: nr_args != 1 -> -EINVAL
        if (nrArgs != 1) {
            return -EINVAL;
        }
        // io_register_bpf_filter_task: a task without restrictions gets a new io_restriction, kept only on success
        RestrictionFilters res = task.filters();
        boolean fresh = res == null;
        if (fresh) {
            res = new RestrictionFilters();
        }
        int ret = registerBpfFilter(res, arg, rules);
        if (ret == 0 && fresh) {
            task.filters(res);
        }
        return ret;
    }

    /** {@code io_register_bpf_filter}: import, check the program, then insert into a set {@code res} may write. */
    private int registerBpfFilter(RestrictionFilters res, MemorySegment arg, RuleSink rules) {
        MemorySegment reg = args.at(arg, 0, IoUringBpf.SIZE_BYTES);
        int ret = bpfFilterImport(reg, rules);
        if (ret != 0) {
            return ret;
        }
        int opcode = reg.get(JAVA_INT, FILTER + IoUringBpfFilterStruct.OPCODE_OFFSET);
        int flags = reg.get(JAVA_INT, FILTER + IoUringBpfFilterStruct.FLAGS_OFFSET);
        int len = reg.get(JAVA_INT, FILTER + IoUringBpfFilterStruct.FILTER_LEN_OFFSET);
        long ptr = reg.get(JAVA_LONG_UNALIGNED, FILTER + IoUringBpfFilterStruct.FILTER_PTR_OFFSET);
        // bpf_prog_create_from_user(..., io_uring_check_cbpf_filter, false): the instructions copied in (-EFAULT),
        // the classic checker and io_uring's rules (-EINVAL)
        CbpfPrograms.Created created = CbpfPrograms.create(args, ptr, len, coreMutants);
        if (created.errno() != 0) {
            rules.fire(Rules.BPF_FILTER_PROGRAM_REFUSED, -created.errno());
            return created.errno();
        }
        // io_register_bpf_filter: a new set, a copy of a set held copy-on-write, or the held set in place
        BpfFilterTable table = res.writable(profile.opLast());
        if (res.table() != null && table != res.table()) {
            rules.fire(Rules.BPF_FILTER_COPY_ON_WRITE, opcode);
        } else if (table.shared()) {
            rules.fire(Rules.BPF_FILTER_SHARED_IN_PLACE, opcode);
        }
        res.install(table);
        boolean denyRest = (flags & IO_URING_BPF_FILTER_DENY_REST) != 0 && !mDenyRestIgnored;
        int filled = table.insert(opcode, created.program(), denyRest);
        rules.fire(Rules.BPF_FILTER_REGISTERED, opcode);
        if ((flags & IO_URING_BPF_FILTER_DENY_REST) != 0) {
            rules.fire(Rules.BPF_FILTER_DENY_REST, filled);
        }
        return 0;
    }

    /** {@code io_bpf_filter_import}: the checks in the kernel's order; 0 or the {@code -errno}. */
    private int bpfFilterImport(MemorySegment reg, RuleSink rules) {
        // io_bpf_filter_import: copy_from_user of struct io_uring_bpf -> -EFAULT
        if (reg == null) {
            return -EFAULT;
        }
        // io_bpf_filter_import: cmd_type other than IO_URING_BPF_CMD_FILTER, then cmd_flags or resv -> -EINVAL
        if (reg.get(JAVA_SHORT, IoUringBpf.CMD_TYPE_OFFSET) != IO_URING_BPF_CMD_FILTER
                || reg.get(JAVA_SHORT, IoUringBpf.CMD_FLAGS_OFFSET) != 0
                || reg.get(JAVA_INT, IoUringBpf.RESV_OFFSET) != 0) {
            return importInvalid(rules, 1);
        }
        // io_bpf_filter_import: opcode >= IORING_OP_LAST, unknown flags -> -EINVAL
        int opcode = reg.get(JAVA_INT, FILTER + IoUringBpfFilterStruct.OPCODE_OFFSET);
        int flags = reg.get(JAVA_INT, FILTER + IoUringBpfFilterStruct.FLAGS_OFFSET);
        if (Integer.compareUnsigned(opcode, profile.opLast()) >= 0 || (flags & ~FILTER_FLAGS) != 0) {
            return importInvalid(rules, 2);
        }
        // io_bpf_filter_import: resv[3], then resv2[5], not all zero -> -EINVAL
        for (int i = 0; i < 3; i++) {
            if (reg.get(JAVA_BYTE, FILTER + IoUringBpfFilterStruct.RESV_OFFSET + i) != 0) {
                return importInvalid(rules, 3);
            }
        }
        for (int i = 0; i < 5; i++) {
            if (reg.get(JAVA_LONG_UNALIGNED, FILTER + IoUringBpfFilterStruct.RESV2_OFFSET + 8L * i) != 0) {
                return importInvalid(rules, 3);
            }
        }
        // io_bpf_filter_import: filter_len 0 or above BPF_MAXINSNS -> -EINVAL
        int len = reg.get(JAVA_INT, FILTER + IoUringBpfFilterStruct.FILTER_LEN_OFFSET);
        if (len == 0 || Integer.compareUnsigned(len, BPF_MAXINSNS) > 0) {
            return importInvalid(rules, 4);
        }
        // io_bpf_filter_import: the payload size: equal is fine; different fails with SZ_STRICT; larger than the
        // kernel's always fails (-EMSGSIZE); smaller is accepted
        int kernelSize = defs.def(opcode).filterPduSize();
        int userSize = Byte.toUnsignedInt(reg.get(JAVA_BYTE, FILTER + IoUringBpfFilterStruct.PDU_SIZE_OFFSET));
        int ret = 0;
        if (userSize != kernelSize) {
            if ((flags & IO_URING_BPF_FILTER_SZ_STRICT) != 0 && !mSzStrictIgnored) {
                rules.fire(Rules.BPF_FILTER_SZ_STRICT, kernelSize);
                ret = -EMSGSIZE;
            } else if (userSize > kernelSize) {
                rules.fire(Rules.BPF_FILTER_PDU_TOO_LARGE, kernelSize);
                ret = -EMSGSIZE;
            }
        }
        // io_bpf_filter_import: the kernel's size is written back into the filter struct whatever the verdict
        // (copy_to_user of all of reg->filter: the rest as it was read) -> -EFAULT if that fails
        if (!mPduSizeNotWrittenBack) {
            reg.set(JAVA_BYTE, FILTER + IoUringBpfFilterStruct.PDU_SIZE_OFFSET, (byte) kernelSize);
        }
        rules.fire(Rules.BPF_FILTER_PDU_SIZE_WRITTEN_BACK, kernelSize);
        return ret;
    }

    private static int importInvalid(RuleSink rules, int which) {
        rules.fire(Rules.BPF_FILTER_IMPORT_INVALID, which);
        return -EINVAL;
    }
}
