package dev.ringspec.model;

import static dev.ringspec.seam.SharedMemory.readOnce;
import static dev.ringspec.seam.SharedMemory.storeRelease;
import static dev.ringspec.seam.SharedMemory.writeOnce;
import static dev.ringspec.uapi.Errno.EACCES;
import static dev.ringspec.uapi.Errno.EBADF;
import static dev.ringspec.uapi.Errno.EBADFD;
import static dev.ringspec.uapi.Errno.EBUSY;
import static dev.ringspec.uapi.Errno.EEXIST;
import static dev.ringspec.uapi.Errno.EFAULT;
import static dev.ringspec.uapi.Errno.EINVAL;
import static dev.ringspec.uapi.Errno.EMFILE;
import static dev.ringspec.uapi.Errno.ENXIO;
import static dev.ringspec.uapi.Errno.EOPNOTSUPP;
import static dev.ringspec.uapi.Errno.EOVERFLOW;
import static dev.ringspec.uapi.Errno.ERANGE;
import static dev.ringspec.uapi.IoUring.IORING_ENTER_EXT_ARG;
import static dev.ringspec.uapi.IoUring.IORING_ENTER_EXT_ARG_REG;
import static dev.ringspec.uapi.IoUring.IORING_ENTER_GETEVENTS;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_BPF_FILTER;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_BUFFERS;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_BUFFERS2;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_BUFFERS_UPDATE;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_ENABLE_RINGS;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_FILES;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_FILES2;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_FILES_SKIP;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_FILES_UPDATE;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_FILES_UPDATE2;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_PROBE;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_QUERY;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_RESIZE_RINGS;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_RESTRICTIONS;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_SEND_MSG_RING;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_USE_REGISTERED_RING;
import static dev.ringspec.uapi.IoUring.IORING_RESTRICTION_REGISTER_OP;
import static dev.ringspec.uapi.IoUring.IORING_RESTRICTION_SQE_FLAGS_ALLOWED;
import static dev.ringspec.uapi.IoUring.IORING_RESTRICTION_SQE_FLAGS_REQUIRED;
import static dev.ringspec.uapi.IoUring.IORING_RESTRICTION_SQE_OP;
import static dev.ringspec.uapi.IoUring.IORING_RSRC_REGISTER_SPARSE;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_ATTACH_WQ;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_CLAMP;
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
import static dev.ringspec.uapi.IoUring.IORING_SETUP_R_DISABLED;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SINGLE_ISSUER;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SQE128;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SQE_MIXED;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SQPOLL;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SQ_AFF;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SQ_REWIND;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_TASKRUN_FLAG;
import static dev.ringspec.uapi.IoUring.IORING_SQ_NEED_WAKEUP;
import static dev.ringspec.uapi.IoUring.IORING_SQ_TASKRUN;
import static dev.ringspec.uapi.IoUring.IORING_UNREGISTER_BUFFERS;
import static dev.ringspec.uapi.IoUring.IORING_UNREGISTER_FILES;
import static dev.ringspec.uapi.IoUring.IO_URING_OP_SUPPORTED;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import dev.ringspec.seam.IoUringKernel;
import dev.ringspec.seam.Ring;
import dev.ringspec.seam.RingGeometry;
import dev.ringspec.seam.RingParams;
import dev.ringspec.seam.UserMemory;
import dev.ringspec.uapi.IoCqringOffsets;
import dev.ringspec.uapi.IoSqringOffsets;
import dev.ringspec.uapi.IoUringGeteventsArg;
import dev.ringspec.uapi.IoUringParams;
import dev.ringspec.uapi.IoUringProbe;
import dev.ringspec.uapi.IoUringProbeOp;
import dev.ringspec.uapi.IoUringQueryHdr;
import dev.ringspec.uapi.IoUringQueryOpcode;
import dev.ringspec.uapi.IoUringRestriction;
import dev.ringspec.uapi.IoUringRsrcRegister;
import dev.ringspec.uapi.IoUringRsrcUpdate;
import dev.ringspec.uapi.IoUringRsrcUpdate2;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The reference model of io_uring behind the same seam as the kernel: a drop-in replacement for
 * {@code NativeIoUring}. Its rings live in native memory laid out exactly like the kernel's (one {@link Arena} per
 * ring and mapping generation, closed on close and on resize), so the same application code drives both. The
 * calling thread is the kernel's task: the owner of a SINGLE_ISSUER ring is the creating thread, or the thread
 * that enables an R_DISABLED ring. Ring descriptors are small fake numbers from 1000 up.
 *
 * <h2>What is modelled</h2>
 * Setup ({@code io_uring_sanitise_params}, {@code io_uring_fill_params}, {@code rings_size}, offsets and features
 * written back byte for byte, NO_MMAP through {@link UserMemory}); SQ consumption with the SQ array, dropped
 * entries, NO_SQARRAY, SQE128, SQE_MIXED and SQ_REWIND per {@link KernelProfile}; {@code io_init_req} in order;
 * NOP with all its flags (and NOP128 from 6.19); links, hardlinks, drain, CQE_SKIP_SUCCESS; CQ posting with the
 * CQE cache, CQE32, CQE_MIXED and its skip filler, the overflow list; task work (inline, normal task work, and
 * DEFER_TASKRUN local work); R_DISABLED, restrictions (6.18 and 7.0 rules), ENABLE_RINGS, PROBE, QUERY,
 * RESIZE_RINGS, and the file and buffer tables.
 *
 * <h2>What is not</h2>
 * <ul>
 *   <li>Opcodes other than NOP/NOP128: they pass io_init_req's generic checks (opcode range, SQE flags, drain,
 *       restrictions) and then throw {@link UnsupportedOperationException}, because their opcode-specific checks
 *       and results are not known to the model. Generators must not send them past those checks. The ring is not
 *       usable after such an exception.</li>
 *   <li>Asynchronous execution: a request the kernel sends to io-wq (IOSQE_ASYNC, a dangling link, drained
 *       requests) completes here through the task's task work. On a DEFER_TASKRUN ring that is what the kernel
 *       does too; on other rings io-wq posts the CQE at a time of its own, so a lockstep run must wait for it.</li>
 *   <li>SQPOLL (setup accepted like the kernel; enter throws UnsupportedOperationException), IOPOLL polling
 *       (accepted; NOPs complete as usual; a GETEVENTS enter, which the kernel answers with io_iopoll_check,
 *       throws UnsupportedOperationException), ATTACH_WQ (accepted when wq_fd is a live model ring; -ENXIO for
 *       a closed descriptor, -EINVAL for a non-io_uring one, from the source, not measured),
 *       registered ring descriptors (the {@link Ring} object names the ring; the flag bits are ignored), signal
 *       masks, EXT_ARG_REG wait regions, register opcodes other than those listed above (they throw
 *       UnsupportedOperationException), resource tags (a non-zero tag throws), query ZCRX, dropped CQEs (the
 *       model never fails an allocation, so no -EBADR), the 20-item batching of DEFER_TASKRUN local work.</li>
 *   <li>Read from the source but not measured: the stop rule of DEFER_TASKRUN local work (after a pass, go on
 *       only while fewer than min_complete items ran, so a GETEVENTS with min 0 advances a chain one member),
 *       and the errnos of the file and buffer tables.</li>
 *   <li>Intended, not mirrored: after a refill that fails once the skip CQE is written, Linux 6.18 keeps its
 *       stale CQE cache range and writes the next 16-byte CQE over the skip CQE, past a full ring (measured on
 *       6.18.44: tail - head = 9 on an 8-entry CQ). The model queues that CQE behind the overflow list; the
 *       divergence catalogue holds the kernel's behaviour (cqe-stale-cache-jumps-overflow-list).</li>
 * </ul>
 *
 * <h2>Blocking waits</h2>
 * A GETEVENTS enter that asks for more CQEs than can ever appear would put the kernel task to sleep. The model
 * never blocks. After running all task work and flushing the overflow list, nothing else can happen in a
 * NOP-only model, so such a wait is final: with an EXT_ARG timeout the model answers what the kernel answers when
 * the timeout expires (-ETIME if the CQ is empty, else 0); without one the kernel would sleep until a signal
 * arrives, and the model answers what such a signal produces, -EINTR. Neither is invented; {@link
 * #lastWaitWouldBlock(Ring)} tells the two cases "satisfied" and "the kernel would have slept" apart, so a
 * lockstep engine (which only generates satisfiable waits) can flag its own bug.
 *
 * <h2>File descriptors</h2>
 * The model cannot see the process's descriptors. {@link FdTable} answers for them; by default every descriptor
 * {@code >= 0} is open. The model's own ring descriptors count as io_uring files, which REGISTER_FILES refuses.
 */
public final class ModelIoUring implements IoUringKernel {
    private static final int FIRST_FD = 1000;
    private static final long PAGE_BYTES = 4096;
    /** {@code IORING_MAX_FIXED_FILES}. */
    private static final int MAX_FIXED_FILES = 1 << 20;
    /** {@code IORING_MAX_REG_BUFFERS}. */
    private static final int MAX_REG_BUFFERS = 1 << 14;
    /** {@code IO_MAX_QUERY_ENTRIES}. */
    private static final int MAX_QUERY_ENTRIES = 1000;
    /** {@code IO_MAX_QUERY_SIZE}: the largest answer, {@code struct io_uring_query_opcode}. */
    private static final int MAX_QUERY_SIZE = 48;
    private static final long SZ_1G = 1L << 30;

    private final KernelProfile profile;
    private final UserMemory userMemory;
    private final Set<Mutant> mutants;
    private volatile FdTable fdTable = FdTable.NON_NEGATIVE_OPEN;
    private volatile boolean onHeapRings;
    private volatile RuleListener ruleListener = RuleListener.NONE;
    private volatile Chooser chooser = Chooser.DEFAULT;
    private final AtomicInteger nextFd = new AtomicInteger(FIRST_FD);
    private final Map<Integer, ModelRing> live = new ConcurrentHashMap<>();

    public ModelIoUring(KernelProfile profile) {
        this(profile, new UserMemory());
    }

    public ModelIoUring(KernelProfile profile, UserMemory userMemory) {
        this(profile, userMemory, Set.of());
    }

    public ModelIoUring(KernelProfile profile, UserMemory userMemory, Set<Mutant> mutants) {
        this.profile = profile;
        this.userMemory = userMemory;
        this.mutants = mutants.isEmpty() ? EnumSet.noneOf(Mutant.class) : EnumSet.copyOf(mutants);
    }

    /** Replaces the answer to "is this descriptor open?" (see {@link FdTable}). */
    public ModelIoUring withFdTable(FdTable table) {
        this.fdTable = table;
        return this;
    }

    /**
     * Puts the rings of rings set up from now on in plain Java arrays instead of native memory: the same layout and
     * the same rules, for teaching and for tests without native memory. Rings set up with NO_MMAP still live in the
     * user memory they were given. A heap ring's memory is not freed by close; it is collected like any array.
     */
    public ModelIoUring withOnHeapRings() {
        this.onHeapRings = true;
        return this;
    }

    /**
     * Reports every {@link Rule} as it applies, on every ring of this model, those set up before included. Replaces
     * the listener before; {@link RuleListener#NONE} stops reporting.
     */
    public ModelIoUring withRuleListener(RuleListener listener) {
        this.ruleListener = java.util.Objects.requireNonNull(listener);
        for (ModelRing r : live.values()) {
            r.listen(listener);
        }
        return this;
    }

    /**
     * Lets {@code chooser} pick the outcome of every {@link Choice} point, on every ring of this model, those set up
     * before included. {@link Chooser#DEFAULT} keeps the model's default outcomes.
     */
    public ModelIoUring withChooser(Chooser chooser) {
        this.chooser = java.util.Objects.requireNonNull(chooser);
        for (ModelRing r : live.values()) {
            r.choose(chooser);
        }
        return this;
    }

    RuleListener ruleListener() {
        return ruleListener;
    }

    Chooser chooser() {
        return chooser;
    }

    KernelProfile profile() {
        return profile;
    }

    Set<Mutant> mutants() {
        return mutants;
    }

    FdTable fdTable() {
        return fdTable;
    }

    @Override
    public String description() {
        return "model, profile " + profile.version() + (mutants.isEmpty() ? "" : ", mutants " + mutants);
    }

    /**
     * Shaped like uname's release ({@code "6.18.0-model"}), so checks pinned to a kernel line judge the model by
     * the same numbers as the kernel.
     */
    @Override
    public String release() {
        return profile.version() + ".0-model";
    }

    // ---------------------------------------------------------------------------------------------------------
    // io_uring_setup

    @Override
    public SetupResult setup(int entries, MemorySegment params) {
        if (isHeap(params)) {
            try (Arena call = Arena.ofConfined()) {
                MemorySegment copy = nativeCopy(call, params);
                SetupResult result = setup(entries, copy);
                MemorySegment.copy(copy, 0, params, 0, params.byteSize());
                return result;
            }
        }
        // io_uring_setup: copy_from_user(params) -> -EFAULT
        MemorySegment p = at(params, 0, IoUringParams.SIZE_BYTES);
        if (p == null) {
            return new SetupResult.Failed(-EFAULT);
        }
        // io_uring_setup: non-zero resv -> -EINVAL
        for (int i = 0; i < 3; i++) {
            if (p.get(JAVA_INT, IoUringParams.RESV_OFFSET + 4L * i) != 0) {
                return new SetupResult.Failed(-EINVAL);
            }
        }
        int flags = p.get(JAVA_INT, IoUringParams.FLAGS_OFFSET);
        int result = sanitiseParams(flags);
        if (result != 0) {
            return new SetupResult.Failed(result);
        }
        // io_uring_fill_params
        RingSizing sizing = RingSizing.of(entries, flags, p.get(JAVA_INT, IoUringParams.CQ_ENTRIES_OFFSET));
        if (!sizing.ok()) {
            return new SetupResult.Failed(sizing.result());
        }
        result = ringsSizeCheck(flags, sizing);
        if (result != 0) {
            return new SetupResult.Failed(result);
        }
        Arena arena = Arena.ofShared();
        Regions regions = regions(arena, p, flags, sizing.sqEntries(), sizing.cqEntries());
        if (regions.result != 0) {
            arena.close();
            return new SetupResult.Failed(regions.result);
        }
        result = sqOffloadCheck(flags, p.get(JAVA_INT, IoUringParams.WQ_FD_OFFSET));
        if (result != 0) {
            arena.close();
            return new SetupResult.Failed(result);
        }
        writeParams(p, flags, sizing.sqEntries(), sizing.cqEntries(), true);
        p.set(JAVA_INT, IoUringParams.FEATURES_OFFSET, profile.features());
        RingParams answer = RingParams.read(p);
        int fd = nextFd.getAndIncrement();
        Thread owner = (flags & IORING_SETUP_SINGLE_ISSUER) != 0 && (flags & IORING_SETUP_R_DISABLED) == 0
                ? Thread.currentThread() : null;
        ModelRing ring = new ModelRing(this, fd, flags, owner);
        initHeader(regions.rings, sizing.sqEntries(), sizing.cqEntries());
        ring.map(arena, answer, regions.rings, regions.sqes);
        live.put(fd, ring);
        return new SetupResult.Created(ring);
    }

    /** {@code io_uring_sanitise_params}, in the kernel's order. */
    private int sanitiseParams(int flags) {
        // io_uring_sanitise_params: unknown setup flags -> -EINVAL
        if ((flags & ~profile.setupFlags()) != 0) {
            return -EINVAL;
        }
        // io_uring_sanitise_params: REGISTERED_FD_ONLY needs NO_MMAP (no fd to mmap through)
        if ((flags & IORING_SETUP_REGISTERED_FD_ONLY) != 0 && (flags & IORING_SETUP_NO_MMAP) == 0) {
            return -EINVAL;
        }
        // io_uring_sanitise_params: SQPOLL excludes COOP_TASKRUN, TASKRUN_FLAG and DEFER_TASKRUN
        if ((flags & IORING_SETUP_SQPOLL) != 0
                && (flags & (IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG
                        | IORING_SETUP_DEFER_TASKRUN)) != 0) {
            return -EINVAL;
        }
        // io_uring_sanitise_params: TASKRUN_FLAG needs COOP_TASKRUN or DEFER_TASKRUN
        if ((flags & IORING_SETUP_TASKRUN_FLAG) != 0
                && (flags & (IORING_SETUP_COOP_TASKRUN | IORING_SETUP_DEFER_TASKRUN)) == 0) {
            return -EINVAL;
        }
        // io_uring_sanitise_params: HYBRID_IOPOLL needs IOPOLL
        if ((flags & IORING_SETUP_HYBRID_IOPOLL) != 0 && (flags & IORING_SETUP_IOPOLL) == 0) {
            return -EINVAL;
        }
        // io_uring_sanitise_params: DEFER_TASKRUN needs SINGLE_ISSUER
        if ((flags & IORING_SETUP_DEFER_TASKRUN) != 0 && (flags & IORING_SETUP_SINGLE_ISSUER) == 0) {
            return -EINVAL;
        }
        // io_uring_sanitise_params: CQE32 with CQE_MIXED -> -EINVAL
        if ((flags & (IORING_SETUP_CQE32 | IORING_SETUP_CQE_MIXED))
                == (IORING_SETUP_CQE32 | IORING_SETUP_CQE_MIXED)) {
            return -EINVAL;
        }
        if (profile.sqeMixed()) {
            // io_uring_sanitise_params (6.19+): SQE128 with SQE_MIXED -> -EINVAL
            if ((flags & (IORING_SETUP_SQE128 | IORING_SETUP_SQE_MIXED))
                    == (IORING_SETUP_SQE128 | IORING_SETUP_SQE_MIXED)) {
                return -EINVAL;
            }
        }
        if (profile.sqRewind() && (flags & IORING_SETUP_SQ_REWIND) != 0) {
            // io_uring_sanitise_params (7.0+): SQ_REWIND needs NO_SQARRAY and excludes SQPOLL
            if ((flags & IORING_SETUP_NO_SQARRAY) == 0 || (flags & IORING_SETUP_SQPOLL) != 0) {
                return -EINVAL;
            }
        }
        return 0;
    }

    /**
     * The argument checks of {@code io_sq_offload_create} (read from the source, not measured): ATTACH_WQ needs an
     * open descriptor (-ENXIO) that is an io_uring (-EINVAL), here a live model ring; SQ_AFF needs SQPOLL. The SQ
     * thread and the shared io-wq themselves are not modelled.
     */
    private int sqOffloadCheck(int flags, int wqFd) {
        if ((flags & IORING_SETUP_ATTACH_WQ) != 0) {
            // io_sq_offload_create: ATTACH_WQ with a closed wq_fd -> -ENXIO, not an io_uring -> -EINVAL
            if (!live.containsKey(wqFd) && !fdTable.isOpen(wqFd)) {
                return -ENXIO;
            }
            if (!live.containsKey(wqFd)) {
                return -EINVAL;
            }
        }
        // io_sq_offload_create: SQ_AFF without SQPOLL -> -EINVAL
        if ((flags & IORING_SETUP_SQ_AFF) != 0 && (flags & IORING_SETUP_SQPOLL) == 0) {
            return -EINVAL;
        }
        return 0;
    }

    /** {@code rings_size}: a mixed ring needs room for one 32-byte CQE (or 128-byte SQE). */
    private int ringsSizeCheck(int flags, RingSizing sizing) {
        // rings_size: CQE_MIXED with cq_entries < 2 -> -EOVERFLOW
        if ((flags & IORING_SETUP_CQE_MIXED) != 0 && sizing.cqEntries() < 2) {
            return -EOVERFLOW;
        }
        // rings_size (6.19+): SQE_MIXED with sq_entries < 2 -> -EOVERFLOW
        if (profile.sqeMixed() && (flags & IORING_SETUP_SQE_MIXED) != 0 && sizing.sqEntries() < 2) {
            return -EOVERFLOW;
        }
        return 0;
    }

    private record Regions(int result, MemorySegment rings, MemorySegment sqes) {
    }

    /**
     * {@code io_allocate_scq_urings}: the rings region and the SQE region, in native memory of the arena, or in the
     * application's memory under NO_MMAP (addresses resolved through {@link UserMemory}).
     */
    private Regions regions(Arena arena, MemorySegment p, int flags, int sqEntries, int cqEntries) {
        long ringsBytes = RingGeometry.ringsSizeBytes(flags, sqEntries, cqEntries);
        long sqesBytes = (long) sqEntries * ((flags & IORING_SETUP_SQE128) != 0 ? 128 : 64);
        if ((flags & IORING_SETUP_NO_MMAP) != 0) {
            long ringsAddr = p.get(JAVA_LONG, IoUringParams.CQ_OFF_OFFSET + IoCqringOffsets.USER_ADDR_OFFSET);
            long sqesAddr = p.get(JAVA_LONG, IoUringParams.SQ_OFF_OFFSET + IoSqringOffsets.USER_ADDR_OFFSET);
            // io_create_region: user memory must be page aligned -> -EINVAL; unpinnable -> -EFAULT
            if ((ringsAddr & (PAGE_BYTES - 1)) != 0) {
                return new Regions(-EINVAL, null, null);
            }
            MemorySegment rings = userMemory.resolve(ringsAddr, ringsBytes);
            if (rings == null) {
                return new Regions(-EFAULT, null, null);
            }
            if ((sqesAddr & (PAGE_BYTES - 1)) != 0) {
                return new Regions(-EINVAL, null, null);
            }
            MemorySegment sqes = userMemory.resolve(sqesAddr, sqesBytes);
            if (sqes == null) {
                return new Regions(-EFAULT, null, null);
            }
            return new Regions(0, rings, sqes);
        }
        if (onHeapRings) {
            // long[] backing: 8-byte aligned, as every field and CQE/SQE word access needs.
            MemorySegment rings = MemorySegment.ofArray(new long[Math.toIntExact(
                    RingGeometry.alignUp(ringsBytes, Long.BYTES) / Long.BYTES)]);
            MemorySegment sqes = MemorySegment.ofArray(new long[Math.toIntExact(
                    RingGeometry.alignUp(sqesBytes, Long.BYTES) / Long.BYTES)]);
            return new Regions(0, rings, sqes);
        }
        MemorySegment rings = arena.allocate(RingGeometry.alignUp(ringsBytes, PAGE_BYTES), PAGE_BYTES);
        MemorySegment sqes = arena.allocate(RingGeometry.alignUp(sqesBytes, PAGE_BYTES), PAGE_BYTES);
        return new Regions(0, rings, sqes);
    }

    private static void initHeader(MemorySegment rings, int sqEntries, int cqEntries) {
        writeOnce(rings, RingGeometry.SQ_RING_MASK, sqEntries - 1);
        writeOnce(rings, RingGeometry.CQ_RING_MASK, cqEntries - 1);
        writeOnce(rings, RingGeometry.SQ_RING_ENTRIES, sqEntries);
        writeOnce(rings, RingGeometry.CQ_RING_ENTRIES, cqEntries);
    }

    /**
     * {@code io_uring_fill_params}' answer: entries and the offsets of {@code struct io_rings}; {@code user_addr}
     * zeroed unless NO_MMAP. {@code sq_off.array} only when {@code writeArray} (a 6.18 resize leaves it).
     */
    private static void writeParams(MemorySegment p, int flags, int sqEntries, int cqEntries, boolean writeArray) {
        p.set(JAVA_INT, IoUringParams.SQ_ENTRIES_OFFSET, sqEntries);
        p.set(JAVA_INT, IoUringParams.CQ_ENTRIES_OFFSET, cqEntries);
        long sq = IoUringParams.SQ_OFF_OFFSET;
        p.set(JAVA_INT, sq + IoSqringOffsets.HEAD_OFFSET, RingGeometry.SQ_HEAD);
        p.set(JAVA_INT, sq + IoSqringOffsets.TAIL_OFFSET, RingGeometry.SQ_TAIL);
        p.set(JAVA_INT, sq + IoSqringOffsets.RING_MASK_OFFSET, RingGeometry.SQ_RING_MASK);
        p.set(JAVA_INT, sq + IoSqringOffsets.RING_ENTRIES_OFFSET, RingGeometry.SQ_RING_ENTRIES);
        p.set(JAVA_INT, sq + IoSqringOffsets.FLAGS_OFFSET, RingGeometry.SQ_FLAGS);
        p.set(JAVA_INT, sq + IoSqringOffsets.DROPPED_OFFSET, RingGeometry.SQ_DROPPED);
        if (writeArray) {
            p.set(JAVA_INT, sq + IoSqringOffsets.ARRAY_OFFSET, (int) RingGeometry.sqArrayOffset(flags, cqEntries));
        }
        p.set(JAVA_INT, sq + IoSqringOffsets.RESV1_OFFSET, 0);
        long cq = IoUringParams.CQ_OFF_OFFSET;
        p.set(JAVA_INT, cq + IoCqringOffsets.HEAD_OFFSET, RingGeometry.CQ_HEAD);
        p.set(JAVA_INT, cq + IoCqringOffsets.TAIL_OFFSET, RingGeometry.CQ_TAIL);
        p.set(JAVA_INT, cq + IoCqringOffsets.RING_MASK_OFFSET, RingGeometry.CQ_RING_MASK);
        p.set(JAVA_INT, cq + IoCqringOffsets.RING_ENTRIES_OFFSET, RingGeometry.CQ_RING_ENTRIES);
        p.set(JAVA_INT, cq + IoCqringOffsets.OVERFLOW_OFFSET, RingGeometry.CQ_OVERFLOW);
        p.set(JAVA_INT, cq + IoCqringOffsets.CQES_OFFSET, RingGeometry.CQES);
        p.set(JAVA_INT, cq + IoCqringOffsets.FLAGS_OFFSET, RingGeometry.CQ_FLAGS);
        p.set(JAVA_INT, cq + IoCqringOffsets.RESV1_OFFSET, 0);
        if ((flags & IORING_SETUP_NO_MMAP) == 0) {
            p.set(JAVA_LONG, sq + IoSqringOffsets.USER_ADDR_OFFSET, 0L);
            p.set(JAVA_LONG, cq + IoCqringOffsets.USER_ADDR_OFFSET, 0L);
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // io_uring_enter

    /**
     * {@code io_uring_enter}. Never blocks: see the class documentation for what an unsatisfiable GETEVENTS wait
     * answers.
     */
    @Override
    public int enter(Ring ring, int toSubmit, int minComplete, int flags, MemorySegment arg, long argSizeBytes) {
        if (isHeap(arg)) {
            try (Arena call = Arena.ofConfined()) {
                return enter(ring, toSubmit, minComplete, flags, nativeCopy(call, arg), argSizeBytes);
            }
        }
        ModelRing r = own(ring);
        if (r.closed) {
            return -EBADF;
        }
        // io_uring_enter: unknown enter flags -> -EINVAL
        if ((flags & ~profile.enterFlags()) != 0) {
            return -EINVAL;
        }
        // io_uring_enter: a ring still R_DISABLED -> -EBADFD
        if (r.has(IORING_SETUP_R_DISABLED)) {
            return -EBADFD;
        }
        if (r.has(IORING_SETUP_SQPOLL)) {
            throw new UnsupportedOperationException("SQPOLL rings are created but not executed by the model");
        }
        int ret = 0;
        boolean getEvents = (flags & IORING_ENTER_GETEVENTS) != 0;
        if (toSubmit != 0) {
            // io_uring_add_tctx_node: a SINGLE_ISSUER ring submitted from another task -> -EEXIST
            if (r.singleIssuer() && !r.isOwner()) {
                return -EEXIST;
            }
            ret = r.submitSqes(toSubmit);
            // io_uring_enter: fewer submitted than asked -> return at once, without the GETEVENTS part
            if (ret != toSubmit && !mutants.contains(Mutant.EARLY_RETURN_WAITS)) {
                return leave(r, ret, getEvents);
            }
            // io_uring_enter: DEFER_TASKRUN runs its local work here before waiting
            if (getEvents && r.has(IORING_SETUP_DEFER_TASKRUN)) {
                r.runLocalWork(minComplete);
            }
        }
        if (getEvents) {
            if (r.has(IORING_SETUP_IOPOLL)) {
                throw new UnsupportedOperationException("GETEVENTS on an IOPOLL ring (io_iopoll_check) is not "
                        + "modelled");
            }
            int ret2 = getEvents(r, minComplete, flags, arg, argSizeBytes);
            if (ret == 0) {
                ret = ret2;
            }
        }
        return leave(r, ret, getEvents);
    }

    /** The return to user space: task work of a non-DEFER ring runs before the syscall returns. */
    private int leave(ModelRing r, int ret, boolean getEvents) {
        if (!getEvents && mutants.contains(Mutant.FLUSH_OUTSIDE_GETEVENTS)) {
            r.overflowFlush();
        }
        r.runTaskWorkOnReturn();
        return ret;
    }

    /** {@code io_get_ext_arg} and {@code io_cqring_wait}. */
    private int getEvents(ModelRing r, int minComplete, int flags, MemorySegment arg, long argSizeBytes) {
        boolean timeout = false;
        // The signal mask: null when none was given; resolved only when the wait would sleep, like the kernel.
        long sigmask;
        long sigmaskSize;
        MemorySegment directSigmask = null;
        if ((flags & IORING_ENTER_EXT_ARG_REG) != 0) {
            throw new UnsupportedOperationException("IORING_ENTER_EXT_ARG_REG (registered wait regions) is not "
                    + "modelled");
        }
        if ((flags & IORING_ENTER_EXT_ARG) != 0) {
            // io_get_ext_arg: argsz must be sizeof(struct io_uring_getevents_arg) -> -EINVAL
            if (argSizeBytes != IoUringGeteventsArg.SIZE_BYTES) {
                return -EINVAL;
            }
            // io_get_ext_arg: copy_from_user -> -EFAULT
            MemorySegment a = at(arg, 0, IoUringGeteventsArg.SIZE_BYTES);
            if (a == null) {
                return -EFAULT;
            }
            sigmask = a.get(JAVA_LONG, IoUringGeteventsArg.SIGMASK_OFFSET);
            sigmaskSize = Integer.toUnsignedLong(a.get(JAVA_INT, IoUringGeteventsArg.SIGMASK_SZ_OFFSET));
            long ts = a.get(JAVA_LONG, IoUringGeteventsArg.TS_OFFSET);
            if (ts != 0) {
                // io_get_ext_arg: get_timespec64 -> -EFAULT
                if (userMemory.resolve(ts, 16) == null) {
                    return -EFAULT;
                }
                timeout = true;
            }
        } else {
            sigmask = isNull(arg) ? 0 : 1;
            sigmaskSize = argSizeBytes;
            directSigmask = at(arg, 0, 8);
        }
        // io_cqring_wait: a DEFER_TASKRUN ring waited on by another task -> -EEXIST (io_allowed_run_tw)
        if (r.has(IORING_SETUP_DEFER_TASKRUN) && !r.isOwner()) {
            return -EEXIST;
        }
        int min = Integer.compareUnsigned(minComplete, r.cqEntries) > 0 ? r.cqEntries : minComplete;
        int result = r.cqringWait(min, timeout);
        if (r.lastWaitWouldBlock && sigmask != 0) {
            // io_cqring_wait: set_user_sigmask before sleeping: wrong size -> -EINVAL, unreadable -> -EFAULT
            if (sigmaskSize != 8) {
                return -EINVAL;
            }
            boolean readable = (flags & IORING_ENTER_EXT_ARG) != 0 ? userMemory.resolve(sigmask, 8) != null
                    : directSigmask != null;
            if (!readable) {
                return -EFAULT;
            }
        }
        return result;
    }

    /**
     * Whether, on {@code ring}, Linux 6.18 has by now written a CQE through the stale cached range it keeps after a
     * failed refill, where these semantics queue it behind the overflow list or refill first: the point from which
     * that kernel departs (divergence catalogue entry cqe-stale-cache-jumps-overflow-list). The lockstep engine uses
     * it to tell that known difference from a new one, whatever shape it then takes.
     */
    public boolean kernelUsesStaleCqeCache(Ring ring) {
        return own(ring).kernelUsesStaleCqeCache;
    }

    /** Whether the last GETEVENTS wait on {@code ring} asked for CQEs that could never arrive. */
    public boolean lastWaitWouldBlock(Ring ring) {
        return own(ring).lastWaitWouldBlock;
    }

    /**
     * Test hook for model and emulator tests only: starts every counter of a fresh ring at {@code counter} (the
     * kernel's cached SQ head and CQ tail, and the shared {@code sq.head}, {@code sq.tail}, {@code cq.head},
     * {@code cq.tail}), so wrap-around near 2^32 can be tested without 2^32 submissions. A kernel offers no such
     * thing; lockstep code must not use it.
     */
    public void startCountersAt(Ring ring, int counter) {
        ModelRing r = own(ring);
        if (r.cachedSqHead != 0 || r.cachedCqTail != 0 || r.taskWorkPending() || r.ovCount != 0) {
            throw new IllegalStateException("startCountersAt needs a fresh ring");
        }
        r.cachedSqHead = counter;
        r.cachedCqTail = counter;
        r.invalidateCqeCache();
        storeRelease(r.rings, RingGeometry.SQ_HEAD, counter);
        storeRelease(r.rings, RingGeometry.SQ_TAIL, counter);
        storeRelease(r.rings, RingGeometry.CQ_HEAD, counter);
        storeRelease(r.rings, RingGeometry.CQ_TAIL, counter);
    }

    // ---------------------------------------------------------------------------------------------------------
    // io_uring_register

    @Override
    public int register(Ring ring, int opcode, MemorySegment arg, int nrArgs) {
        if (isHeap(arg)) {
            try (Arena call = Arena.ofConfined()) {
                MemorySegment copy = nativeCopy(call, arg);
                int result = register(ring, opcode, copy, nrArgs);
                MemorySegment.copy(copy, 0, arg, 0, arg.byteSize());
                return result;
            }
        }
        ModelRing r = own(ring);
        if (r.closed) {
            return -EBADF;
        }
        int op = opcode & ~IORING_REGISTER_USE_REGISTERED_RING;
        // io_uring_register: opcode >= IORING_REGISTER_LAST -> -EINVAL
        if (Integer.compareUnsigned(op, profile.registerLast()) >= 0) {
            return -EINVAL;
        }
        // __io_uring_register: a SINGLE_ISSUER ring registered from another task -> -EEXIST
        if (r.submitter != null && r.submitter != Thread.currentThread()) {
            return -EEXIST;
        }
        // __io_uring_register: a restricted ring refuses unlisted register opcodes -> -EACCES (before arguments)
        boolean registerRestricted = profile.splitRestrictions()
                ? r.regRegistered && !r.has(IORING_SETUP_R_DISABLED)
                : r.restricted;
        if (registerRestricted && (r.registerOpAllowed & (1L << op)) == 0) {
            return -EACCES;
        }
        return switch (op) {
            case IORING_REGISTER_PROBE -> isNull(arg) || Integer.compareUnsigned(nrArgs, 256) > 0 ? -EINVAL
                    : probe(arg, nrArgs);
            case IORING_REGISTER_RESTRICTIONS -> registerRestrictions(r, arg, nrArgs);
            case IORING_REGISTER_ENABLE_RINGS -> !isNull(arg) || nrArgs != 0 ? -EINVAL : enableRings(r);
            case IORING_REGISTER_RESIZE_RINGS -> isNull(arg) || nrArgs != 1 ? -EINVAL : resizeRings(r, arg);
            case IORING_REGISTER_QUERY -> query(arg, nrArgs);
            case IORING_REGISTER_FILES -> isNull(arg) ? -EFAULT : filesRegister(r, arg, nrArgs, 0);
            case IORING_UNREGISTER_FILES -> !isNull(arg) || nrArgs != 0 ? -EINVAL : filesUnregister(r);
            case IORING_REGISTER_FILES_UPDATE -> filesUpdateLegacy(r, arg, nrArgs);
            case IORING_REGISTER_FILES2 -> rsrcRegister(r, arg, nrArgs, true);
            case IORING_REGISTER_FILES_UPDATE2 -> rsrcUpdate(r, arg, nrArgs, true);
            case IORING_REGISTER_BUFFERS -> isNull(arg) ? -EFAULT : buffersRegister(r, arg, nrArgs, 0);
            case IORING_UNREGISTER_BUFFERS -> !isNull(arg) || nrArgs != 0 ? -EINVAL : buffersUnregister(r);
            case IORING_REGISTER_BUFFERS2 -> rsrcRegister(r, arg, nrArgs, false);
            case IORING_REGISTER_BUFFERS_UPDATE -> rsrcUpdate(r, arg, nrArgs, false);
            default -> throw new UnsupportedOperationException("register opcode " + op + " is not modelled");
        };
    }

    @Override
    public int registerWithoutRing(int opcode, MemorySegment arg, int nrArgs) {
        if (isHeap(arg)) {
            try (Arena call = Arena.ofConfined()) {
                MemorySegment copy = nativeCopy(call, arg);
                int result = registerWithoutRing(opcode, copy, nrArgs);
                MemorySegment.copy(copy, 0, arg, 0, arg.byteSize());
                return result;
            }
        }
        int op = opcode & ~IORING_REGISTER_USE_REGISTERED_RING;
        // io_uring_register: opcode >= IORING_REGISTER_LAST -> -EINVAL
        if (Integer.compareUnsigned(op, profile.registerLast()) >= 0) {
            return -EINVAL;
        }
        // io_uring_register_blind: QUERY and SEND_MSG_RING; from 7.0 also RESTRICTIONS and BPF_FILTER
        if (op == IORING_REGISTER_QUERY) {
            return query(arg, nrArgs);
        }
        if (op == IORING_REGISTER_SEND_MSG_RING
                || (profile.blindRestrictionsAndFilters() && (op == IORING_REGISTER_RESTRICTIONS
                        || op == IORING_REGISTER_BPF_FILTER))) {
            throw new UnsupportedOperationException("blind register opcode " + op + " is not modelled");
        }
        return -EINVAL;
    }

    @Override
    public int close(Ring ring) {
        ModelRing r = own(ring);
        synchronized (r) {
            if (r.closed) {
                return -EBADF;
            }
            r.closed = true;
        }
        live.remove(r.fd);
        r.arena.close();
        return 0;
    }

    /** {@code io_probe}. */
    private int probe(MemorySegment arg, int nrArgs) {
        // io_probe: nr_args is capped at IORING_OP_LAST
        int nr = Math.min(nrArgs, profile.opLast());
        long size = IoUringProbe.SIZE_BYTES + (long) nr * IoUringProbeOp.SIZE_BYTES;
        // io_probe: memdup_user -> -EFAULT
        MemorySegment p = at(arg, 0, size);
        if (p == null) {
            return -EFAULT;
        }
        // io_probe: any non-zero byte in the header or the slots -> -EINVAL
        for (long i = 0; i < size; i++) {
            if (p.get(JAVA_BYTE, i) != 0) {
                return -EINVAL;
            }
        }
        int lastOp = mutants.contains(Mutant.PROBE_LAST_OP_FROM_NR) ? nr - 1 : profile.opLast() - 1;
        p.set(JAVA_BYTE, IoUringProbe.LAST_OP_OFFSET, (byte) lastOp);
        p.set(JAVA_BYTE, IoUringProbe.OPS_LEN_OFFSET, (byte) nr);
        for (int i = 0; i < nr; i++) {
            long op = IoUringProbe.OPS_OFFSET + (long) i * IoUringProbeOp.SIZE_BYTES;
            p.set(JAVA_BYTE, op + IoUringProbeOp.OP_OFFSET, (byte) i);
            p.set(JAVA_SHORT, op + IoUringProbeOp.FLAGS_OFFSET, (short) IO_URING_OP_SUPPORTED);
        }
        return 0;
    }

    /** {@code io_register_restrictions} and {@code io_parse_restrictions}. */
    private int registerRestrictions(ModelRing r, MemorySegment arg, int nrArgs) {
        // io_register_restrictions: only on a ring that is still R_DISABLED -> -EBADFD
        if (!r.has(IORING_SETUP_R_DISABLED)) {
            return -EBADFD;
        }
        // io_register_restrictions: one registration only -> -EBUSY
        if (r.restrictionsRegistered || r.opRegistered || r.regRegistered) {
            return -EBUSY;
        }
        // io_parse_restrictions: NULL arg or too many entries -> -EINVAL
        if (isNull(arg) || Integer.compareUnsigned(nrArgs, profile.maxRestrictions()) > 0) {
            return -EINVAL;
        }
        MemorySegment res = at(arg, 0, (long) nrArgs * IoUringRestriction.SIZE_BYTES);
        if (res == null) {
            return -EFAULT;
        }
        long[] sqeOps = new long[2];
        long registerOps = 0;
        int allowed = 0;
        int required = 0;
        boolean anyOp = false;
        boolean anyReg = false;
        for (int i = 0; i < nrArgs; i++) {
            long at = (long) i * IoUringRestriction.SIZE_BYTES;
            int opcode = res.get(JAVA_SHORT, at + IoUringRestriction.OPCODE_OFFSET) & 0xffff;
            int value = res.get(JAVA_BYTE, at + IoUringRestriction.REGISTER_OP_OFFSET) & 0xff;
            switch (opcode) {
                case IORING_RESTRICTION_REGISTER_OP -> {
                    // io_parse_restrictions: register_op >= IORING_REGISTER_LAST -> -EINVAL
                    if (value >= profile.registerLast()) {
                        return -EINVAL;
                    }
                    registerOps |= 1L << value;
                    anyReg = true;
                }
                case IORING_RESTRICTION_SQE_OP -> {
                    // io_parse_restrictions: sqe_op >= IORING_OP_LAST -> -EINVAL
                    if (value >= profile.opLast()) {
                        return -EINVAL;
                    }
                    sqeOps[value >>> 6] |= 1L << (value & 63);
                    anyOp = true;
                }
                case IORING_RESTRICTION_SQE_FLAGS_ALLOWED -> {
                    allowed = value;
                    anyOp = true;
                }
                case IORING_RESTRICTION_SQE_FLAGS_REQUIRED -> {
                    required = value;
                    anyOp = true;
                }
                // io_parse_restrictions: unknown restriction opcode -> -EINVAL (the set stays empty)
                default -> {
                    return -EINVAL;
                }
            }
        }
        r.sqeOpAllowed[0] = sqeOps[0];
        r.sqeOpAllowed[1] = sqeOps[1];
        r.registerOpAllowed = registerOps;
        r.sqeFlagsAllowed = allowed;
        r.sqeFlagsRequired = required;
        if (profile.splitRestrictions()) {
            // io_register_restrictions (7.0+): op and register sets apply on their own; nr_args 0 sets both
            r.opRegistered = anyOp || nrArgs == 0;
            r.regRegistered = anyReg || nrArgs == 0;
        } else {
            r.restrictionsRegistered = true;
        }
        return 0;
    }

    /** {@code io_register_enable_rings}. */
    private int enableRings(ModelRing r) {
        // io_register_enable_rings: ring not disabled -> -EBADFD
        if (!r.has(IORING_SETUP_R_DISABLED)) {
            return -EBADFD;
        }
        // io_register_enable_rings: the caller becomes the SINGLE_ISSUER submitter task
        if (r.singleIssuer() && r.submitter == null) {
            r.submitter = Thread.currentThread();
        }
        if (r.restrictionsRegistered) {
            r.restricted = true;
        }
        r.flags &= ~IORING_SETUP_R_DISABLED;
        return 0;
    }

    /** {@code io_register_resize_rings} (A5), per profile. */
    private int resizeRings(ModelRing r, MemorySegment arg) {
        // io_register_resize_rings: only DEFER_TASKRUN rings -> -EINVAL
        if (!r.has(IORING_SETUP_DEFER_TASKRUN)) {
            return -EINVAL;
        }
        // io_register_resize_rings: copy_from_user -> -EFAULT
        MemorySegment p = at(arg, 0, IoUringParams.SIZE_BYTES);
        if (p == null) {
            return -EFAULT;
        }
        int requested = p.get(JAVA_INT, IoUringParams.FLAGS_OFFSET);
        // io_register_resize_rings: flags other than CQSIZE and CLAMP -> -EINVAL
        if ((requested & ~(IORING_SETUP_CQSIZE | IORING_SETUP_CLAMP)) != 0) {
            return -EINVAL;
        }
        int copyFlags = IORING_SETUP_NO_SQARRAY | IORING_SETUP_SQE128 | IORING_SETUP_CQE32 | IORING_SETUP_NO_MMAP
                | IORING_SETUP_CQE_MIXED | (profile.sqeMixed() ? IORING_SETUP_SQE_MIXED : 0);
        int flags = requested | (r.flags & copyFlags);
        if (profile.resizeSanitises()) {
            // io_prepare_config (6.19+): the merged flags are sanitised like setup's
            int result = sanitiseParams(flags);
            if (result != 0) {
                return result;
            }
        }
        // io_uring_fill_params
        RingSizing sizing = RingSizing.of(p.get(JAVA_INT, IoUringParams.SQ_ENTRIES_OFFSET), flags,
                p.get(JAVA_INT, IoUringParams.CQ_ENTRIES_OFFSET));
        if (!sizing.ok()) {
            return sizing.result();
        }
        int result = ringsSizeCheck(flags, sizing);
        if (result != 0) {
            return result;
        }
        int newSq = sizing.sqEntries();
        int newCq = sizing.cqEntries();
        Arena arena = Arena.ofShared();
        Regions regions = regions(arena, p, flags, newSq, newCq);
        if (regions.result != 0) {
            arena.close();
            return regions.result;
        }
        // io_register_resize_rings: the answer is copied out before the copy and overflow checks
        p.set(JAVA_INT, IoUringParams.FLAGS_OFFSET, flags);
        writeParams(p, flags, newSq, newCq, profile.resizeWritesSqArray());
        MemorySegment old = r.rings;
        int sqTail = readOnce(old, RingGeometry.SQ_TAIL);
        int sqHead = readOnce(old, RingGeometry.SQ_HEAD);
        int cqTail = readOnce(old, RingGeometry.CQ_TAIL);
        int cqHead = readOnce(old, RingGeometry.CQ_HEAD);
        // io_register_resize_rings: pending SQEs or CQEs that do not fit -> -EOVERFLOW, ring untouched
        if (Integer.compareUnsigned(sqTail - sqHead, newSq) > 0 || Integer.compareUnsigned(cqTail - cqHead, newCq) > 0) {
            arena.close();
            return -EOVERFLOW;
        }
        MemorySegment rings = regions.rings;
        MemorySegment sqes = regions.sqes;
        initHeader(rings, newSq, newCq);
        int sqeBytes = r.has(IORING_SETUP_SQE128) ? 128 : 64;
        for (int i = sqHead; i != sqTail; i++) {
            MemorySegment.copy(r.sqes, (long) (i & (r.sqEntries - 1)) * sqeBytes, sqes,
                    (long) (i & (newSq - 1)) * sqeBytes, sqeBytes);
        }
        writeOnce(rings, RingGeometry.SQ_HEAD, sqHead);
        writeOnce(rings, RingGeometry.SQ_TAIL, sqTail);
        int cqeBytes = r.has(IORING_SETUP_CQE32) ? 32 : 16;
        for (int i = cqHead; i != cqTail; i++) {
            MemorySegment.copy(old, RingGeometry.CQES + (long) (i & (r.cqEntries - 1)) * cqeBytes, rings,
                    RingGeometry.CQES + (long) (i & (newCq - 1)) * cqeBytes, cqeBytes);
        }
        writeOnce(rings, RingGeometry.CQ_HEAD, cqHead);
        writeOnce(rings, RingGeometry.CQ_TAIL, cqTail);
        writeOnce(rings, RingGeometry.SQ_DROPPED, readOnce(old, RingGeometry.SQ_DROPPED));
        // io_register_resize_rings: the new rings also get IORING_SQ_TASKRUN | IORING_SQ_NEED_WAKEUP, whatever
        // the setup flags, so an application acts on any flag set during the swap (upstream 96189080265e, 7.0,
        // backported to the 6.19 and 6.18 stable trees; measured on 6.18.44). Earlier stable releases copy the
        // old flags unchanged.
        writeOnce(rings, RingGeometry.SQ_FLAGS,
                readOnce(old, RingGeometry.SQ_FLAGS) | IORING_SQ_TASKRUN | IORING_SQ_NEED_WAKEUP);
        writeOnce(rings, RingGeometry.CQ_FLAGS, readOnce(old, RingGeometry.CQ_FLAGS));
        writeOnce(rings, RingGeometry.CQ_OVERFLOW, readOnce(old, RingGeometry.CQ_OVERFLOW));
        r.invalidateCqeCache();
        RingParams before = r.params;
        RingParams written = RingParams.read(p);
        RingParams answer = new RingParams(newSq, newCq, r.flags, before.features(), written.sqOff(),
                written.cqOff()).withSqArray((int) RingGeometry.sqArrayOffset(r.flags, newCq));
        Arena oldArena = r.arena;
        r.map(arena, answer, rings, sqes);
        oldArena.close();
        return 0;
    }

    /** {@code io_query}: a chain of headers linked by address, each resolved through {@link UserMemory}. */
    private int query(MemorySegment arg, int nrArgs) {
        // io_query: nr_args != 0 -> -EINVAL
        if (nrArgs != 0) {
            return -EINVAL;
        }
        if (isNull(arg)) {
            return 0;
        }
        MemorySegment hdr = at(arg, 0, IoUringQueryHdr.SIZE_BYTES);
        int entries = 0;
        while (true) {
            // io_query: more than IO_MAX_QUERY_ENTRIES headers (a cycle) -> -ERANGE
            if (++entries > MAX_QUERY_ENTRIES) {
                return -ERANGE;
            }
            // io_handle_query_entry: copy_from_user(hdr) -> -EFAULT
            if (hdr == null) {
                return -EFAULT;
            }
            int result = queryEntry(hdr);
            if (result != 0) {
                return result;
            }
            long next = hdr.get(JAVA_LONG, IoUringQueryHdr.NEXT_ENTRY_OFFSET);
            if (next == 0) {
                return 0;
            }
            hdr = userMemory.resolve(next, IoUringQueryHdr.SIZE_BYTES);
        }
    }

    /** {@code io_handle_query_entry}: per-entry errors go to {@code hdr.result}; faults end the syscall. */
    private int queryEntry(MemorySegment hdr) {
        int userSize = hdr.get(JAVA_INT, IoUringQueryHdr.SIZE_OFFSET);
        int size = Integer.compareUnsigned(userSize, MAX_QUERY_SIZE) > 0 ? MAX_QUERY_SIZE : userSize;
        long data = hdr.get(JAVA_LONG, IoUringQueryHdr.QUERY_DATA_OFFSET);
        int op = hdr.get(JAVA_INT, IoUringQueryHdr.QUERY_OP_OFFSET);
        int ret;
        long[] answer = new long[MAX_QUERY_SIZE / Long.BYTES];
        int answerSize = 0;
        boolean resvZero = hdr.get(JAVA_INT, IoUringQueryHdr.RESV_OFFSET) == 0
                && hdr.get(JAVA_INT, IoUringQueryHdr.RESV_OFFSET + 4) == 0
                && hdr.get(JAVA_INT, IoUringQueryHdr.RESV_OFFSET + 8) == 0;
        if (Integer.compareUnsigned(op, profile.nrQueryOpcodes()) >= 0) {
            // io_handle_query_entry: unknown query_op -> result -EOPNOTSUPP
            ret = -EOPNOTSUPP;
        } else if (!resvZero || hdr.get(JAVA_INT, IoUringQueryHdr.RESULT_OFFSET) != 0 || size == 0) {
            // io_handle_query_entry: resv, an incoming result or size 0 -> result -EINVAL
            ret = -EINVAL;
        } else {
            // io_handle_query_entry: copy_from_user(query_data, size) -> -EFAULT
            if (userMemory.resolve(data, size) == null) {
                return -EFAULT;
            }
            MemorySegment out = MemorySegment.ofArray(answer);
            switch (op) {
                case 0 -> {
                    // io_query_ops
                    out.set(JAVA_INT, IoUringQueryOpcode.NR_REQUEST_OPCODES_OFFSET, profile.opLast());
                    out.set(JAVA_INT, IoUringQueryOpcode.NR_REGISTER_OPCODES_OFFSET, profile.registerLast());
                    out.set(JAVA_LONG, IoUringQueryOpcode.FEATURE_FLAGS_OFFSET, Integer.toUnsignedLong(
                            profile.features()));
                    out.set(JAVA_LONG, IoUringQueryOpcode.RING_SETUP_FLAGS_OFFSET, Integer.toUnsignedLong(
                            profile.setupFlags()));
                    out.set(JAVA_LONG, IoUringQueryOpcode.ENTER_FLAGS_OFFSET, Integer.toUnsignedLong(
                            profile.enterFlags()));
                    out.set(JAVA_LONG, IoUringQueryOpcode.SQE_FLAGS_OFFSET, Integer.toUnsignedLong(
                            profile.sqeFlags()));
                    out.set(JAVA_INT, IoUringQueryOpcode.NR_QUERY_OPCODES_OFFSET, profile.nrQueryOpcodes());
                    answerSize = (int) IoUringQueryOpcode.SIZE_BYTES;
                }
                case 2 -> {
                    // io_query_scq (6.19+): sizeof(struct io_rings) and SMP_CACHE_BYTES
                    out.set(JAVA_LONG, 0, RingGeometry.CQES);
                    out.set(JAVA_LONG, 8, RingGeometry.CACHE_LINE_BYTES);
                    answerSize = 16;
                }
                default -> throw new UnsupportedOperationException("query op " + op + " is not modelled");
            }
            ret = 0;
        }
        int written = ret == 0 ? (int) Math.min(Integer.toUnsignedLong(userSize), answerSize) : 0;
        // copy_struct_to_user: the answer, then zeros up to the user's size -> -EFAULT if unwritable
        if (userSize != 0) {
            MemorySegment user = userMemory.resolve(data, Integer.toUnsignedLong(userSize));
            if (user == null) {
                return -EFAULT;
            }
            user.fill((byte) 0);
            MemorySegment.copy(MemorySegment.ofArray(answer), 0, user, 0, written);
        }
        hdr.set(JAVA_INT, IoUringQueryHdr.RESULT_OFFSET, ret);
        hdr.set(JAVA_INT, IoUringQueryHdr.SIZE_OFFSET, written);
        return 0;
    }

    // ---------------------------------------------------------------------------------------------------------
    // Files and buffers (io_uring/rsrc.c, filetable.c)

    /** {@code io_register_rsrc}: FILES2 and BUFFERS2 with {@code struct io_uring_rsrc_register}. */
    private int rsrcRegister(ModelRing r, MemorySegment arg, int size, boolean files) {
        // io_register_rsrc: size != sizeof(struct io_uring_rsrc_register) -> -EINVAL
        if (size != IoUringRsrcRegister.SIZE_BYTES) {
            return -EINVAL;
        }
        MemorySegment rr = at(arg, 0, IoUringRsrcRegister.SIZE_BYTES);
        if (rr == null) {
            return -EFAULT;
        }
        int nr = rr.get(JAVA_INT, IoUringRsrcRegister.NR_OFFSET);
        int flags = rr.get(JAVA_INT, IoUringRsrcRegister.FLAGS_OFFSET);
        long data = rr.get(JAVA_LONG, IoUringRsrcRegister.DATA_OFFSET);
        long tags = rr.get(JAVA_LONG, IoUringRsrcRegister.TAGS_OFFSET);
        // io_register_rsrc: nr 0 or resv2 -> -EINVAL; unknown flags -> -EINVAL
        if (nr == 0 || rr.get(JAVA_LONG, IoUringRsrcRegister.RESV2_OFFSET) != 0) {
            return -EINVAL;
        }
        if ((flags & ~IORING_RSRC_REGISTER_SPARSE) != 0) {
            return -EINVAL;
        }
        // io_register_rsrc: SPARSE with data -> -EINVAL
        if ((flags & IORING_RSRC_REGISTER_SPARSE) != 0 && data != 0) {
            return -EINVAL;
        }
        MemorySegment base = data == 0 ? null : MemorySegment.ofAddress(data);
        return files ? filesRegister(r, base, nr, tags) : buffersRegister(r, base, nr, tags);
    }

    /** {@code io_sqe_files_register}; {@code fds} null means sparse. */
    private int filesRegister(ModelRing r, MemorySegment fds, int nrArgs, long tags) {
        // io_sqe_files_register: nr_args 0 -> -EINVAL; a table already -> -EBUSY; too many -> -EMFILE
        if (nrArgs == 0) {
            return -EINVAL;
        }
        if (r.files != null) {
            return -EBUSY;
        }
        if (Integer.compareUnsigned(nrArgs, MAX_FIXED_FILES) > 0 || Integer.toUnsignedLong(nrArgs)
                > fdTable.noFileLimit()) {
            return -EMFILE;
        }
        int[] table = new int[nrArgs];
        for (int i = 0; i < nrArgs; i++) {
            long tag = 0;
            if (tags != 0) {
                MemorySegment t = userMemory.resolve(tags + 8L * i, 8);
                if (t == null) {
                    return -EFAULT;
                }
                tag = t.get(JAVA_LONG, 0);
            }
            int fd = -1;
            if (fds != null) {
                MemorySegment f = at(fds, 4L * i, 4);
                if (f == null) {
                    return -EFAULT;
                }
                fd = f.get(JAVA_INT, 0);
            }
            // io_sqe_files_register: a sparse slot with a tag -> -EINVAL
            if (fds == null || fd == -1) {
                if (tag != 0) {
                    return -EINVAL;
                }
                table[i] = -1;
                continue;
            }
            if (tag != 0) {
                throw new UnsupportedOperationException("resource tags are not modelled");
            }
            // io_sqe_files_register: fget fails, or an io_uring file -> -EBADF
            if (!fdTable.isOpen(fd) || live.containsKey(fd)) {
                return -EBADF;
            }
            table[i] = fd;
        }
        r.files = table;
        return 0;
    }

    /** {@code io_sqe_files_unregister}. */
    private static int filesUnregister(ModelRing r) {
        if (r.files == null) {
            return -ENXIO;
        }
        r.files = null;
        return 0;
    }

    /** {@code io_register_files_update}: the legacy {@code struct io_uring_rsrc_update}. */
    private int filesUpdateLegacy(ModelRing r, MemorySegment arg, int nrArgs) {
        if (nrArgs == 0) {
            return -EINVAL;
        }
        MemorySegment up = at(arg, 0, IoUringRsrcUpdate.SIZE_BYTES);
        if (up == null) {
            return -EFAULT;
        }
        if (up.get(JAVA_INT, IoUringRsrcUpdate.RESV_OFFSET) != 0) {
            return -EINVAL;
        }
        return rsrcUpdateCommon(r, true, up.get(JAVA_INT, IoUringRsrcUpdate.OFFSET_OFFSET),
                up.get(JAVA_LONG, IoUringRsrcUpdate.DATA_OFFSET), 0, nrArgs);
    }

    /** {@code io_register_rsrc_update}: FILES_UPDATE2 and BUFFERS_UPDATE. */
    private int rsrcUpdate(ModelRing r, MemorySegment arg, int size, boolean files) {
        if (size != IoUringRsrcUpdate2.SIZE_BYTES) {
            return -EINVAL;
        }
        MemorySegment up = at(arg, 0, IoUringRsrcUpdate2.SIZE_BYTES);
        if (up == null) {
            return -EFAULT;
        }
        int nr = up.get(JAVA_INT, IoUringRsrcUpdate2.NR_OFFSET);
        if (nr == 0 || up.get(JAVA_INT, IoUringRsrcUpdate2.RESV_OFFSET) != 0
                || up.get(JAVA_INT, IoUringRsrcUpdate2.RESV2_OFFSET) != 0) {
            return -EINVAL;
        }
        return rsrcUpdateCommon(r, files, up.get(JAVA_INT, IoUringRsrcUpdate2.OFFSET_OFFSET),
                up.get(JAVA_LONG, IoUringRsrcUpdate2.DATA_OFFSET), up.get(JAVA_LONG, IoUringRsrcUpdate2.TAGS_OFFSET),
                nr);
    }

    /** {@code __io_register_rsrc_update}. */
    private int rsrcUpdateCommon(ModelRing r, boolean files, int offset, long data, long tags, int nrArgs) {
        // __io_register_rsrc_update: offset + nr overflows u32 -> -EOVERFLOW
        if (Long.compareUnsigned(Integer.toUnsignedLong(offset) + Integer.toUnsignedLong(nrArgs), 0xffffffffL) > 0) {
            return -EOVERFLOW;
        }
        return files ? filesUpdate(r, offset, data, tags, nrArgs) : buffersUpdate(r, offset, data, tags, nrArgs);
    }

    /** {@code __io_sqe_files_update}: returns how many were done, or the error of the first. */
    private int filesUpdate(ModelRing r, int offset, long data, long tags, int nrArgs) {
        if (r.files == null) {
            return -ENXIO;
        }
        if (Integer.toUnsignedLong(offset) + Integer.toUnsignedLong(nrArgs) > r.files.length) {
            return -EINVAL;
        }
        int done;
        int err = 0;
        for (done = 0; done < nrArgs; done++) {
            long tag = 0;
            if (tags != 0) {
                MemorySegment t = userMemory.resolve(tags + 8L * done, 8);
                if (t == null) {
                    err = -EFAULT;
                    break;
                }
                tag = t.get(JAVA_LONG, 0);
            }
            MemorySegment f = userMemory.resolve(data + 4L * done, 4);
            if (f == null) {
                err = -EFAULT;
                break;
            }
            int fd = f.get(JAVA_INT, 0);
            // __io_sqe_files_update: SKIP or -1 with a tag -> -EINVAL
            if ((fd == IORING_REGISTER_FILES_SKIP || fd == -1) && tag != 0) {
                err = -EINVAL;
                break;
            }
            if (fd == IORING_REGISTER_FILES_SKIP) {
                continue;
            }
            if (tag != 0) {
                throw new UnsupportedOperationException("resource tags are not modelled");
            }
            int slot = offset + done;
            r.files[slot] = -1;
            if (fd != -1) {
                // __io_sqe_files_update: fget fails, or an io_uring file -> -EBADF
                if (!fdTable.isOpen(fd) || live.containsKey(fd)) {
                    err = -EBADF;
                    break;
                }
                r.files[slot] = fd;
            }
        }
        return done != 0 ? done : err;
    }

    /** {@code io_sqe_buffers_register}; {@code iovecs} null means sparse. */
    private int buffersRegister(ModelRing r, MemorySegment iovecs, int nrArgs, long tags) {
        // io_sqe_buffers_register: a table already -> -EBUSY; nr 0 or too many -> -EINVAL
        if (r.buffers != null) {
            return -EBUSY;
        }
        if (nrArgs == 0 || Integer.compareUnsigned(nrArgs, MAX_REG_BUFFERS) > 0) {
            return -EINVAL;
        }
        boolean[] table = new boolean[nrArgs];
        for (int i = 0; i < nrArgs; i++) {
            long base = 0;
            long len = 0;
            if (iovecs != null) {
                MemorySegment iov = at(iovecs, 16L * i, 16);
                if (iov == null) {
                    return -EFAULT;
                }
                base = iov.get(JAVA_LONG, 0);
                len = iov.get(JAVA_LONG, 8);
                int result = bufferValidate(base, len);
                if (result != 0) {
                    return result;
                }
            }
            long tag = tagAt(tags, i);
            if (tag == Long.MIN_VALUE) {
                return -EFAULT;
            }
            int result = bufferRegister(base, len);
            if (result < 0) {
                return result;
            }
            if (tag != 0) {
                // io_sqe_buffers_register: a tag on a sparse slot -> -EINVAL
                if (result == 0) {
                    return -EINVAL;
                }
                throw new UnsupportedOperationException("resource tags are not modelled");
            }
            table[i] = result == 1;
        }
        r.buffers = table;
        return 0;
    }

    private long tagAt(long tags, int i) {
        if (tags == 0) {
            return 0;
        }
        MemorySegment t = userMemory.resolve(tags + 8L * i, 8);
        return t == null ? Long.MIN_VALUE : t.get(JAVA_LONG, 0);
    }

    /** {@code io_buffer_validate}. */
    private static int bufferValidate(long base, long len) {
        if (base == 0) {
            return len != 0 ? -EFAULT : 0;
        }
        if (Long.compareUnsigned(len, SZ_1G) > 0) {
            return -EFAULT;
        }
        long acct = len + (PAGE_BYTES - 1);
        if (Long.compareUnsigned(base + acct, base) < 0) {
            return -EOVERFLOW;
        }
        return 0;
    }

    /** {@code io_sqe_buffer_register}: 0 for a sparse slot, 1 for a pinned buffer, -EFAULT if unpinnable. */
    private int bufferRegister(long base, long len) {
        if (base == 0) {
            return 0;
        }
        // io_sqe_buffer_register: a buffer of no bytes pins no page -> -EFAULT (measured on 6.18.44 by the
        // lockstep engine: seed 24, registerBuffers(1 x 0 bytes))
        if (len == 0) {
            return -EFAULT;
        }
        return userMemory.resolve(base, len) == null ? -EFAULT : 1;
    }

    /** {@code io_sqe_buffers_unregister}. */
    private static int buffersUnregister(ModelRing r) {
        if (r.buffers == null) {
            return -ENXIO;
        }
        r.buffers = null;
        return 0;
    }

    /** {@code __io_sqe_buffers_update}. */
    private int buffersUpdate(ModelRing r, int offset, long data, long tags, int nrArgs) {
        if (r.buffers == null) {
            return -ENXIO;
        }
        if (Integer.toUnsignedLong(offset) + Integer.toUnsignedLong(nrArgs) > r.buffers.length) {
            return -EINVAL;
        }
        int done;
        int err = 0;
        for (done = 0; done < nrArgs; done++) {
            MemorySegment iov = userMemory.resolve(data + 16L * done, 16);
            if (iov == null) {
                err = -EFAULT;
                break;
            }
            long tag = tagAt(tags, done);
            if (tag == Long.MIN_VALUE) {
                err = -EFAULT;
                break;
            }
            long base = iov.get(JAVA_LONG, 0);
            long len = iov.get(JAVA_LONG, 8);
            err = bufferValidate(base, len);
            if (err != 0) {
                break;
            }
            int result = bufferRegister(base, len);
            if (result < 0) {
                err = result;
                break;
            }
            if (tag != 0) {
                if (result == 0) {
                    err = -EINVAL;
                    break;
                }
                throw new UnsupportedOperationException("resource tags are not modelled");
            }
            r.buffers[offset + done] = result == 1;
        }
        return done != 0 ? done : err;
    }

    // ---------------------------------------------------------------------------------------------------------
    // Helpers

    /**
     * The {@code size} bytes at {@code offset} of a pointer argument: the segment itself when it is large enough,
     * else the application's memory at that address through {@link UserMemory}; null (answered -EFAULT) when
     * neither holds them. Never touches an address it cannot resolve.
     */
    private MemorySegment at(MemorySegment arg, long offset, long size) {
        if (isNull(arg)) {
            return null;
        }
        if (arg.byteSize() >= offset + size) {
            return arg.asSlice(offset, size);
        }
        if (arg.isNative()) {
            return userMemory.resolve(arg.address() + offset, size);
        }
        return null;
    }

    /**
     * A heap argument (any alignment) is read and written through an aligned native copy, as NativeIoUring does;
     * addresses inside it still resolve through {@link UserMemory}.
     */
    private static boolean isHeap(MemorySegment segment) {
        return segment != null && !segment.isNative();
    }

    private static MemorySegment nativeCopy(Arena call, MemorySegment heap) {
        return call.allocate(Math.max(heap.byteSize(), 1), 16).copyFrom(heap);
    }

    private static boolean isNull(MemorySegment segment) {
        return segment == null || (segment.isNative() && segment.address() == 0);
    }

    private ModelRing own(Ring ring) {
        if (ring instanceof ModelRing r && r.kernel == this) {
            return r;
        }
        throw new IllegalArgumentException("not a ring of this model: " + ring);
    }
}
