package dev.ringspec.model;

import static dev.ringspec.seam.SharedMemory.writeOnce;
import static dev.ringspec.uapi.Errno.EFAULT;
import static dev.ringspec.uapi.Errno.EINVAL;
import static dev.ringspec.uapi.Errno.ENXIO;
import static dev.ringspec.uapi.Errno.EOVERFLOW;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_ATTACH_WQ;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_COOP_TASKRUN;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_CQE32;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_CQE_MIXED;
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
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.ringspec.seam.IoUringKernel.SetupResult;
import dev.ringspec.seam.RingGeometry;
import dev.ringspec.seam.RingParams;
import dev.ringspec.uapi.IoCqringOffsets;
import dev.ringspec.uapi.IoSqringOffsets;
import dev.ringspec.uapi.IoUringParams;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * {@code io_uring_setup} and {@code io_uring_create} (io_uring/io_uring.c, ring-semantics.md section 1 and A1):
 * {@code io_uring_sanitise_params}, {@code io_uring_fill_params} ({@link RingSizing}), {@code rings_size},
 * {@code io_allocate_scq_urings} and the argument checks of {@code io_sq_offload_create}, in the kernel's order;
 * the offsets and features written back byte for byte. A resize ({@link ResizeRings}) reuses the same steps.
 */
final class IoUringSetup {
    static final long PAGE_BYTES = 4096;

    private final ModelIoUring kernel;
    private final KernelProfile profile;
    private final UserArgs args;
    private final RuleSink rules;

    IoUringSetup(ModelIoUring kernel, UserArgs args, RuleSink rules) {
        this.kernel = kernel;
        this.profile = kernel.profile();
        this.args = args;
        this.rules = rules;
    }

    /**
     * {@code io_uring_setup} on params in native memory; {@code ring} makes the ring of a descriptor. {@code fd} is
     * the descriptor taken before setup ({@link ModelIoUring.RingDescriptors#map} may place the regions in it), or
     * -1.
     */
    SetupResult setup(int entries, MemorySegment params, int fd, RingFactory ring) {
        // io_uring_setup: copy_from_user(params) -> -EFAULT
        MemorySegment p = args.at(params, 0, IoUringParams.SIZE_BYTES);
        if (p == null) {
            return failed(-EFAULT);
        }
        // io_uring_setup: non-zero resv -> -EINVAL
        for (int i = 0; i < 3; i++) {
            if (p.get(JAVA_INT, IoUringParams.RESV_OFFSET + 4L * i) != 0) {
                rules.fire(Rules.SETUP_RESV, 0);
                return failed(-EINVAL);
            }
        }
        int flags = p.get(JAVA_INT, IoUringParams.FLAGS_OFFSET);
        int result = sanitiseParams(flags);
        if (result != 0) {
            return failed(result);
        }
        // io_uring_fill_params
        RingSizing sizing = RingSizing.of(entries, flags, p.get(JAVA_INT, IoUringParams.CQ_ENTRIES_OFFSET));
        if (!sizing.ok()) {
            rules.fire(Rules.FILL_PARAMS_ENTRIES, Integer.toUnsignedLong(entries));
            return failed(sizing.result());
        }
        result = ringsSizeCheck(flags, sizing);
        if (result != 0) {
            return failed(result);
        }
        Arena arena = Arena.ofShared();
        MemorySegment[] regions = new MemorySegment[2];
        result = allocateScqUrings(arena, p, flags, sizing.sqEntries(), sizing.cqEntries(), regions, fd);
        if (result != 0) {
            arena.close();
            return failed(result);
        }
        result = sqOffloadCheck(flags, p.get(JAVA_INT, IoUringParams.WQ_FD_OFFSET),
                p.get(JAVA_INT, IoUringParams.SQ_THREAD_CPU_OFFSET));
        if (result != 0) {
            arena.close();
            return failed(result);
        }
        writeParams(profile.ringLayout(), p, flags, sizing.sqEntries(), sizing.cqEntries(), true);
        p.set(JAVA_INT, IoUringParams.FEATURES_OFFSET, profile.features());
        RingParams answer = RingParams.read(p).withSqArray((int) profile.ringLayout().sqArrayOffset(flags,
                sizing.cqEntries()));
        initHeader(profile.ringLayout(), regions[0], sizing.sqEntries(), sizing.cqEntries());
        IoUringTask task = kernel.currentTask();
        // io_uring_create: a SINGLE_ISSUER ring belongs to its creator, unless R_DISABLED defers it to the enabler
        IoUringTask owner = (flags & IORING_SETUP_SINGLE_ISSUER) != 0 && (flags & IORING_SETUP_R_DISABLED) == 0
                ? task : null;
        ModelRing created = ring.create(flags, owner, new Regions(arena, answer, regions[0], regions[1], flags));
        if (!kernel.mutants().contains(Mutant.RING_IGNORES_TASK_RESTRICTIONS)) {
            inheritTaskRestrictions(task, created);
        }
        return new SetupResult.Created(created);
    }

    /**
     * {@code io_uring_create} (7.0+): a task's restrictions are copied into every ring it creates
     * ({@code io_ctx_restriction_clone}), applied at once, R_DISABLED or not.
     */
    private void inheritTaskRestrictions(IoUringTask task, ModelRing ring) {
        RestrictionSet set = task.restrictions();
        if (set != null) {
            ring.rules().fire(Rules.RING_INHERITS_TASK_RESTRICTIONS, 0);
            ring.restrictions().inherit(set);
        }
        RestrictionFilters filters = task.filters();
        if (filters != null && filters.table() != null
                && !kernel.mutants().contains(Mutant.BPF_RING_DROPS_TASK_FILTERS)) {
            // io_ctx_restriction_clone: io_bpf_filter_clone shares the task's filters with the ring, copy-on-write
            ring.rules().fire(Rules.RING_INHERITS_TASK_FILTERS, 0);
            ring.bpfFilters().filters().cloneFrom(filters, kernel.profile().bpfCloneMarksSourceCow());
        }
    }

    /** Makes the ring once setup succeeded. */
    @FunctionalInterface
    interface RingFactory {
        ModelRing create(int flags, IoUringTask owner, Regions regions);
    }

    private static SetupResult failed(int result) {
        return new SetupResult.Failed(result);
    }

    /** {@code io_uring_sanitise_params}, in the kernel's order. */
    int sanitiseParams(int flags) {
        // io_uring_sanitise_params: unknown setup flags -> -EINVAL
        if ((flags & ~profile.setupFlags()) != 0) {
            return sanitiseFailed(Rules.SANITISE_UNKNOWN_FLAGS, flags & ~profile.setupFlags());
        }
        // io_uring_sanitise_params: REGISTERED_FD_ONLY needs NO_MMAP (no fd to mmap through)
        if ((flags & IORING_SETUP_REGISTERED_FD_ONLY) != 0 && (flags & IORING_SETUP_NO_MMAP) == 0) {
            return sanitiseFailed(Rules.SANITISE_FLAG_COMBINATION, flags);
        }
        // io_uring_sanitise_params: SQPOLL excludes COOP_TASKRUN, TASKRUN_FLAG and DEFER_TASKRUN
        if ((flags & IORING_SETUP_SQPOLL) != 0
                && (flags & (IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG
                        | IORING_SETUP_DEFER_TASKRUN)) != 0) {
            return sanitiseFailed(Rules.SANITISE_FLAG_COMBINATION, flags);
        }
        // io_uring_sanitise_params: TASKRUN_FLAG needs COOP_TASKRUN or DEFER_TASKRUN
        if ((flags & IORING_SETUP_TASKRUN_FLAG) != 0
                && (flags & (IORING_SETUP_COOP_TASKRUN | IORING_SETUP_DEFER_TASKRUN)) == 0) {
            return sanitiseFailed(Rules.SANITISE_FLAG_COMBINATION, flags);
        }
        // io_uring_sanitise_params: HYBRID_IOPOLL needs IOPOLL
        if ((flags & IORING_SETUP_HYBRID_IOPOLL) != 0 && (flags & IORING_SETUP_IOPOLL) == 0) {
            return sanitiseFailed(Rules.SANITISE_FLAG_COMBINATION, flags);
        }
        // io_uring_sanitise_params: DEFER_TASKRUN needs SINGLE_ISSUER
        if ((flags & IORING_SETUP_DEFER_TASKRUN) != 0 && (flags & IORING_SETUP_SINGLE_ISSUER) == 0) {
            return sanitiseFailed(Rules.SANITISE_FLAG_COMBINATION, flags);
        }
        // io_uring_sanitise_params: CQE32 with CQE_MIXED -> -EINVAL
        if ((flags & (IORING_SETUP_CQE32 | IORING_SETUP_CQE_MIXED))
                == (IORING_SETUP_CQE32 | IORING_SETUP_CQE_MIXED)) {
            return sanitiseFailed(Rules.SANITISE_FLAG_COMBINATION, flags);
        }
        if (profile.sqeMixed()) {
            // io_uring_sanitise_params (6.19+): SQE128 with SQE_MIXED -> -EINVAL
            if ((flags & (IORING_SETUP_SQE128 | IORING_SETUP_SQE_MIXED))
                    == (IORING_SETUP_SQE128 | IORING_SETUP_SQE_MIXED)) {
                return sanitiseFailed(Rules.SANITISE_FLAG_COMBINATION, flags);
            }
        }
        if (profile.sqRewind() && (flags & IORING_SETUP_SQ_REWIND) != 0) {
            // io_uring_sanitise_params (7.0+): SQ_REWIND needs NO_SQARRAY and excludes SQPOLL
            if ((flags & IORING_SETUP_NO_SQARRAY) == 0 || (flags & IORING_SETUP_SQPOLL) != 0) {
                return sanitiseFailed(Rules.SANITISE_FLAG_COMBINATION, flags);
            }
        }
        return 0;
    }

    private int sanitiseFailed(Rule rule, int detail) {
        rules.fire(rule, Integer.toUnsignedLong(detail));
        return -EINVAL;
    }

    /**
     * The argument checks of {@code io_sq_offload_create} and {@code io_attach_sq_data} (read from the source, the
     * same in 6.1 to 7.3): ATTACH_WQ needs an open descriptor (-ENXIO) that is an io_uring (-EINVAL), here a live
     * model ring, and with SQPOLL one that has an SQ thread (-EINVAL); SQ_AFF needs SQPOLL, and a new SQ thread a
     * CPU that is online and allowed to the task ({@link SqPoll#cpuAllowed}). An SQ thread shared through
     * ATTACH_WQ ignores SQ_AFF. The thread of another process (io_attach_sq_data's -EPERM, after which the kernel
     * makes a new thread) is not modelled: the model has one process.
     */
    private int sqOffloadCheck(int flags, int wqFd, int sqThreadCpu) {
        boolean sqPoll = (flags & IORING_SETUP_SQPOLL) != 0;
        if ((flags & IORING_SETUP_ATTACH_WQ) != 0) {
            // io_sq_offload_create, io_attach_sq_data: ATTACH_WQ with a closed wq_fd -> -ENXIO, not an io_uring
            // -> -EINVAL
            if (!kernel.isRingFd(wqFd) && !kernel.descriptorTable().isOpen(wqFd)) {
                return -ENXIO;
            }
            ModelRing target = kernel.liveRing(wqFd);
            if (target == null) {
                return -EINVAL;
            }
            // io_attach_sq_data: SQPOLL attached to a ring without an SQ thread (no sq_data) -> -EINVAL
            if (sqPoll && !target.has(IORING_SETUP_SQPOLL)) {
                rules.fire(Rules.SQPOLL_ATTACH_WITHOUT_SQ_THREAD, Integer.toUnsignedLong(wqFd));
                return -EINVAL;
            }
            if (sqPoll) {
                // io_sq_offload_create: an attached ring shares the thread, SQ_AFF is not looked at
                return 0;
            }
        }
        // io_sq_offload_create: SQ_AFF without SQPOLL -> -EINVAL
        if ((flags & IORING_SETUP_SQ_AFF) != 0 && !sqPoll) {
            return -EINVAL;
        }
        // io_sq_offload_create: SQ_AFF with a CPU not below nr_cpu_ids, offline, or outside the task's cpuset
        // -> -EINVAL
        if ((flags & IORING_SETUP_SQ_AFF) != 0) {
            SqPoll threads = kernel.sqPoll();
            if (threads != null && !threads.cpuAllowed(sqThreadCpu)) {
                rules.fire(Rules.SQPOLL_CPU_NOT_ALLOWED, Integer.toUnsignedLong(sqThreadCpu));
                return -EINVAL;
            }
        }
        return 0;
    }

    /** {@code rings_size}: a mixed ring needs room for one 32-byte CQE (or 128-byte SQE). */
    int ringsSizeCheck(int flags, RingSizing sizing) {
        // rings_size: CQE_MIXED with cq_entries < 2 -> -EOVERFLOW
        if ((flags & IORING_SETUP_CQE_MIXED) != 0 && sizing.cqEntries() < 2) {
            rules.fire(Rules.RINGS_SIZE_MIXED_TOO_SMALL, sizing.cqEntries());
            return -EOVERFLOW;
        }
        // rings_size (6.19+): SQE_MIXED with sq_entries < 2 -> -EOVERFLOW
        if (profile.sqeMixed() && (flags & IORING_SETUP_SQE_MIXED) != 0 && sizing.sqEntries() < 2) {
            rules.fire(Rules.RINGS_SIZE_MIXED_TOO_SMALL, sizing.sqEntries());
            return -EOVERFLOW;
        }
        return 0;
    }

    /**
     * {@code io_allocate_scq_urings}: the rings region and the SQE region into {@code out[0]} and {@code out[1]}, in
     * native memory of the arena (in ring descriptor {@code fd}'s own memory where it has some, see
     * {@link ModelIoUring.RingDescriptors#map}; -1 for none), or in the application's memory under NO_MMAP; 0 or
     * the -errno.
     */
    int allocateScqUrings(Arena arena, MemorySegment p, int flags, int sqEntries, int cqEntries,
            MemorySegment[] out, int fd) {
        long ringsBytes = profile.ringLayout().ringsSizeBytes(flags, sqEntries, cqEntries);
        long sqesBytes = (long) sqEntries * ((flags & IORING_SETUP_SQE128) != 0 ? 128 : 64);
        if ((flags & IORING_SETUP_NO_MMAP) != 0) {
            long ringsAddr = p.get(JAVA_LONG, IoUringParams.CQ_OFF_OFFSET + IoCqringOffsets.USER_ADDR_OFFSET);
            long sqesAddr = p.get(JAVA_LONG, IoUringParams.SQ_OFF_OFFSET + IoSqringOffsets.USER_ADDR_OFFSET);
            // io_create_region: user memory must be page aligned -> -EINVAL; unpinnable -> -EFAULT
            if ((ringsAddr & (PAGE_BYTES - 1)) != 0) {
                return -EINVAL;
            }
            out[0] = args.resolve(ringsAddr, ringsBytes);
            if (out[0] == null) {
                return -EFAULT;
            }
            if ((sqesAddr & (PAGE_BYTES - 1)) != 0) {
                return -EINVAL;
            }
            out[1] = args.resolve(sqesAddr, sqesBytes);
            return out[1] == null ? -EFAULT : 0;
        }
        if (kernel.onHeapRings()) {
            // long[] backing: 8-byte aligned, as every field and CQE/SQE word access needs.
            out[0] = MemorySegment.ofArray(new long[Math.toIntExact(
                    RingGeometry.alignUp(ringsBytes, Long.BYTES) / Long.BYTES)]);
            out[1] = MemorySegment.ofArray(new long[Math.toIntExact(
                    RingGeometry.alignUp(sqesBytes, Long.BYTES) / Long.BYTES)]);
            return 0;
        }
        ModelIoUring.RingDescriptors descriptors = kernel.ringDescriptors();
        MemorySegment[] mapped = fd < 0 || descriptors == null ? null
                : descriptors.map(fd, arena, ringsBytes, sqesBytes);
        if (mapped != null) {
            out[0] = mapped[0];
            out[1] = mapped[1];
            return 0;
        }
        out[0] = arena.allocate(RingGeometry.alignUp(ringsBytes, PAGE_BYTES), PAGE_BYTES);
        out[1] = arena.allocate(RingGeometry.alignUp(sqesBytes, PAGE_BYTES), PAGE_BYTES);
        return 0;
    }

    static void initHeader(RingLayout layout, MemorySegment rings, int sqEntries, int cqEntries) {
        writeOnce(rings, layout.sqRingMask(), sqEntries - 1);
        writeOnce(rings, layout.cqRingMask(), cqEntries - 1);
        writeOnce(rings, layout.sqRingEntries(), sqEntries);
        writeOnce(rings, layout.cqRingEntries(), cqEntries);
    }

    /**
     * {@code io_uring_fill_params}' answer: entries and the offsets of {@code struct io_rings}; {@code user_addr}
     * zeroed unless NO_MMAP. {@code sq_off.array} only when {@code writeArray} (a 6.18 resize leaves it) and the
     * ring has an SQ array.
     */
    static void writeParams(RingLayout layout, MemorySegment p, int flags, int sqEntries, int cqEntries, boolean writeArray) {
        p.set(JAVA_INT, IoUringParams.SQ_ENTRIES_OFFSET, sqEntries);
        p.set(JAVA_INT, IoUringParams.CQ_ENTRIES_OFFSET, cqEntries);
        long sq = IoUringParams.SQ_OFF_OFFSET;
        p.set(JAVA_INT, sq + IoSqringOffsets.HEAD_OFFSET, layout.sqHead());
        p.set(JAVA_INT, sq + IoSqringOffsets.TAIL_OFFSET, layout.sqTail());
        p.set(JAVA_INT, sq + IoSqringOffsets.RING_MASK_OFFSET, layout.sqRingMask());
        p.set(JAVA_INT, sq + IoSqringOffsets.RING_ENTRIES_OFFSET, layout.sqRingEntries());
        p.set(JAVA_INT, sq + IoSqringOffsets.FLAGS_OFFSET, layout.sqFlags());
        p.set(JAVA_INT, sq + IoSqringOffsets.DROPPED_OFFSET, layout.sqDropped());
        // io_uring_fill_params: sq_off.array only for a ring with an SQ array; with NO_SQARRAY the caller's value
        // stays (6.12.117 io_uring.c, io_uring_create; 7.2.13 io_uring_fill_params; 6.18.44 measured: 0x12345678
        // passed in came back)
        if (writeArray && (flags & IORING_SETUP_NO_SQARRAY) == 0) {
            p.set(JAVA_INT, sq + IoSqringOffsets.ARRAY_OFFSET, (int) layout.sqArrayOffset(flags, cqEntries));
        }
        p.set(JAVA_INT, sq + IoSqringOffsets.RESV1_OFFSET, 0);
        long cq = IoUringParams.CQ_OFF_OFFSET;
        p.set(JAVA_INT, cq + IoCqringOffsets.HEAD_OFFSET, layout.cqHead());
        p.set(JAVA_INT, cq + IoCqringOffsets.TAIL_OFFSET, layout.cqTail());
        p.set(JAVA_INT, cq + IoCqringOffsets.RING_MASK_OFFSET, layout.cqRingMask());
        p.set(JAVA_INT, cq + IoCqringOffsets.RING_ENTRIES_OFFSET, layout.cqRingEntries());
        p.set(JAVA_INT, cq + IoCqringOffsets.OVERFLOW_OFFSET, layout.cqOverflow());
        p.set(JAVA_INT, cq + IoCqringOffsets.CQES_OFFSET, layout.cqes());
        p.set(JAVA_INT, cq + IoCqringOffsets.FLAGS_OFFSET, layout.cqFlags());
        p.set(JAVA_INT, cq + IoCqringOffsets.RESV1_OFFSET, 0);
        if ((flags & IORING_SETUP_NO_MMAP) == 0) {
            p.set(JAVA_LONG, sq + IoSqringOffsets.USER_ADDR_OFFSET, 0L);
            p.set(JAVA_LONG, cq + IoCqringOffsets.USER_ADDR_OFFSET, 0L);
        }
    }
}
