package dev.ringspec.model;

import static dev.ringspec.uapi.Errno.EACCES;
import static dev.ringspec.uapi.Errno.EBADFD;
import static dev.ringspec.uapi.Errno.EBUSY;
import static dev.ringspec.uapi.Errno.EEXIST;
import static dev.ringspec.uapi.Errno.EBADF;
import static dev.ringspec.uapi.Errno.EFAULT;
import static dev.ringspec.uapi.Errno.EINVAL;
import static dev.ringspec.uapi.Errno.EPERM;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_BPF_FILTER;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_BUFFERS;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_BUFFERS2;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_BUFFERS_UPDATE;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_ENABLE_RINGS;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_FILES;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_FILES2;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_FILES_UPDATE;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_FILES_UPDATE2;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_FILE_ALLOC_RANGE;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_PROBE;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_QUERY;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_RESIZE_RINGS;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_RESTRICTIONS;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_SEND_MSG_RING;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_USE_REGISTERED_RING;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_R_DISABLED;
import static dev.ringspec.uapi.IoUring.IORING_UNREGISTER_BUFFERS;
import static dev.ringspec.uapi.IoUring.IORING_UNREGISTER_FILES;
import static dev.ringspec.uapi.IoUring.IO_URING_OP_SUPPORTED;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import dev.ringspec.uapi.IoUringProbe;
import dev.ringspec.uapi.IoUringProbeOp;
import dev.ringspec.uapi.IoUringRestriction;
import dev.ringspec.uapi.IoUringTaskRestriction;
import java.lang.foreign.MemorySegment;
import java.util.Set;

/**
 * {@code io_uring_register} (io_uring/register.c; ring-semantics.md A5, A6, A8): the generic checks in the kernel's
 * order, then the opcode: PROBE, RESTRICTIONS, ENABLE_RINGS here; RESIZE_RINGS in {@link ResizeRings}, QUERY in
 * {@link Query}, the file and buffer tables in {@link Rsrc}. Also {@code io_uring_register_blind}, the calls
 * without a ring.
 */
final class Register {
    private final IoIssueDefs issueDefs;
    private final KernelProfile profile;
    private final UserArgs args;
    private final ResizeRings resize;
    private final Query query;
    private final BpfFilter bpfFilter;
    private final boolean mProbeLastOpFromNr;
    private final boolean mTaskRestrictionsReplaced;
    private final boolean mTaskRestrictionsUnprivileged;

    Register(KernelProfile profile, UserArgs args, IoUringSetup setup, Query query, BpfFilter bpfFilter,
            IoIssueDefs issueDefs, Set<Mutant> mutants) {
        this.profile = profile;
        this.issueDefs = issueDefs;
        this.args = args;
        this.resize = new ResizeRings(profile, setup, args);
        this.query = query;
        this.bpfFilter = bpfFilter;
        this.mProbeLastOpFromNr = mutants.contains(Mutant.PROBE_LAST_OP_FROM_NR);
        this.mTaskRestrictionsReplaced = mutants.contains(Mutant.TASK_RESTRICTIONS_REPLACED);
        this.mTaskRestrictionsUnprivileged = mutants.contains(Mutant.TASK_RESTRICTIONS_UNPRIVILEGED);
    }

    /** {@code io_uring_register} and {@code __io_uring_register} on a live ring. */
    int register(ModelRing r, int opcode, MemorySegment arg, int nrArgs) {
        RuleSink rules = r.rules();
        // io_uring_register: USE_REGISTERED_RING is stripped before the compare (6.3+); 6.1 compares the raw
        // opcode (6.1.192 io_uring.c, io_uring_register), so the bit makes any opcode -EINVAL there
        int op = profile.registeredRingBit() ? opcode & ~IORING_REGISTER_USE_REGISTERED_RING : opcode;
        // io_uring_register: opcode >= IORING_REGISTER_LAST -> -EINVAL
        if (Integer.compareUnsigned(op, profile.registerLast()) >= 0) {
            rules.fire(Rules.REGISTER_UNKNOWN_OPCODE, Integer.toUnsignedLong(op));
            return -EINVAL;
        }
        if (profile.registerRunsTaskWork() && r.isOwnerOrUnowned()) {
            // io_uring_register (6.1): io_run_task_work_ctx first; on a DEFER_TASKRUN ring it runs the local work
            // of the submitter (6.1.192 io_uring.c, io_uring_register); later kernels run no task work here
            r.taskWork().runLocalForRegister();
        }
        // __io_uring_register: a SINGLE_ISSUER ring registered from another task -> -EEXIST
        if (!r.isOwnerOrUnowned()) {
            rules.fire(Rules.REGISTER_NOT_SUBMITTER, op);
            return -EEXIST;
        }
        // __io_uring_register: a restricted ring refuses unlisted register opcodes -> -EACCES (before arguments)
        Restrictions restrictions = r.restrictions();
        if (restrictions.enforcedOnRegister(r.has(IORING_SETUP_R_DISABLED)) && !restrictions.registerAllowed(op)) {
            rules.fire(Rules.REGISTER_RESTRICTED, op);
            return -EACCES;
        }
        boolean nullArg = UserArgs.isNull(arg);
        Rsrc rsrc = r.rsrc();
        return switch (op) {
            case IORING_REGISTER_PROBE -> nullArg || Integer.compareUnsigned(nrArgs, 256) > 0 ? -EINVAL
                    : probe(arg, nrArgs, rules);
            case IORING_REGISTER_RESTRICTIONS -> registerRestrictions(r, arg, nrArgs);
            case IORING_REGISTER_ENABLE_RINGS -> !nullArg || nrArgs != 0 ? -EINVAL : enableRings(r);
            case IORING_REGISTER_RESIZE_RINGS -> nullArg || nrArgs != 1 ? -EINVAL : resize.resizeRings(r, arg);
            case IORING_REGISTER_QUERY -> query.query(arg, nrArgs);
            case IORING_REGISTER_BPF_FILTER -> bpfFilter.registerRing(r.bpfFilters().filters(), arg, nrArgs, rules);
            case IORING_REGISTER_FILES -> nullArg ? -EFAULT : r.files().register(arg, nrArgs, 0);
            case IORING_UNREGISTER_FILES -> !nullArg || nrArgs != 0 ? -EINVAL : r.files().unregister();
            case IORING_REGISTER_FILE_ALLOC_RANGE -> nullArg || nrArgs != 0 ? -EINVAL : r.files().allocRange(arg);
            case IORING_REGISTER_FILES_UPDATE -> rsrc.registerFilesUpdate(arg, nrArgs);
            case IORING_REGISTER_FILES2 -> rsrc.registerRsrc(arg, nrArgs, true);
            case IORING_REGISTER_FILES_UPDATE2 -> rsrc.registerRsrcUpdate(arg, nrArgs, true);
            case IORING_REGISTER_BUFFERS -> nullArg ? -EFAULT : r.buffers().register(arg, nrArgs, 0);
            case IORING_UNREGISTER_BUFFERS -> !nullArg || nrArgs != 0 ? -EINVAL : r.buffers().unregister();
            case IORING_REGISTER_BUFFERS2 -> rsrc.registerRsrc(arg, nrArgs, false);
            case IORING_REGISTER_BUFFERS_UPDATE -> rsrc.registerRsrcUpdate(arg, nrArgs, false);
            default -> registerOther(r, op, arg, nrArgs);
        };
    }

    /** A register opcode the profile brings ({@link KernelProfile.Builder#registerOp}), or not modelled. */
    private int registerOther(ModelRing r, int op, MemorySegment arg, int nrArgs) {
        RegisterOp other = profile.registerOp(op);
        if (other == null) {
            throw new UnsupportedOperationException("register opcode " + op + " is not modelled");
        }
        return other.register(r.issueContext(), arg, nrArgs);
    }

    /** {@code io_uring_register_blind}: {@code io_uring_register(-1, ...)} from {@code task}. */
    int registerBlind(IoUringTask task, int opcode, MemorySegment arg, int nrArgs, RuleSink rules) {
        int op = profile.registeredRingBit() ? opcode & ~IORING_REGISTER_USE_REGISTERED_RING : opcode;
        // io_uring_register: opcode >= IORING_REGISTER_LAST -> -EINVAL
        if (Integer.compareUnsigned(op, profile.registerLast()) >= 0) {
            rules.fire(Rules.REGISTER_UNKNOWN_OPCODE, Integer.toUnsignedLong(op));
            return -EINVAL;
        }
        if (!profile.blindRegister()) {
            // io_uring_register before 6.18: fd -1 is looked up like any fd -> -EBADF (6.1.192 io_uring.c,
            // io_uring_register; 6.12.117 register.c, io_uring_register_get_file), -EINVAL for a registered index
            return (opcode & IORING_REGISTER_USE_REGISTERED_RING) != 0 ? -EINVAL : -EBADF;
        }
        // io_uring_register_blind: QUERY and SEND_MSG_RING; from 7.0 also RESTRICTIONS and BPF_FILTER
        if (op == IORING_REGISTER_QUERY) {
            return query.query(arg, nrArgs);
        }
        if (profile.blindRestrictionsAndFilters() && op == IORING_REGISTER_RESTRICTIONS) {
            return registerRestrictionsTask(task, arg, nrArgs, rules);
        }
        if (profile.blindRestrictionsAndFilters() && op == IORING_REGISTER_BPF_FILTER) {
            return bpfFilter.registerTask(task, arg, nrArgs, rules);
        }
        if (op == IORING_REGISTER_SEND_MSG_RING) {
            throw new UnsupportedOperationException("blind register opcode " + op + " is not modelled");
        }
        rules.fire(Rules.REGISTER_BLIND_UNKNOWN, op);
        return -EINVAL;
    }

    /** {@code io_probe}. */
    private int probe(MemorySegment arg, int nrArgs, RuleSink rules) {
        // io_probe: nr_args is capped at IORING_OP_LAST; 6.1 caps it only after copying in and checking all
        // nr_args slots (6.1.192 io_uring.c, io_probe: struct_size with the uncapped nr_args)
        int nr = Math.min(nrArgs, profile.opLast());
        int checked = profile.probeChecksAllSlots() ? nrArgs : nr;
        long size = IoUringProbe.SIZE_BYTES + (long) checked * IoUringProbeOp.SIZE_BYTES;
        // io_probe: memdup_user -> -EFAULT
        MemorySegment p = args.at(arg, 0, size);
        if (p == null) {
            return -EFAULT;
        }
        // io_probe: any non-zero byte in the header or the slots -> -EINVAL
        for (long i = 0; i < size; i++) {
            if (p.get(JAVA_BYTE, i) != 0) {
                return -EINVAL;
            }
        }
        // io_probe: last_op is IORING_OP_LAST - 1 whatever nr_args; every slot up to nr is supported
        rules.fire(Rules.PROBE, nr);
        int lastOp = mProbeLastOpFromNr ? nr - 1 : profile.opLast() - 1;
        p.set(JAVA_BYTE, IoUringProbe.LAST_OP_OFFSET, (byte) lastOp);
        p.set(JAVA_BYTE, IoUringProbe.OPS_LEN_OFFSET, (byte) nr);
        for (int i = 0; i < nr; i++) {
            long op = IoUringProbe.OPS_OFFSET + (long) i * IoUringProbeOp.SIZE_BYTES;
            p.set(JAVA_BYTE, op + IoUringProbeOp.OP_OFFSET, (byte) i);
            // io_probe: only an opcode that is not compiled out is supported (its not_supported flag)
            boolean supported = !issueDefs.def(i).has(OpDef.NOT_SUPPORTED);
            p.set(JAVA_SHORT, op + IoUringProbeOp.FLAGS_OFFSET, (short) (supported ? IO_URING_OP_SUPPORTED : 0));
        }
        return 0;
    }

    /** {@code io_register_restrictions} and {@code io_parse_restrictions}. */
    private int registerRestrictions(ModelRing r, MemorySegment arg, int nrArgs) {
        RuleSink rules = r.rules();
        // io_register_restrictions: only on a ring that is still R_DISABLED -> -EBADFD
        if (!r.has(IORING_SETUP_R_DISABLED)) {
            rules.fire(Rules.RESTRICTIONS_NEED_DISABLED_RING, 0);
            return -EBADFD;
        }
        // io_register_restrictions: one registration only -> -EBUSY
        if (r.restrictions().anyRegistered()) {
            rules.fire(Rules.RESTRICTIONS_ONCE, 0);
            return -EBUSY;
        }
        // io_parse_restrictions: NULL arg or too many entries -> -EINVAL
        if (UserArgs.isNull(arg) || Integer.compareUnsigned(nrArgs, profile.maxRestrictions()) > 0) {
            return -EINVAL;
        }
        MemorySegment res = args.at(arg, 0, (long) nrArgs * IoUringRestriction.SIZE_BYTES);
        if (res == null) {
            return -EFAULT;
        }
        return r.restrictions().parse(res, nrArgs);
    }

    /** {@code io_register_restrictions_task} (7.0+), in the kernel's order. */
    private int registerRestrictionsTask(IoUringTask task, MemorySegment arg, int nrArgs, RuleSink rules) {
        // io_register_restrictions_task: a task with restrictions already (also inherited, and BPF filters alone,
        // which set the same task->io_uring_restrict) -> -EPERM, first
        if (task.hasIoUringRestrict()) {
            rules.fire(Rules.TASK_RESTRICTIONS_ONCE, 0);
            if (!mTaskRestrictionsReplaced) {
                return -EPERM;
            }
        }
        // io_register_restrictions_task: neither no_new_privs nor CAP_SYS_ADMIN -> -EACCES
        if (!task.mayRestrictItself() && !mTaskRestrictionsUnprivileged) {
            rules.fire(Rules.TASK_RESTRICTIONS_PRIVILEGE, 0);
            return -EACCES;
        }
        // io_register_restrictions_task: nr_args != 1 -> -EINVAL
        if (nrArgs != 1) {
            return taskRestrictionsInvalid(rules, -EINVAL);
        }
        // io_register_restrictions_task: copy_from_user of the 16-byte header -> -EFAULT
        MemorySegment header = args.at(arg, 0, IoUringTaskRestriction.SIZE_BYTES);
        if (header == null) {
            return taskRestrictionsInvalid(rules, -EFAULT);
        }
        // io_register_restrictions_task: flags, then resv[3], must be zero -> -EINVAL
        if (header.get(JAVA_SHORT, IoUringTaskRestriction.FLAGS_OFFSET) != 0) {
            return taskRestrictionsInvalid(rules, -EINVAL);
        }
        for (int i = 0; i < 3; i++) {
            if (header.get(JAVA_INT, IoUringTaskRestriction.RESV_OFFSET + 4L * i) != 0) {
                return taskRestrictionsInvalid(rules, -EINVAL);
            }
        }
        // io_parse_restrictions(ures->restrictions, nr_res): more than IORING_MAX_RESTRICTIONS -> -EINVAL
        int nrRes = Short.toUnsignedInt(header.get(JAVA_SHORT, IoUringTaskRestriction.NR_RES_OFFSET));
        if (nrRes > profile.maxRestrictions()) {
            return taskRestrictionsInvalid(rules, -EINVAL);
        }
        // io_parse_restrictions: memdup_user of the entries -> -EFAULT
        MemorySegment res = args.at(arg, IoUringTaskRestriction.RESTRICTIONS_OFFSET,
                (long) nrRes * IoUringRestriction.SIZE_BYTES);
        if (res == null) {
            return taskRestrictionsInvalid(rules, -EFAULT);
        }
        RestrictionSet set = RestrictionSet.parse(profile, res, nrRes);
        if (set == null) {
            return taskRestrictionsInvalid(rules, RestrictionSet.INVALID);
        }
        if (task.restrictions() != null) {
            task.replaceRestrictions(set); // only the mutant TASK_RESTRICTIONS_REPLACED gets here
        } else {
            task.restrict(set);
        }
        rules.fire(Rules.TASK_RESTRICTIONS_REGISTERED, nrRes);
        return 0;
    }

    private static int taskRestrictionsInvalid(RuleSink rules, int errno) {
        rules.fire(Rules.TASK_RESTRICTIONS_INVALID, -errno);
        return errno;
    }

    /** {@code io_register_enable_rings}. */
    private int enableRings(ModelRing r) {
        // io_register_enable_rings: ring not disabled -> -EBADFD
        if (!r.has(IORING_SETUP_R_DISABLED)) {
            r.rules().fire(Rules.ENABLE_RINGS_NOT_DISABLED, 0);
            return -EBADFD;
        }
        // io_register_enable_rings: the caller becomes the SINGLE_ISSUER submitter task
        r.enable(r.kernel().currentTask());
        return 0;
    }
}
