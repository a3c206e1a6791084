package dev.ringspec.guest.agent;

import static dev.ringspec.guest.agent.Protocol.MEM_MIRROR_ADD;
import static dev.ringspec.guest.agent.Protocol.MEM_MIRROR_DIFF;
import static dev.ringspec.guest.agent.Protocol.MEM_MIRROR_DROP;
import static dev.ringspec.guest.agent.Protocol.MEM_REGION_DIFF;
import static dev.ringspec.guest.agent.Protocol.MEM_RING_PAGES;
import static dev.ringspec.guest.agent.Protocol.MEM_TRANSIENT_ADD;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;

import dev.ringspec.guest.agent.AgentSession.Placement;
import dev.ringspec.seam.UserMemory;
import java.lang.foreign.MemorySegment;
import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The memory an {@link AgentSession} keeps equal on host and agent, and the memory sections of its frames (see the
 * package description): user memory mirrored at the same addresses, a call's argument that lies outside it (a
 * transient mirror for that call only), and every ring's regions ({@link SyncedRing}). Each has the copy last
 * synced with the agent, so a request carries only the bytes the application changed, and an answer only those the
 * kernel changed.
 *
 * <p>Not thread-safe: the session calls it under its sync lock.
 */
final class SyncedMemory {
    private record Mirror(MemorySegment segment, MemorySegment shadow) {
    }

    /** A transient mirror, kept from the request that sent it to the answer that brings its changes back. */
    record TransientKey(long address, long sizeBytes) {
    }

    private final TreeMap<Long, Mirror> mirrors = new TreeMap<>();
    private final Map<TransientKey, MemorySegment> transients = new HashMap<>();
    private final List<WeakReference<UserMemory>> memories = new ArrayList<>();
    private final Map<Integer, SyncedRing> rings = new HashMap<>();

    /** Mirrors every segment of {@code memory}, from the next request on (held weakly: a dropped one goes). */
    void mirror(UserMemory memory) {
        memories.removeIf(ref -> ref.get() == null);
        memories.add(new WeakReference<>(memory));
    }

    void addRing(SyncedRing ring) {
        rings.put(ring.id(), ring);
    }

    void removeRing(SyncedRing ring) {
        rings.remove(ring.id());
        ring.clear();
    }

    /**
     * Appends a request's memory section to {@code frame}: mirrors dropped, added and changed, {@code arg} as a
     * transient mirror where no mirror covers it, the NO_MMAP {@code placements} of ring {@code ringId}, and the
     * ring regions changed. Returns the transient mirror's key, or null; {@link #endCall} forgets it.
     */
    TransientKey writeRequest(Frame frame, MemorySegment arg, int ringId, List<Placement> placements) {
        int countAt = frame.length();
        frame.u32(0);
        int count = 0;
        for (Iterator<Map.Entry<Long, Mirror>> it = mirrors.entrySet().iterator(); it.hasNext();) {
            Mirror m = it.next().getValue();
            if (!m.segment.scope().isAlive()) {
                frame.u8(MEM_MIRROR_DROP).u64(m.segment.address()).u32((int) m.segment.byteSize());
                it.remove();
                count++;
            }
        }
        List<Long> added = new ArrayList<>();
        for (Iterator<WeakReference<UserMemory>> it = memories.iterator(); it.hasNext();) {
            UserMemory memory = it.next().get();
            if (memory == null) {
                it.remove();
                continue;
            }
            for (MemorySegment segment : memory.segments()) {
                if (segment.byteSize() == 0 || segment.byteSize() > Integer.MAX_VALUE
                        || mirrors.containsKey(segment.address()) || !segment.scope().isAlive()) {
                    continue;
                }
                MemorySegment shadow = MemorySegment.ofArray(segment.toArray(JAVA_BYTE));
                frame.u8(MEM_MIRROR_ADD).u64(segment.address()).u32((int) segment.byteSize())
                        .bytes(shadow, 0, shadow.byteSize());
                mirrors.put(segment.address(), new Mirror(segment, shadow));
                added.add(segment.address());
                count++;
            }
        }
        for (Mirror m : mirrors.values()) {
            if (added.contains(m.segment.address())) {
                continue;
            }
            int head = frame.length();
            frame.u8(MEM_MIRROR_DIFF).u64(m.segment.address()).u32((int) m.shadow.byteSize());
            if (diff(frame, m.segment, m.shadow) == 0) {
                frame.truncate(head);
            } else {
                count++;
            }
        }
        TransientKey transientKey = null;
        if (arg != null && arg.address() != 0 && arg.byteSize() > 0 && !covered(arg)) {
            frame.u8(MEM_TRANSIENT_ADD).u64(arg.address()).u32((int) arg.byteSize()).bytes(arg, 0, arg.byteSize());
            transientKey = new TransientKey(arg.address(), arg.byteSize());
            transients.put(transientKey, arg);
            count++;
        }
        int slot = 0;
        for (Placement placement : placements) {
            frame.u8(MEM_RING_PAGES).u32(ringId).u8(slot++).u64(placement.address()).u64(placement.sizeBytes());
            count++;
        }
        for (SyncedRing ring : rings.values()) {
            for (int which = 0; which < 3; which++) {
                MemorySegment memory = ring.memory(which);
                if (memory == null) {
                    continue;
                }
                int head = frame.length();
                frame.u8(MEM_REGION_DIFF).u32(ring.id()).u8(which);
                if (diff(frame, memory, ring.shadow(which)) == 0) {
                    frame.truncate(head);
                } else {
                    count++;
                }
            }
        }
        frame.patchU32(countAt, count);
        return transientKey;
    }

    /** The call that sent the transient mirror {@code key} (or none, null) is over. */
    void endCall(TransientKey key) {
        if (key != null) {
            transients.remove(key);
        }
    }

    /** Whether the argument lies inside a mirrored segment already. */
    private boolean covered(MemorySegment arg) {
        Map.Entry<Long, Mirror> e = mirrors.floorEntry(arg.address());
        if (e == null) {
            return false;
        }
        MemorySegment s = e.getValue().segment;
        return arg.address() + arg.byteSize() <= s.address() + s.byteSize();
    }

    /** Appends the runs where {@code current} differs from {@code shadow}, updating the shadow; their count. */
    private static int diff(Frame frame, MemorySegment current, MemorySegment shadow) {
        long size = shadow.byteSize();
        int countAt = frame.length();
        frame.u32(0);
        int runs = 0;
        long offset = 0;
        while (offset < size) {
            long m = MemorySegment.mismatch(current, offset, size, shadow, offset, size);
            if (m < 0) {
                break;
            }
            long start = offset + m;
            long end = start + 1;
            while (end < size && current.get(JAVA_BYTE, end) != shadow.get(JAVA_BYTE, end)) {
                end++;
            }
            frame.u32((int) start).u32((int) (end - start)).bytes(current, start, end - start);
            MemorySegment.copy(current, start, shadow, start, end - start);
            runs++;
            offset = end;
        }
        frame.patchU32(countAt, runs);
        return runs;
    }

    /**
     * Applies an answer's memory section: the kernel's changes to mirrors, transient mirrors and ring regions.
     * {@code beforeRegions} runs once, before the first ring region changes (or at the end when none does): a
     * setup or a resize takes in the ring's new regions there.
     */
    void applyAnswer(FrameReader r, Runnable beforeRegions) {
        int count = r.u32();
        boolean hookRan = false;
        for (int i = 0; i < count; i++) {
            int kind = r.u8();
            switch (kind) {
                case MEM_MIRROR_DIFF -> {
                    long address = r.u64();
                    long size = Integer.toUnsignedLong(r.u32());
                    Mirror m = mirrors.get(address);
                    if (m != null && m.shadow.byteSize() == size) {
                        applyRuns(r, m.segment, m.shadow);
                    } else {
                        applyRuns(r, transients.get(new TransientKey(address, size)), null);
                    }
                }
                case MEM_REGION_DIFF -> {
                    if (!hookRan) {
                        beforeRegions.run();
                        hookRan = true;
                    }
                    SyncedRing ring = rings.get(r.u32());
                    int which = r.u8();
                    if (which > 2) {
                        throw new AgentException("the agent named ring region " + which + ", which does not exist");
                    }
                    applyRuns(r, ring == null ? null : ring.memory(which), ring == null ? null : ring.shadow(which));
                }
                default -> throw new AgentException("the agent sent memory command " + kind
                        + ", which the host does not know");
            }
        }
        if (!hookRan) {
            beforeRegions.run();
        }
    }

    /** Applies (offset, length, bytes) runs to a segment and its shadow; either may be null (gone: skip). */
    private static void applyRuns(FrameReader r, MemorySegment target, MemorySegment shadow) {
        int runs = r.u32();
        for (int i = 0; i < runs; i++) {
            long offset = Integer.toUnsignedLong(r.u32());
            long length = Integer.toUnsignedLong(r.u32());
            MemorySegment bytes = r.slice(length);
            if (target == null) {
                continue;
            }
            if (offset + length > target.byteSize()) {
                throw new AgentException("the agent changed bytes " + offset + ".." + (offset + length)
                        + " of a " + target.byteSize() + "-byte region: host and agent disagree on its size");
            }
            if (target.scope().isAlive()) {
                MemorySegment.copy(bytes, 0, target, offset, length);
            }
            if (shadow != null) {
                MemorySegment.copy(bytes, 0, shadow, offset, length);
            }
        }
    }
}
