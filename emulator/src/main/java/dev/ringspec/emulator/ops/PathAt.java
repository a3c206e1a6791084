package dev.ringspec.emulator.ops;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;

import dev.ringspec.emulator.sys.Linux;
import dev.ringspec.model.ProcessDescriptorTable;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;

/**
 * A path of the application (copied in by {@link UserPath}) and the directory its lookup starts from, as this
 * process's for one real call ({@code dfd} and {@code path} of an {@code *at} syscall). The application's world is
 * its own: a relative path starts at its {@code dfd} or, for AT_FDCWD, at its working directory at this moment; an
 * absolute one at its root where that is not this process's ({@link ProcessDescriptorTable#directory},
 * {@link ProcessDescriptorTable#root}). Where the application is this process, {@code dfd} and {@code path} as
 * they are.
 *
 * <p>{@code /proc/self} and {@code /proc/thread-self} at the start of an absolute path name the application's process
 * and thread; met later (a symbolic link to them, {@code /proc/./self}) they name this process.
 *
 * <p>What a chrooted application's absolute path cannot have: its root is the start of the lookup, not a boundary,
 * so ".." from it, and an absolute symbolic link met on the way, leave it (RESOLVE_IN_ROOT would confine them, but
 * would also confine every relative path; only openat2 takes it).
 */
final class PathAt implements AutoCloseable {
    /** A descriptor no process has: the real call then answers -EBADF exactly where the kernel's lookup would. */
    private static final int NO_DESCRIPTOR = -1;

    private final ProcessDescriptorTable table;
    private final int dfd;
    private final int directory;
    private final boolean ownRoot;
    private final MemorySegment path;

    private PathAt(ProcessDescriptorTable table, int dfd, int directory, boolean ownRoot, MemorySegment path) {
        this.table = table;
        this.dfd = dfd;
        this.directory = directory;
        this.ownRoot = ownRoot;
        this.path = path;
    }

    /** The lookup of {@code path} (NUL-terminated, as {@link UserPath#copy} gives it) from the application's dfd. */
    static PathAt of(ProcessDescriptorTable table, int dfd, MemorySegment path) {
        if (path.byteSize() > 1 && path.get(JAVA_BYTE, 0) == '/') {
            path = procSelf(table, path);
            int root = table.root();
            if (root >= 0) {
                long start = 0;
                while (path.get(JAVA_BYTE, start) == '/') {
                    start++;
                }
                MemorySegment inRoot = start == path.byteSize() - 1 ? Arena.ofAuto().allocateFrom(".")
                        : path.asSlice(start);
                return new PathAt(table, dfd, root, true, inRoot);
            }
        }
        int directory = table.directory(dfd);
        return new PathAt(table, dfd, directory < 0 ? NO_DESCRIPTOR : directory, false, path);
    }

    /**
     * {@code path} with a leading {@code /proc/self} or {@code /proc/thread-self} naming the application's process
     * or thread rather than this one's ({@link ProcessDescriptorTable#procSelf}); {@code path} itself otherwise.
     */
    private static MemorySegment procSelf(ProcessDescriptorTable table, MemorySegment path) {
        String text = new String(path.asSlice(0, path.byteSize() - 1).toArray(JAVA_BYTE), StandardCharsets.UTF_8);
        for (String self : new String[] {"/proc/self", "/proc/thread-self"}) {
            if (text.startsWith(self) && (text.length() == self.length() || text.charAt(self.length()) == '/')) {
                String own = table.procSelf(self.endsWith("thread-self"));
                return own == null ? path : Arena.ofAuto().allocateFrom(own + text.substring(self.length()));
            }
        }
        return path;
    }

    /** The {@code dirfd} of the real call. */
    int dirfd() {
        return directory;
    }

    /** The {@code pathname} of the real call (NUL-terminated, memory of this process). */
    MemorySegment path() {
        return path;
    }

    /**
     * The same lookup as one path for a syscall without a {@code dirfd} (getxattr, setxattr): the path itself where
     * it starts at this process's working directory or root, else through the directory's magic link
     * {@code /proc/self/fd/N/}.
     */
    MemorySegment pathOnly() {
        if (directory == ProcessDescriptorTable.AT_FDCWD || !ownRoot && path.get(JAVA_BYTE, 0) == '/') {
            return path;
        }
        if (directory < 0) {
            return Arena.ofAuto().allocateFrom("/proc/self/fd/-1/");
        }
        String rest = new String(path.asSlice(0, path.byteSize() - 1).toArray(JAVA_BYTE), StandardCharsets.UTF_8);
        return Arena.ofAuto().allocateFrom("/proc/self/fd/" + directory + (rest.isEmpty() ? "" : "/" + rest));
    }

    @Override
    public void close() {
        if (ownRoot) {
            Linux.close(directory);
        } else if (directory != NO_DESCRIPTOR) {
            table.releaseDirectory(dfd, directory);
        }
    }
}
