package dev.ringspec.sqefuzz;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.ringspec.emulator.EmulatedIoUring;
import dev.ringspec.emulator.sys.Linux;
import dev.ringspec.model.ProcessDescriptorTable;
import dev.ringspec.nativerunner.Posix;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.random.RandomGenerator;

/**
 * What the fuzz's SQEs may touch, so that the kernel's real I/O on them can never reach the JVM: descriptors the
 * fuzz owns (a pipe, /dev/null, a 4 KiB file opened read-only, so nothing can grow it), and the process's
 * {@link FuzzReservation}: 1 GiB of address space of which only the first {@link #OWNED} bytes are mapped
 * read-write; the rest is PROT_NONE, where the kernel answers -EFAULT, but for the read-only structs and path page.
 * Every pointer an SQE carries is into the reservation or one no process can map (page 0 and the low guard, a kernel
 * address, a non-canonical one). At most 64 KiB can be read from the world's descriptors (a pipe's capacity), so no
 * length makes the kernel write past the reservation. A pointer the kernel reads from memory (an iovec's base, a
 * msghdr's) is only ever read from the structs, which the fuzz writes per SQE ({@link FuzzStructs}): the owned
 * bytes hold whatever the requests wrote there, and any 8 bytes of them may name this JVM's heap. Path arguments are
 * pinned to a relative path under a missing directory, on a read-only page, with a directory descriptor that is no
 * directory, so no file anywhere is created, renamed or removed.
 *
 * <p>Each side has a pipe of its own under the same numbers: the SQEs name the kernel's, and the emulator's
 * descriptor table ({@link #emulatorDescriptors}) maps those numbers to its own pipe. One pipe shared by both sides
 * would meet each side's request with a pipe the other had changed; putting bytes back makes new pipe buffers, and a
 * read that faults part way counts whole pipe buffers, so the layouts would differ where the fill did not.
 */
final class FuzzWorld implements AutoCloseable {
    static final long RESERVED = FuzzReservation.RESERVED;
    static final long OWNED = FuzzReservation.OWNED;
    /** {@code FIONREAD}: the bytes a pipe holds. */
    private static final long FIONREAD = 0x541B;
    private static final long[] INVALID = {0, 0xffff888000000000L, 0x8000000000000000L, -1L, 8, 4096};
    /** A relative path under a directory that does not exist. */
    private static final String ABSENT = "ringspec-fuzz-absent/x";

    final int pipeRead;
    final int pipeWrite;
    /** The emulator's pipe, which its descriptor table shows under {@link #pipeRead} and {@link #pipeWrite}. */
    private final int emuPipeRead;
    private final int emuPipeWrite;
    final int devNull;
    final int file;
    final FuzzReservation reservation = FuzzReservation.get();
    final MemorySegment owned = reservation.owned;
    final long base = reservation.base;
    final long absentPath = reservation.absentPath;
    /** The page that holds the absent path (read-only). */
    final MemorySegment pathPage = reservation.pathPage;
    private final Path filePath;
    /** What the world's descriptors named when it was made ({@link #changedDescriptors}). */
    private final List<String> targets;

    /** A world whose owned bytes {@code random} fills (the fuzz's own generator: a seed runs the same). */
    FuzzWorld(RandomGenerator random) throws IOException {
        int[] pipe = Posix.pipe(Posix.O_CLOEXEC | Posix.O_NONBLOCK);
        if (pipe.length != 2) {
            throw new IOException("pipe2 failed: " + pipe[0]);
        }
        pipeRead = pipe[0];
        pipeWrite = pipe[1];
        int[] emuPipe = Posix.pipe(Posix.O_CLOEXEC | Posix.O_NONBLOCK);
        if (emuPipe.length != 2) {
            throw new IOException("pipe2 failed: " + emuPipe[0]);
        }
        emuPipeRead = emuPipe[0];
        emuPipeWrite = emuPipe[1];
        devNull = Posix.openat(Posix.AT_FDCWD, "/dev/null", Posix.O_RDWR | Posix.O_CLOEXEC, 0);
        filePath = Files.createTempFile("ringspec-fuzz", ".bin");
        byte[] content = new byte[4096];
        for (int i = 0; i < content.length; i++) {
            content[i] = (byte) ('a' + i % 26);
        }
        Files.write(filePath, content);
        file = Posix.openat(Posix.AT_FDCWD, filePath.toString(), Posix.O_RDONLY | Posix.O_CLOEXEC, 0);
        if (devNull < 0 || file < 0) {
            throw new IOException("cannot open the fuzz's files: " + devNull + ", " + file);
        }
        // the file's own position at its end: a read at the position (offset -1) finds nothing on either side, where
        // the side that read first would have moved it for the other
        if (Linux.call(Linux.SYS_READ, file, base, content.length) != content.length) {
            throw new IOException("cannot read the fuzz's file to its end");
        }
        // the absent path, on a page of its own that the kernel cannot write, with PROT_NONE on either side (and
        // past the pointers drawn into the reservation): an array read across the owned bytes' end faults on the
        // kernel as it does on the emulator, whose user memory knows the owned bytes and the path page apart
        reservation.pathPageWritable(true);
        pathPage.fill((byte) 0);
        pathPage.setString(0, ABSENT);
        reservation.pathPageWritable(false);
        reservation.structsWritable.fill((byte) 0);
        refill(random);
        targets = descriptorTargets();
    }

    /**
     * The emulator's view of this process's descriptors: the world's pipe numbers name the emulator's own pipe,
     * every other number is this process's own.
     */
    ProcessDescriptorTable emulatorDescriptors() {
        ProcessDescriptorTable own = EmulatedIoUring.thisProcess();
        return new ProcessDescriptorTable() {
            @Override
            public boolean isOpen(int fd) {
                return own.isOpen(local(fd));
            }

            @Override
            public int local(int fd) {
                return fd == pipeRead ? emuPipeRead : fd == pipeWrite ? emuPipeWrite : fd;
            }

            @Override
            public int acquire(int fd) {
                return own.acquire(local(fd));
            }

            @Override
            public void release(int reference) {
                own.release(reference);
            }
        };
    }

    /** How many bytes the pipe of read end {@code fd} holds ({@code FIONREAD}), or -1. */
    private static int fill(int fd) {
        try (Arena call = Arena.ofConfined()) {
            MemorySegment n = call.allocate(JAVA_INT);
            return Linux.call(Linux.SYS_IOCTL, fd, FIONREAD, n.address()) == 0 ? n.get(JAVA_INT, 0) : -1;
        }
    }

    /**
     * Makes the two pipes alike again where a step left them apart (a request only the kernel ran, a divergence):
     * both emptied, then the kernel's fill written to each in one write, so both hold one pipe buffer layout.
     * Answers whether they had to be made alike.
     */
    boolean equalizePipes() {
        int kernel = fill(pipeRead);
        int emulated = fill(emuPipeRead);
        if (kernel == emulated || kernel < 0 || emulated < 0) {
            return false;
        }
        try (Arena call = Arena.ofConfined()) {
            MemorySegment bytes = call.allocate(Math.max(Math.max(kernel, emulated), 1));
            Linux.call(Linux.SYS_READ, pipeRead, bytes.address(), kernel);
            Linux.call(Linux.SYS_READ, emuPipeRead, bytes.address(), emulated);
            bytes.fill((byte) 'p');
            if (kernel > 0) {
                Linux.call(Linux.SYS_WRITE, pipeWrite, bytes.address(), kernel);
                Linux.call(Linux.SYS_WRITE, emuPipeWrite, bytes.address(), kernel);
            }
        }
        return true;
    }

    /** The descriptors an SQE's fd may name: the world's, and ones that name nothing. */
    int fd(RandomGenerator random) {
        return switch (random.nextInt(7)) {
            case 0 -> pipeRead;
            case 1 -> pipeWrite;
            case 2 -> devNull;
            case 3 -> file;
            case 4 -> -1;
            case 5 -> 1 << 20;
            default -> random.nextInt(2) == 0 ? pipeRead : file;
        };
    }

    /** A pointer an SQE may carry: into the owned bytes, into the reserved rest, or one no process can map. */
    long pointer(RandomGenerator random) {
        return switch (random.nextInt(8)) {
            case 0, 1, 2 -> base + random.nextLong(OWNED - 256);
            case 3 -> base + (random.nextLong(OWNED / 8 - 32)) * 8;
            case 4 -> base + OWNED + 4096 + random.nextLong(RESERVED / 2);
            default -> invalid(random);
        };
    }

    /** A pointer to nothing the kernel may write: page 0, the low guard, a kernel address, a non-canonical one. */
    long invalid(RandomGenerator random) {
        long address = INVALID[random.nextInt(INVALID.length)];
        return safePointer(address) ? address : 0;
    }

    /** Whether {@code address} lies in the owned bytes with {@code length} more. */
    boolean inOwned(long address, long length) {
        // by subtraction: an address near the top of the long range plus a length wraps
        return address >= base && address - base <= OWNED && length <= OWNED - (address - base);
    }

    /** Fills the owned bytes anew: words that are pointers into the reservation, small lengths, or any bytes. */
    void refill(RandomGenerator random) {
        for (long at = 0; at < OWNED - 64; at += 8) {
            long word = switch (random.nextInt(4)) {
                case 0 -> base + random.nextLong(OWNED - 4096);
                case 1 -> random.nextInt(4097);
                case 2 -> base + OWNED + 4096 + random.nextLong(RESERVED / 2);
                default -> random.nextLong() & 0x7f7f7f7f7f7f7f7fL;
            };
            owned.set(JAVA_LONG, at, word);
        }
    }

    /**
     * Whether the kernel may be handed {@code address} as a pointer: in the reservation (with room for the 64 KiB
     * the world's descriptors can yield at most), below the low guard's end, or where no process can map.
     */
    boolean safePointer(long address) {
        return Long.compareUnsigned(address, reservation.lowLimit) < 0
                || Long.compareUnsigned(address, 0x800000000000L) >= 0
                || (address >= base && address < base + RESERVED - 65536);
    }

    /** What each of the world's descriptors names now ({@code /proc/self/fd}), in a fixed order. */
    private List<String> descriptorTargets() {
        List<String> targets = new ArrayList<>();
        for (int fd : new int[] {pipeRead, pipeWrite, emuPipeRead, emuPipeWrite, devNull, file}) {
            try {
                targets.add(fd + " -> " + Files.readSymbolicLink(Path.of("/proc/self/fd/" + fd)));
            } catch (IOException e) {
                targets.add(fd + " -> closed");
            }
        }
        return targets;
    }

    /**
     * The world's descriptors that no longer name the files they named when the world was made (the emulator's pipe
     * too, which no SQE names and the fuzz must never close), as "fd -> now (was then)"; empty while all do.
     */
    List<String> changedDescriptors() {
        List<String> now = descriptorTargets();
        List<String> changed = new ArrayList<>();
        for (int i = 0; i < now.size(); i++) {
            if (!now.get(i).equals(targets.get(i))) {
                changed.add(now.get(i) + " (was " + targets.get(i).substring(targets.get(i).indexOf("-> ") + 3) + ")");
            }
        }
        return changed;
    }

    /** Whether the fuzz must leave {@code fd} open: the world's, or the emulator's pipe, which no SQE names. */
    boolean keeps(int fd) {
        return safeFd(fd) || fd == emuPipeRead || fd == emuPipeWrite;
    }

    /** Whether {@code fd} is the world's or names nothing. */
    boolean safeFd(int fd) {
        return fd == pipeRead || fd == pipeWrite || fd == devNull || fd == file || fd < 0 || fd >= 1 << 20;
    }

    /**
     * Closes the world's descriptors. The reservation stays: a ring closed with requests in flight is cancelled by the
     * kernel later, and what it still writes must land there ({@link FuzzReservation}).
     */
    @Override
    public void close() throws IOException {
        Posix.close(pipeRead);
        Posix.close(pipeWrite);
        Posix.close(emuPipeRead);
        Posix.close(emuPipeWrite);
        Posix.close(devNull);
        Posix.close(file);
        Files.deleteIfExists(filePath);
    }
}
