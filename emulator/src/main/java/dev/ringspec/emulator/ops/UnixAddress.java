package dev.ringspec.emulator.ops;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import dev.ringspec.model.ProcessDescriptorTable;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * An AF_UNIX address of the application's, as one real call of this process must give it: the kernel looks a
 * pathname address up from the calling task's root and working directory ({@code unix_find_bsd} and
 * {@code unix_bind_bsd} through {@code current->fs}; io-wq's workers share the task's, the fix of CVE-2020-29373).
 * A served program's root (after chroot) or working directory are not this JVM's: the real call then names the path
 * through {@code /proc/self/fd/N/} of the directory the program's lookup starts from ({@link PathAt#pathOnly}).
 * Abstract and unnamed addresses, other families, and this process's own application: the address as it is.
 *
 * <p>What differs: the socket's name as a bound or connected socket later reports it ({@code getsockname},
 * {@code getpeername}, a datagram's sender) is the path this process gave; and a path that no longer fits the 108
 * bytes of {@code sun_path} that way is given as it is, looked up in this JVM's world.
 */
final class UnixAddress implements AutoCloseable {
    private static final int SUN_PATH = 2;
    private static final int SUN_PATH_MAX = 108;

    private final MemorySegment address;
    private final int length;
    private final PathAt lookup;

    private UnixAddress(MemorySegment address, int length, PathAt lookup) {
        this.address = address;
        this.length = length;
        this.lookup = lookup;
    }

    /** {@code len} bytes of address at {@code address} (this JVM's copy) for one call of this process. */
    static UnixAddress of(MemorySegment address, int len) {
        ProcessDescriptorTable table = ProgramTransfers.descriptors();
        if (table == null || address == null || len <= SUN_PATH || address.get(JAVA_SHORT, 0) != Net.AF_UNIX
                || address.get(JAVA_BYTE, SUN_PATH) == 0) {
            return new UnixAddress(address, len, null);
        }
        int end = SUN_PATH;
        int limit = (int) Math.min(len, Math.min(address.byteSize(), SUN_PATH + SUN_PATH_MAX));
        while (end < limit && address.get(JAVA_BYTE, end) != 0) {
            end++;
        }
        MemorySegment path = Arena.ofAuto().allocate(end - SUN_PATH + 1L);
        path.copyFrom(address.asSlice(SUN_PATH, end - SUN_PATH));
        PathAt lookup = PathAt.of(table, ProcessDescriptorTable.AT_FDCWD, path);
        MemorySegment local = lookup.pathOnly();
        long chars = local.byteSize() - 1;
        if (local == path || chars > SUN_PATH_MAX) {
            lookup.close();
            return new UnixAddress(address, len, null);
        }
        MemorySegment rewritten = Arena.ofAuto().allocate(SUN_PATH + SUN_PATH_MAX, 8);
        rewritten.set(JAVA_SHORT, 0, (short) Net.AF_UNIX);
        rewritten.asSlice(SUN_PATH, chars).copyFrom(local.asSlice(0, chars));
        return new UnixAddress(rewritten, (int) Math.min(SUN_PATH + chars + 1, SUN_PATH + SUN_PATH_MAX), lookup);
    }

    MemorySegment address() {
        return address;
    }

    int length() {
        return length;
    }

    @Override
    public void close() {
        if (lookup != null) {
            lookup.close();
        }
    }
}
