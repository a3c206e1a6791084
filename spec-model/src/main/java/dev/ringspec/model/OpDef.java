package dev.ringspec.model;

import static dev.ringspec.uapi.Errno.EOPNOTSUPP;

import java.lang.foreign.MemorySegment;
import java.util.Objects;

/**
 * One entry of the opcode table ({@code struct io_issue_def} of io_uring/opdef.c): the opcode's flags, which
 * io_init_req and the issue path consult, and its {@link Prep} and {@link Issue}. An opcode reaches the ring only
 * through the {@link IssueContext} it is handed, so it can live in another module: give the entries to
 * {@link KernelProfile.Builder#opcode}.
 *
 * @param opcode the {@code IORING_OP_*} number, below the profile's {@code opLast}
 * @param name the kernel's name for it, for example {@code "NOP"}
 * @param flags {@link #NEEDS_FILE}, {@link #IOPRIO}, {@link #BUFFER_SELECT}, {@link #POLLIN}, {@link #POLLOUT},
 *     {@link #IOPOLL}, {@link #SQE128}, {@link #NOT_SUPPORTED}, {@link #ISSUE_FINDS_FILE}, {@link #HASH_REG_FILE},
 *     {@link #UNBOUND_NONREG_FILE}, {@link #POLL_EXCLUSIVE}
 * @param prep {@code def->prep}: reads the request's SQE fields once, in init; null for an opcode the model knows
 *     by number only (valid, but not executable: io_init_req then throws)
 * @param issue {@code def->issue}
 * @param filterPduSize {@code def->filter_pdu_size} (7.0+): how many bytes of the BPF filter context's union the
 *     opcode fills, 0 for none; what {@code IORING_REGISTER_BPF_FILTER} expects and writes back as {@code pdu_size}
 * @param filterPopulate {@code def->filter_populate}: fills those bytes from the request its prep read; null
 *     exactly when {@code filterPduSize} is 0
 */
public record OpDef(int opcode, String name, int flags, Prep prep, Issue issue, int filterPduSize,
        FilterPopulate filterPopulate) {
    /** {@code needs_file}: the request's {@code fd} names a file, looked up (fixed or not) before issue. */
    public static final int NEEDS_FILE = 1;
    /** {@code ioprio}: a non-zero {@code sqe->ioprio} is allowed. */
    public static final int IOPRIO = 1 << 1;
    /** {@code buffer_select}: IOSQE_BUFFER_SELECT is allowed. */
    public static final int BUFFER_SELECT = 1 << 2;
    /** {@code pollin}: may wait for readability (poll arming). */
    public static final int POLLIN = 1 << 3;
    /** {@code pollout}: may wait for writability. */
    public static final int POLLOUT = 1 << 4;
    /** {@code iopoll}: allowed on an IOPOLL ring. */
    public static final int IOPOLL = 1 << 5;
    /** {@code is_128}: a 128-byte SQE (6.19+), which takes two positions of a SQE_MIXED ring. */
    public static final int SQE128 = 1 << 6;
    /**
     * {@code not_supported}: the opcode is compiled out ({@code io_eopnotsupp_prep}): its prep answers -EOPNOTSUPP
     * and IORING_REGISTER_PROBE does not mark it supported. What an emulator answers for what it does not implement.
     */
    public static final int NOT_SUPPORTED = 1 << 7;
    /**
     * Not a flag of the kernel's: the opcode's issue looks a process descriptor up itself, before anything else it
     * could answer, with -EBADF for none, as {@code io_assign_file} does just before {@code def->issue}. What an
     * emulator sets whose real call is that look-up (one syscall fewer per request). The model still looks up a fixed
     * file, and the file of a request with a linked timeout to arm, whose look-up comes before the timeout's prep.
     */
    public static final int ISSUE_FINDS_FILE = 1 << 8;
    /**
     * {@code hash_reg_file}: io-wq work of this opcode on a regular file is hashed by the file's inode
     * ({@code io_prep_async_work}), so io-wq runs that inode's hashed work one item at a time, in queue order
     * (io-wq.c {@code io_get_next_work}). WRITEV, WRITE_FIXED, WRITE, SPLICE, TEE and WRITEV_FIXED set it.
     */
    public static final int HASH_REG_FILE = 1 << 9;
    /**
     * {@code unbound_nonreg_file}: io-wq work of this opcode without a file, or on a file that is neither regular
     * nor a block device (a pipe, a socket), is unbound ({@code io_prep_async_work}: IO_WQ_WORK_UNBOUND): it counts
     * against the io-wq's unbound workers, not its bound ones (IORING_REGISTER_IOWQ_MAX_WORKERS caps both), and a
     * task's exit cancels it where no worker took it yet (io-wq.c {@code io_worker_handle_work}'s do_kill).
     */
    public static final int UNBOUND_NONREG_FILE = 1 << 10;
    /**
     * {@code poll_exclusive}: the poll this opcode arms when its file is not ready is exclusive
     * ({@code io_arm_poll_handler} adds EPOLLEXCLUSIVE): it waits at the tail of the file's wait queue
     * ({@code add_wait_queue_exclusive}), and a wakeup that wakes one exclusive waiter (a listener's readable wakeup:
     * {@code sock_def_readable}, nr_exclusive 1) wakes the oldest. ACCEPT alone sets it.
     */
    public static final int POLL_EXCLUSIVE = 1 << 11;

    /** {@code IOU_COMPLETE}: the issue set the result; the request completes now, with the batch. */
    public static final int COMPLETE = 0;
    /**
     * {@code IOU_ISSUE_SKIP_COMPLETE}: the opcode completes the request itself, later (through the issue
     * context's task work or from another thread).
     */
    public static final int SKIP_COMPLETE = -529;

    /** {@code def->prep}: 0, or the request's {@code -errno}. */
    @FunctionalInterface
    public interface Prep {
        int prep(Req req, IssueContext ctx);
    }

    /**
     * {@code def->issue}: {@link #COMPLETE}, {@link #SKIP_COMPLETE}, or a {@code -errno} that fails the request
     * ({@code -EAGAIN} hands it to io-wq, as when the kernel cannot arm a poll).
     */
    @FunctionalInterface
    public interface Issue {
        int issue(Req req, IssueContext ctx);
    }

    /**
     * {@code def->filter_populate}: writes the opcode's part of {@code struct io_uring_bpf_ctx} (the union at offset
     * 16 of {@code bctx}, already zeroed) from what {@code prep} read into the request.
     */
    @FunctionalInterface
    public interface FilterPopulate {
        void populate(Req req, MemorySegment bctx);
    }

    /** An entry that gives a BPF filter nothing but the context's header ({@code filter_pdu_size} 0). */
    public OpDef(int opcode, String name, int flags, Prep prep, Issue issue) {
        this(opcode, name, flags, prep, issue, 0, null);
    }

    public OpDef {
        Objects.requireNonNull(name);
        if (filterPduSize < 0 || filterPduSize > 24 || (filterPduSize == 0) != (filterPopulate == null)) {
            throw new IllegalArgumentException("a filter payload of " + filterPduSize + " bytes, populated or not: "
                    + name);
        }
        if (opcode < 0 || opcode > 0xff) {
            throw new IllegalArgumentException("an opcode is one byte: " + opcode);
        }
        if ((prep == null) != (issue == null)) {
            throw new IllegalArgumentException("an opcode has both prep and issue, or neither: " + name);
        }
    }

    /** An opcode the model knows by number only: io_init_req's generic checks, then it cannot go further. */
    public static OpDef unmodelled(int opcode, String name, int flags) {
        return new OpDef(opcode, name, flags, null, null);
    }

    /** An opcode compiled out of the kernel (see {@link #NOT_SUPPORTED}): -EOPNOTSUPP from its prep. */
    public static OpDef notSupported(int opcode, String name) {
        return new OpDef(opcode, name, NOT_SUPPORTED, (req, ctx) -> -EOPNOTSUPP,
                (req, ctx) -> {
                    throw new IllegalStateException("a compiled-out opcode is never issued: " + name);
                });
    }

    /**
     * The reference model's own entry for {@code opcode} on {@code profile} (SOCKET, CONNECT, OPENAT, OPENAT2 within
     * WORLD.md; NOP; FSYNC), or null where the model has none: for an emulator that keeps the model's prep and BPF
     * filter context and issues for real.
     */
    public static OpDef ofModel(KernelProfile profile, int opcode) {
        OpDef def = new IoIssueDefs(profile, java.util.Set.of()).def(opcode);
        return def.modelled() ? def : null;
    }

    public boolean modelled() {
        return prep != null;
    }

    public boolean has(int flag) {
        return (flags & flag) != 0;
    }
}
