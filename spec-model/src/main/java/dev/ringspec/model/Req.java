package dev.ringspec.model;

import static dev.ringspec.uapi.IoUring.IOSQE_ASYNC;
import static dev.ringspec.uapi.IoUring.IOSQE_IO_HARDLINK;
import static dev.ringspec.uapi.IoUring.IOSQE_IO_LINK;

/**
 * A request, {@code struct io_kiocb}: the generic fields io_init_req reads from the SQE, the result its CQE will
 * carry, the link to the next request of its chain, and one slot for an opcode's own state ({@link #opState}).
 * Pooled per ring: the hot path reuses them, so an opcode must not keep a request after it completed.
 *
 * <p>{@link #flags()} holds the request's {@code REQ_F_*} flags: the low 8 bits are the SQE's {@code IOSQE_*}
 * flags, as in the kernel, the bits above are the model's share of the kernel's private ones.
 */
public final class Req {
    static final int REQ_F_FAIL = 1 << 8;
    static final int REQ_F_SKIP_LINK_CQES = 1 << 9;
    /** A LINK_TIMEOUT follows this request: its timer starts when this request is issued. */
    static final int REQ_F_ARM_LTIMEOUT = 1 << 10;
    /** This request was issued and its LINK_TIMEOUT's timer runs: its completion disarms it. */
    static final int REQ_F_LINK_TIMEOUT = 1 << 11;
    static final int REQ_F_LINK_FLAGS = IOSQE_IO_LINK | IOSQE_IO_HARDLINK;
    static final int REQ_F_FORCE_ASYNC = IOSQE_ASYNC;

    // What task work does with a request when it runs (req->io_task_work.func).
    static final int TW_ISSUE = 1; // io_req_task_submit
    static final int TW_COMPLETE = 2; // io_req_task_complete
    static final int TW_FAIL_LINKS = 3; // io_req_tw_fail_links
    static final int TW_FUNC = 5; // an opcode's own function (IssueContext#taskWork)

    private int opcode;
    private int flags;
    private long userData;
    // The SQE's generic words as io_init_req read them (little-endian): decoded by the accessors, so init stores
    // five words instead of eight fields.
    private long word0;
    private long off;
    private long addr;
    private long lenWord;
    private long bufWord;

    private int res;
    private int cqeFlags;
    private boolean big;
    private long big0;
    private long big1;

    private OpDef def;
    private Req link;
    private int twAction;
    private OpDef.Issue twFunc;
    private Object opState;
    private long addr3;
    private long word56;
    /** {@code req->file} of a process descriptor: the reference {@link ProcessDescriptorTable#get} gave, or -1. */
    private int file = -1;
    /** The task that submitted it ({@code req->tctx}), as {@link ModelIoUring#withTaskKey} keys it. */
    private Object task;
    /** The submitting task's io_uring state ({@code req->tctx}), whose list its task work joins; null: the model's. */
    private IoUringTask tctx;
    /** Whether {@code req->file} is set: an issue ran {@code io_assign_file} ({@link #fileAssigned()}). */
    private boolean fileAssigned;

    Req() {
    }

    /** io_init_req's first reads: the SQE's first word (opcode, flags, ioprio, fd; little-endian) and user_data. */
    void init(long sqeWord0, long sqeUserData) {
        this.opcode = (int) sqeWord0 & 0xff;
        this.flags = (int) (sqeWord0 >>> 8) & 0xff;
        this.word0 = sqeWord0;
        this.userData = sqeUserData;
    }

    /**
     * The rest of the generic fields as the SQE's little-endian words: {@code off}, {@code addr}, {@code lenWord}
     * (len, op_flags) and {@code bufWord} (buf_index, personality).
     */
    void initFields(long sqeOff, long sqeAddr, long sqeLenWord, long sqeBufWord) {
        this.off = sqeOff;
        this.addr = sqeAddr;
        this.lenWord = sqeLenWord;
        this.bufWord = sqeBufWord;
    }

    /**
     * The SQE's words at bytes 48 and 56: {@code addr3} ({@code MSG_RING}'s source slot; zero where an opcode needs
     * it 0) and the last word ({@code __pad2[0]}, read/write's {@code attr_type_mask} from 6.14).
     */
    void initAddr3(long sqeAddr3, long sqeWord56) {
        this.addr3 = sqeAddr3;
        this.word56 = sqeWord56;
    }

    /** Back to a pooled request. */
    void reset() {
        // link and opState are mostly null already: skip the reference stores and their GC barriers
        if (link != null) {
            link = null;
        }
        flags = 0;
        res = 0;
        cqeFlags = 0;
        big = false;
        big0 = 0;
        big1 = 0;
        twAction = 0;
        fileAssigned = false;
        if (tctx != null) {
            tctx = null;
        }
        if (twFunc != null) {
            twFunc = null;
        }
        if (opState != null) {
            opState = null;
        }
    }

    public int opcode() {
        return opcode;
    }

    /** The key of the task that submitted this request, or {@code null} for one the model made itself. */
    public Object task() {
        return task;
    }

    /** {@code req->tctx}: the submitting task's io_uring state, or null for a request the model made. */
    IoUringTask tctx() {
        return tctx;
    }

    void tctx(IoUringTask task) {
        if (tctx != task) {
            tctx = task;
        }
    }

    /** The submitting task: set for each request taken from the SQ (most often the same key again: no store). */
    void task(Object key) {
        if (task != key) {
            task = key;
        }
    }

    /** The opcode's table entry, set by io_init_req once the opcode is known to be valid. */
    OpDef def() {
        return def;
    }

    void def(OpDef entry) {
        // A pooled request mostly runs the same opcode again: skip the reference store and its GC barrier.
        if (def != entry) {
            this.def = entry;
        }
    }

    void resetOpcode() {
        opcode = 0;
    }

    /** {@code req->flags}: the IOSQE_* bits of the SQE, and the model's REQ_F_* bits above them. */
    public int flags() {
        return flags;
    }

    public long userData() {
        return userData;
    }

    void userData(long newUserData) {
        this.userData = newUserData;
    }

    public int ioprio() {
        return (short) (word0 >>> 16);
    }

    /** {@code sqe->fd}. */
    public int fd() {
        return (int) (word0 >>> 32);
    }

    /** {@code sqe->off} (also {@code addr2}). */
    public long off() {
        return off;
    }

    /** {@code sqe->addr}. */
    public long addr() {
        return addr;
    }

    /** {@code sqe->len}. */
    public int len() {
        return (int) lenWord;
    }

    /** The opcode's flags word at byte 28 ({@code rw_flags}, {@code nop_flags}, ... in the union). */
    public int opFlags() {
        return (int) (lenWord >>> 32);
    }

    /** {@code sqe->buf_index}. */
    public int bufIndex() {
        return (int) bufWord & 0xffff;
    }

    public int personality() {
        return (int) (bufWord >>> 16) & 0xffff;
    }

    /** The word at byte 48: {@code addr3}. */
    public long addr3() {
        return addr3;
    }

    /** The word at byte 56: {@code attr_type_mask} for read and write (6.14 on), {@code __pad2[0]} elsewhere. */
    public long word56() {
        return word56;
    }

    /** The word at byte 44: {@code file_index}, {@code splice_fd_in}, {@code addr_len} in the union. */
    public int fileIndex() {
        return (int) (bufWord >>> 32);
    }

    /** The opcode's own state: whatever its prep put here, cleared when the request is freed. */
    public Object opState() {
        return opState;
    }

    public void opState(Object state) {
        this.opState = state;
    }

    void addFlags(int bits) {
        flags |= bits;
    }

    void clearFlags(int bits) {
        flags &= ~bits;
    }

    boolean has(int bits) {
        return (flags & bits) != 0;
    }

    int res() {
        return res;
    }

    int cqeFlags() {
        return cqeFlags;
    }

    boolean big() {
        return big;
    }

    long big0() {
        return big0;
    }

    long big1() {
        return big1;
    }

    /** {@code io_req_set_res}: a 16-byte CQE's result and flags. */
    void setRes(int result, int cflags) {
        this.res = result;
        this.cqeFlags = cflags;
        this.big = false;
    }

    /** {@code io_req_set_res32}: a result with the 16 extra bytes of a 32-byte CQE. */
    void setRes32(int result, int cflags, long extra1, long extra2) {
        this.res = result;
        this.cqeFlags = cflags;
        this.big = true;
        this.big0 = extra1;
        this.big1 = extra2;
    }

    Req link() {
        return link;
    }

    /** Whether a request of its chain is linked behind it ({@code req->link}): one its failure fails. */
    public boolean linked() {
        return link != null;
    }

    void link(Req next) {
        this.link = next;
    }

    int twAction() {
        return twAction;
    }

    void twAction(int action) {
        this.twAction = action;
    }

    OpDef.Issue twFunc() {
        return twFunc;
    }

    void twFunc(OpDef.Issue func) {
        this.twFunc = func;
    }

    /**
     * Whether {@code req->file} is set: io_init_req leaves it NULL and only an issue sets it ({@code io_issue_sqe} ->
     * {@code io_assign_file}), so a request that goes to io-wq without one (REQ_F_FORCE_ASYNC: IOSQE_ASYNC, an
     * opcode whose prep forces it, a drain; the members of a chain punted whole) reaches {@code io_prep_async_work}
     * with none, where io-wq's hash and bound/unbound choice look at the file (io_uring/io_uring.c, 6.18).
     */
    public boolean fileAssigned() {
        return fileAssigned;
    }

    void fileAssigned(boolean assigned) {
        this.fileAssigned = assigned;
    }

    /** The reference to its process descriptor's file the request holds, or -1 (none, or a fixed file). */
    int file() {
        return file;
    }

    void file(int reference) {
        this.file = reference;
    }

    @Override
    public String toString() {
        return "req opcode " + opcode + " user_data " + userData;
    }
}
