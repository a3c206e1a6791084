package dev.ringspec.guest.agent;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** A frame being written: little-endian fields appended to a growable array, its length patched in at the end. */
final class Frame {
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED;
    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED;
    private byte[] bytes = new byte[4096];
    private MemorySegment view = MemorySegment.ofArray(bytes);
    private int length;

    void reset() {
        length = 0;
    }

    int length() {
        return length;
    }

    byte[] array() {
        return bytes;
    }

    private void need(long more) {
        if (length + more > bytes.length) {
            long size = Math.max(bytes.length * 2L, length + more);
            if (size > Protocol.MAX_FRAME_BYTES) {
                throw new AgentException("a request of more than " + Protocol.MAX_FRAME_BYTES
                        + " bytes, more than the agent accepts");
            }
            bytes = Arrays.copyOf(bytes, (int) size);
            view = MemorySegment.ofArray(bytes);
        }
    }

    Frame u8(int value) {
        need(1);
        bytes[length++] = (byte) value;
        return this;
    }

    Frame u32(int value) {
        need(4);
        view.set(U32, length, value);
        length += 4;
        return this;
    }

    Frame u64(long value) {
        need(8);
        view.set(U64, length, value);
        length += 8;
        return this;
    }

    Frame bytes(MemorySegment source, long offset, long count) {
        need(count);
        MemorySegment.copy(source, offset, view, length, count);
        length += (int) count;
        return this;
    }

    Frame bytes(byte[] source) {
        return bytes(MemorySegment.ofArray(source), 0, source.length);
    }

    Frame string(String value) {
        byte[] utf8 = value.getBytes(StandardCharsets.UTF_8);
        u32(utf8.length);
        return bytes(utf8);
    }

    /** Overwrites the u32 at {@code at}, for counts known only after what they count was written. */
    void patchU32(int at, int value) {
        view.set(U32, at, value);
    }

    /** Cuts the frame back to {@code at}, dropping a command that turned out empty. */
    void truncate(int at) {
        length = at;
    }
}
