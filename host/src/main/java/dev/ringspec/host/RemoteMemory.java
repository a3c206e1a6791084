package dev.ringspec.host;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.ringspec.emulator.ProgramMemory;
import dev.ringspec.emulator.sys.Linux;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * A hosted program's memory, read and written with {@code process_vm_readv}/{@code process_vm_writev} (which fail,
 * never fault, on a bad address: -EFAULT for the call, nothing else).
 *
 * <p>{@link #resolve} copies the bytes in as a <em>window</em> (memory of this JVM, collected when unreachable) and
 * remembers a snapshot; {@link #writeBack} writes back the bytes that changed since, before the supervisor answers the
 * call. So a syscall's arguments read and written by the emulator (params, an iovec array, a timespec, a probe) reach
 * the program as the kernel's copy_to_user would. What this cannot do: a view kept beyond the call (a registered
 * buffer ring, a registered buffer's iovec) sees the program's later writes only when it is resolved again; a window
 * the emulator writes from another thread (io-wq, a timer) reaches the program only at the next answered call. The
 * read and write opcodes do not use windows: their bytes cross the call itself ({@code ProgramTransfers}).
 *
 * <p>Whose memory: the program thread the calling JVM thread serves ({@link ProgramThread}).
 */
final class RemoteMemory implements ProgramMemory {
    /** The largest window: larger arguments are -EFAULT (no io_uring argument the emulator reads is near it). */
    static final long MAX_WINDOW_BYTES = 1L << 24;

    private static final ThreadLocal<List<Window>> WINDOWS = ThreadLocal.withInitial(ArrayList::new);
    private static final ThreadLocal<MemorySegment> IOVECS = ThreadLocal.withInitial(
            () -> Arena.ofAuto().allocate(32, 8));

    private final Queue<Window> elsewhere = new ConcurrentLinkedQueue<>();
    private final ProgramThread thread;

    /** A window: the program's bytes at {@code address} as read ({@code snapshot}) and as the emulator left them. */
    private record Window(int tid, long address, MemorySegment local, byte[] snapshot) {
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
            WINDOWS.get().add(w);
        } else {
            elsewhere.add(w);
        }
        return local;
    }

    @Override
    public boolean copyIn(long address, MemorySegment into) {
        return transfer(process(), address, into, false);
    }

    @Override
    public boolean copyOut(MemorySegment from, long address) {
        return transfer(process(), address, from, true);
    }

    /**
     * Writes back what the emulator changed in the windows of this thread's call (and of the emulator's own threads):
     * only changed runs of bytes, so the program's own writes elsewhere in a window survive.
     */
    void writeBack() {
        List<Window> mine = WINDOWS.get();
        for (Window w : mine) {
            writeBack(w);
        }
        mine.clear();
        for (Window w; (w = elsewhere.poll()) != null;) {
            writeBack(w);
        }
    }

    /** Forgets this thread's windows without writing them (the call's target is gone). */
    void discard() {
        WINDOWS.get().clear();
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
