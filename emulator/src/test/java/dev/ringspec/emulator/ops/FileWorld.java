package dev.ringspec.emulator.ops;

import static dev.ringspec.emulator.sys.Linux.SYS_OPENAT;
import static dev.ringspec.emulator.sys.Linux.SYS_PIPE2;
import static dev.ringspec.emulator.sys.Linux.SYS_READ;
import static dev.ringspec.emulator.sys.Linux.SYS_WRITE;
import static dev.ringspec.uapi.Errno.ETIME;
import static dev.ringspec.uapi.IoUring.IORING_ENTER_EXT_ARG;
import static dev.ringspec.uapi.IoUring.IORING_ENTER_GETEVENTS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.emulator.BothSides;
import dev.ringspec.emulator.sys.Linux;
import dev.ringspec.seam.Cqe;
import dev.ringspec.seam.IoUringKernel;
import dev.ringspec.seam.RingDriver;
import dev.ringspec.seam.UserMemory;
import dev.ringspec.uapi.IoUringGeteventsArg;
import dev.ringspec.uapi.IoUringParams;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The outside world of the file opcode tests: temporary files and pipes as real descriptors, a ring on either
 * backend, and {@link #sameOnBoth}, which requires the same CQEs and the same data effects from the kernel and the
 * emulator. Every expected value comes from the kernel's run or from what the test itself wrote.
 */
final class FileWorld implements AutoCloseable {
    static final int O_RDONLY = 0;
    static final int O_WRONLY = 1;
    static final int O_RDWR = 2;
    static final int O_CREAT = 0x40;
    static final int O_CLOEXEC = 0x80000;
    static final int O_NONBLOCK = 0x800;
    static final int AT_FDCWD = -100;

    private final UserMemory memory;
    private final List<Integer> fds = new ArrayList<>();
    private final List<Path> paths = new ArrayList<>();

    FileWorld(UserMemory memory) {
        this.memory = memory;
    }

    /** A scenario's CQEs and what it observed of the world (bytes read, file contents). */
    record Outcome(List<Cqe> cqes, String effects) {
    }

    @FunctionalInterface
    interface Scenario {
        Outcome run(IoUringKernel kernel, UserMemory memory, FileWorld world) throws Exception;
    }

    /** Runs {@code scenario} on the kernel and on the emulator; requires the same CQEs and effects; the kernel's. */
    static Outcome sameOnBoth(Scenario scenario) throws Exception {
        List<String> effects = new ArrayList<>();
        List<Cqe> cqes = BothSides.sameOnBoth((kernel, memory) -> {
            try (FileWorld world = new FileWorld(memory)) {
                Outcome o = scenario.run(kernel, memory, world);
                effects.add(o.effects());
                return o.cqes();
            }
        });
        assertThat(effects).hasSize(2);
        assertThat(effects.get(1)).as("the emulator's effects against the kernel's").isEqualTo(effects.get(0));
        return new Outcome(cqes, effects.get(0));
    }

    static RingDriver ring(IoUringKernel kernel, UserMemory memory, int entries) {
        MemorySegment params = memory.allocate(IoUringParams.SIZE_BYTES);
        return new RingDriver(kernel, kernel.setup(entries, params).ringOrNull());
    }

    /**
     * Submits the {@code n} SQEs prepared (again where a failed prep ended a submission early, as the kernel does
     * without IORING_SETUP_SUBMIT_ALL) and waits for {@code n} CQEs; answers them in order.
     */
    List<Cqe> submitAndWait(IoUringKernel kernel, RingDriver d, int n) {
        int left = n - d.submit(0, 0);
        while (left > 0) {
            int r = kernel.enter(d.ring(), left, 0, 0, MemorySegment.NULL, 0);
            assertThat(r).as("enter's answer").isPositive();
            left -= r;
        }
        return reap(kernel, d, n);
    }

    /** Waits for {@code n} more CQEs, ten seconds at most for each (a hang fails the test); answers them. */
    List<Cqe> reap(IoUringKernel kernel, RingDriver d, int n) {
        MemorySegment ts = memory.allocate(16);
        ts.set(JAVA_LONG, 0, 10);
        MemorySegment arg = memory.allocate(IoUringGeteventsArg.SIZE_BYTES);
        arg.set(JAVA_LONG, IoUringGeteventsArg.TS_OFFSET, ts.address());
        List<Cqe> out = new ArrayList<>();
        while (out.size() < n) {
            Cqe c = d.reap();
            if (c == null) {
                int r = kernel.enter(d.ring(), 0, 1, IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG, arg,
                        IoUringGeteventsArg.SIZE_BYTES);
                assertThat(r).as("waiting for CQE " + (out.size() + 1) + " of " + n + " after " + out)
                        .isNotEqualTo(-ETIME);
                continue;
            }
            out.add(c);
        }
        return out;
    }

    /**
     * {@code cqes} in user_data order: for requests that ran on io-wq together, whose workers run in parallel and
     * complete in an order of their own on the kernel too (a choice point, not an answer to compare).
     */
    static List<Cqe> byUserData(List<Cqe> cqes) {
        return cqes.stream().sorted(Comparator.comparingLong(Cqe::userData)).toList();
    }

    /** {@link #submitAndWait}, then closes the ring; the CQEs in order. */
    List<Cqe> finish(IoUringKernel kernel, RingDriver d, int n) {
        List<Cqe> cqes = submitAndWait(kernel, d, n);
        kernel.close(d.ring());
        return cqes;
    }

    /** {@link #finish}, the CQEs {@link #byUserData}. */
    List<Cqe> finishInAnyOrder(IoUringKernel kernel, RingDriver d, int n) {
        return byUserData(finish(kernel, d, n));
    }

    /** A temporary file holding {@code content}, open with {@code flags}: its descriptor. */
    int file(String content, int flags) throws IOException {
        Path p = Files.createTempFile("ringspec-rw", ".bin");
        paths.add(p);
        Files.writeString(p, content);
        return open(p, flags);
    }

    Path lastPath() {
        return paths.getLast();
    }

    int open(Path p, int flags) {
        try (Arena a = Arena.ofConfined()) {
            int fd = (int) Linux.call(SYS_OPENAT, AT_FDCWD, a.allocateFrom(p.toString()).address(), flags | O_CLOEXEC,
                    0600, 0, 0);
            assertThat(fd).as("open " + p).isGreaterThanOrEqualTo(0);
            fds.add(fd);
            return fd;
        }
    }

    String contents() throws IOException {
        return Files.readString(lastPath());
    }

    /** A pipe: {read end, write end}. */
    int[] pipe() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment two = a.allocate(8);
            assertThat(Linux.call(SYS_PIPE2, two.address(), O_CLOEXEC)).isZero();
            int[] p = {two.get(JAVA_INT, 0), two.get(JAVA_INT, 4)};
            fds.add(p[0]);
            fds.add(p[1]);
            return p;
        }
    }

    /** Closes {@code fd}, one this world made, now rather than at its end. */
    void closeNow(int fd) {
        assertThat(fds.remove(Integer.valueOf(fd))).as("a descriptor of this world").isTrue();
        Linux.close(fd);
    }

    static void write(int fd, String text) {
        try (Arena a = Arena.ofConfined()) {
            byte[] b = text.getBytes(StandardCharsets.UTF_8);
            MemorySegment s = a.allocate(Math.max(1, b.length));
            s.copyFrom(MemorySegment.ofArray(b));
            assertThat(Linux.call(SYS_WRITE, fd, s.address(), b.length)).isEqualTo(b.length);
        }
    }

    /** Reads what {@code fd} has now (up to 4 KiB), as text. */
    static String read(int fd) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = a.allocate(4096);
            long n = Linux.call(SYS_READ, fd, s.address(), 4096);
            return n < 0 ? "errno " + n : text(s, n);
        }
    }

    void close(int fd) {
        fds.remove(Integer.valueOf(fd));
        Linux.close(fd);
    }

    static String text(MemorySegment s, long n) {
        byte[] b = new byte[(int) n];
        MemorySegment.copy(s, JAVA_BYTE, 0, b, 0, (int) n);
        return new String(b, StandardCharsets.UTF_8);
    }

    /** Native memory holding {@code text}, {@code size} bytes (the rest zero). */
    static MemorySegment bytes(UserMemory memory, String text, int size) {
        MemorySegment s = memory.allocate(size);
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        MemorySegment.copy(b, 0, s, JAVA_BYTE, 0, b.length);
        return s;
    }

    /** An iovec array over {@code segments}: each (address, length). */
    static MemorySegment iovecs(UserMemory memory, long... baseLen) {
        MemorySegment iov = memory.allocate(8L * Math.max(2, baseLen.length));
        for (int i = 0; i < baseLen.length; i++) {
            iov.setAtIndex(JAVA_LONG, i, baseLen[i]);
        }
        return iov;
    }

    @Override
    public void close() throws IOException {
        for (int fd : fds) {
            Linux.close(fd);
        }
        for (Path p : paths) {
            Files.deleteIfExists(p);
        }
    }
}
