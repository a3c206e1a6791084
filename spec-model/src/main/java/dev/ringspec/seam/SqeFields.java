package dev.ringspec.seam;

import dev.ringspec.uapi.IoUring;
import java.lang.foreign.MemorySegment;

/**
 * The generic fields of one {@code struct io_uring_sqe}, as an application fills them, and the project's one writer
 * of a whole SQE: {@link #writeTo} zeroes the SQE (64 or 128 bytes) and writes every field, so no byte of an
 * earlier SQE in that slot survives. The lockstep engine, its reproducers' runtime and the scenario helpers write
 * SQEs through it; {@link Sqe} stays the field-level writer for the few places that change one field.
 *
 * @param opcode {@code opcode} (u8)
 * @param flags {@code flags}: the IOSQE_* bits (u8)
 * @param ioprio {@code ioprio} (u16)
 * @param fd {@code fd} (s32)
 * @param off {@code off} / {@code addr2} (u64)
 * @param addr {@code addr} / {@code splice_off_in} (u64)
 * @param len {@code len} (u32)
 * @param opFlags the per-opcode flags word at offset 28 ({@code nop_flags}, {@code rw_flags}, ...)
 * @param userData {@code user_data} (u64)
 * @param bufIndex {@code buf_index} / {@code buf_group} (u16)
 * @param personality {@code personality} (u16)
 */
public record SqeFields(int opcode, int flags, int ioprio, int fd, long off, long addr, int len, int opFlags,
        long userData, int bufIndex, int personality) {

    /** An {@code IORING_OP_NOP} with every other field zero but {@code user_data}. */
    public static SqeFields nop(long userData) {
        return new SqeFields(IoUring.IORING_OP_NOP, 0, 0, 0, 0, 0, 0, 0, userData, 0, 0);
    }

    public SqeFields withFlags(int newFlags) {
        return new SqeFields(opcode, newFlags, ioprio, fd, off, addr, len, opFlags, userData, bufIndex, personality);
    }

    public SqeFields withOpFlags(int newOpFlags) {
        return new SqeFields(opcode, flags, ioprio, fd, off, addr, len, newOpFlags, userData, bufIndex, personality);
    }

    public SqeFields withLen(int newLen) {
        return new SqeFields(opcode, flags, ioprio, fd, off, addr, newLen, opFlags, userData, bufIndex, personality);
    }

    /** Writes this SQE at SQE index {@code sqeIndex} of {@code sq}'s SQE array (64 or 128 bytes, as the ring has). */
    public void writeTo(SqRingView sq, int sqeIndex) {
        writeTo(sq.sqes(), sq.sqeOffset(sqeIndex), sq.sqeSizeBytes());
    }

    /**
     * Writes this SQE at byte {@code offset} of {@code sqes}: the {@code sizeBytes} (64 or 128) bytes zeroed, then
     * every field. Plain writes: the application publishes the SQE afterwards with the release store of the SQ tail.
     */
    public void writeTo(MemorySegment sqes, long offset, int sizeBytes) {
        Sqe.clear(sqes, offset, sizeBytes);
        Sqe.opcode(sqes, offset, opcode);
        Sqe.flags(sqes, offset, flags);
        Sqe.ioprio(sqes, offset, ioprio);
        Sqe.fd(sqes, offset, fd);
        Sqe.off(sqes, offset, off);
        Sqe.addr(sqes, offset, addr);
        Sqe.len(sqes, offset, len);
        Sqe.opFlags(sqes, offset, opFlags);
        Sqe.userData(sqes, offset, userData);
        Sqe.bufIndex(sqes, offset, bufIndex);
        Sqe.personality(sqes, offset, personality);
    }
}
