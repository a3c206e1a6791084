package dev.ringspec.scenarios;

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
import static dev.ringspec.uapi.IoUring.IORING_FILE_INDEX_ALLOC;
import static dev.ringspec.uapi.IoUring.IORING_OP_CONNECT;
import static dev.ringspec.uapi.IoUring.IORING_OP_OPENAT;
import static dev.ringspec.uapi.IoUring.IORING_OP_OPENAT2;
import static dev.ringspec.uapi.IoUring.IORING_OP_SOCKET;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_BPF_FILTER;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_FILES;
import static dev.ringspec.uapi.IoUring.IOSQE_FIXED_FILE;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.capabilities.Feature;
import dev.ringspec.seam.Backend;
import dev.ringspec.seam.Sqe;
import dev.ringspec.uapi.IoUringBpf;
import dev.ringspec.uapi.IoUringBpfFilterStruct;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;

/**
 * SOCKET, CONNECT, OPENAT and OPENAT2 in the world the model and the lockstep share (WORLD.md), on the kernels
 * with BPF filters (7.0+): what the arguments alone decide (io_uring/net.c, openclose.c, filetable.c,
 * {@code __sock_create}, {@code unix_create}, {@code build_open_flags}), and the filter contexts of CONNECT (7.2+)
 * and the opens ({@code io_connect_bpf_populate}, {@code io_openat_bpf_populate}).
 */
@Tag("kernel")
class WorldOpcodesTest {
    private static final int AF_UNIX = 1;
    private static final int AF_INET = 2;
    private static final int AF_INET6 = 10;
    private static final String ABSENT = "/ringspec-absent/x";

    /** Each SQE alone (a failure must not stop the others), waiting for its CQE (an O_CREAT goes to io-wq). */
    private static List<Integer> eachAlone(ScenarioRing r, List<java.util.function.LongUnaryOperator> sqes) {
        List<Integer> results = new ArrayList<>();
        long userData = 1;
        for (java.util.function.LongUnaryOperator sqe : sqes) {
            sqe.applyAsLong(userData++);
            assertThat(r.submitAndWait(1)).isEqualTo(1);
            results.add(r.reapAll().getFirst().res());
        }
        return results;
    }

    private static long socket(ScenarioRing r, long userData, int family, int type, int protocol, int fileIndex) {
        long at = r.sqe(IORING_OP_SOCKET, userData);
        Sqe.fd(r.sqes(), at, family);
        Sqe.off(r.sqes(), at, type);
        Sqe.len(r.sqes(), at, protocol);
        Sqe.fileIndex(r.sqes(), at, fileIndex);
        return at;
    }

    // io_socket_prep; __sock_create: family range, then type range; unix_create: protocol, then type
    @Scenario
    void socketErrnosComeFromTheArgumentsAlone(Backend backend) {
        Scenarios.assumeFeature(backend, Feature.BPF_FILTER);
        try (ScenarioRing r = ScenarioRing.open(backend, 8, 0)) {
            assertThat(eachAlone(r, List.of(
                    u -> {
                        long at = socket(r, u, AF_UNIX, 1, 0, 0);
                        Sqe.addr(r.sqes(), at, 8);
                        return at;
                    },
                    u -> socket(r, u, AF_UNIX, 1 | 0x80000, 0, 1),
                    u -> socket(r, u, AF_UNIX, 1 | 0x4000, 0, 0),
                    u -> socket(r, u, 64, 1, 0, 0),
                    u -> socket(r, u, -1, 1, 0, 0),
                    u -> socket(r, u, AF_UNIX, 12, 0, 0),
                    u -> socket(r, u, AF_UNIX, 1, 7, 0),
                    u -> socket(r, u, AF_UNIX, 4, 0, 0),
                    u -> socket(r, u, 64, 12, 7, 0))))
                    .containsExactly(-EINVAL, -EINVAL, -EINVAL, -EAFNOSUPPORT, -EAFNOSUPPORT, -EINVAL,
                            -EPROTONOSUPPORT, -ESOCKTNOSUPPORT, -EAFNOSUPPORT);
        }
    }

    // io_install_fixed_file: no table -> -ENXIO, past its end -> -EINVAL; io_file_bitmap_get: no bitmap or no free
    // slot -> -ENFILE, else the first free slot from alloc_hint, then from 0
    @Scenario
    void directSocketsTakeTheirSlots(Backend backend) {
        Scenarios.assumeFeature(backend, Feature.BPF_FILTER);
        try (ScenarioRing r = ScenarioRing.open(backend, 8, 0)) {
            assertThat(eachAlone(r, List.of(
                    u -> socket(r, u, AF_UNIX, 1, 0, 1),
                    u -> socket(r, u, AF_INET, 2, 0, IORING_FILE_INDEX_ALLOC)))).containsExactly(-ENXIO, -ENFILE);
            MemorySegment fds = backend.memory().allocate(12, 4);
            for (int i = 0; i < 3; i++) {
                fds.set(JAVA_INT, 4L * i, -1);
            }
            assertThat(r.register(IORING_REGISTER_FILES, fds, 3)).isZero();
            assertThat(eachAlone(r, List.of(
                    u -> socket(r, u, AF_INET6, 1, 0, 2),
                    u -> socket(r, u, AF_UNIX, 2, 0, IORING_FILE_INDEX_ALLOC),
                    u -> socket(r, u, AF_UNIX, 1, 0, IORING_FILE_INDEX_ALLOC),
                    u -> socket(r, u, AF_UNIX, 1, 0, IORING_FILE_INDEX_ALLOC),
                    u -> socket(r, u, AF_UNIX, 1, 0, 4),
                    u -> socket(r, u, AF_UNIX, 1, 0, 2)))).containsExactly(0, 2, 0, -ENFILE, -EINVAL, 0);
        }
    }

    private static long connect(ScenarioRing r, long userData, int fd, long addr, long addrLen) {
        long at = r.sqe(IORING_OP_CONNECT, userData);
        Sqe.fd(r.sqes(), at, fd);
        Sqe.addr(r.sqes(), at, addr);
        Sqe.off(r.sqes(), at, addrLen);
        return at;
    }

    // io_connect_prep and move_addr_to_kernel; io_assign_file: no file -> -EBADF
    @Scenario
    void connectPrepCopiesTheAddressAndFindsNoFile(Backend backend) {
        Scenarios.assumeFeature(backend, Feature.BPF_FILTER);
        try (ScenarioRing r = ScenarioRing.open(backend, 8, 0)) {
            MemorySegment sin = backend.memory().allocate(128, 8);
            sin.set(JAVA_BYTE, 0, (byte) AF_INET);
            assertThat(eachAlone(r, List.of(
                    u -> {
                        long at = connect(r, u, -1, sin.address(), 16);
                        Sqe.len(r.sqes(), at, 1);
                        return at;
                    },
                    u -> connect(r, u, -1, sin.address(), 129),
                    u -> connect(r, u, -1, sin.address(), 0xffffffffL),
                    u -> connect(r, u, -1, 8, 16),
                    u -> connect(r, u, -1, sin.address(), 16),
                    u -> connect(r, u, -1, 8, 0),
                    u -> {
                        long at = connect(r, u, 0, sin.address(), 16);
                        Sqe.flags(r.sqes(), at, IOSQE_FIXED_FILE);
                        return at;
                    }))).containsExactly(-EINVAL, -EINVAL, -EINVAL, -EFAULT, -EBADF, -EBADF, -EBADF);
        }
    }

    private static long path(Backend backend, String path) {
        byte[] bytes = path.getBytes(StandardCharsets.ISO_8859_1);
        MemorySegment s = backend.memory().allocate(bytes.length + 1L, 8);
        MemorySegment.copy(bytes, 0, s, JAVA_BYTE, 0, bytes.length);
        return s.address();
    }

    private static long openat(ScenarioRing r, long userData, long path, int flags, int mode) {
        long at = r.sqe(IORING_OP_OPENAT, userData);
        Sqe.fd(r.sqes(), at, -100);
        Sqe.addr(r.sqes(), at, path);
        Sqe.opFlags(r.sqes(), at, flags);
        Sqe.len(r.sqes(), at, mode);
        return at;
    }

    private static long openat2(ScenarioRing r, long userData, long path, long how, int len) {
        long at = r.sqe(IORING_OP_OPENAT2, userData);
        Sqe.fd(r.sqes(), at, -100);
        Sqe.addr(r.sqes(), at, path);
        Sqe.off(r.sqes(), at, how);
        Sqe.len(r.sqes(), at, len);
        return at;
    }

    private static long how(Backend backend, long flags, long mode, long resolve, int size, int dirtyByte) {
        MemorySegment h = backend.memory().allocate(size, 8);
        h.set(JAVA_LONG, 0, flags);
        h.set(JAVA_LONG, 8, mode);
        h.set(JAVA_LONG, 16, resolve);
        if (dirtyByte > 0) {
            h.set(JAVA_BYTE, dirtyByte, (byte) 1);
        }
        return h.address();
    }

    // __io_openat_prep, io_openat2_prep (copy_struct_from_user), build_open_flags at issue, then the lookup
    @Scenario
    void opensUnderTheAbsentDirectory(Backend backend) {
        Scenarios.assumeFeature(backend, Feature.BPF_FILTER);
        try (ScenarioRing r = ScenarioRing.open(backend, 8, 0)) {
            long absent = path(backend, ABSENT);
            long tooLong = path(backend, "/ringspec-absent/" + "y".repeat(4096));
            assertThat(eachAlone(r, List.of(
                    u -> openat(r, u, absent, 0, 0),
                    u -> {
                        long at = openat(r, u, absent, 0, 0);
                        Sqe.bufIndex(r.sqes(), at, 1);
                        return at;
                    },
                    u -> {
                        long at = openat(r, u, absent, 0, 0);
                        Sqe.flags(r.sqes(), at, IOSQE_FIXED_FILE);
                        return at;
                    },
                    u -> openat(r, u, 8, 0, 0),
                    u -> openat(r, u, tooLong, 0, 0),
                    u -> {
                        long at = openat(r, u, absent, 02000000, 0);
                        Sqe.fileIndex(r.sqes(), at, 1);
                        return at;
                    },
                    u -> {
                        long at = openat(r, u, absent, 0, 0);
                        Sqe.fileIndex(r.sqes(), at, 1);
                        return at;
                    },
                    u -> openat(r, u, absent, 0200000 | 0100, 0644),
                    u -> openat(r, u, absent, 0100 | 01, 0644),
                    u -> openat(r, u, absent, 010000000 | 0200000, 0),
                    u -> openat(r, u, absent, 0, 0644),
                    u -> openat2(r, u, absent, how(backend, 0, 0, 0, 24, 0), 16),
                    u -> openat2(r, u, absent, how(backend, 0, 0, 0, 32, 30), 32),
                    u -> openat2(r, u, absent, how(backend, 0, 0, 0, 32, 0), 32),
                    u -> openat2(r, u, absent, 8, 24),
                    u -> openat2(r, u, absent, how(backend, 0, 0644, 0, 24, 0), 24),
                    u -> openat2(r, u, absent, how(backend, 0, 0, 0x18, 24, 0), 24),
                    u -> openat2(r, u, absent, how(backend, 0, 0, 0x07, 24, 0), 24))))
                    .containsExactly(-ENOENT, -EINVAL, -EBADF, -EFAULT, -ENAMETOOLONG, -EINVAL, -ENOENT, -EINVAL,
                            -ENOENT, -ENOENT, -ENOENT, -EINVAL, -E2BIG, -ENOENT, -EFAULT, -EINVAL, -EINVAL, -ENOENT);
        }
    }

    private static MemorySegment filter(Backend backend, int opcode, int pduSize, int offset, int value) {
        MemorySegment insns = backend.memory().allocate(32, 8);
        int[][] program = {{0x20, offset}, {0x15, value}, {0x06, 1}, {0x06, 0}};
        for (int i = 0; i < program.length; i++) {
            insns.set(JAVA_SHORT, 8L * i, (short) program[i][0]);
            insns.set(JAVA_INT, 8L * i + 4, program[i][1]);
        }
        // JEQ K: true goes on to RET 1, false skips it
        insns.set(JAVA_BYTE, 8 + 3, (byte) 1);
        MemorySegment bpf = backend.memory().allocate(IoUringBpf.SIZE_BYTES, 8);
        bpf.set(JAVA_SHORT, IoUringBpf.CMD_TYPE_OFFSET, (short) 1);
        long f = IoUringBpf.FILTER_OFFSET;
        bpf.set(JAVA_INT, f + IoUringBpfFilterStruct.OPCODE_OFFSET, opcode);
        bpf.set(JAVA_INT, f + IoUringBpfFilterStruct.FILTER_LEN_OFFSET, program.length);
        bpf.set(JAVA_BYTE, f + IoUringBpfFilterStruct.PDU_SIZE_OFFSET, (byte) pduSize);
        bpf.set(JAVA_LONG, f + IoUringBpfFilterStruct.FILTER_PTR_OFFSET, insns.address());
        return bpf;
    }

    // io_openat_bpf_populate after __io_openat_prep: O_LARGEFILE added unless O_PATH; O_CREAT forces the request
    // async, so sqe_flags carries IOSQE_ASYNC (io_openat_force_async, 7.x)
    @Scenario
    void openFiltersSeeTheFlagsPrepMade(Backend backend) {
        Scenarios.assumeFeature(backend, Feature.BPF_FILTER);
        try (ScenarioRing r = ScenarioRing.open(backend, 8, 0)) {
            long absent = path(backend, ABSENT);
            assertThat(r.register(IORING_REGISTER_BPF_FILTER, filter(backend, IORING_OP_OPENAT, 24, 16,
                    0100000 | 02), 1)).isZero();
            assertThat(r.register(IORING_REGISTER_BPF_FILTER, filter(backend, IORING_OP_OPENAT2, 24, 8,
                    IORING_OP_OPENAT2 | 0x10 << 8 | 24 << 16), 1)).isZero();
            assertThat(eachAlone(r, List.of(
                    u -> openat(r, u, absent, 02, 0),
                    u -> openat(r, u, absent, 010000000, 0),
                    u -> openat2(r, u, absent, how(backend, 0100, 0600, 0, 24, 0), 24),
                    u -> openat2(r, u, absent, how(backend, 0, 0, 0, 24, 0), 24))))
                    .containsExactly(-ENOENT, -EACCES, -ENOENT, -EACCES);
        }
    }

    // io_connect_bpf_populate (7.2+): the family once addr_len covers it, port and IPv4 address from 16 bytes on
    @Scenario
    void connectFiltersSeeWhatAddrLenCovers(Backend backend) {
        Scenarios.assumeFeature(backend, Feature.BPF_FILTER);
        try (ScenarioRing r = ScenarioRing.open(backend, 8, 0)) {
            MemorySegment probe = filter(backend, IORING_OP_CONNECT, 24, 16, AF_INET);
            int connectPdu = r.register(IORING_REGISTER_BPF_FILTER, probe, 1);
            org.junit.jupiter.api.Assumptions.assumeTrue(connectPdu == 0, "CONNECT has no filter payload before 7.2");
            MemorySegment sin = backend.memory().allocate(16, 8);
            sin.set(JAVA_BYTE, 0, (byte) AF_INET);
            sin.set(JAVA_BYTE, 2, (byte) 0x1f);
            sin.set(JAVA_BYTE, 3, (byte) 0x90);
            sin.set(JAVA_INT, 4, 0x0100007f);
            assertThat(r.register(IORING_REGISTER_BPF_FILTER, filter(backend, IORING_OP_CONNECT, 24, 20, 0x901f), 1))
                    .isZero();
            assertThat(r.register(IORING_REGISTER_BPF_FILTER,
                    filter(backend, IORING_OP_CONNECT, 24, 24, 0x0100007f), 1)).isZero();
            assertThat(eachAlone(r, List.of(
                    u -> connect(r, u, -1, sin.address(), 16),
                    u -> connect(r, u, -1, sin.address(), 15),
                    u -> connect(r, u, -1, sin.address(), 1)))).containsExactly(-EBADF, -EACCES, -EACCES);
        }
    }
}
