package dev.ringspec.emulator.ops;

import static dev.ringspec.emulator.ops.FileWorld.O_RDWR;
import static dev.ringspec.emulator.ops.FileWorld.bytes;
import static dev.ringspec.emulator.ops.FileWorld.ring;
import static dev.ringspec.emulator.ops.FileWorld.sameOnBoth;
import static dev.ringspec.emulator.ops.FileWorld.text;
import static dev.ringspec.emulator.ops.RwTest.rw;
import static dev.ringspec.uapi.IoUring.IORING_OP_READ;
import static dev.ringspec.uapi.IoUring.IORING_OP_WRITE;
import static dev.ringspec.uapi.IoUring.IOSQE_ASYNC;
import static dev.ringspec.uapi.IoUring.IOSQE_IO_LINK;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.emulator.sys.Linux;
import dev.ringspec.seam.Cqe;
import dev.ringspec.seam.IoUringKernel;
import dev.ringspec.seam.RingDriver;
import dev.ringspec.seam.Sqe;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * rw.c on pipes, against the kernel: a read of an empty pipe waits (a poll, not a blocked thread) until another
 * thread writes, a write to a full pipe until another reads, and a pipe without writers reads 0.
 */
@Tag("kernel")
class RwPipeTest {

    /** Runs {@code action} on another thread after {@code delayMillis}. */
    static Thread later(long delayMillis, Runnable action) {
        return Thread.ofPlatform().start(() -> {
            try {
                Thread.sleep(delayMillis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            action.run();
        });
    }

    /** How many CQEs were ready 100 ms after the submit (0: the requests waited), and the CQEs reaped at last. */
    record Waited(int early, List<Cqe> cqes) {
    }

    /**
     * Submits what is prepared, looks 100 ms later how many CQEs are ready, then runs {@code action} on another
     * thread and waits for {@code n} CQEs; closes the ring.
     */
    static Waited waitThen(IoUringKernel kernel, FileWorld world, RingDriver d, int n, Runnable action)
            throws InterruptedException {
        d.submit(0, 0);
        Thread.sleep(100);
        int early = d.ready();
        Thread other = later(50, action);
        List<Cqe> cqes = world.reap(kernel, d, n);
        other.join();
        kernel.close(d.ring());
        return new Waited(early, cqes);
    }

    @Test
    void aReadOfAnEmptyPipeWaitsUntilAnotherThreadWrites() throws Exception {
        FileWorld.Outcome o = sameOnBoth((kernel, memory, world) -> {
            int[] p = world.pipe();
            MemorySegment buf = memory.allocate(16);
            RingDriver d = ring(kernel, memory, 8);
            rw(d, IORING_OP_READ, p[0], buf.address(), 16, 0, 1);
            Waited w = waitThen(kernel, world, d, 1, () -> FileWorld.write(p[1], "hello"));
            List<Cqe> cqes = w.cqes();
            int early = w.early();
            return new FileWorld.Outcome(cqes, early + "|" + text(buf, 5));
        });
        assertThat(o.cqes().getFirst().res()).isEqualTo(5);
        assertThat(o.effects()).isEqualTo("0|hello");
    }

    @Test
    void aPipeWithoutWritersReadsZeroAtOnceAndWhenTheLastWriterCloses() throws Exception {
        FileWorld.Outcome o = sameOnBoth((kernel, memory, world) -> {
            int[] closed = world.pipe();
            world.close(closed[1]);
            int[] open = world.pipe();
            MemorySegment buf = memory.allocate(16);
            RingDriver d = ring(kernel, memory, 8);
            rw(d, IORING_OP_READ, closed[0], buf.address(), 16, 0, 1);
            List<Cqe> cqes = new ArrayList<>(world.submitAndWait(kernel, d, 1));
            rw(d, IORING_OP_READ, open[0], buf.address(), 16, 0, 2);
            Waited w = waitThen(kernel, world, d, 1, () -> world.close(open[1]));
            cqes.addAll(w.cqes());
            int early = w.early();
            return new FileWorld.Outcome(cqes, "early " + early);
        });
        assertThat(o.cqes()).extracting(Cqe::res).containsExactly(0, 0);
        assertThat(o.effects()).isEqualTo("early 0");
    }

    @Test
    void writesToAPipeAreReadBackAndOffsetsAreIgnoredButChecked() throws Exception {
        FileWorld.Outcome o = sameOnBoth((kernel, memory, world) -> {
            int[] p = world.pipe();
            MemorySegment out = bytes(memory, "abcdef", 8);
            RingDriver d = ring(kernel, memory, 8);
            rw(d, IORING_OP_WRITE, p[1], out.address(), 3, 0, 1);
            rw(d, IORING_OP_WRITE, p[1], out.address() + 3, 3, 12345, 2);
            rw(d, IORING_OP_WRITE, p[1], out.address(), 3, -2, 3);
            rw(d, IORING_OP_WRITE, p[1], out.address(), 3, Long.MAX_VALUE - 1, 4);
            rw(d, IORING_OP_WRITE, p[1], out.address(), 2, -1, 5);
            return new FileWorld.Outcome(world.finish(kernel, d, 5), FileWorld.read(p[0]));
        });
        assertThat(o.effects()).startsWith("abcdef");
    }

    @Test
    void aWriteToAPipeWithoutReadersAnswersEpipe() throws Exception {
        FileWorld.Outcome o = sameOnBoth((kernel, memory, world) -> {
            int[] p = world.pipe();
            world.close(p[0]);
            MemorySegment out = bytes(memory, "lost", 4);
            RingDriver d = ring(kernel, memory, 8);
            rw(d, IORING_OP_WRITE, p[1], out.address(), 4, 0, 1);
            long at = rw(d, IORING_OP_WRITE, p[1], out.address(), 4, 0, 2);
            Sqe.flags(d.sqes(), at, IOSQE_ASYNC);
            return new FileWorld.Outcome(world.finishInAnyOrder(kernel, d, 2), "");
        });
        assertThat(o.cqes()).extracting(Cqe::res).allMatch(res -> res < 0);
    }

    @Test
    void nowaitOnAnEmptyPipeAnswersEagainAndAShortReadBreaksItsLink() throws Exception {
        FileWorld.Outcome o = sameOnBoth((kernel, memory, world) -> {
            int[] p = world.pipe();
            int file = world.file("", O_RDWR);
            MemorySegment buf = memory.allocate(16);
            RingDriver d = ring(kernel, memory, 8);
            long at = rw(d, IORING_OP_READ, p[0], buf.address(), 16, 0, 1);
            Sqe.opFlags(d.sqes(), at, RwTest.RWF_NOWAIT);
            List<Cqe> cqes = new ArrayList<>(world.submitAndWait(kernel, d, 1));
            FileWorld.write(p[1], "xyz");
            at = rw(d, IORING_OP_READ, p[0], buf.address(), 16, 0, 2);
            Sqe.flags(d.sqes(), at, IOSQE_IO_LINK);
            rw(d, IORING_OP_WRITE, file, buf.address(), 3, 0, 3);
            cqes.addAll(world.submitAndWait(kernel, d, 2));
            kernel.close(d.ring());
            return new FileWorld.Outcome(cqes, text(buf, 3) + "|" + world.contents());
        });
        assertThat(o.cqes().get(1).res()).isEqualTo(3);
        assertThat(o.effects()).isEqualTo("xyz|");
    }

    @Test
    void anAsyncReadOfAnEmptyPipeWaitsInAPollUntilDataComes() throws Exception {
        FileWorld.Outcome o = sameOnBoth((kernel, memory, world) -> {
            int[] p = world.pipe();
            MemorySegment buf = memory.allocate(16);
            RingDriver d = ring(kernel, memory, 8);
            long at = rw(d, IORING_OP_READ, p[0], buf.address(), 16, 0, 1);
            Sqe.flags(d.sqes(), at, IOSQE_ASYNC);
            Waited w = waitThen(kernel, world, d, 1, () -> FileWorld.write(p[1], "async"));
            List<Cqe> cqes = w.cqes();
            int early = w.early();
            return new FileWorld.Outcome(cqes, early + "|" + text(buf, 5));
        });
        assertThat(o.effects()).isEqualTo("0|async");
    }

    @Test
    void aWriteToAFullPipeWaitsUntilAnotherThreadReads() throws Exception {
        FileWorld.Outcome o = sameOnBoth((kernel, memory, world) -> {
            int[] p = world.pipe();
            fill(p[1]);
            MemorySegment out = bytes(memory, "xyz", 4);
            RingDriver d = ring(kernel, memory, 8);
            rw(d, IORING_OP_WRITE, p[1], out.address(), 3, 0, 1);
            Waited w = waitThen(kernel, world, d, 1, () -> drain(p[0]));
            List<Cqe> cqes = w.cqes();
            int early = w.early();
            return new FileWorld.Outcome(cqes, "early " + early);
        });
        assertThat(o.cqes().getFirst().res()).isEqualTo(3);
        assertThat(o.effects()).isEqualTo("early 0");
    }

    @Test
    void aLinkedReadOfAPipeThenWriteToAFileWaitsForTheData() throws Exception {
        FileWorld.Outcome o = sameOnBoth((kernel, memory, world) -> {
            int[] p = world.pipe();
            int file = world.file("", O_RDWR);
            MemorySegment buf = memory.allocate(16);
            RingDriver d = ring(kernel, memory, 8);
            long at = rw(d, IORING_OP_READ, p[0], buf.address(), 4, 0, 1);
            Sqe.flags(d.sqes(), at, IOSQE_IO_LINK);
            rw(d, IORING_OP_WRITE, file, buf.address(), 4, 0, 2);
            Waited w = waitThen(kernel, world, d, 2, () -> FileWorld.write(p[1], "data"));
            List<Cqe> cqes = w.cqes();
            int early = w.early();
            return new FileWorld.Outcome(cqes, early + "|" + world.contents());
        });
        assertThat(o.cqes()).extracting(Cqe::res).containsExactly(4, 4);
        assertThat(o.effects()).isEqualTo("0|data");
    }

    /** Writes to {@code fd} until the pipe is full (the descriptor non-blocking meanwhile). */
    static void fill(int fd) {
        long fl = Linux.call(Linux.SYS_FCNTL, fd, Linux.F_GETFL, 0);
        Linux.call(Linux.SYS_FCNTL, fd, Linux.F_SETFL, fl | Linux.O_NONBLOCK);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment chunk = a.allocate(4096);
            while (Linux.call(Linux.SYS_WRITE, fd, chunk.address(), 4096) > 0) {
                continue;
            }
        }
        Linux.call(Linux.SYS_FCNTL, fd, Linux.F_SETFL, fl);
    }

    /** Reads 8 KiB from {@code fd}. */
    static void drain(int fd) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment chunk = a.allocate(8192);
            Linux.call(Linux.SYS_READ, fd, chunk.address(), 8192);
        }
    }
}
