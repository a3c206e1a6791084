package dev.ringspec.guest.agent;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** Reads the little-endian fields of one answer; running past its end is a protocol error. */
final class FrameReader {
    private final MemorySegment frame;
    private long position;

    FrameReader(byte[] bytes) {
        this.frame = MemorySegment.ofArray(bytes);
    }

    private void need(long count) {
        if (count < 0 || position + count > frame.byteSize()) {
            throw new AgentException("the agent sent a truncated answer (" + frame.byteSize() + " bytes): the host "
                    + "and the agent disagree on the protocol");
        }
    }

    int u8() {
        need(1);
        return Byte.toUnsignedInt(frame.get(ValueLayout.JAVA_BYTE, position++));
    }

    int u32() {
        need(4);
        int value = frame.get(ValueLayout.JAVA_INT_UNALIGNED, position);
        position += 4;
        return value;
    }

    long u64() {
        need(8);
        long value = frame.get(ValueLayout.JAVA_LONG_UNALIGNED, position);
        position += 8;
        return value;
    }

    /** The next {@code count} bytes as a slice of the frame. */
    MemorySegment slice(long count) {
        need(count);
        MemorySegment slice = frame.asSlice(position, count);
        position += count;
        return slice;
    }
}
