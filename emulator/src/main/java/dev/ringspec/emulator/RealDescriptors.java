package dev.ringspec.emulator;

import static dev.ringspec.emulator.sys.Linux.SYS_FCNTL;
import static dev.ringspec.emulator.sys.Linux.SYS_FTRUNCATE;
import static dev.ringspec.emulator.sys.Linux.SYS_MEMFD_CREATE;
import static dev.ringspec.emulator.sys.Linux.SYS_MMAP;
import static dev.ringspec.emulator.sys.Linux.SYS_MUNMAP;
import static dev.ringspec.uapi.IoUring.IORING_OFF_SQES;
import static dev.ringspec.uapi.IoUring.IORING_OFF_SQ_RING;

import dev.ringspec.emulator.sys.Linux;
import dev.ringspec.model.ModelIoUring;
import dev.ringspec.model.ProcessDescriptorTable;
import dev.ringspec.seam.RingGeometry;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The process's real descriptor table, as the emulator's model sees it: a descriptor is open when
 * {@code fcntl(F_GETFD)} says so; a registered-file slot holds a duplicate of the application's descriptor, as the
 * kernel holds a reference to its file, so it outlives the application's close. A ring's descriptor is a real one
 * too: a memfd that holds the ring's regions at the kernel's mmap offsets ({@link #map}), so that another process
 * given the descriptor maps the rings itself, exactly as it maps a kernel ring.
 */
final class RealDescriptors implements ProcessDescriptorTable, ModelIoUring.RingDescriptors {
    private static final int MFD_CLOEXEC = 1;
    private static final int MFD_ALLOW_SEALING = 2;
    private static final int F_ADD_SEALS = 1033;
    private static final int F_SEAL_SEAL = 1;
    private static final int F_SEAL_SHRINK = 2;
    private static final int F_SEAL_GROW = 4;
    private static final int PROT_READ_WRITE = 3;
    private static final int MAP_SHARED = 1;
    private static final long PAGE_BYTES = 4096;

    /**
     * How long after a ring's close its exit work releases the ring's file table ({@link #releaseAtExit}): an RCU
     * grace period ({@code percpu_ref_kill} of the ring's references, which {@code io_ring_exit_work} waits for) and
     * the jiffy of {@code delayed_fput_work} (4 ms at this machine's HZ=250). A value in that range, not measured:
     * any move of the world's clock (20 ms) passes it, and a wait that sleeps reaches it. It is housekeeping, not a
     * timer a call is asked about ({@link DeterministicScheduler#TIMER_FIRES_BEFORE_THE_CALL}): that choice would be
     * reached in every step until the clock moves, and crowd out of a divergence's look-back (the 8 nearest earlier
     * steps that reached a choice) the choices that explain it.
     */
    static final long EXIT_RELEASE_NANOS = 10_000_000L;

    private final Timers timers;

    /** {@code timers}: where a closed ring's exit work releases its table ({@link #releaseAtExit}); null: at once. */
    RealDescriptors(Timers timers) {
        this.timers = timers;
    }

    /** The duplicates {@link #hold} made for requests, until {@link #put}. */
    private final Set<Integer> held = ConcurrentHashMap.newKeySet();

    @Override
    public boolean isOpen(int fd) {
        return Linux.isOpen(fd);
    }

    /**
     * The application's number, with no {@code fcntl} of its own: the issue's real call ({@code preadv2},
     * {@code pwritev2}) looks it up and answers -EBADF where it names nothing.
     */
    @Override
    public int getForIssue(int fd) {
        return fd < 0 ? -1 : fd;
    }

    /**
     * A request that waits holds its file with a duplicate ({@link #hold}); {@link #get} gives the application's own
     * number, which holds nothing and costs nothing, to the requests that complete in the call that issued them.
     */
    @Override
    public int hold(int reference) {
        if (held.contains(reference)) {
            return reference;
        }
        int dup = Linux.dup(reference);
        if (dup < 0) {
            // closed already: the number answers -EBADF when used, as a request without a file does
            return reference;
        }
        held.add(dup);
        return dup;
    }

    @Override
    public void put(int reference) {
        if (held.remove(reference)) {
            Linux.close(reference);
        }
    }

    @Override
    public int acquire(int fd) {
        int dup = Linux.dup(fd);
        if (dup < 0) {
            throw new IllegalStateException("cannot hold a reference to descriptor " + fd + ": " + dup);
        }
        return dup;
    }

    @Override
    public void release(int reference) {
        Linux.close(reference);
    }

    /**
     * Closes the slot's duplicate {@value #EXIT_RELEASE_NANOS} ns of the emulator's clock from now (world lockstep
     * seed 528: a socket a closed ring had accepted into a direct slot; the kernel's READ of the connection's other
     * end, entered on the next ring right after the close, found no end of file and armed a poll).
     */
    @Override
    public void releaseAtExit(int reference) {
        if (timers == null) {
            release(reference);
            return;
        }
        timers.housekeepingAfter(EXIT_RELEASE_NANOS, () -> Linux.close(reference));
    }

    @Override
    public int open() {
        try (Arena call = Arena.ofConfined()) {
            MemorySegment name = call.allocateFrom("ringspec-emulated-ring");
            int fd = (int) Linux.call(SYS_MEMFD_CREATE, name.address(), MFD_CLOEXEC | MFD_ALLOW_SEALING);
            if (fd < 0) {
                throw new IllegalStateException("no descriptor for an emulated ring: memfd_create " + fd);
            }
            return fd;
        }
    }

    @Override
    public void close(int fd) {
        Linux.close(fd);
    }

    /**
     * The ring's regions in its memfd, as the kernel's {@code io_uring_mmap} serves them: {@code struct io_rings}
     * (whose size already counts CQE32's doubling, header included) at {@code IORING_OFF_SQ_RING}, the SQEs at
     * {@code IORING_OFF_SQES}. The file is sized to the end of the SQEs and stays sparse (nothing between the two
     * regions is ever touched), then sealed against shrinking and growing: a program's {@code ftruncate} of the
     * descriptor must not pull pages from under the emulator (SIGBUS in this JVM). Both are mapped MAP_SHARED, so
     * a second mapping of the descriptor, in this process or another, sees the same bytes.
     */
    @Override
    public MemorySegment[] map(int fd, Arena arena, long ringsBytes, long sqesBytes) {
        long ringsMapped = RingGeometry.alignUp(ringsBytes, PAGE_BYTES);
        long sqesMapped = RingGeometry.alignUp(sqesBytes, PAGE_BYTES);
        check(Linux.call(SYS_FTRUNCATE, fd, IORING_OFF_SQES + sqesMapped), "ftruncate");
        check(Linux.call(SYS_FCNTL, fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL), "F_ADD_SEALS");
        return new MemorySegment[] {mapShared(fd, IORING_OFF_SQ_RING, ringsMapped, arena),
            mapShared(fd, IORING_OFF_SQES, sqesMapped, arena)};
    }

    @SuppressWarnings("restricted") // sizes a mapping mmap just returned; munmap'd when the ring's arena closes
    private static MemorySegment mapShared(int fd, long offset, long bytes, Arena arena) {
        long address = Linux.call(SYS_MMAP, 0, bytes, PROT_READ_WRITE, MAP_SHARED, fd, offset);
        check(address, "mmap");
        return MemorySegment.ofAddress(address).reinterpret(bytes, arena,
                s -> Linux.call(SYS_MUNMAP, s.address(), bytes));
    }

    private static void check(long result, String call) {
        if (result < 0 && result > -4096) {
            throw new IllegalStateException("cannot place an emulated ring in its memfd: " + call + " " + result);
        }
    }
}
