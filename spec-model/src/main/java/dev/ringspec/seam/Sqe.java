package dev.ringspec.seam;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import dev.ringspec.uapi.IoUring;
import dev.ringspec.uapi.IoUringSqe;
import java.lang.foreign.MemorySegment;

/**
 * Writes the fields of one {@code struct io_uring_sqe} in an SQE array. The application fills SQEs with plain
 * writes before it publishes them with the release store of the SQ tail.
 */
public final class Sqe {
    private Sqe() {
    }

    /** Zeroes {@code sizeBytes} (64 or 128) bytes of the SQE at {@code offset}. */
    public static void clear(MemorySegment sqes, long offset, int sizeBytes) {
        for (int i = 0; i < sizeBytes; i += Long.BYTES) {
            sqes.set(JAVA_LONG, offset + i, 0L);
        }
    }

    /**
     * A whole 64-byte {@code IORING_OP_NOP} SQE with the given user_data, written as eight 64-bit words: the
     * opcode (0) sits in the first word with flags, ioprio and fd, all zero.
     */
    public static void prepNop(MemorySegment sqes, long offset, long userData) {
        sqes.set(JAVA_LONG, offset, IoUring.IORING_OP_NOP);
        sqes.set(JAVA_LONG, offset + 8, 0L);
        sqes.set(JAVA_LONG, offset + 16, 0L);
        sqes.set(JAVA_LONG, offset + 24, 0L);
        sqes.set(JAVA_LONG, offset + IoUringSqe.USER_DATA_OFFSET, userData);
        sqes.set(JAVA_LONG, offset + 40, 0L);
        sqes.set(JAVA_LONG, offset + 48, 0L);
        sqes.set(JAVA_LONG, offset + 56, 0L);
    }

    public static void opcode(MemorySegment sqes, long offset, int opcode) {
        sqes.set(JAVA_BYTE, offset + IoUringSqe.OPCODE_OFFSET, (byte) opcode);
    }

    public static void flags(MemorySegment sqes, long offset, int flags) {
        sqes.set(JAVA_BYTE, offset + IoUringSqe.FLAGS_OFFSET, (byte) flags);
    }

    public static void ioprio(MemorySegment sqes, long offset, int ioprio) {
        sqes.set(JAVA_SHORT, offset + IoUringSqe.IOPRIO_OFFSET, (short) ioprio);
    }

    public static void fd(MemorySegment sqes, long offset, int fd) {
        sqes.set(JAVA_INT, offset + IoUringSqe.FD_OFFSET, fd);
    }

    public static void off(MemorySegment sqes, long offset, long off) {
        sqes.set(JAVA_LONG, offset + IoUringSqe.OFF_OFFSET, off);
    }

    public static void addr(MemorySegment sqes, long offset, long addr) {
        sqes.set(JAVA_LONG, offset + IoUringSqe.ADDR_OFFSET, addr);
    }

    public static void len(MemorySegment sqes, long offset, int len) {
        sqes.set(JAVA_INT, offset + IoUringSqe.LEN_OFFSET, len);
    }

    /** The per-opcode flags word at offset 28 ({@code rw_flags}, {@code nop_flags}, ...). */
    public static void opFlags(MemorySegment sqes, long offset, int opFlags) {
        sqes.set(JAVA_INT, offset + IoUringSqe.NOP_FLAGS_OFFSET, opFlags);
    }

    public static void userData(MemorySegment sqes, long offset, long userData) {
        sqes.set(JAVA_LONG, offset + IoUringSqe.USER_DATA_OFFSET, userData);
    }

    public static void bufIndex(MemorySegment sqes, long offset, int bufIndex) {
        sqes.set(JAVA_SHORT, offset + IoUringSqe.BUF_INDEX_OFFSET, (short) bufIndex);
    }

    public static void personality(MemorySegment sqes, long offset, int personality) {
        sqes.set(JAVA_SHORT, offset + IoUringSqe.PERSONALITY_OFFSET, (short) personality);
    }

    public static void fileIndex(MemorySegment sqes, long offset, int fileIndex) {
        sqes.set(JAVA_INT, offset + IoUringSqe.FILE_INDEX_OFFSET, fileIndex);
    }
}
