package dev.ringspec.seam;

import java.lang.foreign.MemorySegment;

/**
 * Where the addresses inside syscall arguments point, as a Java backend reads them: {@code copy_from_user} and
 * {@code copy_to_user} turned into segments. {@link UserMemory} is the usual one (native segments of this JVM); a
 * backend serving another process reads and writes that process's memory through windows it copies in and writes
 * back.
 *
 * <p>A backend never dereferences an address {@link #resolve} did not answer: a {@code null} answer is the
 * kernel's {@code -EFAULT}.
 */
public interface AddressSpace {

    /**
     * The {@code sizeBytes} bytes at {@code address} as a segment this JVM may read and write, or {@code null} where
     * they are not all readable (the kernel's {@code -EFAULT}).
     */
    MemorySegment resolve(long address, long sizeBytes);

    /**
     * Whether the {@code sizeBytes} bytes at {@code address} are all readable, without keeping them (pinning a
     * registered buffer, {@code io_pin_pages}): what {@link #resolve} answers non-null for, at any size.
     */
    default boolean accessible(long address, long sizeBytes) {
        return resolve(address, sizeBytes) != null;
    }

    /**
     * Whether the addresses are this process's own, so that a raw address may be handed to a real syscall (whose
     * kernel checks it). False for another process's memory: its addresses mean nothing here.
     */
    default boolean local() {
        return true;
    }
}
