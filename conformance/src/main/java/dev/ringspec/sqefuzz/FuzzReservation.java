package dev.ringspec.sqefuzz;

import static dev.ringspec.emulator.sys.Linux.SYS_MMAP;
import static dev.ringspec.emulator.sys.Linux.SYS_MPROTECT;
import static dev.ringspec.emulator.sys.Linux.SYS_MUNMAP;

import dev.ringspec.emulator.sys.Linux;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * The address space the fuzz hands to the kernel and the emulator, reserved once per process and never given back:
 * a request the fuzz let go of (a ring closed with requests in flight, which the kernel cancels later in a kworker;
 * an io-wq read still running) may still write to an address it was handed, so none of these addresses may ever
 * name memory of this JVM's again.
 *
 * <pre>
 *  0        4 KiB                     64 KiB
 *  | page 0 | low guard (PROT_NONE) ...|        (the JVM maps no page 0: its implicit null checks rely on that)
 *
 *  base     +64 KiB                                        +1 GiB-256 KiB  +1 GiB-192 KiB  +1 GiB-128 KiB   +1 GiB
 *  | owned  | PROT_NONE ...                               | structs (RO)   | PROT_NONE      | path page | PROT_NONE |
 * </pre>
 *
 * <p>The owned bytes are read-write; the structs are a memfd mapped read-only here and read-write at an address of
 * its own ({@link #structsWritable}) that is never handed out, so that only the fuzz writes the structures the kernel
 * reads pointers from ({@link FuzzStructs}); the path page is read-only. The low guard takes each page from 4 KiB to
 * 64 KiB that this process could map ({@code vm.mmap_min_addr} is 4096 on some machines, and root may map below it):
 * a pointer below {@link #lowLimit} names nothing of the JVM's.
 */
final class FuzzReservation {
    static final long RESERVED = 1L << 30;
    static final long OWNED = 64 * 1024;
    static final long STRUCTS_BYTES = 64 * 1024;
    static final long PAGE = 4096;
    private static final int PROT_NONE = 0;
    private static final int PROT_READ = 0x1;
    private static final int PROT_READ_WRITE = 0x3;
    private static final int MAP_SHARED = 0x01;
    private static final int MAP_PRIVATE = 0x02;
    private static final int MAP_FIXED = 0x10;
    private static final int MAP_ANONYMOUS = 0x20;
    private static final int MAP_NORESERVE = 0x4000;
    private static final int MAP_FIXED_NOREPLACE = 0x100000;
    private static final long LOW_END = 64 * 1024;
    private static final int EPERM = 1;
    private static final int EACCES = 13;
    private static final int MFD_CLOEXEC = 1;

    private static FuzzReservation process;

    final long base;
    final long structs;
    final long absentPath;
    /** Every address below it is page 0 or a page of the low guard, or one this process may not map. */
    final long lowLimit;
    final MemorySegment owned;
    /** The structs' read-only view (what the kernel and the emulator read). */
    final MemorySegment structsReadable;
    /** The structs' read-write view: the fuzz's own, never handed to a request. */
    final MemorySegment structsWritable;
    final MemorySegment pathPage;

    /** The process's reservation, made on first use. */
    static synchronized FuzzReservation get() {
        if (process == null) {
            process = new FuzzReservation();
        }
        return process;
    }

    @SuppressWarnings("restricted") // the regions are mapped here, at the sizes given
    private FuzzReservation() {
        lowLimit = guardLowPages();
        base = check(Linux.call(SYS_MMAP, 0, RESERVED, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0),
                "the reservation");
        check(Linux.call(SYS_MPROTECT, base, OWNED, PROT_READ_WRITE), "the owned bytes");
        owned = MemorySegment.ofAddress(base).reinterpret(OWNED);
        structs = base + RESERVED - 4 * OWNED;
        int memfd;
        try (Arena call = Arena.ofConfined()) {
            memfd = (int) check(Linux.call(Linux.SYS_MEMFD_CREATE, call.allocateFrom("ringspec-fuzz-structs").address(),
                    MFD_CLOEXEC), "the structs' memfd");
        }
        try {
            check(Linux.call(Linux.SYS_FTRUNCATE, memfd, STRUCTS_BYTES), "the structs' size");
            check(Linux.call(SYS_MMAP, structs, STRUCTS_BYTES, PROT_READ, MAP_SHARED | MAP_FIXED, memfd, 0),
                    "the structs' read-only view");
            long writable = check(Linux.call(SYS_MMAP, 0, STRUCTS_BYTES, PROT_READ_WRITE, MAP_SHARED, memfd, 0),
                    "the structs' writable view");
            structsWritable = MemorySegment.ofAddress(writable).reinterpret(STRUCTS_BYTES);
        } finally {
            Linux.close(memfd);
        }
        structsReadable = MemorySegment.ofAddress(structs).reinterpret(STRUCTS_BYTES).asReadOnly();
        absentPath = base + RESERVED - 2 * OWNED;
        check(Linux.call(SYS_MPROTECT, absentPath, PAGE, PROT_READ), "the path page");
        pathPage = MemorySegment.ofAddress(absentPath).reinterpret(PAGE);
    }

    /** Lets the fuzz write the path page, or takes that back. */
    void pathPageWritable(boolean writable) {
        check(Linux.call(SYS_MPROTECT, absentPath, PAGE, writable ? PROT_READ_WRITE : PROT_READ), "the path page");
    }

    /**
     * Maps each page from 4 KiB up to 64 KiB PROT_NONE where nothing is (MAP_FIXED_NOREPLACE), and answers where the
     * first page begins that is neither the guard's nor refused to this process (EPERM, EACCES: below
     * mmap_min_addr without CAP_SYS_RAWIO).
     */
    private static long guardLowPages() {
        for (long page = PAGE; page < LOW_END; page += PAGE) {
            long r = Linux.call(SYS_MMAP, page, PAGE, PROT_NONE,
                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE, -1, 0);
            if (r == -EPERM || r == -EACCES || r == page) {
                continue;
            }
            if (r >= 0) {
                // a kernel without MAP_FIXED_NOREPLACE took the address as a hint and mapped elsewhere
                Linux.call(SYS_MUNMAP, r, PAGE);
            }
            return page;
        }
        return LOW_END;
    }

    private static long check(long result, String what) {
        if (result < 0 && result > -4096) {
            throw new IllegalStateException("cannot map the fuzz's memory, " + what + ": " + result);
        }
        return result;
    }
}
