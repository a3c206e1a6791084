package dev.ringspec.uapi;

import static java.lang.foreign.MemoryLayout.structLayout;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.GroupLayout;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * One classic-BPF instruction, {@code struct sock_filter} of {@code linux/filter.h}, as the kernel reads it from
 * user memory (8 bytes, native byte order):
 *
 * <pre>{@code
 * struct sock_filter {
 *     __u16   code;
 *     __u8    jt;
 *     __u8    jf;
 *     __u32   k;
 * };
 * }</pre>
 *
 * @param code the opcode, 0 to 0xffff ({@link Filter} builds it from class, size, mode, operation and source)
 * @param jt the jump offset when the condition holds, 0 to 255
 * @param jf the jump offset when it does not, 0 to 255
 * @param k the constant, any 32 bits
 */
public record SockFilter(int code, int jt, int jf, int k) {
    public static final GroupLayout LAYOUT = structLayout(
            JAVA_SHORT.withName("code"),
            JAVA_BYTE.withName("jt"),
            JAVA_BYTE.withName("jf"),
            JAVA_INT.withName("k")
    ).withName("sock_filter");

    public static final long SIZE_BYTES = LAYOUT.byteSize();

    public static final long CODE_OFFSET = Layouts.offsetOf(LAYOUT, "code");
    public static final long JT_OFFSET = Layouts.offsetOf(LAYOUT, "jt");
    public static final long JF_OFFSET = Layouts.offsetOf(LAYOUT, "jf");
    public static final long K_OFFSET = Layouts.offsetOf(LAYOUT, "k");

    public SockFilter {
        if (code < 0 || code > 0xffff || jt < 0 || jt > 0xff || jf < 0 || jf > 0xff) {
            throw new IllegalArgumentException("a sock_filter has a 16-bit code and 8-bit jt and jf: code=" + code
                    + " jt=" + jt + " jf=" + jf);
        }
    }

    /** {@code BPF_STMT(code, k)}: an instruction without jump offsets. */
    public static SockFilter stmt(int code, int k) {
        return new SockFilter(code, 0, 0, k);
    }

    /** {@code BPF_JUMP(code, k, jt, jf)}. */
    public static SockFilter jump(int code, int k, int jt, int jf) {
        return new SockFilter(code, jt, jf, k);
    }

    /** Writes the instruction at {@code offset} of {@code memory}. */
    public void write(MemorySegment memory, long offset) {
        memory.set(JAVA_SHORT, offset + CODE_OFFSET, (short) code);
        memory.set(JAVA_BYTE, offset + JT_OFFSET, (byte) jt);
        memory.set(JAVA_BYTE, offset + JF_OFFSET, (byte) jf);
        memory.set(JAVA_INT, offset + K_OFFSET, k);
    }

    /** Reads the instruction at {@code offset} of {@code memory}. */
    public static SockFilter read(MemorySegment memory, long offset) {
        return new SockFilter(Short.toUnsignedInt(memory.get(JAVA_SHORT, offset + CODE_OFFSET)),
                Byte.toUnsignedInt(memory.get(JAVA_BYTE, offset + JT_OFFSET)),
                Byte.toUnsignedInt(memory.get(JAVA_BYTE, offset + JF_OFFSET)),
                memory.get(JAVA_INT, offset + K_OFFSET));
    }

    /** Reads {@code count} consecutive instructions starting at {@code offset}. */
    public static List<SockFilter> readAll(MemorySegment memory, long offset, int count) {
        List<SockFilter> program = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            program.add(read(memory, offset + i * SIZE_BYTES));
        }
        return program;
    }

    /** Writes {@code program} as consecutive instructions starting at {@code offset}. */
    public static void writeAll(List<SockFilter> program, MemorySegment memory, long offset) {
        for (int i = 0; i < program.size(); i++) {
            program.get(i).write(memory, offset + i * SIZE_BYTES);
        }
    }

    @Override
    public String toString() {
        return String.format("{ 0x%02x, %d, %d, 0x%08x }", code, jt, jf, k);
    }
}
