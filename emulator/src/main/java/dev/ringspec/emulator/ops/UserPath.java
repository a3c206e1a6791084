package dev.ringspec.emulator.ops;

import static dev.ringspec.uapi.Errno.EFAULT;
import static dev.ringspec.uapi.Errno.ENAMETOOLONG;
import static dev.ringspec.uapi.Errno.ENOENT;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;

import dev.ringspec.model.IssueContext;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * A path argument copied in as the kernel's {@code getname} does ({@code strncpy_from_user}): byte by byte up to
 * the NUL, so a path that ends just before unreadable memory is read whole; -EFAULT only where a byte before the NUL
 * cannot be read, -ENAMETOOLONG without a NUL in {@link #PATH_MAX} bytes. Every opcode of ops that takes a path
 * copies it here.
 */
final class UserPath {
    /** {@code PATH_MAX}: a path and its NUL. */
    static final int PATH_MAX = 4096;

    private UserPath() {
    }

    /**
     * The NUL-terminated path at {@code address}, NUL included, in memory of its own (the application may reuse
     * its memory once it submitted), or -errno in {@code error[0]} and null: -EFAULT, -ENAMETOOLONG, and -ENOENT
     * for an empty path unless {@code emptyAllowed}.
     */
    static MemorySegment copy(IssueContext ctx, long address, boolean emptyAllowed, int[] error) {
        MemorySegment path = strncpy(ctx, address, PATH_MAX, error);
        if (path == null) {
            error[0] = error[0] == TOO_LONG ? -ENAMETOOLONG : error[0];
            return null;
        }
        if (path.byteSize() == 1 && !emptyAllowed) {
            error[0] = -ENOENT;
            return null;
        }
        return path;
    }

    /** What {@link #strncpy} leaves in {@code error[0]} where no NUL came within its bytes. */
    static final int TOO_LONG = 1;

    /**
     * {@code strncpy_from_user} of at most {@code maxBytes} bytes: the string and its NUL in memory of its own, or
     * null with -EFAULT (a byte before the NUL unreadable) or {@link #TOO_LONG} in {@code error[0]}.
     */
    static MemorySegment strncpy(IssueContext ctx, long address, int maxBytes, int[] error) {
        MemorySegment whole = ctx.userMemory(address, maxBytes);
        for (int i = 0; i < maxBytes; i++) {
            // the registered memory may end before maxBytes: then each byte on its own, up to the NUL
            MemorySegment at = whole != null ? whole.asSlice(i, 1) : ctx.userMemory(address + i, 1);
            if (at == null) {
                error[0] = -EFAULT;
                return null;
            }
            if (at.get(JAVA_BYTE, 0) == 0) {
                MemorySegment copy = Arena.ofAuto().allocate(i + 1L);
                MemorySegment.copy(whole != null ? whole : ctx.userMemory(address, i + 1L), 0, copy, 0, i + 1L);
                return copy;
            }
        }
        error[0] = TOO_LONG;
        return null;
    }
}
