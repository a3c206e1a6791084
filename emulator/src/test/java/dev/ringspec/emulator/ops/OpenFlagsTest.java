package dev.ringspec.emulator.ops;

import static dev.ringspec.emulator.ops.OpenCloseTest.how;
import static dev.ringspec.uapi.IoUring.IORING_OP_OPENAT;
import static dev.ringspec.uapi.IoUring.IORING_OP_OPENAT2;
import static dev.ringspec.uapi.IoUring.IOSQE_FIXED_FILE;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.emulator.BothSides;
import dev.ringspec.emulator.sys.Linux;
import dev.ringspec.seam.Cqe;
import dev.ringspec.seam.IoUringKernel;
import dev.ringspec.seam.UserMemory;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * OPENAT's and OPENAT2's errnos for every kind of flag combination (build_open_how, build_open_flags, the
 * open_how's size and padding, RESOLVE_*), on this machine's kernel and on the emulator, one SQE at a time in a
 * directory of each side's own: a file, a symlink to it, a subdirectory, and a name that does not exist yet.
 */
@Tag("kernel")
class OpenFlagsTest {
    private static final int AT_FDCWD = -100;
    // x86-64 open flags, octal as in asm-generic/fcntl.h
    private static final long O_WRONLY = 01;
    private static final long O_RDWR = 02;
    private static final long O_CREAT = 0100;
    private static final long O_EXCL = 0200;
    private static final long O_TRUNC = 01000;
    private static final long O_NONBLOCK = 04000;
    private static final long O_DIRECTORY = 0200000;
    private static final long O_NOFOLLOW = 0400000;
    private static final long O_CLOEXEC = 02000000;
    private static final long O_SYNC = 04010000;
    private static final long O_PATH = 010000000;
    private static final long O_TMPFILE_BIT = 020000000;
    private static final long O_TMPFILE = O_TMPFILE_BIT | O_DIRECTORY;
    private static final long[] FLAGS = {0, O_RDWR, 3, O_WRONLY | O_TRUNC, O_CREAT, O_CREAT | O_EXCL,
        O_CREAT | O_DIRECTORY, O_CREAT | O_TRUNC | O_RDWR, O_DIRECTORY, O_NOFOLLOW, O_NONBLOCK, O_CLOEXEC, O_SYNC,
        O_TMPFILE | O_RDWR, O_TMPFILE, O_TMPFILE_BIT | O_RDWR, O_TMPFILE | O_WRONLY | O_CREAT, O_PATH,
        O_PATH | O_NONBLOCK, O_PATH | O_RDWR, O_PATH | O_DIRECTORY | O_NOFOLLOW, O_PATH | O_CREAT, O_PATH | O_CLOEXEC,
        O_PATH | O_TMPFILE, 1L << 30, 0x8000_0000L, 040000000};
    private static final long[] MODES = {0, 0644, 0170644, 0xffff};
    private static final String[] NAMES = {"file", "link", "dir", "new"};

    @Test
    void openatAnswersEveryFlagAndModeAsTheKernel() throws Exception {
        BothSides.sameOnBoth((k, m) -> inWorld(k, m, (r, dir, dirFd, notDir) -> {
            List<Cqe> c = new ArrayList<>();
            long ud = 0;
            for (long flags : FLAGS) {
                for (long mode : MODES) {
                    for (String name : NAMES) {
                        r.sqe(IORING_OP_OPENAT, dirFd, 0, r.bytes(name).address(), (int) mode, (int) flags, ++ud);
                        c.add(opened(r));
                    }
                    // a relative path from a descriptor that is no directory, and an absolute one
                    r.sqe(IORING_OP_OPENAT, notDir, 0, r.bytes("file").address(), (int) mode, (int) flags, ++ud);
                    c.add(opened(r));
                    r.sqe(IORING_OP_OPENAT, -1, 0, r.bytes(dir + "/file").address(), (int) mode, (int) flags, ++ud);
                    c.add(opened(r));
                }
            }
            return c;
        }));
    }

    @Test
    void openat2AnswersEveryHowAsTheKernel() throws Exception {
        long[] resolves = {0, 0x01, 0x02, 0x04, 0x08, 0x10, 0x18, 0x20, 0x40, 1L << 40};
        BothSides.sameOnBoth((k, m) -> inWorld(k, m, (r, dir, dirFd, notDir) -> {
            List<Cqe> c = new ArrayList<>();
            long ud = 0;
            for (long flags : concat(FLAGS, 1L << 40, O_CREAT | (1L << 33))) {
                for (long mode : MODES) {
                    for (String name : NAMES) {
                        r.sqe(IORING_OP_OPENAT2, dirFd, how(m, flags, mode, 0).address(), r.bytes(name).address(),
                                24, 0, ++ud);
                        c.add(opened(r));
                    }
                }
            }
            for (long resolve : resolves) {
                for (long flags : new long[] {0, O_CREAT, O_TRUNC | O_WRONLY, O_PATH, O_TMPFILE | O_RDWR}) {
                    for (String name : new String[] {"file", "link", "new", dir + "/file"}) {
                        r.sqe(IORING_OP_OPENAT2, dirFd, how(m, flags, 0, resolve).address(), r.bytes(name).address(),
                                24, 0, ++ud);
                        c.add(opened(r));
                    }
                    r.sqe(IORING_OP_OPENAT2, notDir, how(m, flags, 0, resolve).address(), r.bytes("file").address(), 24,
                            0, ++ud);
                    c.add(opened(r));
                }
            }
            return c;
        }));
    }

    @Test
    void openat2ChecksTheOpenHowsSizeAndPadding() throws Exception {
        BothSides.sameOnBoth((k, m) -> inWorld(k, m, (r, dir, dirFd, notDir) -> {
            List<Cqe> c = new ArrayList<>();
            long path = r.bytes("file").address();
            MemorySegment big = m.allocate(4096 + 64, 8);
            long ud = 0;
            // (each length stays inside the open_how's memory: past it the kernel reads whatever the process has)
            for (int len : new int[] {0, 8, 23, 24, 25, 32, 64, 4096, 4096 + 64}) {
                r.sqe(IORING_OP_OPENAT2, dirFd, big.address(), path, len, 0, ++ud);
                c.add(opened(r));
            }
            for (long dirty : new long[] {24, 31, 4096 + 63}) {
                big.set(java.lang.foreign.ValueLayout.JAVA_BYTE, dirty, (byte) 1);
                for (int len : new int[] {24, 32, 4096 + 64}) {
                    r.sqe(IORING_OP_OPENAT2, dirFd, big.address(), path, len, 0, ++ud);
                    c.add(opened(r));
                }
                big.set(java.lang.foreign.ValueLayout.JAVA_BYTE, dirty, (byte) 0);
            }
            // the largest length reads up to the first byte that is not zero
            big.set(java.lang.foreign.ValueLayout.JAVA_BYTE, 4100, (byte) 1);
            r.sqe(IORING_OP_OPENAT2, dirFd, big.address(), path, -1, 0, ++ud);
            c.add(opened(r));
            // an open_how that cannot be read, whole or past its first 24 bytes
            r.sqe(IORING_OP_OPENAT2, dirFd, 0x10, path, 24, 0, ++ud);
            c.add(opened(r));
            r.sqe(IORING_OP_OPENAT2, dirFd, 0xffff_8880_0000_0000L, path, 32, 0, ++ud);
            c.add(opened(r));
            return c;
        }));
    }

    /** An empty path is getname's -ENOENT, but only once every check the prep makes before getname passed. */
    @Test
    void anEmptyPathIsRefusedAfterThePrepsEarlierChecks() throws Exception {
        List<Cqe> cqes = BothSides.sameOnBoth((k, m) -> inWorld(k, m, (r, dir, dirFd, notDir) -> {
            long empty = r.bytes("").address();
            List<Cqe> c = new ArrayList<>();
            r.sqe(IORING_OP_OPENAT2, dirFd, how(m, 0, 0, 0).address(), empty, 5, 0, 1);
            c.add(opened(r));
            r.sqe(IORING_OP_OPENAT2, dirFd, 0x10, empty, 24, 0, 2);
            c.add(opened(r));
            long at = r.sqe(IORING_OP_OPENAT, dirFd, 0, empty, 0, 0, 3);
            r.bufIndex(at, 1);
            c.add(opened(r));
            at = r.sqe(IORING_OP_OPENAT, dirFd, 0, empty, 0, 0, 4);
            r.flags(at, IOSQE_FIXED_FILE);
            c.add(opened(r));
            at = r.sqe(IORING_OP_OPENAT, dirFd, 0, empty, 0, (int) O_CLOEXEC, 5);
            r.fileIndex(at, 1);
            c.add(opened(r));
            r.sqe(IORING_OP_OPENAT, dirFd, 0, empty, 0, (int) (O_CREAT | O_DIRECTORY), 6);
            c.add(opened(r));
            return c;
        }));
        assertThat(cqes).extracting(Cqe::res).containsExactly(-22, -14, -22, -9, -2, -2);
    }

    /** A scenario in a world of its own: a ring, the directory, a descriptor of it, and one of a pipe. */
    @FunctionalInterface
    interface InWorld {
        List<Cqe> run(NetRing r, Path dir, int dirFd, int notDir) throws Exception;
    }

    private static List<Cqe> inWorld(IoUringKernel k, UserMemory m, InWorld scenario) throws Exception {
        Path dir = Files.createTempDirectory("ringspec-open-flags");
        Files.writeString(dir.resolve("file"), "abc");
        Files.createSymbolicLink(dir.resolve("link"), dir.resolve("file"));
        Files.createDirectory(dir.resolve("dir"));
        int[] pipe = NetTest.pipe();
        MemorySegment name = m.allocate(dir.toString().length() + 1L);
        name.setString(0, dir.toString());
        int dirFd = (int) Linux.call(Linux.SYS_OPENAT, AT_FDCWD, name.address(), O_DIRECTORY | O_CLOEXEC, 0, 0, 0);
        assertThat(dirFd).as("the directory's descriptor").isNotNegative();
        try (NetRing r = new NetRing(k, m)) {
            return scenario.run(r, dir, dirFd, pipe[0]);
        } finally {
            NetRing.closeAll(pipe);
            Linux.close(dirFd);
            OpenCloseTest.deleteTree(dir);
        }
    }

    private static long[] concat(long[] a, long... more) {
        long[] all = java.util.Arrays.copyOf(a, a.length + more.length);
        System.arraycopy(more, 0, all, a.length, more.length);
        return all;
    }

    /** The open's CQE, its descriptor checked open and closed (the number is each side's own). */
    private static Cqe opened(NetRing r) {
        Cqe c = r.submitAndWait(1).getFirst();
        Cqe seen = NetTest.descriptor(c);
        if (c.res() >= 0) {
            Linux.close(c.res());
        }
        return seen;
    }
}
