package dev.ringspec.sqefuzz;

import static dev.ringspec.uapi.IoUring.IORING_OP_FUTEX_WAITV;
import static dev.ringspec.uapi.IoUring.IORING_OP_READ;
import static dev.ringspec.uapi.IoUring.IORING_OP_READV;
import static dev.ringspec.uapi.IoUring.IORING_OP_READV_FIXED;
import static dev.ringspec.uapi.IoUring.IORING_OP_READ_FIXED;
import static dev.ringspec.uapi.IoUring.IORING_OP_RECVMSG;
import static dev.ringspec.uapi.IoUring.IORING_OP_SEND;
import static dev.ringspec.uapi.IoUring.IORING_OP_SENDMSG;
import static dev.ringspec.uapi.IoUring.IORING_OP_SENDMSG_ZC;
import static dev.ringspec.uapi.IoUring.IORING_OP_SEND_ZC;
import static dev.ringspec.uapi.IoUring.IORING_OP_WRITE;
import static dev.ringspec.uapi.IoUring.IORING_OP_WRITEV;
import static dev.ringspec.uapi.IoUring.IORING_OP_WRITEV_FIXED;
import static dev.ringspec.uapi.IoUring.IORING_OP_WRITE_FIXED;
import static dev.ringspec.uapi.IoUring.IORING_RW_ATTR_FLAG_PI;
import static dev.ringspec.uapi.IoUring.IORING_SEND_VECTORIZED;
import static dev.ringspec.uapi.IoUringSqe.ADDR_OFFSET;
import static dev.ringspec.uapi.IoUringSqe.IOPRIO_OFFSET;
import static dev.ringspec.uapi.IoUringSqe.LEN_OFFSET;
import static dev.ringspec.uapi.IoUringSqe.OPCODE_OFFSET;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.MemorySegment;
import java.util.Set;
import java.util.random.RandomGenerator;

/**
 * The structures the kernel reads pointers from, written by the fuzz for each SQE that hands one: an iovec array
 * (READV, WRITEV and their FIXED forms; SEND and SEND_ZC with IORING_SEND_VECTORIZED), a {@code struct user_msghdr}
 * with its iovecs (SENDMSG, RECVMSG, SENDMSG_ZC), a {@code struct futex_waitv} array (FUTEX_WAITV), a
 * {@code struct io_uring_attr_pi} (the read and write opcodes with the PI attribute at addr3). Where the SQE's
 * pointer names memory that can be read (the owned bytes, the path page, the structs), it is moved into the
 * structs (at the same alignment) and the structure written there, at that address: the kernel reads each entry
 * exactly where the fuzz wrote one. The structs are read-only to every request, so nothing but the fuzz changes
 * them. A pointer that names nothing readable stays, and the copy faults (-EFAULT) before any pointer in it is read.
 *
 * <p>Every pointer inside a structure is one an SQE may carry ({@link FuzzWorld#safePointer}): into the owned bytes,
 * the PROT_NONE rest of the reservation, the read-only path page and structs, or nothing at all; every length is
 * drawn, including negative and huge ones. So the fuzz still hands the kernel every kind of bad pointer it checks,
 * and none into the JVM.
 *
 * <p>Nothing else on this kernel (6.18) or the emulator follows a pointer read from the application's memory for an
 * SQE the fuzz makes: a TIMEOUT's timespec, an OPENAT2's open_how and an EPOLL_CTL's event hold values; the provided
 * buffers of PROVIDE_BUFFERS are pinned (addr in the owned bytes, at most 4 MiB of buffers); buffer rings, registered
 * buffers and files, EXT_ARG and register arguments are never made.
 */
final class FuzzStructs {
    /** {@code struct iovec}: base, then length. */
    static final long IOVEC_BYTES = 16;
    /** {@code struct user_msghdr}: name, namelen, iov, iovlen, control, controllen, flags. */
    static final long MSGHDR_BYTES = 56;
    static final long MSG_NAME = 0;
    static final long MSG_NAMELEN = 8;
    static final long MSG_IOV = 16;
    static final long MSG_IOVLEN = 24;
    static final long MSG_CONTROL = 32;
    static final long MSG_CONTROLLEN = 40;
    static final long MSG_FLAGS = 48;
    /** {@code struct futex_waitv}: val, uaddr, flags, reserved. */
    static final long FUTEX_WAITV_BYTES = 24;
    /** {@code struct io_uring_attr_pi}: flags, app_tag, len, addr, seed, rsvd. */
    static final long ATTR_PI_BYTES = 32;
    static final long ADDR3_OFFSET = 48;
    static final long ATTR_TYPE_MASK_OFFSET = 56;
    /**
     * Top-level structures (those an SQE names) go in the structs' first half or run off their end; the structures
     * they lead to (a msghdr's iovecs, a PI attribute beside an iovec array) go in the half the top-level one leaves.
     */
    private static final long HALF = FuzzReservation.STRUCTS_BYTES / 2;
    private static final Set<Integer> IOVECS = Set.of(IORING_OP_READV, IORING_OP_WRITEV, IORING_OP_READV_FIXED,
            IORING_OP_WRITEV_FIXED);
    private static final Set<Integer> MSGHDRS = Set.of(IORING_OP_SENDMSG, IORING_OP_RECVMSG, IORING_OP_SENDMSG_ZC);
    /** The opcodes of rw.c whose {@code __io_prep_rw} reads a PI attribute at addr3. */
    private static final Set<Integer> RW = Set.of(IORING_OP_READ, IORING_OP_WRITE, IORING_OP_READV, IORING_OP_WRITEV,
            IORING_OP_READ_FIXED, IORING_OP_WRITE_FIXED, IORING_OP_READV_FIXED, IORING_OP_WRITEV_FIXED);

    private final FuzzWorld world;
    private final FuzzReservation reservation;
    private final MemorySegment writable;

    FuzzStructs(FuzzWorld world) {
        this.world = world;
        this.reservation = world.reservation;
        this.writable = reservation.structsWritable;
    }

    /** Writes the structures {@code sqe} hands the kernel, moving its pointers to them into the structs. */
    void pin(MemorySegment sqe, RandomGenerator random) {
        int opcode = Byte.toUnsignedInt(sqe.get(JAVA_BYTE, OPCODE_OFFSET));
        long count = Integer.toUnsignedLong(sqe.get(JAVA_INT, LEN_OFFSET));
        boolean vectorized = (opcode == IORING_OP_SEND || opcode == IORING_OP_SEND_ZC)
                && (sqe.get(JAVA_SHORT, IOPRIO_OFFSET) & IORING_SEND_VECTORIZED) != 0;
        long top = 0;
        if (IOVECS.contains(opcode) || vectorized) {
            top = place(sqe, ADDR_OFFSET, count * IOVEC_BYTES, random);
            if (top != 0) {
                iovecs(top, count, random);
            }
        } else if (MSGHDRS.contains(opcode)) {
            top = place(sqe, ADDR_OFFSET, MSGHDR_BYTES, random);
            if (top != 0) {
                msghdr(top, random);
            }
        } else if (opcode == IORING_OP_FUTEX_WAITV) {
            top = place(sqe, ADDR_OFFSET, count * FUTEX_WAITV_BYTES, random);
            if (top != 0) {
                futexWaitv(top, count, random);
            }
        }
        if (RW.contains(opcode) && (sqe.get(JAVA_LONG, ATTR_TYPE_MASK_OFFSET) & IORING_RW_ATTR_FLAG_PI) != 0) {
            long pointer = sqe.get(JAVA_LONG, ADDR3_OFFSET);
            if (readable(pointer)) {
                // never over the SQE's iovec array, which the kernel reads after the attribute; one time in eight
                // running off the structs' end, where a top-level structure in the first half leaves room for that
                long at = top - reservation.structs < HALF - 8 && random.nextInt(8) == 0
                        ? reservation.structs + ((FuzzReservation.STRUCTS_BYTES - random.nextLong(1, ATTR_PI_BYTES + 2))
                                & ~7L) + (pointer & 7)
                        : secondLevel(top, ATTR_PI_BYTES, random) + (pointer & 7);
                sqe.set(JAVA_LONG, ADDR3_OFFSET, at);
                piAttr(at, random);
            }
        }
    }

    /**
     * Where the top-level structure of {@code bytes} that the SQE's pointer at {@code field} names goes: 0 where the
     * pointer names nothing readable (the copy faults), else an address with the pointer's alignment that is written
     * into the SQE: in the first half, ending at or before {@link #HALF}, or (one time in eight, and for a structure
     * that does not fit there) running off the structs' end, so that the copy faults part way; such a one begins at
     * {@code HALF - 8} or later.
     */
    private long place(MemorySegment sqe, long field, long bytes, RandomGenerator random) {
        long pointer = sqe.get(JAVA_LONG, field);
        if (!readable(pointer)) {
            return 0;
        }
        long offset;
        if (random.nextInt(8) == 0 || bytes > HALF - 8) {
            offset = FuzzReservation.STRUCTS_BYTES - random.nextLong(1, Math.min(bytes, HALF) + 2);
        } else {
            // (the alignment added below keeps it inside its half)
            offset = random.nextLong(HALF - bytes - 7);
        }
        long at = reservation.structs + (offset & ~7L) + (pointer & 7);
        sqe.set(JAVA_LONG, field, at);
        return at;
    }

    /**
     * Where a structure of {@code bytes} that a top-level one at {@code top} (0 for none) leads the kernel to goes
     * (8-byte aligned): in the half the top-level one does not touch, so that neither is written over the other. A
     * top-level structure in the first half ends at or before {@link #HALF}; one running off the end begins at
     * {@code HALF - 8} or later.
     */
    private long secondLevel(long top, long bytes, RandomGenerator random) {
        boolean topOffTheEnd = top != 0 && top - reservation.structs >= HALF - 8;
        long from = topOffTheEnd ? 0 : HALF;
        // up to 7 bytes of alignment are added to the start: the structure still ends 8 bytes short of the other
        // half's or the structs' end
        long room = topOffTheEnd ? HALF - 16 : HALF - 8;
        return reservation.structs + from + (random.nextLong(room - bytes + 1) & ~7L);
    }

    /** Whether the kernel can read {@code address}: the owned bytes, the structs, the path page. */
    boolean readable(long address) {
        return inside(address, world.base, FuzzReservation.OWNED)
                || inside(address, reservation.structs, FuzzReservation.STRUCTS_BYTES)
                || inside(address, reservation.absentPath, FuzzReservation.PAGE);
    }

    private static boolean inside(long address, long start, long bytes) {
        return address >= start && address < start + bytes;
    }

    /** {@code count} iovecs at {@code at} (those that fit in the structs). */
    private void iovecs(long at, long count, RandomGenerator random) {
        for (long i = 0; i < count && fits(at + i * IOVEC_BYTES, IOVEC_BYTES); i++) {
            put(at + i * IOVEC_BYTES, pointer(random));
            put(at + i * IOVEC_BYTES + 8, length(random));
        }
    }

    /** A msghdr at {@code at}; its iovecs, when it names some, in the half of the structs the msghdr is not in. */
    private void msghdr(long at, RandomGenerator random) {
        long iovlen = switch (random.nextInt(4)) {
            case 0 -> 0;
            case 1 -> 1;
            case 2 -> random.nextInt(9);
            default -> random.nextLong();
        };
        long iov;
        if (random.nextInt(4) == 0) {
            iov = unreadable(random);
        } else {
            long entries = Math.min(Math.max(iovlen, 0), (HALF - 16) / IOVEC_BYTES);
            iov = secondLevel(at, entries * IOVEC_BYTES, random) + random.nextLong(8);
            iovecs(iov, entries, random);
        }
        // the kernel reads six fields, up to msg_controllen (io_copy_msghdr_from_user): a msghdr whose flags run off
        // the structs' end is still read, so its pointers are written as any other's
        if (!fits(at, MSG_FLAGS)) {
            return;
        }
        put(at + MSG_NAME, pointer(random));
        putInt(at + MSG_NAMELEN, random.nextInt(4) == 0 ? random.nextInt() : random.nextInt(129));
        putInt(at + MSG_NAMELEN + 4, 0);
        put(at + MSG_IOV, iov);
        put(at + MSG_IOVLEN, iovlen);
        put(at + MSG_CONTROL, pointer(random));
        put(at + MSG_CONTROLLEN, length(random));
        if (fits(at, MSGHDR_BYTES)) {
            putInt(at + MSG_FLAGS, random.nextInt(4) == 0 ? random.nextInt() : 0);
            putInt(at + MSG_FLAGS + 4, 0);
        }
    }

    /** {@code count} futex_waitv entries at {@code at}: a value, a futex word's address, flags, reserved. */
    private void futexWaitv(long at, long count, RandomGenerator random) {
        for (long i = 0; i < count && fits(at + i * FUTEX_WAITV_BYTES, FUTEX_WAITV_BYTES); i++) {
            long entry = at + i * FUTEX_WAITV_BYTES;
            put(entry, random.nextInt(2) == 0 ? 0 : random.nextLong());
            put(entry + 8, pointer(random));
            putInt(entry + 16, random.nextInt(2) == 0 ? 0x2 | 0x80 : random.nextInt());
            putInt(entry + 20, random.nextInt(8) == 0 ? random.nextInt() : 0);
        }
    }

    /** An io_uring_attr_pi at {@code at}: its metadata buffer's address and length are a pointer and a length. */
    private void piAttr(long at, RandomGenerator random) {
        if (!fits(at, ATTR_PI_BYTES)) {
            return;
        }
        putInt(at, random.nextInt());
        putInt(at + 4, (int) length(random));
        put(at + 8, pointer(random));
        put(at + 16, random.nextLong());
        put(at + 24, random.nextInt(4) == 0 ? random.nextLong() : 0);
    }

    /** A pointer inside a structure: one an SQE may carry, including the read-only pages. */
    private long pointer(RandomGenerator random) {
        return switch (random.nextInt(10)) {
            case 0, 1, 2, 3 -> world.pointer(random);
            case 4 -> world.base + FuzzReservation.OWNED - random.nextLong(1, 4097);
            case 5 -> reservation.structs + random.nextLong(FuzzReservation.STRUCTS_BYTES);
            case 6 -> reservation.absentPath + random.nextLong(FuzzReservation.PAGE);
            default -> unreadable(random);
        };
    }

    /** A pointer to nothing readable: the PROT_NONE reservation, the low guard, page 0, the kernel's half. */
    private long unreadable(RandomGenerator random) {
        return switch (random.nextInt(3)) {
            case 0 -> world.base + FuzzReservation.OWNED + random.nextLong(FuzzReservation.RESERVED / 2);
            case 1 -> random.nextLong(reservation.lowLimit);
            default -> world.invalid(random);
        };
    }

    private static long length(RandomGenerator random) {
        return switch (random.nextInt(8)) {
            case 0 -> 0;
            case 1 -> 1;
            case 2 -> random.nextInt(64);
            case 3 -> random.nextInt(4097);
            case 4 -> 65536;
            case 5 -> Integer.toUnsignedLong(random.nextInt());
            case 6 -> Long.MAX_VALUE;
            default -> random.nextLong();
        };
    }

    private boolean fits(long address, long bytes) {
        return address >= reservation.structs && address + bytes <= reservation.structs + FuzzReservation.STRUCTS_BYTES;
    }

    private void put(long address, long value) {
        writable.set(JAVA_LONG_UNALIGNED, address - reservation.structs, value);
    }

    private void putInt(long address, int value) {
        writable.set(JAVA_INT_UNALIGNED, address - reservation.structs, value);
    }
}
