package dev.ringspec.benchmarks;

import static dev.ringspec.uapi.IoUring.IORING_ENTER_GETEVENTS;
import static dev.ringspec.uapi.IoUring.IORING_OP_READ;
import static dev.ringspec.uapi.IoUring.IORING_OP_WRITE;

import dev.ringspec.emulator.EmulatedIoUring;
import dev.ringspec.nativerunner.Posix;
import dev.ringspec.seam.CqRingView;
import dev.ringspec.seam.IoUringKernel;
import dev.ringspec.seam.Ring;
import dev.ringspec.seam.Sqe;
import dev.ringspec.seam.SqRingView;
import dev.ringspec.seam.UserMemory;
import dev.ringspec.uapi.IoUringParams;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The I/O rounds of {@link IoLatencyBenchmark} over one 8-entry ring of any backend: {@link #readBlock} reads a
 * cached 4 KiB file block ({@code READ} at offset 0, one enter that waits for it); {@link #pingPong} sends 64 bytes
 * through a pipe to a partner thread that echoes them back through a second pipe, as a {@code READ} armed on the
 * return pipe and a {@code WRITE} on the outgoing one, submitted together, with one enter that waits for both.
 */
final class IoLoop implements AutoCloseable {
    private static final int BLOCK = 4096;
    private static final int MESSAGE = 64;

    private final IoUringKernel kernel;
    private final UserMemory memory = new UserMemory();
    private final Ring ring;
    private final SqRingView sq;
    private final CqRingView cq;
    private final Path file;
    private final int fileFd;
    private final int[] toPartner;
    private final int[] fromPartner;
    private final Thread partner;
    private final MemorySegment block;
    private final MemorySegment out;
    private final MemorySegment in;

    IoLoop(IoUringKernel kernel) throws Exception {
        this.kernel = kernel;
        ring = kernel.setup(8, memory.allocate(IoUringParams.SIZE_BYTES)).ringOrNull();
        if (ring == null) {
            throw new IllegalStateException("io_uring_setup failed on " + kernel.description());
        }
        sq = ring.sq();
        cq = ring.cq();
        for (int i = 0; i < 8; i++) {
            sq.writeOnceArray(i, i);
        }
        file = Files.createTempFile("ringspec-bench", ".bin");
        Files.write(file, new byte[BLOCK]);
        fileFd = Posix.openat(Posix.AT_FDCWD, file.toString(), Posix.O_RDONLY | Posix.O_CLOEXEC, 0);
        block = memory.allocate(BLOCK, 4096);
        if (fileFd < 0 || Posix.read(fileFd, block, BLOCK) != BLOCK) {
            throw new IllegalStateException("cannot read the benchmark's file " + file);
        }
        toPartner = Posix.pipe(Posix.O_CLOEXEC);
        fromPartner = Posix.pipe(Posix.O_CLOEXEC);
        out = memory.allocate(MESSAGE);
        in = memory.allocate(MESSAGE);
        partner = Thread.ofPlatform().daemon().name("ringspec-bench-echo").start(this::echo);
    }

    /** The partner: echoes what arrives until the pipe closes. */
    private void echo() {
        try (UserMemory own = new UserMemory()) {
            MemorySegment buffer = own.allocate(MESSAGE);
            while (true) {
                long n = Posix.read(toPartner[0], buffer, MESSAGE);
                if (n <= 0 || Posix.write(fromPartner[1], buffer, n) != n) {
                    return;
                }
            }
        }
    }

    private void prep(int op, int fd, MemorySegment buffer, int len, long userData) {
        int tail = sq.readOnceTail();
        long at = sq.sqeOffset(tail & 7);
        Sqe.clear(ring.sqes(), at, 64);
        Sqe.opcode(ring.sqes(), at, op);
        Sqe.fd(ring.sqes(), at, fd);
        Sqe.addr(ring.sqes(), at, buffer.address());
        Sqe.len(ring.sqes(), at, len);
        Sqe.userData(ring.sqes(), at, userData);
        sq.storeReleaseTail(tail + 1);
    }

    /** Submits what was prepared and waits for {@code n} CQEs; the sum of their results. */
    private int submitAndReap(int n) {
        int r = kernel.enter(ring, n, n, IORING_ENTER_GETEVENTS, MemorySegment.NULL, 0);
        if (r != n) {
            throw new IllegalStateException("io_uring_enter returned " + r + ", expected " + n);
        }
        int head = cq.readOnceHead();
        int tail = cq.loadAcquireTail();
        int sum = 0;
        for (int h = head; h != tail; h++) {
            sum += cq.res(h & (ring.params().cqEntries() - 1));
        }
        cq.storeReleaseHead(tail);
        return sum;
    }

    int readBlock() {
        prep(IORING_OP_READ, fileFd, block, BLOCK, 1);
        int res = submitAndReap(1);
        if (res != BLOCK) {
            throw new IllegalStateException("READ of a cached block answered " + res);
        }
        return res;
    }

    int pingPong() {
        prep(IORING_OP_READ, fromPartner[0], in, MESSAGE, 2);
        prep(IORING_OP_WRITE, toPartner[1], out, MESSAGE, 3);
        int res = submitAndReap(2);
        if (res != 2 * MESSAGE) {
            throw new IllegalStateException("a ping-pong round answered " + res);
        }
        return res;
    }

    @Override
    public void close() throws IOException {
        kernel.close(ring);
        Posix.close(toPartner[1]);
        try {
            partner.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        Posix.close(toPartner[0]);
        Posix.close(fromPartner[0]);
        Posix.close(fromPartner[1]);
        Posix.close(fileFd);
        Files.deleteIfExists(file);
        if (kernel instanceof EmulatedIoUring e) {
            e.close();
        }
        memory.close();
    }
}
