package dev.ringspec.emulator.ops;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import dev.ringspec.emulator.ProgramMemory;
import dev.ringspec.uapi.IoUringBuf;
import dev.ringspec.uapi.IoUringBufRing;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;
import java.util.ArrayDeque;

/**
 * {@code struct io_buffer_list} (io_uring/kbuf.h): one group's buffers, a legacy list
 * ({@code IORING_OP_PROVIDE_BUFFERS}) or a ring in the application's memory ({@code IORING_REGISTER_PBUF_RING}),
 * with the ring's head, which only the kernel moves ({@link #commit}). Touched under {@link Kbuf}'s monitor.
 *
 * <p>A served program's ring is in its memory, which the program keeps writing (entries, then the tail): every access
 * reads through to that memory ({@code process_vm_readv}, an incremental commit {@code process_vm_writev}), never a
 * copy made at registration. A failed read is a ring the program unmapped: it counts as empty.
 */
final class BufferList {
    private static final int USHRT_MAX = 0xffff;
    private static final VarHandle U16 = JAVA_SHORT.varHandle();
    private static final VarHandle U32 = JAVA_INT.varHandle();
    private static final VarHandle U64 = JAVA_LONG.varHandle();
    /** Per thread: the word a read-through access of a served program's ring moves. */
    private static final ThreadLocal<MemorySegment> WORD = ThreadLocal.withInitial(
            () -> Arena.ofAuto().allocate(8, 8));

    /** One legacy buffer ({@code struct io_buffer}). */
    record LegacyBuf(long addr, int len, int bid, int bgid) {
    }

    /**
     * {@code count} legacy buffers one PROVIDE_BUFFERS added, {@code stride} bytes apart, bids counting up: the
     * kernel keeps one {@code io_buffer} each, the emulator one run (so 65536 buffers cost one object).
     */
    private record Run(long addr, long stride, int len, int bid, int count) {
    }

    final int bgid;
    /** A legacy list's buffers in runs, oldest first; null for a ring. */
    private final ArrayDeque<Run> runs;
    /** {@code bl->nbufs}: how many legacy buffers the runs hold. */
    private long nbufs;
    /** A ring's memory ({@code entries * 16} bytes of the application's); null for a legacy list. */
    final MemorySegment ring;
    final int mask;
    /** {@code IOBL_INC}: buffers are consumed by what each transfer took. */
    final boolean inc;
    final int minLeftSubOne;
    /** The ring's head: a free-running u16 counter. */
    int head;
    /** A served program's ring: its memory, and the ring's address there; null here (then {@link #ring} is it). */
    private final ProgramMemory program;
    private final long programAddress;

    /** An empty legacy list. */
    BufferList(int bgid) {
        this.bgid = bgid;
        this.runs = new ArrayDeque<>();
        this.ring = null;
        this.mask = 0;
        this.inc = false;
        this.minLeftSubOne = 0;
        this.program = null;
        this.programAddress = 0;
    }

    /** A ring of {@code entries} (a power of two) in {@code ring}. */
    BufferList(int bgid, MemorySegment ring, int entries, boolean inc, int minLeft) {
        this(bgid, ring, entries, inc, minLeft, null, 0);
    }

    /**
     * A ring of {@code entries} at {@code address} in a served program's {@code memory}, read through at each access;
     * {@code registered} is what registration read (its checks), never read again.
     */
    BufferList(int bgid, MemorySegment registered, int entries, boolean inc, int minLeft, ProgramMemory memory,
            long address) {
        this.bgid = bgid;
        this.runs = null;
        this.ring = registered;
        this.mask = entries - 1;
        this.inc = inc;
        this.minLeftSubOne = minLeft == 0 ? 0 : minLeft - 1;
        this.program = memory;
        this.programAddress = address;
    }

    /** Whether the ring's memory can still be read (the application may have freed it since). */
    boolean readable() {
        return program != null ? read(IoUringBufRing.TAIL_OFFSET, 2) >= 0 : ring.scope().isAlive();
    }

    /** {@code bytes} (2, 4 or 8) of a served program's ring at {@code offset}, unsigned; -1 where unreadable. */
    private long read(long offset, int bytes) {
        MemorySegment word = WORD.get();
        if (!program.copyIn(programAddress + offset, word.asSlice(0, bytes))) {
            return -1;
        }
        return switch (bytes) {
            case 2 -> Short.toUnsignedLong(word.get(JAVA_SHORT, 0));
            case 4 -> Integer.toUnsignedLong(word.get(JAVA_INT, 0));
            default -> word.get(JAVA_LONG, 0);
        };
    }

    /** The same written: {@code bytes} (4 or 8) of {@code value} into a served program's ring at {@code offset}. */
    private void write(long offset, int bytes, long value) {
        MemorySegment word = WORD.get();
        word.set(JAVA_LONG, 0, value);
        program.copyOut(word.asSlice(0, bytes), programAddress + offset);
    }

    boolean isRing() {
        return ring != null;
    }

    /** The legacy buffers the list holds. */
    long nbufs() {
        return nbufs;
    }

    /** {@code list_add_tail} of {@code count} buffers. */
    void addLegacy(long addr, long stride, int len, int bid, int count) {
        runs.addLast(new Run(addr, stride, len, bid, count));
        nbufs += count;
    }

    /** The oldest buffer, taken off the list; null when it is empty. */
    LegacyBuf takeLegacy() {
        Run r = runs.pollFirst();
        if (r == null) {
            return null;
        }
        if (r.count() > 1) {
            runs.addFirst(new Run(r.addr() + r.stride(), r.stride(), r.len(), r.bid() + 1, r.count() - 1));
        }
        nbufs--;
        return new LegacyBuf(r.addr(), r.len(), r.bid() & USHRT_MAX, bgid);
    }

    /** {@code io_kbuf_recycle_legacy}: {@code b} back at the front ({@code list_add}). */
    void putBackLegacy(LegacyBuf b) {
        runs.addFirst(new Run(b.addr(), b.len(), b.len(), b.bid(), 1));
        nbufs++;
    }

    /** {@code io_remove_buffers_legacy}: up to {@code count} buffers, oldest first; how many went. */
    int removeLegacy(int count) {
        int removed = 0;
        while (removed < count && !runs.isEmpty()) {
            Run r = runs.pollFirst();
            int n = Math.min(r.count(), count - removed);
            if (n < r.count()) {
                runs.addFirst(new Run(r.addr() + r.stride() * n, r.stride(), r.len(), r.bid() + n, r.count() - n));
            }
            removed += n;
        }
        nbufs -= removed;
        return removed;
    }

    /** {@code io_ring_head_to_buf}: the byte offset of the entry at {@code counter}. */
    long entry(int counter) {
        return IoUringBufRing.BUFS_OFFSET + (long) (counter & mask) * IoUringBuf.SIZE_BYTES;
    }

    /** {@code smp_load_acquire(&br->tail)}: pairs with the application's release store of the tail. */
    int loadAcquireTail() {
        if (program != null) {
            // process_vm_readv is a copy: the program's release store of the tail came before it, or it is missed
            long tail = read(IoUringBufRing.TAIL_OFFSET, 2);
            return tail < 0 ? head : (int) tail;
        }
        return Short.toUnsignedInt((short) U16.getAcquire(ring, IoUringBufRing.TAIL_OFFSET));
    }

    /** {@code io_kbuf_commit}: {@code nr} buffers used with {@code len} bytes; true when whole buffers went. */
    boolean commit(int len, int nr) {
        if (inc) {
            return incCommit(len);
        }
        head = (head + nr) & USHRT_MAX;
        return true;
    }

    /** {@code io_kbuf_inc_commit}: consumes {@code len} bytes from the head entries, shrinking the last one. */
    private boolean incCommit(int len) {
        // no data consumed: the buffer stays
        if (len == 0) {
            return false;
        }
        int left = len;
        while (left != 0) {
            long e = entry(head);
            int bufLen = readOnceLen(e);
            int thisLen = Integer.compareUnsigned(left, bufLen) < 0 ? left : bufLen;
            bufLen -= thisLen;
            // room left above min_left (or a zero-length entry): the entry moves forward and stays
            if (Integer.compareUnsigned(bufLen, minLeftSubOne) > 0 || thisLen == 0) {
                writeOnceAddr(e, readOnceAddr(e) + Integer.toUnsignedLong(thisLen));
                writeOnceLen(e, bufLen);
                return false;
            }
            writeOnceLen(e, 0);
            head = (head + 1) & USHRT_MAX;
            left -= thisLen;
        }
        return true;
    }

    // A ring entry's fields, which the application writes before its release store of the tail (read after the
    // acquire load of it) and which an incremental ring's commit writes back (the application reads them after the
    // CQE that says IORING_CQE_F_BUF_MORE).

    /** {@code READ_ONCE(buf->len)}. */
    int readOnceLen(long entry) {
        if (program != null) {
            return (int) Math.max(0, read(entry + IoUringBuf.LEN_OFFSET, 4));
        }
        return (int) U32.getOpaque(ring, entry + IoUringBuf.LEN_OFFSET);
    }

    /** {@code READ_ONCE(buf->addr)}. */
    long readOnceAddr(long entry) {
        if (program != null) {
            return read(entry + IoUringBuf.ADDR_OFFSET, 8);
        }
        return (long) U64.getOpaque(ring, entry + IoUringBuf.ADDR_OFFSET);
    }

    /** {@code READ_ONCE(buf->bid)}. */
    int readOnceBid(long entry) {
        if (program != null) {
            return (int) Math.max(0, read(entry + IoUringBuf.BID_OFFSET, 2));
        }
        return Short.toUnsignedInt((short) U16.getOpaque(ring, entry + IoUringBuf.BID_OFFSET));
    }

    /** {@code WRITE_ONCE(buf->len, ...)}. */
    private void writeOnceLen(long entry, int len) {
        if (program != null) {
            write(entry + IoUringBuf.LEN_OFFSET, 4, Integer.toUnsignedLong(len));
            return;
        }
        U32.setOpaque(ring, entry + IoUringBuf.LEN_OFFSET, len);
    }

    /** {@code WRITE_ONCE(buf->addr, ...)}. */
    private void writeOnceAddr(long entry, long addr) {
        if (program != null) {
            write(entry + IoUringBuf.ADDR_OFFSET, 8, addr);
            return;
        }
        U64.setOpaque(ring, entry + IoUringBuf.ADDR_OFFSET, addr);
    }
}
