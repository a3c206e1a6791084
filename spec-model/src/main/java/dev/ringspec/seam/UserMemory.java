package dev.ringspec.seam;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.util.Collection;
import java.util.Collections;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * The "user memory" of a Java backend: native segments an application allocated here, so that an address found
 * inside an argument ({@code query_data}, {@code next_entry}, a file-descriptor array, an iovec) can be turned back
 * into a segment, or answered {@code -EFAULT} like the kernel answers a pointer to nothing. A Java backend must
 * never dereference an address it cannot resolve: that would crash the JVM instead of failing the call.
 *
 * <p>The kernel backend needs none of this (the kernel checks addresses itself); code that drives every backend
 * alike allocates its argument memory here.
 */
public final class UserMemory implements AddressSpace, SegmentAllocator, AutoCloseable {
    private final Arena arena = Arena.ofShared();
    private final ConcurrentSkipListMap<Long, MemorySegment> byAddress = new ConcurrentSkipListMap<>();

    /** Zeroed native memory, registered for {@link #resolve}. */
    @Override
    public MemorySegment allocate(long sizeBytes, long alignmentBytes) {
        MemorySegment segment = arena.allocate(Math.max(sizeBytes, 1), alignmentBytes);
        byAddress.put(segment.address(), segment);
        return segment;
    }

    @Override
    public MemorySegment allocate(long sizeBytes) {
        return allocate(sizeBytes, 16);
    }

    /** Registers memory allocated elsewhere (it must stay alive while registered). */
    public void register(MemorySegment segment) {
        if (!segment.isNative()) {
            throw new IllegalArgumentException("only native memory has an address: " + segment);
        }
        byAddress.put(segment.address(), segment);
    }

    /**
     * The {@code sizeBytes} bytes at {@code address}, if they lie inside one registered segment; otherwise
     * {@code null}, which a backend answers with {@code -EFAULT}.
     */
    @Override
    public MemorySegment resolve(long address, long sizeBytes) {
        if (address == 0 || sizeBytes < 0) {
            return null;
        }
        Map.Entry<Long, MemorySegment> e = byAddress.floorEntry(address);
        if (e == null) {
            return null;
        }
        MemorySegment segment = e.getValue();
        long offset = address - segment.address();
        if (!segment.scope().isAlive() || offset + sizeBytes > segment.byteSize()) {
            return null;
        }
        return segment.asSlice(offset, sizeBytes);
    }

    /**
     * The registered segments, in address order (a live view: segments registered later show up). A backend whose
     * kernel runs elsewhere mirrors them there, so that addresses inside arguments stay valid.
     */
    public Collection<MemorySegment> segments() {
        return Collections.unmodifiableCollection(byAddress.values());
    }

    @Override
    public void close() {
        byAddress.clear();
        arena.close();
    }
}
