package dev.ringspec.model;

import static dev.ringspec.model.BpfFilterFixture.bpf;
import static dev.ringspec.model.BpfFilterFixture.path;
import static dev.ringspec.model.BpfFilterFixture.registerRing;
import static dev.ringspec.model.BpfFilterFixture.socket;
import static dev.ringspec.model.BpfFilterFixture.sqe;
import static dev.ringspec.model.BpfFilterFixture.wordEquals;
import static dev.ringspec.uapi.Errno.E2BIG;
import static dev.ringspec.uapi.Errno.EACCES;
import static dev.ringspec.uapi.Errno.EAFNOSUPPORT;
import static dev.ringspec.uapi.Errno.EBADF;
import static dev.ringspec.uapi.Errno.EFAULT;
import static dev.ringspec.uapi.Errno.EINVAL;
import static dev.ringspec.uapi.Errno.ENAMETOOLONG;
import static dev.ringspec.uapi.Errno.ENFILE;
import static dev.ringspec.uapi.Errno.ENOENT;
import static dev.ringspec.uapi.Errno.ENXIO;
import static dev.ringspec.uapi.Errno.EPROTONOSUPPORT;
import static dev.ringspec.uapi.Errno.ESOCKTNOSUPPORT;
import static dev.ringspec.uapi.IoUring.IORING_ENTER_GETEVENTS;
import static dev.ringspec.uapi.IoUring.IORING_FILE_INDEX_ALLOC;
import static dev.ringspec.uapi.IoUring.IORING_OP_CONNECT;
import static dev.ringspec.uapi.IoUring.IORING_OP_OPENAT;
import static dev.ringspec.uapi.IoUring.IORING_OP_OPENAT2;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_FILES;
import static dev.ringspec.uapi.IoUring.IOSQE_FIXED_FILE;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ringspec.seam.Cqe;
import dev.ringspec.seam.Sqe;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongUnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * SOCKET, CONNECT, OPENAT and OPENAT2 in the model's world (WORLD.md), each expectation read from the source:
 * io_uring/net.c ({@code io_socket_prep}, {@code io_socket}, {@code io_connect_prep},
 * {@code io_connect_bpf_populate}), openclose.c ({@code __io_openat_prep}, {@code io_openat2_prep},
 * {@code io_openat2}), filetable.c ({@code __io_fixed_fd_install}, {@code io_file_bitmap_get}) of 7.2.13,
 * net/unix/af_unix.c ({@code unix_create}) and net/socket.c ({@code __sock_create}).
 */
class NetOpenCloseModelTest {
    private static final int AF_UNIX = 1;
    private static final int AF_INET = 2;
    private static final int AF_INET6 = 10;

    private static ModelFixture ring() {
        return ModelFixture.of(KernelProfile.LINUX_7_2).setup(16, 0);
    }

    private static List<Integer> results(ModelFixture f) {
        return f.reapAll().stream().map(Cqe::res).toList();
    }

    /** Each SQE alone (a failure must not stop the others), waiting for its CQE (an O_CREAT goes to io-wq). */
    private static List<Integer> eachAlone(ModelFixture f, List<LongUnaryOperator> sqes) {
        List<Integer> results = new ArrayList<>();
        long userData = 1;
        for (LongUnaryOperator sqe : sqes) {
            sqe.applyAsLong(userData++);
            assertThat(f.submit(1, IORING_ENTER_GETEVENTS)).isEqualTo(1);
            List<Cqe> cqes = f.reapAll();
            assertThat(cqes).hasSize(1);
            results.add(cqes.getFirst().res());
        }
        return results;
    }

    @Test
    void socketPrepChecksAndSockCreateErrnos() {
        try (ModelFixture f = ring()) {
            // prep: addr set, CLOEXEC on a direct descriptor, unknown type flags; then __sock_create's family and
            // type ranges, unix_create's protocol and type; the family is checked before the type
            assertThat(eachAlone(f, List.of(
                    u -> {
                        long at = socket(f, u, AF_UNIX, 1, 0, 0);
                        Sqe.addr(f.driver.sqes(), at, 8);
                        return at;
                    },
                    u -> socket(f, u, AF_UNIX, 1 | 0x80000, 0, 1),
                    u -> socket(f, u, AF_UNIX, 1 | 0x4000, 0, 0),
                    u -> socket(f, u, 64, 1, 0, 0),
                    u -> socket(f, u, -1, 1, 0, 0),
                    u -> socket(f, u, AF_UNIX, 12, 0, 0),
                    u -> socket(f, u, AF_UNIX, 1, 7, 0),
                    u -> socket(f, u, AF_UNIX, 4, 0, 0),
                    u -> socket(f, u, 64, 12, 7, 0))))
                    .containsExactly(-EINVAL, -EINVAL, -EINVAL, -EAFNOSUPPORT, -EAFNOSUPPORT, -EINVAL,
                            -EPROTONOSUPPORT, -ESOCKTNOSUPPORT, -EAFNOSUPPORT);
        }
    }

    @Test
    void directSocketsFollowIoFixedFdInstall() {
        try (ModelFixture f = ring()) {
            // io_install_fixed_file: no table -> -ENXIO; io_file_bitmap_get without a bitmap -> -ENFILE
            assertThat(eachAlone(f, List.of(
                    u -> socket(f, u, AF_UNIX, 1, 0, 1),
                    u -> socket(f, u, AF_INET, 2, 0, IORING_FILE_INDEX_ALLOC)))).containsExactly(-ENXIO, -ENFILE);
            MemorySegment fds = f.memory.allocate(12, 4);
            fds.set(JAVA_INT, 0, -1);
            fds.set(JAVA_INT, 4, -1);
            fds.set(JAVA_INT, 8, -1);
            assertThat(f.model.register(f.ring, IORING_REGISTER_FILES, fds, 3)).isZero();
            // file_index 2 is slot 1 (0); ALLOC takes the first free slot from the hint (slot 1 + 1 = 2), then wraps
            // to 0; then none is free; slot 3 is past the end; slot 1 again replaces its socket
            assertThat(eachAlone(f, List.of(
                    u -> socket(f, u, AF_INET6, 1, 0, 2),
                    u -> socket(f, u, AF_UNIX, 2, 0, IORING_FILE_INDEX_ALLOC),
                    u -> socket(f, u, AF_UNIX, 1, 0, IORING_FILE_INDEX_ALLOC),
                    u -> socket(f, u, AF_UNIX, 1, 0, IORING_FILE_INDEX_ALLOC),
                    u -> socket(f, u, AF_UNIX, 1, 0, 4),
                    u -> socket(f, u, AF_UNIX, 1, 0, 2)))).containsExactly(0, 2, 0, -ENFILE, -EINVAL, 0);
        }
    }

    @Test
    void plainSocketsThatWouldSucceedAreOutsideTheWorld() {
        try (ModelFixture f = ring()) {
            socket(f, 1, AF_UNIX, 1, 0, 0);
            assertThatThrownBy(f::submit).isInstanceOf(UnsupportedOperationException.class)
                    .hasMessageContaining("direct descriptor");
        }
    }

    private static long connect(ModelFixture f, long userData, int fd, long addr, long addrLen) {
        long at = sqe(f, IORING_OP_CONNECT, userData);
        Sqe.fd(f.driver.sqes(), at, fd);
        Sqe.addr(f.driver.sqes(), at, addr);
        Sqe.off(f.driver.sqes(), at, addrLen);
        return at;
    }

    @Test
    void connectPrepCopiesTheAddressAndIssueFindsNoFile() {
        try (ModelFixture f = ring()) {
            MemorySegment sin = f.memory.allocate(128, 8);
            sin.set(JAVA_BYTE, 0, (byte) AF_INET);
            // prep: len set; move_addr_to_kernel: over 128 or negative -> -EINVAL, unreadable -> -EFAULT, 0 copies
            // nothing; issue: no file (fd -1; no fixed table) -> -EBADF
            assertThat(eachAlone(f, List.of(
                    u -> {
                        long at = connect(f, u, -1, sin.address(), 16);
                        Sqe.len(f.driver.sqes(), at, 1);
                        return at;
                    },
                    u -> connect(f, u, -1, sin.address(), 129),
                    u -> connect(f, u, -1, sin.address(), 0xffffffffL),
                    u -> connect(f, u, -1, 8, 16),
                    u -> connect(f, u, -1, sin.address(), 16),
                    u -> connect(f, u, -1, 8, 0),
                    u -> {
                        long at = connect(f, u, 0, sin.address(), 16);
                        Sqe.flags(f.driver.sqes(), at, IOSQE_FIXED_FILE);
                        return at;
                    }))).containsExactly(-EINVAL, -EINVAL, -EINVAL, -EFAULT, -EBADF, -EBADF, -EBADF);
        }
    }

    // io_connect_bpf_populate (7.2.13): family at 16 when addr_len >= 2; port (network order, as stored) at 20 and
    // the IPv4 address at 24 when addr_len >= sizeof(struct sockaddr_in)
    @Test
    void connectContextHoldsTheFamilyAndWhatAddrLenCovers() {
        try (ModelFixture f = ring()) {
            MemorySegment sin = f.memory.allocate(16, 8);
            sin.set(JAVA_BYTE, 0, (byte) AF_INET);
            sin.set(JAVA_BYTE, 2, (byte) 0x1f);
            sin.set(JAVA_BYTE, 3, (byte) 0x90);
            sin.set(JAVA_INT, 4, 0x0100007f);
            registerRing(f, bpf(f, IORING_OP_CONNECT, 0, 24, wordEquals(16, AF_INET)));
            registerRing(f, bpf(f, IORING_OP_CONNECT, 0, 24, wordEquals(20, 0x901f)));
            registerRing(f, bpf(f, IORING_OP_CONNECT, 0, 24, wordEquals(24, 0x0100007f)));
            assertThat(eachAlone(f, List.of(
                    u -> connect(f, u, -1, sin.address(), 16),
                    u -> connect(f, u, -1, sin.address(), 15),
                    u -> connect(f, u, -1, sin.address(), 1)))).containsExactly(-EBADF, -EACCES, -EACCES);
        }
    }

    private static long openat(ModelFixture f, long userData, long path, int flags, int mode) {
        long at = sqe(f, IORING_OP_OPENAT, userData);
        Sqe.fd(f.driver.sqes(), at, -100);
        Sqe.addr(f.driver.sqes(), at, path);
        Sqe.opFlags(f.driver.sqes(), at, flags);
        Sqe.len(f.driver.sqes(), at, mode);
        return at;
    }

    @Test
    void openatPrepChecksAndTheAbsentDirectory() {
        try (ModelFixture f = ring()) {
            long absent = path(f, "/ringspec-absent/x");
            long tooLong = path(f, "/ringspec-absent/" + "y".repeat(4096));
            // -ENOENT for the missing directory (plain and direct); buf_index -> -EINVAL; IOSQE_FIXED_FILE ->
            // -EBADF; the path unreadable -> -EFAULT, without a NUL in PATH_MAX -> -ENAMETOOLONG; O_CLOEXEC on a
            // direct descriptor -> -EINVAL; at issue (build_open_flags) O_DIRECTORY | O_CREAT -> -EINVAL; O_CREAT
            // (io-wq), O_PATH | O_DIRECTORY, and a mode without O_CREAT (build_open_how drops it) -> -ENOENT
            assertThat(eachAlone(f, List.of(
                    u -> openat(f, u, absent, 0, 0),
                    u -> {
                        long at = openat(f, u, absent, 0, 0);
                        Sqe.bufIndex(f.driver.sqes(), at, 1);
                        return at;
                    },
                    u -> {
                        long at = openat(f, u, absent, 0, 0);
                        Sqe.flags(f.driver.sqes(), at, IOSQE_FIXED_FILE);
                        return at;
                    },
                    u -> openat(f, u, 8, 0, 0),
                    u -> openat(f, u, tooLong, 0, 0),
                    u -> {
                        long at = openat(f, u, absent, 02000000, 0);
                        Sqe.fileIndex(f.driver.sqes(), at, 1);
                        return at;
                    },
                    u -> {
                        long at = openat(f, u, absent, 0, 0);
                        Sqe.fileIndex(f.driver.sqes(), at, 1);
                        return at;
                    },
                    u -> openat(f, u, absent, 0200000 | 0100, 0644),
                    u -> openat(f, u, absent, 0100 | 01, 0644),
                    u -> openat(f, u, absent, 010000000 | 0200000, 0),
                    u -> openat(f, u, absent, 0, 0644))))
                    .containsExactly(-ENOENT, -EINVAL, -EBADF, -EFAULT, -ENAMETOOLONG, -EINVAL, -ENOENT, -EINVAL,
                            -ENOENT, -ENOENT, -ENOENT);
        }
    }

    private static long openat2(ModelFixture f, long userData, long path, long how, int len) {
        long at = sqe(f, IORING_OP_OPENAT2, userData);
        Sqe.fd(f.driver.sqes(), at, -100);
        Sqe.addr(f.driver.sqes(), at, path);
        Sqe.off(f.driver.sqes(), at, how);
        Sqe.len(f.driver.sqes(), at, len);
        return at;
    }

    private static MemorySegment how(ModelFixture f, long flags, long mode, long resolve, int size) {
        MemorySegment h = f.memory.allocate(size, 8);
        h.set(JAVA_LONG, 0, flags);
        h.set(JAVA_LONG, 8, mode);
        h.set(JAVA_LONG, 16, resolve);
        return h;
    }

    @Test
    void openat2CopiesOpenHowAndBuildOpenFlagsRefusesWhatOpenatWouldMask() {
        try (ModelFixture f = ring()) {
            long absent = path(f, "/ringspec-absent/x");
            MemorySegment dirty = how(f, 0, 0, 0, 32);
            dirty.set(JAVA_BYTE, 30, (byte) 1);
            // len < OPEN_HOW_SIZE_VER0 -> -EINVAL; a non-zero byte past 24 -> -E2BIG; zeros are fine; unreadable
            // -> -EFAULT; a mode without O_CREAT -> -EINVAL; RESOLVE_BENEATH | RESOLVE_IN_ROOT -> -EINVAL;
            // RESOLVE_NO_XDEV | NO_MAGICLINKS | NO_SYMLINKS do not stop an absolute path: -ENOENT
            assertThat(eachAlone(f, List.of(
                    u -> openat2(f, u, absent, how(f, 0, 0, 0, 24).address(), 16),
                    u -> openat2(f, u, absent, dirty.address(), 32),
                    u -> openat2(f, u, absent, how(f, 0, 0, 0, 32).address(), 32),
                    u -> openat2(f, u, absent, 8, 24),
                    u -> openat2(f, u, absent, how(f, 0, 0644, 0, 24).address(), 24),
                    u -> openat2(f, u, absent, how(f, 0, 0, 0x18, 24).address(), 24),
                    u -> openat2(f, u, absent, how(f, 0, 0, 0x07, 24).address(), 24))))
                    .containsExactly(-EINVAL, -E2BIG, -ENOENT, -EFAULT, -EINVAL, -EINVAL, -ENOENT);
        }
    }

    // io_openat_bpf_populate after __io_openat_prep: O_LARGEFILE (0100000) added unless O_PATH; O_CREAT forces
    // the request async (io_openat_force_async), so sqe_flags carries IOSQE_ASYNC
    @Test
    void openContextHoldsTheFlagsPrepMade() {
        try (ModelFixture f = ring()) {
            long absent = path(f, "/ringspec-absent/x");
            registerRing(f, bpf(f, IORING_OP_OPENAT, 0, 24, wordEquals(16, 0100000 | 02)));
            registerRing(f, bpf(f, IORING_OP_OPENAT, 0, 24, wordEquals(8, IORING_OP_OPENAT | 24 << 16)));
            registerRing(f, bpf(f, IORING_OP_OPENAT2, 0, 24,
                    wordEquals(8, IORING_OP_OPENAT2 | 0x10 << 8 | 24 << 16)));
            assertThat(eachAlone(f, List.of(
                    u -> openat(f, u, absent, 02, 0),
                    u -> openat(f, u, absent, 010000000, 0),
                    u -> openat2(f, u, absent, how(f, 0100, 0600, 0, 24).address(), 24),
                    u -> openat2(f, u, absent, how(f, 0, 0, 0, 24).address(), 24))))
                    .containsExactly(-ENOENT, -EACCES, -ENOENT, -EACCES);
        }
    }
}
