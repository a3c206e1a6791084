package dev.ringspec.emulator;

import static dev.ringspec.uapi.IoUring.IORING_OP_ACCEPT;
import static dev.ringspec.uapi.IoUring.IORING_OP_ASYNC_CANCEL;
import static dev.ringspec.uapi.IoUring.IORING_OP_CLOSE;
import static dev.ringspec.uapi.IoUring.IORING_OP_CONNECT;
import static dev.ringspec.uapi.IoUring.IORING_OP_FADVISE;
import static dev.ringspec.uapi.IoUring.IORING_OP_FALLOCATE;
import static dev.ringspec.uapi.IoUring.IORING_OP_FGETXATTR;
import static dev.ringspec.uapi.IoUring.IORING_OP_FILES_UPDATE;
import static dev.ringspec.uapi.IoUring.IORING_OP_FIXED_FD_INSTALL;
import static dev.ringspec.uapi.IoUring.IORING_OP_FSETXATTR;
import static dev.ringspec.uapi.IoUring.IORING_OP_FSYNC;
import static dev.ringspec.uapi.IoUring.IORING_OP_GETXATTR;
import static dev.ringspec.uapi.IoUring.IORING_OP_LINKAT;
import static dev.ringspec.uapi.IoUring.IORING_OP_LINK_TIMEOUT;
import static dev.ringspec.uapi.IoUring.IORING_OP_MADVISE;
import static dev.ringspec.uapi.IoUring.IORING_OP_MKDIRAT;
import static dev.ringspec.uapi.IoUring.IORING_OP_MSG_RING;
import static dev.ringspec.uapi.IoUring.IORING_OP_NOP128;
import static dev.ringspec.uapi.IoUring.IORING_OP_NOP;
import static dev.ringspec.uapi.IoUring.IORING_OP_OPENAT2;
import static dev.ringspec.uapi.IoUring.IORING_OP_OPENAT;
import static dev.ringspec.uapi.IoUring.IORING_OP_PIPE;
import static dev.ringspec.uapi.IoUring.IORING_OP_POLL_ADD;
import static dev.ringspec.uapi.IoUring.IORING_OP_POLL_REMOVE;
import static dev.ringspec.uapi.IoUring.IORING_OP_PROVIDE_BUFFERS;
import static dev.ringspec.uapi.IoUring.IORING_OP_READ;
import static dev.ringspec.uapi.IoUring.IORING_OP_READV;
import static dev.ringspec.uapi.IoUring.IORING_OP_READ_FIXED;
import static dev.ringspec.uapi.IoUring.IORING_OP_RECV;
import static dev.ringspec.uapi.IoUring.IORING_OP_RECVMSG;
import static dev.ringspec.uapi.IoUring.IORING_OP_REMOVE_BUFFERS;
import static dev.ringspec.uapi.IoUring.IORING_OP_RENAMEAT;
import static dev.ringspec.uapi.IoUring.IORING_OP_SEND;
import static dev.ringspec.uapi.IoUring.IORING_OP_SENDMSG;
import static dev.ringspec.uapi.IoUring.IORING_OP_SENDMSG_ZC;
import static dev.ringspec.uapi.IoUring.IORING_OP_SEND_ZC;
import static dev.ringspec.uapi.IoUring.IORING_OP_SETXATTR;
import static dev.ringspec.uapi.IoUring.IORING_OP_SHUTDOWN;
import static dev.ringspec.uapi.IoUring.IORING_OP_SOCKET;
import static dev.ringspec.uapi.IoUring.IORING_OP_SPLICE;
import static dev.ringspec.uapi.IoUring.IORING_OP_STATX;
import static dev.ringspec.uapi.IoUring.IORING_OP_SYMLINKAT;
import static dev.ringspec.uapi.IoUring.IORING_OP_SYNC_FILE_RANGE;
import static dev.ringspec.uapi.IoUring.IORING_OP_TEE;
import static dev.ringspec.uapi.IoUring.IORING_OP_TIMEOUT;
import static dev.ringspec.uapi.IoUring.IORING_OP_TIMEOUT_REMOVE;
import static dev.ringspec.uapi.IoUring.IORING_OP_UNLINKAT;
import static dev.ringspec.uapi.IoUring.IORING_OP_WRITE;
import static dev.ringspec.uapi.IoUring.IORING_OP_WRITEV;
import static dev.ringspec.uapi.IoUring.IORING_OP_WRITE_FIXED;

import dev.ringspec.emulator.ops.Advise;
import dev.ringspec.emulator.ops.Cancel;
import dev.ringspec.emulator.ops.EventFd;
import dev.ringspec.emulator.ops.FilesUpdate;
import dev.ringspec.emulator.ops.Fs;
import dev.ringspec.emulator.ops.Kbuf;
import dev.ringspec.emulator.ops.MsgRing;
import dev.ringspec.emulator.ops.Net;
import dev.ringspec.emulator.ops.OpenClose;
import dev.ringspec.emulator.ops.Poll;
import dev.ringspec.emulator.ops.ReadMultishot;
import dev.ringspec.emulator.ops.Rw;
import dev.ringspec.emulator.ops.Splice;
import dev.ringspec.emulator.ops.Statx;
import dev.ringspec.emulator.ops.Sync;
import dev.ringspec.emulator.ops.Timeout;
import dev.ringspec.emulator.ops.Xattr;
import dev.ringspec.model.KernelProfile;
import dev.ringspec.model.OpDef;
import dev.ringspec.model.RegisterOp;
import dev.ringspec.uapi.UapiNames;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * The emulator's opcode table: every opcode it implements, each from the class named after the kernel file it
 * mirrors (io_uring/rw.c in {@code ops.Rw}, poll.c in {@code ops.Poll}, ...), added to a {@link KernelProfile}
 * with {@link KernelProfile.Builder#opcode}. NOP and NOP128 are the model's own. Every other opcode below the
 * profile's {@code IORING_OP_LAST} answers as in a kernel that compiled it out: -EOPNOTSUPP from its prep, and
 * IORING_REGISTER_PROBE does not mark it supported.
 */
public final class EmulatorOpcodes {
    /** The opcode sets, one per kernel file; each gets the emulator's services. */
    private static final List<Function<EmulatorServices, List<EmuOp>>> FILES = List.of(
            Advise::ops,
            Cancel::ops,
            FilesUpdate::ops,
            Fs::ops,
            Kbuf::ops,
            MsgRing::ops,
            Net::ops,
            OpenClose::ops,
            Poll::ops,
            ReadMultishot::ops,
            Rw::ops,
            Splice::ops,
            Statx::ops,
            Sync::ops,
            Timeout::ops,
            Xattr::ops);

    /**
     * The register opcodes the emulator adds (eventfd, provided buffer rings, ...), one set per kernel file; each
     * serves another process too (the eventfd is taken from it, a buffer ring is read in its memory at each use).
     */
    private static final List<Function<EmulatorServices, Map<Integer, RegisterOp>>> REGISTER_FILES =
            List.of(Cancel::registerOps, EventFd::registerOps, Kbuf::registerOps);

    /**
     * The opcodes that can serve another process ({@link dev.ringspec.seam.AddressSpace#local} false): their memory
     * goes through the issue context's {@code userMemory} windows or through the transfers that copy to and from
     * that process ({@code ops.ProgramTransfers}, {@code ops.ProgramMessages}); MSG_RING names only rings and
     * registered files; SHUTDOWN only its socket; SPLICE and
     * TEE only descriptors. Every other one hands a raw address or descriptor number to a real call, which in
     * this JVM would name memory or a file of the JVM's own: hosted, they answer as compiled out (-EOPNOTSUPP).
     */
    static final Set<Integer> HOSTED = Set.of(IORING_OP_READ, IORING_OP_WRITE, IORING_OP_READV, IORING_OP_WRITEV,
            IORING_OP_READ_FIXED, IORING_OP_WRITE_FIXED, IORING_OP_POLL_ADD, IORING_OP_POLL_REMOVE,
            IORING_OP_TIMEOUT, IORING_OP_TIMEOUT_REMOVE, IORING_OP_LINK_TIMEOUT, IORING_OP_ASYNC_CANCEL,
            IORING_OP_FSYNC, IORING_OP_SYNC_FILE_RANGE, IORING_OP_FALLOCATE, IORING_OP_PROVIDE_BUFFERS,
            IORING_OP_REMOVE_BUFFERS, IORING_OP_SEND, IORING_OP_RECV, IORING_OP_SENDMSG, IORING_OP_RECVMSG,
            IORING_OP_SEND_ZC, IORING_OP_SENDMSG_ZC,
            IORING_OP_SHUTDOWN, IORING_OP_CONNECT, IORING_OP_MSG_RING, IORING_OP_SPLICE, IORING_OP_TEE,
            // paths from the program's directories, descriptors given to it (openclose.c, fs.c, statx.c, xattr.c,
            // net.c's ACCEPT and SOCKET, rsrc.c's FILES_UPDATE), its files and memory advised (advise.c)
            IORING_OP_OPENAT, IORING_OP_OPENAT2, IORING_OP_CLOSE, IORING_OP_PIPE, IORING_OP_FIXED_FD_INSTALL,
            IORING_OP_STATX, IORING_OP_MKDIRAT, IORING_OP_UNLINKAT, IORING_OP_RENAMEAT, IORING_OP_LINKAT,
            IORING_OP_SYMLINKAT, IORING_OP_FSETXATTR, IORING_OP_SETXATTR, IORING_OP_FGETXATTR, IORING_OP_GETXATTR,
            IORING_OP_ACCEPT, IORING_OP_SOCKET, IORING_OP_FILES_UPDATE, IORING_OP_FADVISE, IORING_OP_MADVISE);

    private final Map<Integer, EmuOp> byOpcode;
    private final KernelProfile profile;

    private EmulatorOpcodes(Map<Integer, EmuOp> byOpcode, KernelProfile profile) {
        this.byOpcode = byOpcode;
        this.profile = profile;
    }

    /**
     * The emulator's opcodes on {@code base}: its table, and the profile that executes them; {@code hosted} keeps
     * only the {@link #HOSTED} opcodes; {@code registerOps} are register opcodes of the emulator's own state
     * (IORING_REGISTER_IOWQ_MAX_WORKERS, its io-wq's).
     */
    static EmulatorOpcodes build(KernelProfile base, EmulatorServices services,
            List<Function<EmulatorServices, List<EmuOp>>> extra, boolean hosted,
            Map<Integer, RegisterOp> registerOps) {
        Map<Integer, EmuOp> ops = new HashMap<>();
        for (Function<EmulatorServices, List<EmuOp>> file : FILES) {
            for (EmuOp op : file.apply(services)) {
                if (hosted && !HOSTED.contains(op.def().opcode())) {
                    continue;
                }
                if (op.def().opcode() < base.opLast() && ops.put(op.def().opcode(), op) != null) {
                    throw new IllegalStateException("two emulator entries for opcode " + op.def().name());
                }
            }
        }
        for (Function<EmulatorServices, List<EmuOp>> set : extra) {
            for (EmuOp op : set.apply(services)) {
                if (op.def().opcode() >= base.opLast()) {
                    throw new IllegalArgumentException("opcode " + op.def().name() + " (" + op.def().opcode()
                            + ") is at or above IORING_OP_LAST of profile " + base.version());
                }
                ops.put(op.def().opcode(), op);
            }
        }
        KernelProfile.Builder b = base.toBuilder();
        List<Integer> own = new ArrayList<>(List.of(IORING_OP_NOP));
        if (base.sqeMixed()) {
            own.add(IORING_OP_NOP128);
        }
        for (int op = 0; op < base.opLast(); op++) {
            EmuOp e = ops.get(op);
            if (e != null) {
                b.opcode(e.def());
            } else if (!own.contains(op)) {
                b.opcode(refused(OpDef.notSupported(op, name(op)), services));
            }
        }
        for (Function<EmulatorServices, Map<Integer, RegisterOp>> file : REGISTER_FILES) {
            file.apply(services).forEach(b::registerOp);
        }
        registerOps.forEach(b::registerOp);
        // NOP's entry stays the model's, but io-wq's worker issues a forced-async NOP itself (io_wq_submit_work ->
        // io_nop): an IORING_NOP_TW one queues its task work there, not when the ring's task runs the io-wq item
        for (int op : own) {
            OpDef def = OpDef.ofModel(base, op);
            ops.put(op, new EmuOp(def, new EmuOp.WorkersTry(def.issue())));
        }
        return new EmulatorOpcodes(Collections.unmodifiableMap(ops), b.build());
    }

    /** An opcode the emulator lacks (or cannot serve another process with): its -EOPNOTSUPP counted as refused. */
    private static OpDef refused(OpDef compiledOut, EmulatorServices services) {
        return new OpDef(compiledOut.opcode(), compiledOut.name(), compiledOut.flags(), (req, ctx) -> {
            services.refuse(compiledOut.name());
            return compiledOut.prep().prep(req, ctx);
        }, compiledOut.issue());
    }

    /** The emulator's entries by opcode (NOP's table entry is the model's: here for its io-wq form only). */
    Map<Integer, EmuOp> byOpcode() {
        return byOpcode;
    }

    /** The profile the emulator's model runs: {@code base} with the emulator's opcodes. */
    KernelProfile profile() {
        return profile;
    }

    private static String name(int opcode) {
        String n = UapiNames.OPCODES.get(opcode);
        return n == null ? "OP_" + opcode : UapiNames.shortName(n);
    }
}
