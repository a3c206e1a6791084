package dev.ringspec.emulator.ops;

import static dev.ringspec.uapi.IoUring.IORING_FILE_INDEX_ALLOC;
import static dev.ringspec.uapi.IoUring.IORING_OP_CLOSE;
import static dev.ringspec.uapi.IoUring.IORING_OP_FILES_UPDATE;
import static dev.ringspec.uapi.IoUring.IORING_OP_FIXED_FD_INSTALL;
import static dev.ringspec.uapi.IoUring.IORING_OP_OPENAT;
import static dev.ringspec.uapi.IoUring.IORING_OP_OPENAT2;
import static dev.ringspec.uapi.IoUring.IORING_OP_PIPE;
import static dev.ringspec.uapi.IoUring.IOSQE_FIXED_FILE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.emulator.BothSides;
import dev.ringspec.emulator.sys.Linux;
import dev.ringspec.seam.Cqe;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** openclose.c and FILES_UPDATE on the emulator against this machine's kernel. */
@Tag("kernel")
class OpenCloseTest {
    private static final int AT_FDCWD = -100;
    private static final int O_WRONLY = 1;
    private static final int O_CREAT = 0100;
    private static final int O_CLOEXEC = 02000000;

    @Test
    void openatOpensWhatExistsAndCreatesWhatItIsAskedTo() throws Exception {
        BothSides.sameOnBoth((k, m) -> {
            Path dir = Files.createTempDirectory("ringspec-open");
            Files.writeString(dir.resolve("a"), "abc");
            try (NetRing r = new NetRing(k, m)) {
                r.sqe(IORING_OP_OPENAT, AT_FDCWD, 0, r.bytes(dir.resolve("a").toString()).address(), 0, 0, 1);
                Cqe opened = r.submitAndWait(1).getFirst();
                List<Cqe> c = new ArrayList<>(List.of(NetTest.descriptor(opened)));
                assertThat(NetRing.read(opened.res(), 16)).isEqualTo("abc");
                Linux.close(opened.res());
                r.sqe(IORING_OP_OPENAT, AT_FDCWD, 0, r.bytes(dir.resolve("missing").toString()).address(), 0, 0, 2);
                r.sqe(IORING_OP_OPENAT, AT_FDCWD, 0, r.bytes("").address(), 0, 0, 3);
                c.addAll(r.submitAndWait(2));
                MemorySegment how = how(m, O_CREAT | O_WRONLY, 0600, 0);
                r.sqe(IORING_OP_OPENAT2, AT_FDCWD, how.address(), r.bytes(dir.resolve("b").toString()).address(), 24,
                        0, 4);
                Cqe created = r.submitAndWait(1).getFirst();
                c.add(NetTest.descriptor(created));
                assertThat(Files.exists(dir.resolve("b"))).isTrue();
                Linux.close(created.res());
                return c;
            } finally {
                deleteTree(dir);
            }
        });
    }

    @Test
    void anOpenOfAPathEndingNearTheEndOfItsMemoryReadsItUpToItsNul() throws Exception {
        List<Cqe> cqes = BothSides.sameOnBoth((k, m) -> {
            try (NetRing r = new NetRing(k, m)) {
                long path = StatxTest.pathAtTheEnd(m, "ringspec-absent/x").address();
                r.sqe(IORING_OP_OPENAT, -1, 0, path, 0, 0, 1);
                return r.submitAndWait(1);
            }
        });
        // no descriptor for the relative lookup: -EBADF, not -EFAULT
        assertThat(cqes).extracting(Cqe::res).containsExactly(-9);
    }

    @Test
    void openat2RefusesBadHowFields() throws Exception {
        BothSides.sameOnBoth((k, m) -> {
            Path dir = Files.createTempDirectory("ringspec-how");
            Files.writeString(dir.resolve("a"), "abc");
            try (NetRing r = new NetRing(k, m)) {
                long path = r.bytes(dir.resolve("a").toString()).address();
                r.sqe(IORING_OP_OPENAT2, AT_FDCWD, how(m, 0, 0, 0).address(), path, 23, 0, 1);
                MemorySegment big = m.allocate(32, 8);
                big.set(JAVA_LONG, 24, 1);
                r.sqe(IORING_OP_OPENAT2, AT_FDCWD, big.address(), path, 32, 0, 2);
                r.sqe(IORING_OP_OPENAT2, AT_FDCWD, how(m, 0, 0, 0x18).address(), path, 24, 0, 3);
                r.sqe(IORING_OP_OPENAT2, AT_FDCWD, how(m, 0, 0644, 0).address(), path, 24, 0, 4);
                r.sqe(IORING_OP_OPENAT2, AT_FDCWD, how(m, 1L << 40, 0, 0).address(), path, 24, 0, 5);
                r.sqe(IORING_OP_OPENAT2, AT_FDCWD, 0x10, path, 24, 0, 6);
                long at = r.sqe(IORING_OP_OPENAT2, AT_FDCWD, how(m, O_CLOEXEC, 0, 0).address(), path, 24, 0, 7);
                r.fileIndex(at, 1);
                r.sqe(IORING_OP_OPENAT2, AT_FDCWD, how(m, 0, 0, 1L << 40).address(), path, 24, 0, 8);
                return r.submitAndWait(8);
            } finally {
                deleteTree(dir);
            }
        });
    }

    @Test
    void aDirectOpenIsInstalledAndClosedBySlot() throws Exception {
        BothSides.sameOnBoth((k, m) -> {
            Path dir = Files.createTempDirectory("ringspec-direct");
            Files.writeString(dir.resolve("a"), "direct bytes");
            try (NetRing r = new NetRing(k, m)) {
                assertThat(r.registerSparseFiles(4)).isZero();
                long path = r.bytes(dir.resolve("a").toString()).address();
                long at = r.sqe(IORING_OP_OPENAT, AT_FDCWD, 0, path, 0, 0, 1);
                r.fileIndex(at, 2);
                at = r.sqe(IORING_OP_OPENAT, AT_FDCWD, 0, path, 0, 0, 2);
                r.fileIndex(at, IORING_FILE_INDEX_ALLOC);
                List<Cqe> c = new ArrayList<>(r.submitAndWait(2));
                at = r.sqe(IORING_OP_FIXED_FD_INSTALL, 1, 0, 0, 0, 0, 3);
                r.flags(at, IOSQE_FIXED_FILE);
                Cqe installed = r.submitAndWait(1).getFirst();
                c.add(NetTest.descriptor(installed));
                assertThat(NetRing.read(installed.res(), 64)).isEqualTo("direct bytes");
                Linux.close(installed.res());
                for (int slot : new int[] {2, 2, 5, 4}) {
                    at = r.sqe(IORING_OP_CLOSE, 0, 0, 0, 0, 0, 10 + slot);
                    r.fileIndex(at, slot);
                    c.addAll(r.submitAndWait(1));
                }
                return c;
            } finally {
                deleteTree(dir);
            }
        });
    }

    @Test
    void closeOfDescriptorsRingsAndMissingTables() throws Exception {
        BothSides.sameOnBoth((k, m) -> {
            int[] p = NetTest.pipe();
            try (NetRing r = new NetRing(k, m)) {
                r.sqe(IORING_OP_CLOSE, p[0], 0, 0, 0, 0, 1);
                List<Cqe> c = new ArrayList<>(r.submitAndWait(1));
                assertThat(Linux.isOpen(p[0])).as("closed by the ring").isFalse();
                r.sqe(IORING_OP_CLOSE, p[0], 0, 0, 0, 0, 2);
                r.sqe(IORING_OP_CLOSE, r.fd(), 0, 0, 0, 0, 3);
                long at = r.sqe(IORING_OP_CLOSE, 0, 0, 0, 0, 0, 4);
                r.fileIndex(at, 1);
                at = r.sqe(IORING_OP_CLOSE, p[1], 0, 0, 0, 0, 5);
                r.fileIndex(at, 1);
                r.sqe(IORING_OP_CLOSE, p[1], 0, 0, 1, 0, 6);
                c.addAll(r.submitAndWait(5));
                assertThat(Linux.isOpen(p[1])).isTrue();
                return c;
            } finally {
                NetRing.closeAll(p);
            }
        });
    }

    @Test
    void pipeMakesDescriptorsOrDirectDescriptors() throws Exception {
        BothSides.sameOnBoth((k, m) -> {
            try (NetRing r = new NetRing(k, m)) {
                MemorySegment fds = m.allocate(8, 4);
                r.sqe(IORING_OP_PIPE, 0, 0, fds.address(), 0, 0, 1);
                List<Cqe> c = new ArrayList<>(r.submitAndWait(1));
                int rd = fds.get(JAVA_INT, 0);
                int wr = fds.get(JAVA_INT, 4);
                assertThat(rd).isNotEqualTo(wr);
                assertThat(Linux.isOpen(rd) && Linux.isOpen(wr)).isTrue();
                NetRing.write(wr, "through");
                assertThat(NetRing.read(rd, 16)).isEqualTo("through");
                NetRing.closeAll(rd, wr);
                assertThat(r.registerSparseFiles(4)).isZero();
                long at = r.sqe(IORING_OP_PIPE, 0, 0, fds.address(), 0, 0, 2);
                r.fileIndex(at, IORING_FILE_INDEX_ALLOC);
                at = r.sqe(IORING_OP_PIPE, 0, 0, fds.address(), 0, O_CLOEXEC, 3);
                r.fileIndex(at, IORING_FILE_INDEX_ALLOC);
                r.sqe(IORING_OP_PIPE, 3, 0, fds.address(), 0, 0, 4);
                r.sqe(IORING_OP_PIPE, 0, 0, 0x10, 0, 0, 5);
                c.addAll(r.submitAndWait(4));
                c.add(new Cqe(-2, fds.get(JAVA_INT, 0), 0, fds.get(JAVA_INT, 4), 0));
                return c;
            }
        });
    }

    @Test
    void filesUpdateReplacesSlotsOrAllocatesThem() throws Exception {
        BothSides.sameOnBoth((k, m) -> {
            int[] p = NetTest.pipe();
            try (NetRing r = new NetRing(k, m)) {
                MemorySegment fds = m.allocate(8, 4);
                fds.set(JAVA_INT, 0, p[0]);
                fds.set(JAVA_INT, 4, p[1]);
                r.sqe(IORING_OP_FILES_UPDATE, 0, IORING_FILE_INDEX_ALLOC & 0xffffffffL, fds.address(), 1, 0, 1);
                List<Cqe> c = new ArrayList<>(r.submitAndWait(1));
                assertThat(r.registerSparseFiles(4)).isZero();
                r.sqe(IORING_OP_FILES_UPDATE, 0, 1, fds.address(), 2, 0, 2);
                r.sqe(IORING_OP_FILES_UPDATE, 0, 3, fds.address(), 2, 0, 3);
                r.sqe(IORING_OP_FILES_UPDATE, 0, 1, fds.address(), 0, 0, 4);
                c.addAll(r.submitAndWait(3));
                MemorySegment one = m.allocate(8, 4);
                one.set(JAVA_INT, 0, p[1]);
                one.set(JAVA_INT, 4, 9999);
                r.sqe(IORING_OP_FILES_UPDATE, 0, IORING_FILE_INDEX_ALLOC & 0xffffffffL, one.address(), 2, 0, 5);
                c.addAll(r.submitAndWait(1));
                c.add(new Cqe(-1, one.get(JAVA_INT, 0), 0, one.get(JAVA_INT, 4), 0));
                long at = r.sqe(IORING_OP_FIXED_FD_INSTALL, 2, 0, 0, 0, 0, 6);
                r.flags(at, IOSQE_FIXED_FILE);
                Cqe w = r.submitAndWait(1).getFirst();
                c.add(NetTest.descriptor(w));
                NetRing.write(w.res(), "slot 2 writes");
                assertThat(NetRing.read(p[0], 64)).isEqualTo("slot 2 writes");
                Linux.close(w.res());
                r.sqe(IORING_OP_FIXED_FD_INSTALL, 2, 0, 0, 0, 0, 7);
                at = r.sqe(IORING_OP_FIXED_FD_INSTALL, 2, 0, 0, 0, 2, 8);
                r.flags(at, IOSQE_FIXED_FILE);
                c.addAll(r.submitAndWait(2));
                return c;
            } finally {
                NetRing.closeAll(p);
            }
        });
    }

    static MemorySegment how(dev.ringspec.seam.UserMemory m, long flags, long mode, long resolve) {
        MemorySegment h = m.allocate(24, 8);
        h.set(JAVA_LONG, 0, flags);
        h.set(JAVA_LONG, 8, mode);
        h.set(JAVA_LONG, 16, resolve);
        return h;
    }

    static void deleteTree(Path dir) throws java.io.IOException {
        try (var files = Files.walk(dir)) {
            for (Path f : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(f);
            }
        }
    }
}
