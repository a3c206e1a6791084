package dev.ringspec.nativerunner;

import static dev.ringspec.nativerunner.SyscallArguments.address;
import static dev.ringspec.nativerunner.SyscallArguments.argCoversWrites;
import static dev.ringspec.nativerunner.SyscallArguments.isNull;
import static dev.ringspec.nativerunner.SyscallArguments.refuseVirtualThread;
import static dev.ringspec.nativerunner.SyscallArguments.withNativeArg;
import static dev.ringspec.uapi.Errno.EBADF;
import static dev.ringspec.uapi.Errno.EFAULT;
import static dev.ringspec.uapi.IoUring.IORING_FEAT_SINGLE_MMAP;
import static dev.ringspec.uapi.IoUring.IORING_OFF_CQ_RING;
import static dev.ringspec.uapi.IoUring.IORING_OFF_SQES;
import static dev.ringspec.uapi.IoUring.IORING_OFF_SQ_RING;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_RESIZE_RINGS;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_USE_REGISTERED_RING;
import static dev.ringspec.uapi.IoUring.IORING_UNREGISTER_RING_FDS;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_CLAMP;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_CQE32;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_CQE_MIXED;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_CQSIZE;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_DEFER_TASKRUN;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_NO_MMAP;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_NO_SQARRAY;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_REGISTERED_FD_ONLY;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SINGLE_ISSUER;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SQE128;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SQE_MIXED;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.ringspec.model.RingSizing;
import dev.ringspec.seam.IoUringKernel;
import dev.ringspec.seam.Ring;
import dev.ringspec.seam.RingGeometry;
import dev.ringspec.seam.RingParams;
import dev.ringspec.uapi.IoSqringOffsets;
import dev.ringspec.uapi.IoCqringOffsets;
import dev.ringspec.uapi.IoUringParams;
import dev.ringspec.uapi.IoUringRsrcUpdate;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * The running kernel's io_uring behind the seam, through java.lang.foreign: {@code io_uring_setup},
 * {@code io_uring_enter} and {@code io_uring_register} by {@code syscall(2)}, the rings mapped with {@code mmap}
 * (one mapping under {@code IORING_FEAT_SINGLE_MMAP}), or placed in memory of ours under
 * {@code IORING_SETUP_NO_MMAP}, and mapped anew after {@code IORING_REGISTER_RESIZE_RINGS}.
 *
 * <p>Arguments may be native or heap segments; a heap segment is copied to native memory for the call and back.
 */
public final class NativeIoUring implements IoUringKernel {
    private static final int THREAD_BOUND = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;
    /** The setup flags a resize inherits from the ring ({@code COPY_FLAGS} in io_uring/register.c). */
    private static final int RESIZE_COPY_FLAGS = IORING_SETUP_NO_SQARRAY | IORING_SETUP_SQE128
            | IORING_SETUP_CQE32 | IORING_SETUP_NO_MMAP | IORING_SETUP_CQE_MIXED | IORING_SETUP_SQE_MIXED;
    private static final long PAGE_BYTES = 4096;

    private final String release;

    public NativeIoUring() {
        this.release = Posix.kernelRelease();
    }

    @Override
    public String description() {
        return "Linux " + release + " (FFM)";
    }

    @Override
    public String release() {
        return release;
    }

    @Override
    public SetupResult setup(int entries, MemorySegment params) {
        if (isNull(params)) {
            return failed(Native.Syscall.call2(Native.SYS_IO_URING_SETUP, Integer.toUnsignedLong(entries), 0));
        }
        if (params.byteSize() < IoUringParams.SIZE_BYTES) {
            return failed(-EFAULT);
        }
        if (!params.isNative()) {
            try (Arena call = Arena.ofConfined()) {
                MemorySegment copy = call.allocate(IoUringParams.LAYOUT).copyFrom(params.asSlice(0,
                        IoUringParams.SIZE_BYTES));
                SetupResult result = setup(entries, copy);
                MemorySegment.copy(copy, 0, params, 0, IoUringParams.SIZE_BYTES);
                return result;
            }
        }
        int flags = params.get(JAVA_INT, IoUringParams.FLAGS_OFFSET);
        refuseVirtualThread(flags);
        Arena arena = Arena.ofShared();
        try {
            if ((flags & IORING_SETUP_NO_MMAP) != 0) {
                int sizing = flags & (IORING_SETUP_CQSIZE | IORING_SETUP_CLAMP);
                placeUserRings(arena, params, entries, flags, sizing);
            }
            long fd = Native.Syscall.call2(Native.SYS_IO_URING_SETUP, Integer.toUnsignedLong(entries),
                    params.address());
            if (fd < 0) {
                arena.close();
                return failed(fd);
            }
            RingParams answer = RingParams.read(params);
            Regions regions = map(arena, (int) fd, answer);
            if (regions.result() < 0) {
                arena.close();
                Native.Close.call((int) fd);
                return failed(regions.result());
            }
            boolean registeredIndex = (flags & IORING_SETUP_REGISTERED_FD_ONLY) != 0;
            return new SetupResult.Created(new NativeRing((int) fd, registeredIndex, regions.in(arena, answer)));
        } catch (RuntimeException | Error e) {
            arena.close();
            throw e;
        }
    }

    @Override
    public int enter(Ring ring, int toSubmit, int minComplete, int flags, MemorySegment arg, long argSizeBytes) {
        NativeRing r = own(ring);
        if (r.isClosed()) {
            return -EBADF;
        }
        checkThread(r);
        if (isNull(arg) || arg.isNative()) {
            // The hot path of every ring loop: straight to the syscall, touching only the ring and its capture
            // buffer; under page-table isolation without PCID every syscall leaves the TLB cold, so each further
            // object read on the way may cost a page walk.
            return (int) Native.Syscall.call6(r.captureState(Thread.currentThread()), Native.SYS_IO_URING_ENTER,
                    r.fd(), Integer.toUnsignedLong(toSubmit), Integer.toUnsignedLong(minComplete),
                    Integer.toUnsignedLong(flags), isNull(arg) ? 0 : arg.address(), argSizeBytes);
        }
        return (int) withNativeArg(arg, a -> Native.Syscall.call6(Native.SYS_IO_URING_ENTER, r.fd(),
                Integer.toUnsignedLong(toSubmit), Integer.toUnsignedLong(minComplete),
                Integer.toUnsignedLong(flags), address(a), argSizeBytes));
    }

    @Override
    public int register(Ring ring, int opcode, MemorySegment arg, int nrArgs) {
        NativeRing r = own(ring);
        if (r.isClosed()) {
            return -EBADF;
        }
        checkThread(r);
        if (!argCoversWrites(arg, opcode, nrArgs)) {
            return -EFAULT;
        }
        int op = opcode & ~IORING_REGISTER_USE_REGISTERED_RING;
        if (op == IORING_REGISTER_RESIZE_RINGS && !isNull(arg)) {
            return resize(r, opcode, arg, nrArgs);
        }
        return (int) withNativeArg(arg, a -> Native.Syscall.call4(Native.SYS_IO_URING_REGISTER, r.fd(),
                Integer.toUnsignedLong(opcode), address(a), Integer.toUnsignedLong(nrArgs)));
    }

    @Override
    public int registerWithoutRing(int opcode, MemorySegment arg, int nrArgs) {
        if (!argCoversWrites(arg, opcode, nrArgs)) {
            return -EFAULT;
        }
        return (int) withNativeArg(arg, a -> Native.Syscall.call4(Native.SYS_IO_URING_REGISTER, -1,
                Integer.toUnsignedLong(opcode), address(a), Integer.toUnsignedLong(nrArgs)));
    }

    @Override
    public int close(Ring ring) {
        NativeRing r = own(ring);
        synchronized (r) {
            if (r.isClosed()) {
                return -EBADF;
            }
            r.markClosedAndUnmap();
        }
        if (r.registeredIndex()) {
            return unregisterRingIndex(r.fd());
        }
        return Native.Close.call(r.fd());
    }

    /**
     * A REGISTERED_FD_ONLY ring has no file descriptor, only a slot in the task's registered-ring table; dropping
     * the slot ({@code IORING_UNREGISTER_RING_FDS}) releases the ring.
     */
    private static int unregisterRingIndex(int index) {
        try (Arena call = Arena.ofConfined()) {
            MemorySegment update = call.allocate(IoUringRsrcUpdate.LAYOUT);
            update.set(JAVA_INT, IoUringRsrcUpdate.OFFSET_OFFSET, index);
            return (int) Native.Syscall.call4(Native.SYS_IO_URING_REGISTER, index,
                    Integer.toUnsignedLong(IORING_UNREGISTER_RING_FDS | IORING_REGISTER_USE_REGISTERED_RING),
                    update.address(), 1);
        }
    }

    /**
     * {@code IORING_REGISTER_RESIZE_RINGS}: on success the kernel has new regions at the same mmap offsets; map
     * them and unmap the old ones. A 6.18 kernel writes neither {@code sq_off.array} nor {@code features} back,
     * so those come from the geometry and from setup.
     */
    private int resize(NativeRing r, int opcode, MemorySegment arg, int nrArgs) {
        if (!arg.isNative()) {
            try (Arena call = Arena.ofConfined()) {
                MemorySegment copy = call.allocate(IoUringParams.LAYOUT)
                        .copyFrom(arg.asSlice(0, IoUringParams.SIZE_BYTES));
                int result = resize(r, opcode, copy, nrArgs);
                MemorySegment.copy(copy, 0, arg, 0, IoUringParams.SIZE_BYTES);
                return result;
            }
        }
        RingParams before = r.params();
        Arena arena = Arena.ofShared();
        try {
            if (before.has(IORING_SETUP_NO_MMAP)) {
                int requested = arg.get(JAVA_INT, IoUringParams.FLAGS_OFFSET);
                int flags = (requested & (IORING_SETUP_CQSIZE | IORING_SETUP_CLAMP))
                        | (before.flags() & RESIZE_COPY_FLAGS);
                placeUserRings(arena, arg, arg.get(JAVA_INT, IoUringParams.SQ_ENTRIES_OFFSET), flags,
                        requested & (IORING_SETUP_CQSIZE | IORING_SETUP_CLAMP));
            }
            long result = Native.Syscall.call4(Native.SYS_IO_URING_REGISTER, r.fd(),
                    Integer.toUnsignedLong(opcode), arg.address(), Integer.toUnsignedLong(nrArgs));
            if (result < 0) {
                arena.close();
                return (int) result;
            }
            RingParams written = RingParams.read(arg);
            RingParams answer = new RingParams(written.sqEntries(), written.cqEntries(), before.flags(),
                    before.features(), written.sqOff(), written.cqOff());
            answer = answer.withSqArray((int) RingGeometry.sqArrayOffset(before.flags(), answer.cqEntries()));
            Regions regions = map(arena, r.fd(), answer);
            if (regions.result() < 0) {
                // The kernel has resized; without new mappings the ring cannot be driven. Report why.
                arena.close();
                r.markClosedAndUnmap();
                Native.Close.call(r.fd());
                return (int) regions.result();
            }
            r.remap(regions.in(arena, answer));
            return (int) result;
        } catch (RuntimeException | Error e) {
            arena.close();
            throw e;
        }
    }

    /** The three regions of one mapping generation, or the {@code -errno} of the mmap that failed. */
    private record Regions(long result, MemorySegment sqRing, MemorySegment cqRing, MemorySegment sqes) {
        static Regions failed(long result) {
            return new Regions(result, null, null, null);
        }

        NativeRing.Mapping in(Arena arena, RingParams params) {
            return new NativeRing.Mapping(arena, params, sqRing, cqRing, sqes);
        }
    }

    /**
     * Maps the SQ ring, CQ ring and SQE regions of {@code fd} into {@code arena} (or, for NO_MMAP, views the
     * memory setup was given).
     */
    @SuppressWarnings("restricted") // sizes a mapping the kernel or mmap just returned
    private static Regions map(Arena arena, int fd, RingParams p) {
        if (p.has(IORING_SETUP_NO_MMAP)) {
            long ringsBytes = RingGeometry.ringsSizeBytes(p.flags(), p.sqEntries(), p.cqEntries());
            MemorySegment rings = MemorySegment.ofAddress(p.cqOff().userAddr()).reinterpret(ringsBytes, arena, null);
            MemorySegment sqes = MemorySegment.ofAddress(p.sqOff().userAddr())
                    .reinterpret(p.sqesSizeBytes(), arena, null);
            return new Regions(0, rings, rings, sqes);
        }
        long sqBytes = p.sqRingSizeBytes();
        long cqBytes = p.cqRingSizeBytes();
        boolean single = (p.features() & IORING_FEAT_SINGLE_MMAP) != 0;
        if (single) {
            sqBytes = Math.max(sqBytes, cqBytes);
        }
        MemorySegment sq = mmap(arena, fd, sqBytes, IORING_OFF_SQ_RING);
        if (sq.address() < 0) {
            return Regions.failed(sq.address());
        }
        MemorySegment cq = single ? sq : mmap(arena, fd, cqBytes, IORING_OFF_CQ_RING);
        if (cq.address() < 0) {
            return Regions.failed(cq.address());
        }
        MemorySegment sqes = mmap(arena, fd, p.sqesSizeBytes(), IORING_OFF_SQES);
        if (sqes.address() < 0) {
            return Regions.failed(sqes.address());
        }
        return new Regions(0, sq, cq, sqes);
    }

    /** A shared mapping of the ring's region at {@code offset}, unmapped when the arena closes. */
    @SuppressWarnings("restricted") // sizes a mapping the kernel or mmap just returned
    private static MemorySegment mmap(Arena arena, int fd, long bytes, long offset) {
        long addr = Native.Mmap.call(0, bytes, Native.PROT_READ | Native.PROT_WRITE,
                Native.MAP_SHARED | Native.MAP_POPULATE, fd, offset);
        if (addr < 0) {
            return MemorySegment.ofAddress(addr);
        }
        return MemorySegment.ofAddress(addr).reinterpret(bytes, arena, unused -> Native.Munmap.call(addr, bytes));
    }

    /** Anonymous page-aligned memory owned by the arena, for rings set up with NO_MMAP. */
    @SuppressWarnings("restricted") // sizes a mapping the kernel or mmap just returned
    private static MemorySegment anonymous(Arena arena, long bytes) {
        long rounded = RingGeometry.alignUp(Math.max(bytes, 1), PAGE_BYTES);
        long addr = Native.Mmap.call(0, rounded, Native.PROT_READ | Native.PROT_WRITE,
                Native.MAP_PRIVATE | Native.MAP_ANONYMOUS | Native.MAP_POPULATE, -1, 0);
        if (addr < 0) {
            throw new OutOfMemoryError("mmap of " + rounded + " bytes for a NO_MMAP ring: " + addr);
        }
        return MemorySegment.ofAddress(addr).reinterpret(rounded, arena,
                unused -> Native.Munmap.call(addr, rounded));
    }

    /**
     * For {@code IORING_SETUP_NO_MMAP} with no user addresses given, places the rings and the SQEs in memory of
     * ours, sized the way the kernel will size them. With addresses given, or sizes the kernel will refuse, the
     * params are left alone and the kernel answers.
     */
    private static void placeUserRings(Arena arena, MemorySegment params, int entries, int flags, int sizingFlags) {
        long sqUser = IoUringParams.SQ_OFF_OFFSET + IoSqringOffsets.USER_ADDR_OFFSET;
        long cqUser = IoUringParams.CQ_OFF_OFFSET + IoCqringOffsets.USER_ADDR_OFFSET;
        if (params.get(JAVA_LONG, sqUser) != 0 || params.get(JAVA_LONG, cqUser) != 0) {
            return;
        }
        RingSizing sizing = RingSizing.of(entries, sizingFlags,
                params.get(JAVA_INT, IoUringParams.CQ_ENTRIES_OFFSET));
        if (!sizing.ok()) {
            return;
        }
        int sqeBytes = (flags & IORING_SETUP_SQE128) != 0 ? 128 : 64;
        MemorySegment rings = anonymous(arena,
                RingGeometry.ringsSizeBytes(flags, sizing.sqEntries(), sizing.cqEntries()));
        MemorySegment sqes = anonymous(arena, (long) sizing.sqEntries() * sqeBytes);
        params.set(JAVA_LONG, cqUser, rings.address());
        params.set(JAVA_LONG, sqUser, sqes.address());
    }

    private static NativeRing own(Ring ring) {
        if (ring instanceof NativeRing r) {
            return r;
        }
        throw new IllegalArgumentException("not a ring of the native kernel: " + ring);
    }

    private static void checkThread(NativeRing ring) {
        if (ring.threadBound()) {
            refuseVirtualThread(THREAD_BOUND);
        }
    }

    private static SetupResult failed(long result) {
        return new SetupResult.Failed((int) result);
    }
}
