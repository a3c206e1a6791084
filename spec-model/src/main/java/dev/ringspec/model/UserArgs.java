package dev.ringspec.model;

import dev.ringspec.seam.AddressSpace;
import dev.ringspec.seam.UserMemory;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * The syscalls' pointer arguments: {@code copy_from_user} and {@code copy_to_user} in the model, through the
 * application's {@link AddressSpace} (usually a {@link UserMemory}). Never touches an address it cannot resolve; a null answer is the kernel's
 * -EFAULT.
 */
final class UserArgs {
    private final AddressSpace userMemory;

    UserArgs(AddressSpace userMemory) {
        this.userMemory = userMemory;
    }

    /**
     * The {@code size} bytes at {@code offset} of a pointer argument: the segment itself when it is large enough,
     * else the application's memory at that address; null when neither holds them.
     */
    MemorySegment at(MemorySegment arg, long offset, long size) {
        if (isNull(arg)) {
            return null;
        }
        if (arg.byteSize() >= offset + size) {
            return arg.asSlice(offset, size);
        }
        if (arg.isNative()) {
            return userMemory.resolve(arg.address() + offset, size);
        }
        return null;
    }

    /** The application's memory at {@code address}, or null. */
    MemorySegment resolve(long address, long size) {
        return userMemory.resolve(address, size);
    }

    /** Whether the application's {@code size} bytes at {@code address} are all readable ({@code io_pin_pages}). */
    boolean accessible(long address, long size) {
        return userMemory.accessible(address, size);
    }

    /** The 8-byte tag {@code i} of a tag array, 0 without one, {@link Long#MIN_VALUE} if unreadable. */
    long tagAt(long tags, int i) {
        if (tags == 0) {
            return 0;
        }
        MemorySegment t = userMemory.resolve(tags + 8L * i, 8);
        return t == null ? Long.MIN_VALUE : t.get(java.lang.foreign.ValueLayout.JAVA_LONG, 0);
    }

    /**
     * A heap argument (any alignment) is read and written through an aligned native copy, as NativeIoUring does;
     * addresses inside it still resolve through {@link UserMemory}.
     */
    static boolean isHeap(MemorySegment segment) {
        return segment != null && !segment.isNative();
    }

    static MemorySegment nativeCopy(Arena call, MemorySegment heap) {
        return call.allocate(Math.max(heap.byteSize(), 1), 16).copyFrom(heap);
    }

    static boolean isNull(MemorySegment segment) {
        return segment == null || (segment.isNative() && segment.address() == 0);
    }
}
