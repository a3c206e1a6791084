package dev.ringspec.model;

import static dev.ringspec.uapi.Errno.EACCES;
import static dev.ringspec.uapi.Errno.EINVAL;
import static dev.ringspec.uapi.Errno.EOPNOTSUPP;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_IOPOLL;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SQE128;
import static dev.ringspec.uapi.IoUring.IOSQE_ASYNC;
import static dev.ringspec.uapi.IoUring.IOSQE_BUFFER_SELECT;
import static dev.ringspec.uapi.IoUring.IOSQE_CQE_SKIP_SUCCESS;
import static dev.ringspec.uapi.IoUring.IOSQE_FIXED_FILE;
import static dev.ringspec.uapi.IoUring.IOSQE_IO_DRAIN;
import static dev.ringspec.uapi.IoUring.IOSQE_IO_HARDLINK;
import static dev.ringspec.uapi.IoUring.IOSQE_IO_LINK;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;

import dev.ringspec.uapi.IoUringSqe;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Set;

/**
 * {@code io_init_req} (io_uring/io_uring.c, ring-semantics.md A1): reads the SQE's generic fields into the
 * request once and runs the checks in the kernel's order, then the opcode's prep. Returns 0 or the request's
 * {@code -errno}; a failed request still posts a CQE with it (see {@link SubmitSqes}).
 */
final class InitReq {
    /** {@code IOSQE_FIXED_FILE | IO_LINK | IO_HARDLINK | ASYNC}: flags that need no check in io_init_req. */
    private static final int SQE_COMMON_FLAGS = IOSQE_FIXED_FILE | IOSQE_IO_LINK | IOSQE_IO_HARDLINK | IOSQE_ASYNC;

    static {
        // SQE fields are read as whole native words and split by shifts that assume the little-endian layout of
        // x86_64 and arm64, the machines ringspec runs on.
        if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) {
            throw new ExceptionInInitializerError("the model assumes a little-endian host");
        }
    }

    // SQEs sit at fixed offsets in page-aligned regions; the unaligned layout spares the JIT an alignment check.
    private static final ValueLayout.OfLong LONG = JAVA_LONG_UNALIGNED;
    /** Where the SQE's 8-byte words sit (little-endian): {@code len} shares its word with the opcode's flags. */
    private static final long OFF_OFFSET = IoUringSqe.OFF_OFFSET;
    private static final long ADDR_OFFSET = IoUringSqe.ADDR_OFFSET;
    private static final long LEN_OFFSET = IoUringSqe.LEN_OFFSET;
    private static final long USER_DATA_OFFSET = IoUringSqe.USER_DATA_OFFSET;
    /** buf_index in bits 0-15, personality in bits 16-31. */
    private static final long BUF_INDEX_OFFSET = IoUringSqe.BUF_INDEX_OFFSET;
    private static final long ADDR3_OFFSET = IoUringSqe.ADDR3_OFFSET;

    private final KernelProfile profile;
    private final int flags;
    private final RuleSink rules;
    private final OpDef[] defs;
    private final SqRing sq;
    private final Restrictions restrictions;
    private final Drain drain;
    private final IssueContext ctx;
    private final BpfFilterRun bpfFilters;
    private final boolean mWrongErrnoInvalidOpcode;
    private final boolean mFilterBeforePrep;
    private final boolean mDrainNotRefusedAfterSkip;
    private MemorySegment sqes;
    private int sqeShift;
    /** Where the SQE being prepared sits in {@link #sqes}, for {@link #sqeLong}. */
    private long sqeAt;

    InitReq(KernelProfile profile, IoIssueDefs defs, int flags, RuleSink rules, SqRing sq, Restrictions restrictions,
            Drain drain, IssueContext ctx, BpfFilterRun bpfFilters, Set<Mutant> mutants) {
        this.profile = profile;
        this.defs = defs.table();
        this.flags = flags;
        this.rules = rules;
        this.sq = sq;
        this.restrictions = restrictions;
        this.drain = drain;
        this.ctx = ctx;
        this.bpfFilters = bpfFilters;
        this.mFilterBeforePrep = mutants.contains(Mutant.BPF_FILTER_BEFORE_PREP);
        this.mWrongErrnoInvalidOpcode = mutants.contains(Mutant.WRONG_ERRNO_INVALID_OPCODE);
        this.mDrainNotRefusedAfterSkip = mutants.contains(Mutant.DRAIN_NOT_REFUSED_AFTER_SKIP);
    }

    void remap(Regions regions) {
        this.sqes = regions.sqes();
        this.sqeShift = regions.sqeShift();
    }

    /**
     * {@code io_init_req}: the checks in the kernel's order; 0 or the request's {@code -errno}. Rare checks live in
     * small methods of their own, so this one stays small enough for the JIT to inline into the submit loop (the
     * model's NOP rate depends on it: {@code benchmarks/compare-model.sh}).
     */
    int initReq(Req req, int sqeIndex) {
        // The SQE's generic words, each read once as the kernel's READ_ONCEs read each field once, straight into the
        // request: not through a copy into an array (a bulk copy goes through a stub whose wide stores stall the
        // loads that follow), and before any check, so the checks below hold nothing but the request (two calls:
        // fewer words held at once while each read is bounds-checked).
        MemorySegment s = sqes;
        long at = (long) sqeIndex << sqeShift;
        req.init(s.get(LONG, at), s.get(LONG, at + USER_DATA_OFFSET));
        req.initFields(s.get(LONG, at + OFF_OFFSET), s.get(LONG, at + ADDR_OFFSET), s.get(LONG, at + LEN_OFFSET),
                s.get(LONG, at + BUF_INDEX_OFFSET));
        req.initAddr3(s.get(LONG, at + ADDR3_OFFSET), s.get(LONG, at + ADDR3_OFFSET + 8));
        int opcode = req.opcode();
        // io_init_req: opcode >= IORING_OP_LAST -> -EINVAL (req->opcode reset to 0); the table has IORING_OP_LAST
        // entries, so this check is also the index's
        OpDef[] table = defs;
        if (opcode >= table.length) {
            return unknownOpcode(req, opcode);
        }
        OpDef def = table[opcode];
        req.def(def);
        // io_init_req: the rare cases first tested together (as the kernel tests restricted || drain_active ||
        // drain_next under one unlikely()), then each in the kernel's order: a 128-byte opcode, SQE flags beyond the
        // common ones, restrictions, drain. Each test on the hot path is one more deoptimisation exit in the
        // compiled submit loop; few of them keep it small enough for the JIT to inline whole.
        int ret;
        if (((def.flags() & OpDef.SQE128 | req.flags() & ~SQE_COMMON_FLAGS) != 0
                || restrictions.enforcedOnSqes() | drain.slowPath())
                && (ret = initRare(req, def, sqeIndex)) != 0) {
            return ret;
        }
        if (!def.modelled()) {
            throw notModelled(opcode);
        }
        // io_init_req: ioprio, iopoll and personality tested together (each is rare), then each in the kernel's order
        if ((req.ioprio() | req.personality() | flags & IORING_SETUP_IOPOLL) != 0
                && (ret = initPrioPollPersonality(req, def)) != 0) {
            return ret;
        }
        // mutant BPF_FILTER_BEFORE_PREP: the filters judge the request before its prep (on an empty payload)
        if (mFilterBeforePrep && bpfFilters.any() && (ret = bpfFilters.run(req, false)) != 0) {
            return ret;
        }
        // io_init_req: def->prep
        sqeAt = at;
        return def.prep().prep(req, ctx);
    }

    /** See {@link IssueContext#sqeLong}: a word of the SQE being prepared. */
    long sqeLong(int offset) {
        if (offset < 0 || offset > (1 << sqeShift) - 8 || (offset & 7) != 0) {
            throw new IllegalArgumentException("no SQE word at byte " + offset);
        }
        return sqes.get(LONG, sqeAt + offset);
    }

    /** {@code io_init_req}'s rare checks, in the kernel's order; 0 or the request's {@code -errno}. */
    private int initRare(Req req, OpDef def, int sqeIndex) {
        int sqeFlags = req.flags();
        int ret;
        // io_init_req (6.19+): a 128-byte opcode on a ring without SQE128 needs SQE_MIXED, both halves within
        // to_submit and not the last physical slot; it then takes two ring positions
        if (def.has(OpDef.SQE128) && (flags & IORING_SETUP_SQE128) == 0 && (ret = initSqe128(req, sqeIndex)) != 0) {
            return ret;
        }
        if ((sqeFlags & ~SQE_COMMON_FLAGS) != 0 && (ret = initUncommonFlags(req, def, sqeFlags)) != 0) {
            return ret;
        }
        // read after the flags: IOSQE_IO_DRAIN has just started a drain
        if (restrictions.enforcedOnSqes() || drain.slowPath()) {
            return initRestrictedOrDraining(req, req.opcode(), sqeFlags);
        }
        return 0;
    }

    private int unknownOpcode(Req req, int opcode) {
        rules.fire(Rules.INIT_REQ_UNKNOWN_OPCODE, opcode);
        req.resetOpcode();
        return mWrongErrnoInvalidOpcode ? -EOPNOTSUPP : -EINVAL;
    }

    private int initSqe128(Req req, int sqeIndex) {
        if (!sq.takeSecondHalf(sqeIndex)) {
            rules.fire(Rules.INIT_REQ_SQE128_NO_ROOM, req.userData());
            return -EINVAL;
        }
        rules.fire(Rules.INIT_REQ_SQE128_TWO_POSITIONS, req.userData());
        return 0;
    }

    /** {@code io_init_req}, the slow block for restricted rings and while draining. */
    private int initRestrictedOrDraining(Req req, int opcode, int sqeFlags) {
        // io_init_req: io_check_restriction -> -EACCES
        if (restrictions.enforcedOnSqes() && !restrictions.checkSqe(opcode, sqeFlags)) {
            rules.fire(Rules.CHECK_RESTRICTION, req.userData());
            return -EACCES;
        }
        drain.initReq(req);
        return 0;
    }

    /** {@code io_init_req}, after the opcode is known: ioprio, iopoll, personality, in that order. */
    private int initPrioPollPersonality(Req req, OpDef def) {
        // io_init_req: ioprio on an opcode without ioprio support -> -EINVAL
        if (req.ioprio() != 0 && !def.has(OpDef.IOPRIO)) {
            rules.fire(Rules.INIT_REQ_IOPRIO, req.userData());
            return -EINVAL;
        }
        // io_init_req: an opcode without iopoll support on an IOPOLL ring -> -EINVAL
        if ((flags & IORING_SETUP_IOPOLL) != 0 && !def.has(OpDef.IOPOLL)) {
            rules.fire(Rules.INIT_REQ_IOPOLL, req.userData());
            return -EINVAL;
        }
        // io_init_req: an unknown personality (bytes 42-43) -> -EINVAL (the model registers none)
        if (req.personality() != 0) {
            rules.fire(Rules.INIT_REQ_PERSONALITY, req.userData());
            return -EINVAL;
        }
        return 0;
    }

    /** {@code io_init_req}, the checks for SQE flags beyond the common ones (kept apart: the hot path has none). */
    private int initUncommonFlags(Req req, OpDef def, int sqeFlags) {
        // io_init_req: unknown SQE flags -> -EINVAL
        if ((sqeFlags & ~profile.sqeFlags()) != 0) {
            rules.fire(Rules.INIT_REQ_UNKNOWN_SQE_FLAGS, req.userData());
            return -EINVAL;
        }
        // io_init_req: IOSQE_BUFFER_SELECT on an opcode without buffer_select -> -EOPNOTSUPP
        if ((sqeFlags & IOSQE_BUFFER_SELECT) != 0) {
            if (!def.modelled()) {
                throw notModelled(def.opcode());
            }
            if (!def.has(OpDef.BUFFER_SELECT)) {
                rules.fire(Rules.INIT_REQ_BUFFER_SELECT, req.userData());
                return -EOPNOTSUPP;
            }
        }
        // io_init_req: CQE_SKIP_SUCCESS disables drain for good, before the drain check
        if ((sqeFlags & IOSQE_CQE_SKIP_SUCCESS) != 0) {
            drain.disable();
        }
        if ((sqeFlags & IOSQE_IO_DRAIN) != 0) {
            // io_init_req: IOSQE_IO_DRAIN after any CQE_SKIP_SUCCESS -> -EOPNOTSUPP
            if (drain.disabled() && !mDrainNotRefusedAfterSkip) {
                rules.fire(Rules.INIT_REQ_DRAIN_DISABLED, req.userData());
                return -EOPNOTSUPP;
            }
            drain.initDrain(req);
        }
        return 0;
    }

    private UnsupportedOperationException notModelled(int opcode) {
        rules.fire(Rules.OPCODE_NOT_MODELLED, opcode);
        return new UnsupportedOperationException("opcode " + opcode + " is valid but not modelled: the model "
                + "executes NOP (and NOP128) and the opcodes its profile brings; generators must not send other "
                + "opcodes past io_init_req's generic checks");
    }
}
