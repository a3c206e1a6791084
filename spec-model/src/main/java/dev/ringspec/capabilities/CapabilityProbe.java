package dev.ringspec.capabilities;

import static dev.ringspec.uapi.Errno.EBADF;
import static dev.ringspec.uapi.Errno.EINVAL;
import static dev.ringspec.uapi.Errno.EPERM;
import static dev.ringspec.uapi.IoUring.IORING_ENTER_GETEVENTS;
import static dev.ringspec.uapi.IoUring.IORING_NOP_CQE32;
import static dev.ringspec.uapi.IoUring.IORING_NOP_FILE;
import static dev.ringspec.uapi.IoUring.IORING_NOP_INJECT_RESULT;
import static dev.ringspec.uapi.IoUring.IORING_OP_NOP;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_BPF_FILTER;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_PROBE;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_QUERY;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_RESIZE_RINGS;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_RESTRICTIONS;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_ATTACH_WQ;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_COOP_TASKRUN;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_CQE32;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_CQE_MIXED;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_CQSIZE;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_DEFER_TASKRUN;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_HYBRID_IOPOLL;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_IOPOLL;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_NO_MMAP;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_NO_SQARRAY;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_REGISTERED_FD_ONLY;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SINGLE_ISSUER;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SQE128;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SQE_MIXED;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SQPOLL;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SQ_AFF;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SQ_REWIND;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_TASKRUN_FLAG;
import static dev.ringspec.uapi.IoUring.IORING_UNREGISTER_FILES;
import static dev.ringspec.uapi.IoUring.IO_URING_OP_SUPPORTED;
import static dev.ringspec.uapi.IoUringBpfFilter.IO_URING_BPF_CMD_FILTER;
import static dev.ringspec.uapi.IoUringQuery.IO_URING_QUERY_OPCODES;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import dev.ringspec.seam.Cqe;
import dev.ringspec.seam.IoUringKernel;
import dev.ringspec.seam.IoUringKernel.SetupResult;
import dev.ringspec.seam.Ring;
import dev.ringspec.seam.RingDriver;
import dev.ringspec.seam.Sqe;
import dev.ringspec.seam.UserMemory;
import dev.ringspec.uapi.IoUringBpf;
import dev.ringspec.uapi.IoUringBpfFilterStruct;
import dev.ringspec.uapi.IoUringParams;
import dev.ringspec.uapi.IoUringProbe;
import dev.ringspec.uapi.IoUringProbeOp;
import dev.ringspec.uapi.IoUringQueryHdr;
import dev.ringspec.uapi.IoUringQueryOpcode;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.function.BooleanSupplier;

/**
 * Finds out what an io_uring backend supports by asking it and by trying: a setup per flag (with the flags it
 * depends on), PROBE, QUERY, a NOP per flag, a resize, a ring-level BPF filter and a harmless per-task
 * registration. Every trial ring is closed again; nothing is left registered on the process.
 *
 * <p>Run it from a platform thread: the trials create SINGLE_ISSUER rings.
 */
public final class CapabilityProbe {
    private static final int PROBE_OPS = 256;
    /** cBPF {@code BPF_RET | BPF_K}: return the constant, here 1 (allow). */
    private static final short BPF_RET_K = 0x06;

    private final IoUringKernel kernel;

    private CapabilityProbe(IoUringKernel kernel) {
        this.kernel = kernel;
    }

    public static KernelCapabilities probe(IoUringKernel kernel) {
        return new CapabilityProbe(kernel).run(null);
    }

    /**
     * The same, with every argument the probe passes allocated from {@code memory}: a Java backend resolves an
     * address inside an argument (QUERY's {@code query_data}) only in the user memory it was opened over.
     */
    public static KernelCapabilities probe(IoUringKernel kernel, UserMemory memory) {
        return new CapabilityProbe(kernel).run(memory);
    }

    /** Arguments come from {@code memory}, or without it from an arena of the probe's own. */
    private KernelCapabilities run(UserMemory memory) {
        try (Arena own = Arena.ofConfined()) {
            SegmentAllocator arena = memory != null ? memory : own;
            Ring plain = setupOrNull(arena, 4, 0);
            if (plain == null) {
                throw new IllegalStateException("io_uring_setup(4, {0}) failed on " + kernel.description());
            }
            try {
                int features = plain.params().features();
                int setupFlags = setupFlags(arena, plain.fd());
                MemorySegment probe = arena.allocate(IoUringProbe.SIZE_BYTES + PROBE_OPS * IoUringProbeOp.SIZE_BYTES);
                // PROBE refuses a buffer that is not zeroed, so it is asked once
                int probed = kernel.register(plain, IORING_REGISTER_PROBE, probe, PROBE_OPS);
                if (probed == -EPERM && registerBlocked(plain)) {
                    // only setup and enter can be tried: what register would show is unknown, not missing
                    Set<Feature> named = EnumSet.noneOf(Feature.class);
                    namedBySetup(named, setupFlags);
                    return new KernelCapabilities(kernel.description(), kernel.release(), features, setupFlags, -1,
                            List.of(), List.of(), nopFlags(arena, plain, setupFlags), null, named, false,
                            Set.of(), Set.of("io_uring_register"));
                }
                int lastOp = -1;
                List<Integer> opcodes = new ArrayList<>();
                if (probed == 0) {
                    lastOp = Byte.toUnsignedInt(probe.get(JAVA_BYTE, IoUringProbe.LAST_OP_OFFSET));
                    int opsLen = Byte.toUnsignedInt(probe.get(JAVA_BYTE, IoUringProbe.OPS_LEN_OFFSET));
                    for (int i = 0; i < opsLen; i++) {
                        long op = IoUringProbe.SIZE_BYTES + (long) i * IoUringProbeOp.SIZE_BYTES;
                        short opFlags = probe.get(JAVA_SHORT, op + IoUringProbeOp.FLAGS_OFFSET);
                        if ((opFlags & IO_URING_OP_SUPPORTED) != 0) {
                            opcodes.add(Byte.toUnsignedInt(probe.get(JAVA_BYTE, op + IoUringProbeOp.OP_OFFSET)));
                        }
                    }
                }
                KernelCapabilities.QueryOpcodes query = queryOpcodes(arena);
                List<Integer> registerOpcodes = new ArrayList<>();
                if (query != null) {
                    for (int op = 0; op < query.nrRegisterOpcodes(); op++) {
                        registerOpcodes.add(op);
                    }
                }
                int nopFlags = nopFlags(arena, plain, setupFlags);

                Set<Feature> named = EnumSet.noneOf(Feature.class);
                namedBySetup(named, setupFlags);
                addIf(named, Feature.QUERY, query != null);
                boolean resizeOnDefer = resizeWorks(arena, IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN);
                boolean resizeOnPlain = resizeWorks(arena, 0);
                addIf(named, Feature.RESIZE_RINGS, resizeOnDefer || resizeOnPlain);
                Set<Feature> notModelled = EnumSet.noneOf(Feature.class);
                addIf(named, Feature.BPF_FILTER,
                        modelled(Feature.BPF_FILTER, notModelled, () -> ringBpfFilterAccepted(arena)));
                addIf(named, Feature.TASK_RESTRICTIONS,
                        modelled(Feature.TASK_RESTRICTIONS, notModelled, this::taskRestrictionsKnown));
                return new KernelCapabilities(kernel.description(), kernel.release(), features, setupFlags, lastOp,
                        opcodes, registerOpcodes, nopFlags, query, named, resizeOnDefer && !resizeOnPlain, notModelled);
            } finally {
                kernel.close(plain);
            }
        }
    }

    /** The named features a setup flag shows. */
    private static void namedBySetup(Set<Feature> named, int setupFlags) {
        addIf(named, Feature.SQE128, (setupFlags & IORING_SETUP_SQE128) != 0);
        addIf(named, Feature.CQE32, (setupFlags & IORING_SETUP_CQE32) != 0);
        addIf(named, Feature.NO_SQARRAY, (setupFlags & IORING_SETUP_NO_SQARRAY) != 0);
        addIf(named, Feature.CQE_MIXED, (setupFlags & IORING_SETUP_CQE_MIXED) != 0);
        addIf(named, Feature.SQE_MIXED, (setupFlags & IORING_SETUP_SQE_MIXED) != 0);
        addIf(named, Feature.SQ_REWIND, (setupFlags & IORING_SETUP_SQ_REWIND) != 0);
    }

    /**
     * Whether io_uring_register, which answered PROBE on a ring this task just created with EPERM, answers
     * UNREGISTER_FILES with nothing registered with EPERM too: a kernel answers them with 0 and -ENXIO (io_uring's
     * own restrictions with -EACCES). EPERM for both is a filter in front of the call (seccomp's SECCOMP_RET_ERRNO, as
     * container runtimes install): register is blocked here, not absent, and each trial that needs it is unknown.
     */
    private boolean registerBlocked(Ring plain) {
        return kernel.register(plain, IORING_UNREGISTER_FILES, MemorySegment.NULL, 0) == -EPERM;
    }

    /** Each setup flag bit, tried with what it needs; a bit is supported when that setup succeeds. */
    private int setupFlags(SegmentAllocator arena, int someRingFd) {
        int supported = 0;
        for (int bit = 0; bit < Integer.SIZE; bit++) {
            int flag = 1 << bit;
            int flags = flag | prerequisites(flag);
            MemorySegment params = arena.allocate(IoUringParams.LAYOUT);
            params.set(JAVA_INT, IoUringParams.FLAGS_OFFSET, flags);
            if (flag == IORING_SETUP_CQSIZE) {
                params.set(JAVA_INT, IoUringParams.CQ_ENTRIES_OFFSET, 8);
            }
            if (flag == IORING_SETUP_ATTACH_WQ) {
                params.set(JAVA_INT, IoUringParams.WQ_FD_OFFSET, someRingFd);
            }
            SetupResult result = kernel.setup(4, params);
            if (result instanceof SetupResult.Created(Ring ring)) {
                supported |= flag;
                kernel.close(ring);
            }
        }
        return supported;
    }

    /** The flags a setup flag is refused without (io_uring_sanitise_params). */
    static int prerequisites(int flag) {
        return switch (flag) {
            case IORING_SETUP_SQ_AFF -> IORING_SETUP_SQPOLL;
            case IORING_SETUP_TASKRUN_FLAG -> IORING_SETUP_COOP_TASKRUN;
            case IORING_SETUP_DEFER_TASKRUN -> IORING_SETUP_SINGLE_ISSUER;
            case IORING_SETUP_REGISTERED_FD_ONLY -> IORING_SETUP_NO_MMAP;
            case IORING_SETUP_HYBRID_IOPOLL -> IORING_SETUP_IOPOLL;
            case IORING_SETUP_SQ_REWIND -> IORING_SETUP_NO_SQARRAY;
            default -> 0;
        };
    }

    private KernelCapabilities.QueryOpcodes queryOpcodes(SegmentAllocator arena) {
        MemorySegment hdr = arena.allocate(IoUringQueryHdr.LAYOUT);
        MemorySegment data = arena.allocate(IoUringQueryOpcode.LAYOUT);
        hdr.set(JAVA_LONG, IoUringQueryHdr.QUERY_DATA_OFFSET, data.address());
        hdr.set(JAVA_INT, IoUringQueryHdr.QUERY_OP_OFFSET, IO_URING_QUERY_OPCODES);
        hdr.set(JAVA_INT, IoUringQueryHdr.SIZE_OFFSET, (int) IoUringQueryOpcode.SIZE_BYTES);
        int r = kernel.registerWithoutRing(IORING_REGISTER_QUERY, hdr, 0);
        if (r != 0 || hdr.get(JAVA_INT, IoUringQueryHdr.RESULT_OFFSET) != 0) {
            return null;
        }
        return new KernelCapabilities.QueryOpcodes(
                data.get(JAVA_INT, IoUringQueryOpcode.NR_REQUEST_OPCODES_OFFSET),
                data.get(JAVA_INT, IoUringQueryOpcode.NR_REGISTER_OPCODES_OFFSET),
                data.get(JAVA_LONG, IoUringQueryOpcode.FEATURE_FLAGS_OFFSET),
                data.get(JAVA_LONG, IoUringQueryOpcode.RING_SETUP_FLAGS_OFFSET),
                data.get(JAVA_LONG, IoUringQueryOpcode.ENTER_FLAGS_OFFSET),
                data.get(JAVA_LONG, IoUringQueryOpcode.SQE_FLAGS_OFFSET),
                data.get(JAVA_INT, IoUringQueryOpcode.NR_QUERY_OPCODES_OFFSET));
    }

    /**
     * The NOP flag bits a NOP accepts (its CQE is not -EINVAL). A kernel whose NOP ignores {@code nop_flags}
     * altogether (before 6.10) shows it by not injecting the result, and gets none. CQE32 is tried on a ring that
     * can hold 32-byte CQEs.
     */
    private int nopFlags(SegmentAllocator arena, Ring plain, int setupFlags) {
        Cqe inject = nop(plain, IORING_NOP_INJECT_RESULT, 7);
        if (inject == null || inject.res() != 7) {
            return 0;
        }
        int supported = IORING_NOP_INJECT_RESULT;
        int bigRingFlags = (setupFlags & IORING_SETUP_CQE_MIXED) != 0 ? IORING_SETUP_CQE_MIXED
                : (setupFlags & IORING_SETUP_CQE32) != 0 ? IORING_SETUP_CQE32 : 0;
        Ring big = bigRingFlags != 0 ? setupOrNull(arena, 4, bigRingFlags) : null;
        try {
            for (int bit = 1; bit < Integer.SIZE; bit++) {
                int flag = 1 << bit;
                Ring target = flag == IORING_NOP_CQE32 ? big : plain;
                if (target == null) {
                    continue;
                }
                Cqe cqe = nop(target, flag, 0);
                if (cqe != null && cqe.res() != -EINVAL) {
                    supported |= flag;
                }
            }
        } finally {
            if (big != null) {
                kernel.close(big);
            }
        }
        return supported;
    }

    /** One NOP with the given flags; with NOP_FILE the fd is -1, so a kernel that knows it answers -EBADF. */
    private Cqe nop(Ring ring, int nopFlags, int len) {
        RingDriver driver = new RingDriver(kernel, ring);
        long sqe = driver.nextSqe();
        MemorySegment sqes = driver.sqes();
        Sqe.opcode(sqes, sqe, IORING_OP_NOP);
        Sqe.opFlags(sqes, sqe, nopFlags);
        Sqe.len(sqes, sqe, len);
        Sqe.fd(sqes, sqe, (nopFlags & IORING_NOP_FILE) != 0 ? -1 : 0);
        Sqe.userData(sqes, sqe, 0x5eedL);
        if (driver.submit(1, IORING_ENTER_GETEVENTS) != 1) {
            return null;
        }
        return driver.reap();
    }

    /** Whether RESIZE_RINGS grows a 4-entry ring created with these flags to 8 entries. */
    private boolean resizeWorks(SegmentAllocator arena, int flags) {
        Ring ring = setupOrNull(arena, 4, flags);
        if (ring == null) {
            return false;
        }
        try {
            MemorySegment params = arena.allocate(IoUringParams.LAYOUT);
            params.set(JAVA_INT, IoUringParams.SQ_ENTRIES_OFFSET, 8);
            return kernel.register(ring, IORING_REGISTER_RESIZE_RINGS, params, 1) == 0;
        } finally {
            kernel.close(ring);
        }
    }

    /** Registers an allow-everything filter for NOP on a throwaway ring. */
    private boolean ringBpfFilterAccepted(SegmentAllocator arena) {
        Ring ring = setupOrNull(arena, 4, 0);
        if (ring == null) {
            return false;
        }
        try {
            MemorySegment program = arena.allocate(8, 8);
            program.set(JAVA_SHORT, 0, BPF_RET_K);
            program.set(JAVA_INT, 4, 1);
            MemorySegment bpf = arena.allocate(IoUringBpf.LAYOUT);
            bpf.set(JAVA_SHORT, IoUringBpf.CMD_TYPE_OFFSET, (short) IO_URING_BPF_CMD_FILTER);
            long filter = IoUringBpf.FILTER_OFFSET;
            bpf.set(JAVA_INT, filter + IoUringBpfFilterStruct.OPCODE_OFFSET, IORING_OP_NOP);
            bpf.set(JAVA_INT, filter + IoUringBpfFilterStruct.FILTER_LEN_OFFSET, 1);
            bpf.set(JAVA_LONG, filter + IoUringBpfFilterStruct.FILTER_PTR_OFFSET, program.address());
            return kernel.register(ring, IORING_REGISTER_BPF_FILTER, bpf, 1) == 0;
        } finally {
            kernel.close(ring);
        }
    }

    /**
     * Whether {@code io_uring_register(-1, IORING_REGISTER_RESTRICTIONS, ...)} is a known blind opcode. Asked with
     * an argument the kernel cannot read (address 1), so a kernel that knows it fails the copy (-EFAULT) or the
     * privilege check (-EACCES) and restricts nothing; one that does not answers -EINVAL.
     */
    private boolean taskRestrictionsKnown() {
        int r = kernel.registerWithoutRing(IORING_REGISTER_RESTRICTIONS, MemorySegment.ofAddress(1), 1);
        // 6.18 knows no blind RESTRICTIONS (-EINVAL); before 6.18 there is no blind register at all, and fd -1 is
        // simply a bad descriptor (-EBADF, measured on 6.1.192 and 6.12.118). 7.0+ reads the argument: -EFAULT.
        return r != -EINVAL && r != -EBADF;
    }

    /**
     * A Java backend answers {@link UnsupportedOperationException} for what it does not model (the kernel never
     * does); the probe reports such a feature as not present, and separately as not modelled.
     */
    private static boolean modelled(Feature feature, Set<Feature> notModelled, BooleanSupplier trial) {
        try {
            return trial.getAsBoolean();
        } catch (UnsupportedOperationException e) {
            notModelled.add(feature);
            return false;
        }
    }

    private Ring setupOrNull(SegmentAllocator arena, int entries, int flags) {
        MemorySegment params = arena.allocate(IoUringParams.LAYOUT);
        params.set(JAVA_INT, IoUringParams.FLAGS_OFFSET, flags);
        return kernel.setup(entries, params).ringOrNull();
    }

    private static void addIf(Set<Feature> set, Feature feature, boolean present) {
        if (present) {
            set.add(feature);
        }
    }
}
