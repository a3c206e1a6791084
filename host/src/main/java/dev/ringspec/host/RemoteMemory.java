package dev.ringspec.host;

import static dev.ringspec.uapi.Errno.EOPNOTSUPP;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.ringspec.emulator.ProgramMemory;
import dev.ringspec.emulator.sys.Linux;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * A hosted program's memory, read and written with {@code process_vm_readv}/{@code process_vm_writev} (which fail,
 * never fault, on a bad address: -EFAULT for the call, nothing else).
 *
 * <p>{@link #resolve} copies the bytes in as a <em>window</em> (memory of this JVM, collected when unreachable) and
 * remembers a snapshot; {@link #writeBack} writes back the bytes that changed since, before the supervisor answers the
 * call. So a syscall's arguments read and written by the emulator (params, an iovec array, a timespec, a probe) reach
 * the program as the kernel's copy_to_user would. A window is a snapshot: kept beyond the call, it never sees the
 * program's later writes, so nothing that lives on in the program's memory is kept as one (a provided buffer ring is
 * read through at each selection, {@code ops.BufferList}; a registered buffer is crossed at each transfer); a window
 * the emulator writes from another thread (io-wq, a timer) reaches the program only at the next answered call. The
 * data of the read, write and socket opcodes does not use windows: it crosses the call itself
 * ({@code ProgramTransfers}, {@code ProgramMessages}).
 *
 * <p>Whose memory: the program thread the calling JVM thread serves ({@link ProgramThread}).
 */
final class RemoteMemory implements ProgramMemory {
    /** The largest window: larger arguments are -EFAULT (no io_uring argument the emulator reads is near it). */
    static final long MAX_WINDOW_BYTES = 1L << 24;

    private static final ThreadLocal<Windows> WINDOWS = ThreadLocal.withInitial(Windows::new);
    private static final ThreadLocal<MemorySegment> IOVECS = ThreadLocal.withInitial(
            () -> Arena.ofAuto().allocate(32, 8));

    private final Queue<Window> elsewhere = new ConcurrentLinkedQueue<>();
    private final ProgramThread thread;

    /** A window: the program's bytes at {@code address} as read ({@code snapshot}) and as the emulator left them. */
    private record Window(int tid, long address, MemorySegment local, byte[] snapshot) {
    }

    /** The windows of one thread's call ({@link #windowsHere}), kept by a caller that answers many calls. */
    static final class Windows {
        private final List<Window> list = new ArrayList<>();
    }

    RemoteMemory(ProgramThread thread) {
        this.thread = thread;
    }

    private int process() {
        return thread.process();
    }

    @Override
    public MemorySegment resolve(long address, long sizeBytes) {
        if (address == 0 || sizeBytes < 0 || sizeBytes > MAX_WINDOW_BYTES
                || Long.compareUnsigned(address + sizeBytes, address) < 0) {
            return null;
        }
        MemorySegment local = Arena.ofAuto().allocate(Math.max(sizeBytes, 1), 16).asSlice(0, sizeBytes);
        int tid = process();
        if (sizeBytes > 0 && !transfer(tid, address, local, false)) {
            return null;
        }
        Window w = new Window(tid, address, local, local.toArray(JAVA_BYTE));
        if (thread.onProgramThread()) {
            WINDOWS.get().list.add(w);
        } else {
            elsewhere.add(w);
        }
        return local;
    }

    /** Readable in pieces of one window at most, none kept: a registered buffer may be larger than a window. */
    @Override
    public boolean accessible(long address, long sizeBytes) {
        if (address == 0 || sizeBytes < 0 || Long.compareUnsigned(address + sizeBytes, address) < 0) {
            return false;
        }
        MemorySegment scratch = Arena.ofAuto().allocate(Math.clamp(sizeBytes, 1, ACCESS_PIECE_BYTES), 16);
        int tid = process();
        for (long at = 0; at < sizeBytes; at += scratch.byteSize()) {
            if (!transfer(tid, address + at, scratch.asSlice(0, Math.min(scratch.byteSize(), sizeBytes - at)), false)) {
                return false;
            }
        }
        return true;
    }

    private static final long ACCESS_PIECE_BYTES = 1L << 20;

    @Override
    public boolean copyIn(long address, MemorySegment into) {
        return transfer(process(), address, into, false);
    }

    @Override
    public boolean copyOut(MemorySegment from, long address) {
        return transfer(process(), address, from, true);
    }

    /** The advice {@code process_madvise} takes: MADV_WILLNEED, MADV_COLD, MADV_PAGEOUT, MADV_COLLAPSE. */
    private static final Set<Integer> REMOTE_ADVICE = Set.of(3, 20, 21, 25);
    private static final long SYS_PROCESS_MADVISE = 440;

    /**
     * {@code process_madvise} of one range of the program's memory (5.10+, CAP_SYS_NICE over it): 0 or -errno;
     * -EOPNOTSUPP for the advice it does not take, which would change what the memory holds.
     */
    @Override
    public int madvise(long address, long len, int advice) {
        if (!REMOTE_ADVICE.contains(advice)) {
            return -EOPNOTSUPP;
        }
        int pidfd = (int) Linux.call(Seccomp.SYS_PIDFD_OPEN, process(), 0);
        if (pidfd < 0) {
            return pidfd;
        }
        try {
            MemorySegment iov = IOVECS.get();
            iov.set(JAVA_LONG, 0, address);
            iov.set(JAVA_LONG, 8, len);
            long n = Linux.call(SYS_PROCESS_MADVISE, pidfd, iov.address(), 1, advice, 0, 0);
            return n < 0 ? (int) n : 0;
        } finally {
            Linux.close(pidfd);
        }
    }

    /**
     * Writes back what the emulator changed in the windows of this thread's call (and of the emulator's own threads):
     * only changed runs of bytes, so the program's own writes elsewhere in a window survive.
     */
    void writeBack() {
        writeBack(WINDOWS.get());
    }

    /** The calling thread's windows: what {@link #writeBack(Windows)} writes back for it. */
    static Windows windowsHere() {
        return WINDOWS.get();
    }

    /** {@link #writeBack()} for the thread whose windows {@code here} are ({@link #windowsHere}). */
    void writeBack(Windows here) {
        List<Window> mine = here.list;
        if (!mine.isEmpty()) {
            for (Window w : mine) {
                writeBack(w);
            }
            mine.clear();
        }
        for (Window w; (w = elsewhere.poll()) != null;) {
            writeBack(w);
        }
    }

    /**
     * Whether {@link #writeBack} has windows to look at: those of the call of the thread whose windows {@code here}
     * are, or the emulator's threads'.
     */
    boolean hasWindows(Windows here) {
        return !here.list.isEmpty() || !elsewhere.isEmpty();
    }

    /** Forgets the windows {@code here} of a thread's call without writing them (the call's target is gone). */
    void discard(Windows here) {
        here.list.clear();
    }

    private static void writeBack(Window w) {
        byte[] now = w.local().toArray(JAVA_BYTE);
        byte[] then = w.snapshot();
        int i = 0;
        while (i < now.length) {
            if (now[i] == then[i]) {
                i++;
                continue;
            }
            int start = i;
            while (i < now.length && now[i] != then[i]) {
                i++;
            }
            transfer(w.tid(), w.address() + start, w.local().asSlice(start, i - start), true);
        }
    }

    /** All of {@code into} from program process {@code process} at {@code address}: whether every byte came. */
    static boolean read(int process, long address, MemorySegment into) {
        return transfer(process, address, into, false);
    }

    /** One {@code process_vm_readv} ({@code out}: writev) of all of {@code local}: whether every byte moved. */
    private static boolean transfer(int tid, long address, MemorySegment local, boolean out) {
        MemorySegment iov = IOVECS.get();
        iov.set(JAVA_LONG, 0, local.address());
        iov.set(JAVA_LONG, 8, local.byteSize());
        iov.set(JAVA_LONG, 16, address);
        iov.set(JAVA_LONG, 24, local.byteSize());
        long n = Linux.call(out ? Linux.SYS_PROCESS_VM_WRITEV : Linux.SYS_PROCESS_VM_READV, tid, iov.address(), 1,
                iov.address() + 16, 1, 0);
        return n == local.byteSize();
    }
}
