package dev.ringspec.lockstep;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import dev.ringspec.seam.FlagNames;
import dev.ringspec.seam.SqeFields;
import dev.ringspec.uapi.IoUring;

/**
 * One step an application can take on one ring. Steps are positional only through the ring's own counters
 * ({@link PublishTail}, {@link MoveCqHead} and {@link MoveSqHead} are relative), so any subsequence of a valid sequence is still a
 * sequence the runner can execute: that is what makes shrinking by deletion sound.
 *
 * <p>Every step is deterministic on any backend that follows the kernel's rules: NOP-centred SQEs, no real I/O;
 * the runner refuses (on both sides alike) the few enters that would hand work to io-wq or wait forever. Runs with
 * real I/O add {@link Outside} and {@link WriteIo}, whose timing the runner waits out (see the package).
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "op")
@JsonSubTypes({
    @JsonSubTypes.Type(value = Step.Setup.class, name = "setup"),
    @JsonSubTypes.Type(value = Step.WriteSqe.class, name = "writeSqe"),
    @JsonSubTypes.Type(value = Step.WriteSqe128.class, name = "writeSqe128"),
    @JsonSubTypes.Type(value = Step.WriteArray.class, name = "writeArray"),
    @JsonSubTypes.Type(value = Step.PublishTail.class, name = "publishTail"),
    @JsonSubTypes.Type(value = Step.Enter.class, name = "enter"),
    @JsonSubTypes.Type(value = Step.ConsumeCqes.class, name = "consumeCqes"),
    @JsonSubTypes.Type(value = Step.MoveCqHead.class, name = "moveCqHead"),
    @JsonSubTypes.Type(value = Step.MoveSqHead.class, name = "moveSqHead"),
    @JsonSubTypes.Type(value = Step.RegisterFiles.class, name = "registerFiles"),
    @JsonSubTypes.Type(value = Step.UpdateFiles.class, name = "updateFiles"),
    @JsonSubTypes.Type(value = Step.UnregisterFiles.class, name = "unregisterFiles"),
    @JsonSubTypes.Type(value = Step.RegisterBuffers.class, name = "registerBuffers"),
    @JsonSubTypes.Type(value = Step.UnregisterBuffers.class, name = "unregisterBuffers"),
    @JsonSubTypes.Type(value = Step.EnableRings.class, name = "enableRings"),
    @JsonSubTypes.Type(value = Step.Resize.class, name = "resize"),
    @JsonSubTypes.Type(value = Step.Probe.class, name = "probe"),
    @JsonSubTypes.Type(value = Step.OnOtherThread.class, name = "onOtherThread"),
    @JsonSubTypes.Type(value = Step.ForkTask.class, name = "forkTask"),
    @JsonSubTypes.Type(value = Step.SetNoNewPrivs.class, name = "setNoNewPrivs"),
    @JsonSubTypes.Type(value = Step.RegisterTaskRestrictions.class, name = "registerTaskRestrictions"),
    @JsonSubTypes.Type(value = Step.RegisterBpfFilter.class, name = "registerBpfFilter"),
    @JsonSubTypes.Type(value = Step.RegisterTaskBpfFilter.class, name = "registerTaskBpfFilter"),
    @JsonSubTypes.Type(value = Step.WriteSocket.class, name = "writeSocket"),
    @JsonSubTypes.Type(value = Step.WriteOpenat.class, name = "writeOpenat"),
    @JsonSubTypes.Type(value = Step.WriteOpenat2.class, name = "writeOpenat2"),
    @JsonSubTypes.Type(value = Step.WriteConnect.class, name = "writeConnect"),
    @JsonSubTypes.Type(value = Step.Outside.class, name = "outside"),
    @JsonSubTypes.Type(value = Step.WriteIo.class, name = "writeIo"),
})
public sealed interface Step {

    /** A readable one-line form for reports. */
    String describe();

    /** The step itself, or for {@link OnOtherThread} the syscall it runs on the other thread. */
    default Step effective() {
        return this instanceof OnOtherThread(Step inner) ? inner : this;
    }

    /** A step that is one syscall on the ring: it may run on the other thread ({@link OnOtherThread}). */
    sealed interface Syscall extends Step {
    }

    /**
     * {@code io_uring_setup(entries, {flags, cq_entries})}; closes the run's current ring first. {@code cqEntries}
     * is passed as given (the kernel reads it only under {@code IORING_SETUP_CQSIZE}).
     */
    record Setup(int entries, int flags, int cqEntries) implements Step {
        @Override
        public String describe() {
            return "setup(entries " + entries + ", flags " + FlagNames.setup(flags) + ", cq " + cqEntries + ")";
        }

    }

    /** Writes a whole SQE at SQE index {@code slot & (sqEntries - 1)}; the other bytes are zeroed. */
    record WriteSqe(int slot, int opcode, int flags, int ioprio, int fd, long off, long addr, int len, int opFlags,
            long userData, int bufIndex, int personality) implements Step {

        public WriteSqe(int slot, SqeFields sqe) {
            this(slot, sqe.opcode(), sqe.flags(), sqe.ioprio(), sqe.fd(), sqe.off(), sqe.addr(), sqe.len(),
                    sqe.opFlags(), sqe.userData(), sqe.bufIndex(), sqe.personality());
        }

        /** A NOP with the given SQE flags, NOP flags, injected result and user_data. */
        public static WriteSqe nop(int slot, int flags, int nopFlags, int len, long userData) {
            return new WriteSqe(slot, SqeFields.nop(userData).withFlags(flags).withOpFlags(nopFlags).withLen(len));
        }

        /** The SQE this step writes. */
        public SqeFields sqe() {
            return new SqeFields(opcode, flags, ioprio, fd, off, addr, len, opFlags, userData, bufIndex, personality);
        }

        @Override
        public String describe() {
            return describeSqe("writeSqe", slot, sqe());
        }

    }

    /**
     * Writes a whole 128-byte SQE at SQE index {@code slot & (sqEntries - 1)}, as an application does for a 128-byte
     * opcode (NOP128) on an {@code IORING_SETUP_SQE_MIXED} ring: the fields in the first 64 bytes, then 64 bytes
     * (the next slot) that NOP128 never reads: zero but for bytes 32 to 39, where an SQE's user_data sits, which
     * hold {@link #secondHalfUserData}, so a second half submitted as an SQE of its own is told apart in its CQE. In
     * the last slot the second half would lie past the SQE array, so only the first is written (the kernel refuses a
     * 128-byte SQE there before it reads the rest: io_init_req, -EINVAL). On an {@code IORING_SETUP_SQE128} ring
     * every slot is 128 bytes.
     */
    record WriteSqe128(int slot, int opcode, int flags, int ioprio, int fd, long off, long addr, int len, int opFlags,
            long userData, int bufIndex, int personality) implements Step {
        /** Where in the 128 bytes the second half begins. */
        public static final long SECOND_HALF_OFFSET = 64;

        /** The second half's user_data word: the SQE's user_data with every bit flipped. */
        public static long secondHalfUserData(long userData) {
            return ~userData;
        }

        public WriteSqe128(int slot, SqeFields sqe) {
            this(slot, sqe.opcode(), sqe.flags(), sqe.ioprio(), sqe.fd(), sqe.off(), sqe.addr(), sqe.len(),
                    sqe.opFlags(), sqe.userData(), sqe.bufIndex(), sqe.personality());
        }

        /** The SQE this step writes (its first 64 bytes). */
        public SqeFields sqe() {
            return new SqeFields(opcode, flags, ioprio, fd, off, addr, len, opFlags, userData, bufIndex, personality);
        }

        @Override
        public String describe() {
            return describeSqe("writeSqe128", slot, sqe());
        }

    }

    /** {@code kind(slot N: OPCODE, the fields that are not zero, ud U)}. */
    private static String describeSqe(String kind, int slot, SqeFields sqe) {
        StringBuilder b = new StringBuilder(kind).append("(slot ").append(slot).append(": ");
        b.append(switch (sqe.opcode()) {
            case IoUring.IORING_OP_NOP -> "NOP";
            case IoUring.IORING_OP_NOP128 -> "NOP128";
            default -> "opcode " + sqe.opcode();
        });
        if (sqe.flags() != 0) {
            b.append(", flags ").append(FlagNames.sqe(sqe.flags()));
        }
        if (sqe.opFlags() != 0) {
            b.append(", nop_flags ").append(FlagNames.nop(sqe.opFlags()));
        }
        if (sqe.len() != 0) {
            b.append(", len ").append(sqe.len());
        }
        if (sqe.ioprio() != 0) {
            b.append(", ioprio ").append(sqe.ioprio());
        }
        if (sqe.fd() != 0) {
            b.append(", fd ").append(sqe.fd());
        }
        if (sqe.off() != 0 || sqe.addr() != 0) {
            b.append(", off 0x").append(Long.toHexString(sqe.off())).append(", addr 0x")
                    .append(Long.toHexString(sqe.addr()));
        }
        if (sqe.bufIndex() != 0) {
            b.append(", buf_index ").append(sqe.bufIndex());
        }
        if (sqe.personality() != 0) {
            b.append(", personality ").append(sqe.personality());
        }
        return b.append(", ud ").append(sqe.userData()).append(")").toString();
    }

    /** Writes SQ array entry {@code position & (sqEntries - 1)} (any value, valid index or not). */
    record WriteArray(int position, int value) implements Step {
        @Override
        public String describe() {
            return "writeArray(position " + position + " = " + value + ")";
        }

    }

    /** Publishes the SQ tail at {@code tail + delta} (store-release). */
    record PublishTail(int delta) implements Step {
        @Override
        public String describe() {
            return "publishTail(+" + delta + ")";
        }

    }

    /** {@code io_uring_enter(ring, toSubmit, minComplete, flags, NULL, 0)}. */
    record Enter(int toSubmit, int minComplete, int flags) implements Syscall {
        @Override
        public String describe() {
            return "enter(to_submit " + toSubmit + ", min_complete " + minComplete + ", flags "
                    + ((flags & IoUring.IORING_ENTER_GETEVENTS) != 0 ? "GETEVENTS" : "0")
                    + ((flags & ~IoUring.IORING_ENTER_GETEVENTS) != 0
                            ? "|0x" + Integer.toHexString(flags & ~IoUring.IORING_ENTER_GETEVENTS) : "")
                    + ")";
        }

    }

    /**
     * Consumes {@code count} CQEs from the head (as an application reaps them): a 32-byte CQE on a CQE_MIXED ring
     * ({@code IORING_CQE_F_32}) advances the head by two slots, unless {@code perSlot} (an application that ignores
     * {@code IORING_CQE_F_32} and advances one slot per CQE). Stops at the tail.
     */
    record ConsumeCqes(int count, boolean perSlot) implements Step {
        public ConsumeCqes(int count) {
            this(count, false);
        }

        @Override
        public String describe() {
            return "consumeCqes(" + count + (perSlot ? ", one slot each, ignoring F_32" : "") + ")";
        }

    }

    /** Stores the CQ head at {@code head + delta}, whatever the tail: a misbehaving application. */
    record MoveCqHead(int delta) implements Step {
        @Override
        public String describe() {
            return "moveCqHead(" + (delta >= 0 ? "+" : "") + delta + ")";
        }

    }

    /**
     * Stores the SQ head at {@code head + delta}: a misbehaving application writing a word only the kernel should
     * write. The kernel submits from its own cached head and overwrites the field at the next submission; a resize
     * reads it back (io_register_resize_rings copies the SQEs from it to the tail).
     */
    record MoveSqHead(int delta) implements Step {
        @Override
        public String describe() {
            return "moveSqHead(" + (delta >= 0 ? "+" : "") + delta + ")";
        }

    }

    /**
     * {@code IORING_REGISTER_FILES2} with {@code IORING_RSRC_REGISTER_SPARSE} ({@code sparse}), or
     * {@code IORING_REGISTER_FILES} with {@code count} descriptors chosen by {@link FileTable#fd}.
     */
    record RegisterFiles(int count, boolean sparse, int pattern) implements Syscall {
        @Override
        public String describe() {
            return sparse ? "registerFiles(sparse " + count + ")"
                    : "registerFiles(" + FileTable.describe(count, pattern) + ")";
        }

    }

    /** {@code IORING_REGISTER_FILES_UPDATE} at {@code offset} with {@code count} descriptors. */
    record UpdateFiles(int offset, int count, int pattern) implements Syscall {
        @Override
        public String describe() {
            return "updateFiles(offset " + offset + ": " + FileTable.describe(count, pattern) + ")";
        }

    }

    /** {@code IORING_UNREGISTER_FILES}. */
    record UnregisterFiles() implements Syscall {
        @Override
        public String describe() {
            return "unregisterFiles()";
        }

    }

    /** {@code IORING_REGISTER_BUFFERS} with {@code count} iovecs of {@code lengthBytes} each, from user memory. */
    record RegisterBuffers(int count, int lengthBytes) implements Syscall {
        @Override
        public String describe() {
            return "registerBuffers(" + count + " x " + lengthBytes + " bytes)";
        }

    }

    /** {@code IORING_UNREGISTER_BUFFERS}. */
    record UnregisterBuffers() implements Syscall {
        @Override
        public String describe() {
            return "unregisterBuffers()";
        }

    }

    /** {@code IORING_REGISTER_ENABLE_RINGS}. */
    record EnableRings() implements Syscall {
        @Override
        public String describe() {
            return "enableRings()";
        }

    }

    /**
     * {@code IORING_REGISTER_RESTRICTIONS} on the ring: {@code nrArgs} 16-byte {@code io_uring_restriction}
     * entries, the first two from {@code pattern} as in {@link RegisterTaskRestrictions}, the rest zero
     * ({@code REGISTER_OP 0}). Allowed once, on an R_DISABLED ring; from 7.0 the SQE and register halves of the set
     * apply each on its own.
     */
    record RegisterRestrictions(int nrArgs, int pattern) implements Syscall {
        @Override
        public String describe() {
            return "registerRestrictions(" + RegisterTaskRestrictions.entries(nrArgs, pattern) + ")";
        }
    }

    /** {@code IORING_REGISTER_RESIZE_RINGS} with {@code {sq_entries, cq_entries, flags}}. */
    record Resize(int sqEntries, int cqEntries, int flags) implements Syscall {
        @Override
        public String describe() {
            return "resize(sq " + sqEntries + ", cq " + cqEntries + ", flags " + FlagNames.setup(flags) + ")";
        }

    }

    /**
     * {@code IORING_REGISTER_PROBE} with {@code nrArgs}: the argument is a zeroed {@code io_uring_probe} with room
     * for {@code min(nrArgs, }{@value #MAX_OPS}{@code )} ops ({@code 16 + 8 * that} bytes).
     */
    record Probe(int nrArgs) implements Step {
        /** The most op slots the runner allocates: the kernel refuses more than 256 before it caps the count. */
        public static final int MAX_OPS = 256;

        /** The argument's size in bytes. */
        public long argBytes() {
            return 16L + 8L * Math.min(Math.max(nrArgs, 0), MAX_OPS);
        }

        @Override
        public String describe() {
            return "probe(nr_args " + nrArgs + ")";
        }

    }

    /** Runs {@code op} (an enter or a register step) on a second platform thread of the same process. */
    record OnOtherThread(Step op) implements Step {
        public OnOtherThread {
            if (!(op instanceof Syscall)) {
                throw new IllegalArgumentException("only syscalls run on the other thread, not " + op);
            }
        }

        @Override
        public String describe() {
            return "[other thread] " + op.describe();
        }

    }

    /**
     * A step on the run's task rather than on its ring: it needs no ring, never runs on the other thread, and the
     * runner gives the run thread a fresh task after a run that took one (per-task state cannot be undone).
     */
    sealed interface TaskStep extends Step {
    }

    /**
     * {@code fork(2)}: the run goes on in a child task of the current one, which inherits its no_new_privs, its
     * credentials (less CAP_SYS_ADMIN with {@code dropCapSysAdmin}) and its per-task io_uring restrictions; the ring
     * stays open, and refuses the child if it is a SINGLE_ISSUER ring of the parent.
     */
    record ForkTask(boolean dropCapSysAdmin) implements TaskStep {
        @Override
        public String describe() {
            return "forkTask(" + (dropCapSysAdmin ? "the child drops CAP_SYS_ADMIN" : "") + ")";
        }
    }

    /** {@code prctl(PR_SET_NO_NEW_PRIVS, 1)} for the run's task. */
    record SetNoNewPrivs() implements TaskStep {
        @Override
        public String describe() {
            return "setNoNewPrivs()";
        }
    }

    /**
     * {@code io_uring_register(-1, IORING_REGISTER_RESTRICTIONS, arg, nrArgs)} with a {@code struct
     * io_uring_task_restriction} of {@code flags}, {@code resv[0] = resv} and {@code nr_res = nrRes}, followed by
     * room for {@value #MAX_ENTRIES} entries: the first two from {@code pattern} (16 bits each, low half first: the
     * restriction type in the high byte, its value in the low byte), the rest zero ({@code REGISTER_OP 0}).
     */
    record RegisterTaskRestrictions(int nrArgs, int flags, int resv, int nrRes, int pattern) implements TaskStep {
        /** Entries the runner allocates room for; a larger {@code nr_res} is refused by every kernel first. */
        public static final int MAX_ENTRIES = 256;

        /** The restriction type of entry {@code i}. */
        public int type(int i) {
            return i < 2 ? (pattern >>> (16 * i + 8)) & 0xff : 0;
        }

        /** The value (register_op, sqe_op or sqe_flags) of entry {@code i}. */
        public int value(int i) {
            return i < 2 ? (pattern >>> (16 * i)) & 0xff : 0;
        }

        @Override
        public String describe() {
            StringBuilder b = new StringBuilder("registerTaskRestrictions(nr_args ").append(nrArgs);
            if (flags != 0) {
                b.append(", flags 0x").append(Integer.toHexString(flags));
            }
            if (resv != 0) {
                b.append(", resv ").append(resv);
            }
            return b.append(", nr_res ").append(nrRes).append(": ").append(entries(nrRes, pattern)).append(")")
                    .toString();
        }

        /** The first entries of {@code count} as {@code pattern} gives them: {@code [sqe_op 0, register_op 8]}. */
        static String entries(int count, int pattern) {
            RegisterTaskRestrictions p = new RegisterTaskRestrictions(1, 0, 0, count, pattern);
            StringBuilder b = new StringBuilder("[");
            for (int i = 0; i < Math.min(count, 3); i++) {
                b.append(i == 0 ? "" : ", ").append(switch (p.type(i)) {
                    case IoUring.IORING_RESTRICTION_REGISTER_OP -> "register_op ";
                    case IoUring.IORING_RESTRICTION_SQE_OP -> "sqe_op ";
                    case IoUring.IORING_RESTRICTION_SQE_FLAGS_ALLOWED -> "flags_allowed ";
                    case IoUring.IORING_RESTRICTION_SQE_FLAGS_REQUIRED -> "flags_required ";
                    default -> "type " + p.type(i) + " ";
                }).append(p.value(i));
            }
            return b.append(count > 3 ? ", ...]" : "]").toString();
        }
    }

    /**
     * The {@code struct io_uring_bpf} of a filter registration and the program it points to, as both filter steps
     * give it ({@link FilterArgs} writes it): {@code argForm} 0 points {@code filter_ptr} at {@code program},
     * 1 passes a NULL argument, 2 a NULL {@code filter_ptr}, 3 an unmapped {@code filter_ptr}; {@code resvFlags}
     * bit 0 sets {@code filter.resv[1]}, bit 1 {@code filter.resv2[4]}. {@code program} holds one
     * {@code struct sock_filter} per long ({@link BpfPrograms#code}); {@code filterLen} is passed as given, and
     * the instructions past the program are zero. Equal when every field and every instruction is.
     */
    sealed interface BpfFilterArg extends Step {
        int nrArgs();

        int argForm();

        int cmdType();

        int cmdFlags();

        int resv();

        int opcode();

        int flags();

        int filterLen();

        int pduSize();

        int resvFlags();

        long[] program();

        @Override
        default String describe() {
            return BpfPrograms.describe(this);
        }
    }

    /** {@code io_uring_register(ring, IORING_REGISTER_BPF_FILTER, arg, nrArgs)}: a filter on the ring (7.0+). */
    record RegisterBpfFilter(int nrArgs, int argForm, int cmdType, int cmdFlags, int resv, int opcode, int flags,
            int filterLen, int pduSize, int resvFlags, long[] program) implements Syscall, BpfFilterArg {
        @Override
        public boolean equals(Object o) {
            return o instanceof RegisterBpfFilter f && BpfPrograms.sameArguments(this, f);
        }

        @Override
        public int hashCode() {
            return BpfPrograms.hash(this);
        }

        @Override
        public String toString() {
            return describe();
        }
    }

    /** {@code io_uring_register(-1, IORING_REGISTER_BPF_FILTER, arg, nrArgs)}: a filter on the run's task (7.0+). */
    record RegisterTaskBpfFilter(int nrArgs, int argForm, int cmdType, int cmdFlags, int resv, int opcode, int flags,
            int filterLen, int pduSize, int resvFlags, long[] program) implements TaskStep, BpfFilterArg {
        @Override
        public boolean equals(Object o) {
            return o instanceof RegisterTaskBpfFilter f && BpfPrograms.sameArguments(this, f);
        }

        @Override
        public int hashCode() {
            return BpfPrograms.hash(this);
        }

        @Override
        public String toString() {
            return describe();
        }
    }

    /**
     * An SQE whose opcode reads memory or arguments a BPF filter's context shows (SOCKET, OPENAT, OPENAT2,
     * CONNECT, in the forms of the model's world, {@code WORLD.md}); the runner points its {@code addr} at memory
     * of its own for the SQE index ({@link FilterArgs}). Written whole at SQE index {@code slot & (sqEntries - 1)}.
     */
    sealed interface ArgSqe extends Step {
        int slot();

        long userData();
    }

    /** {@code IORING_OP_SOCKET}: {@code fd = domain, off = type, len = protocol, rw_flags, file_index}. */
    record WriteSocket(int slot, int flags, int domain, int type, int protocol, int rwFlags, int fileIndex,
            long userData) implements ArgSqe {
        @Override
        public String describe() {
            return "writeSocket(slot " + slot + ", flags " + FlagNames.sqe(flags) + ", domain " + domain + ", type 0x"
                    + Integer.toHexString(type) + ", protocol " + protocol + (rwFlags != 0 ? ", rw_flags " + rwFlags : "")
                    + ", file_index " + fileIndex + ", ud " + userData + ")";
        }
    }

    /**
     * {@code IORING_OP_OPENAT}: {@code fd = dfd, addr = } path {@code path} ({@link FilterArgs#PATHS}), {@code len
     * = mode, open_flags, file_index}.
     */
    record WriteOpenat(int slot, int flags, int dfd, int path, int openFlags, int mode, int fileIndex,
            long userData) implements ArgSqe {
        @Override
        public String describe() {
            return "writeOpenat(slot " + slot + ", flags " + FlagNames.sqe(flags) + ", dfd " + dfd + ", "
                    + FilterArgs.describePath(path) + ", open_flags 0x" + Integer.toHexString(openFlags) + ", mode 0"
                    + Integer.toOctalString(mode) + ", file_index " + fileIndex + ", ud " + userData + ")";
        }
    }

    /**
     * {@code IORING_OP_OPENAT2}: {@code fd = dfd, addr = } path {@code path}, {@code addr2 = } a {@code struct
     * open_how {flags, mode, resolve}} followed by zeroes, {@code len = howSize}, {@code file_index}.
     */
    record WriteOpenat2(int slot, int flags, int dfd, int path, long howFlags, long mode, long resolve, int howSize,
            int fileIndex, long userData) implements ArgSqe {
        @Override
        public String describe() {
            return "writeOpenat2(slot " + slot + ", flags " + FlagNames.sqe(flags) + ", dfd " + dfd + ", "
                    + FilterArgs.describePath(path) + ", how {flags 0x" + Long.toHexString(howFlags) + ", mode 0"
                    + Long.toOctalString(mode) + ", resolve 0x" + Long.toHexString(resolve) + "}, size " + howSize
                    + ", file_index " + fileIndex + ", ud " + userData + ")";
        }
    }

    /**
     * {@code IORING_OP_CONNECT} on {@code fd}: {@code addr = } a sockaddr of {@code family}, {@code port} (stored
     * big-endian) and {@code address} (stored big-endian where an IPv4 address lies, repeated over an IPv6 one and
     * the rest of the 128 bytes), {@code addr2 = addrLen}; {@code fileIndex} in {@code splice_fd_in}.
     */
    record WriteConnect(int slot, int flags, int fd, int family, int port, int address, int addrLen, int fileIndex,
            long userData) implements ArgSqe {
        @Override
        public String describe() {
            return "writeConnect(slot " + slot + ", flags " + FlagNames.sqe(flags) + ", fd " + fd + ", family "
                    + family + ", port " + port + ", address 0x" + Integer.toHexString(address) + ", addr_len "
                    + addrLen + (fileIndex != 0 ? ", splice_fd_in " + fileIndex : "") + ", ud " + userData + ")";
        }
    }

    /**
     * A step of the outside world ({@link OutsideWorld}), done to each side's own world alike: write {@code amount}
     * bytes to {@code target}, read up to {@code amount} from it, close it, shut its writing half down, connect a
     * new TCP peer to the listener, let {@code amount} milliseconds pass, truncate the data file to {@code amount}
     * bytes, or create path {@code target} with {@code amount} bytes; on the eventfd, write adds {@code amount} to
     * its count and read takes the count (the step's result); and the application registering the eventfd with its
     * ring (IORING_REGISTER_EVENTFD, or _ASYNC where {@code amount} is 1) or unregistering it.
     */
    record Outside(int action, int target, int amount) implements Step {
        public static final int WRITE = 0;
        public static final int READ = 1;
        public static final int CLOSE = 2;
        public static final int SHUTDOWN_WRITE = 3;
        public static final int CONNECT = 4;
        public static final int ADVANCE_CLOCK = 5;
        public static final int TRUNCATE = 6;
        public static final int CREATE = 7;
        /** The application registers the world's eventfd with its ring: {@code amount} 1 for the ASYNC form. */
        public static final int REGISTER_EVENTFD = 8;
        public static final int UNREGISTER_EVENTFD = 9;
        private static final String[] NAMES = {"write", "read", "close", "shutdownWrite", "connect", "advanceClock",
            "truncate", "create", "registerEventfd", "unregisterEventfd"};

        @Override
        public String describe() {
            String name = action >= 0 && action < NAMES.length ? NAMES[action] : "action " + action;
            String on = target >= 0 && target < OutsideWorld.TARGETS ? OutsideWorld.TARGET_NAMES[target]
                    : String.valueOf(target);
            return "outside." + name + "(" + on + ", " + amount + ")";
        }
    }

    /**
     * An SQE of a real-I/O opcode, its operands drawn from the side's own world ({@link OutsideWorld#writeSqe}):
     * {@code target} names the descriptor (a world target; a direct descriptor's index with IOSQE_FIXED_FILE),
     * {@code buf} the buffer, iovecs, timespec or path the opcode points at, {@code off} the offset, the count, or
     * the user_data an ASYNC_CANCEL, POLL_REMOVE or TIMEOUT_REMOVE names; {@code bufIndex} the registered buffer
     * or the buffer group; {@code fileIndex} the direct descriptor slot.
     */
    record WriteIo(int slot, int opcode, int flags, int ioprio, int target, long off, int len, int opFlags, int buf,
            int bufIndex, int fileIndex, long userData) implements Step {
        @Override
        public String describe() {
            String op = dev.ringspec.uapi.UapiNames.OPCODES.get(opcode);
            String on = target >= 0 && target < OutsideWorld.TARGETS ? OutsideWorld.TARGET_NAMES[target]
                    : String.valueOf(target);
            return "writeIo(slot " + slot + ": " + (op == null ? "opcode " + opcode : op.replace("IORING_OP_", ""))
                    + (flags != 0 ? ", flags " + FlagNames.sqe(flags) : "") + (ioprio != 0 ? ", ioprio " + ioprio : "")
                    + ", " + ((flags & IoUring.IOSQE_FIXED_FILE) != 0 ? "fixed " + target : on)
                    + (off != 0 ? ", off " + off : "") + (len != 0 ? ", len " + len : "")
                    + (opFlags != 0 ? ", op_flags 0x" + Integer.toHexString(opFlags) : "") + ", buf " + buf
                    + (bufIndex != 0 ? ", buf_index " + bufIndex : "")
                    + (fileIndex != 0 ? ", file_index " + fileIndex : "") + ", ud " + userData + ")";
        }
    }

    /** Which descriptor each slot of a file-table argument holds: 2 bits per slot of {@code pattern}. */
    final class FileTable {
        /** Kinds: 0 and 3 = -1 (empty), 1 = the run's pipe read end, 2 = its write end. */
        public static int kind(int pattern, int slot) {
            return slot >= 16 ? 0 : (pattern >>> (2 * slot)) & 3;
        }

        public static int fd(int pattern, int slot, int pipeRead, int pipeWrite) {
            return switch (kind(pattern, slot)) {
                case 1 -> pipeRead;
                case 2 -> pipeWrite;
                default -> -1;
            };
        }

        static String describe(int count, int pattern) {
            StringBuilder b = new StringBuilder("[");
            for (int i = 0; i < count; i++) {
                b.append(i == 0 ? "" : ", ").append(switch (kind(pattern, i)) {
                    case 1 -> "pipe.r";
                    case 2 -> "pipe.w";
                    default -> "-1";
                });
            }
            return b.append("]").toString();
        }

        private FileTable() {
        }
    }
}
