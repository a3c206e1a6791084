package dev.ringspec.nativerunner;

import static dev.ringspec.nativerunner.SyscallArguments.address;
import static dev.ringspec.nativerunner.SyscallArguments.argCoversWrites;
import static dev.ringspec.nativerunner.SyscallArguments.isNull;
import static dev.ringspec.nativerunner.SyscallArguments.refuseVirtualThread;
import static dev.ringspec.nativerunner.SyscallArguments.withNativeArg;
import static dev.ringspec.nativerunner.SyscallArguments.withNativeParams;
import static dev.ringspec.uapi.Errno.EBADF;
import static dev.ringspec.uapi.Errno.EFAULT;
import static dev.ringspec.uapi.IoUring.IORING_FEAT_SINGLE_MMAP;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_RESIZE_RINGS;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_USE_REGISTERED_RING;
import static dev.ringspec.uapi.IoUring.IORING_UNREGISTER_RING_FDS;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_DEFER_TASKRUN;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_NO_MMAP;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_REGISTERED_FD_ONLY;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SINGLE_ISSUER;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import dev.ringspec.nativerunner.RingRegions.Regions;
import dev.ringspec.seam.IoUringKernel;
import dev.ringspec.seam.Ring;
import dev.ringspec.seam.RingGeometry;
import dev.ringspec.seam.RingParams;
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
            return withNativeParams(params, copy -> setup(entries, copy));
        }
        int flags = params.get(JAVA_INT, IoUringParams.FLAGS_OFFSET);
        refuseVirtualThread(flags);
        Arena arena = Arena.ofShared();
        try {
            if ((flags & IORING_SETUP_NO_MMAP) != 0) {
                RingRegions.placeUserRings(params, entries, flags, bytes -> anonymous(arena, bytes));
            }
            long fd = Native.Syscall.call2(Native.SYS_IO_URING_SETUP, Integer.toUnsignedLong(entries),
                    params.address());
            if (fd < 0) {
                arena.close();
                return failed(fd);
            }
            RingParams answer = RingParams.read(params);
            Regions regions = RingRegions.map(arena, answer, (offset, bytes) -> mmap(arena, (int) fd, bytes, offset));
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
            r.markClosedAndFree();
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
            return withNativeParams(arg, copy -> resize(r, opcode, copy, nrArgs));
        }
        RingParams before = r.params();
        Arena arena = Arena.ofShared();
        try {
            if (before.has(IORING_SETUP_NO_MMAP)) {
                RingRegions.placeResizedRings(before, arg, bytes -> anonymous(arena, bytes));
            }
            long result = Native.Syscall.call4(Native.SYS_IO_URING_REGISTER, r.fd(),
                    Integer.toUnsignedLong(opcode), arg.address(), Integer.toUnsignedLong(nrArgs));
            if (result < 0) {
                arena.close();
                return (int) result;
            }
            RingParams answer = RingRegions.afterResize(before, arg);
            Regions regions = RingRegions.map(arena, answer, (offset, bytes) -> mmap(arena, r.fd(), bytes, offset));
            if (regions.result() < 0) {
                // The kernel has resized; without new mappings the ring cannot be driven. Report why.
                arena.close();
                r.markClosedAndFree();
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
