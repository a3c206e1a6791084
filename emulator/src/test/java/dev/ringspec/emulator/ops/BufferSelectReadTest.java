package dev.ringspec.emulator.ops;

import static dev.ringspec.emulator.sys.Linux.SYS_PIPE2;
import static dev.ringspec.emulator.sys.Linux.SYS_WRITE;
import static dev.ringspec.uapi.Errno.ECANCELED;
import static dev.ringspec.uapi.IoUring.IORING_CQE_BUFFER_SHIFT;
import static dev.ringspec.uapi.IoUring.IORING_CQE_F_BUFFER;
import static dev.ringspec.uapi.IoUring.IORING_ENTER_GETEVENTS;
import static dev.ringspec.uapi.IoUring.IORING_OP_ASYNC_CANCEL;
import static dev.ringspec.uapi.IoUring.IORING_OP_PROVIDE_BUFFERS;
import static dev.ringspec.uapi.IoUring.IORING_OP_READ;
import static dev.ringspec.uapi.IoUring.IOSQE_BUFFER_SELECT;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.emulator.BothSides;
import dev.ringspec.emulator.sys.Linux;
import dev.ringspec.model.KernelProfile;
import dev.ringspec.seam.IoUringKernel;
import dev.ringspec.seam.Cqe;
import dev.ringspec.seam.RingDriver;
import dev.ringspec.seam.Sqe;
import dev.ringspec.seam.UserMemory;
import dev.ringspec.uapi.IoUringParams;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * READ with IOSQE_BUFFER_SELECT on a pipe, Rw and Kbuf together: a buffer is taken from the group, named in the
 * CQE's flags and filled; a read that has to wait keeps its legacy buffer from 6.18 (before, it gave it back and
 * took one again when the data came). The same CQEs and bytes on this kernel and on the emulator.
 */
@Tag("kernel")
class BufferSelectReadTest {
    private static final int GROUP = 7;

    @Test
    void aSelectedBufferIsNamedInTheCqeAndHoldsTheBytes() throws Exception {
        BothSides.sameOnBoth((kernel, memory) -> {
            RingDriver d = new RingDriver(kernel, kernel.setup(8, memory.allocate(IoUringParams.SIZE_BYTES))
                    .ringOrNull());
            MemorySegment pool = memory.allocate(64);
            List<Cqe> cqes = new ArrayList<>();
            cqes.add(provideBuffers(d, pool));
            int[] pipe = pipe(memory);
            int readEnd = pipe[0];
            int writeEnd = pipe[1];
            MemorySegment hello = memory.allocateFrom("hello");
            assertThat(Linux.call(SYS_WRITE, writeEnd, hello.address(), 5)).isEqualTo(5);
            read(d, readEnd, 2);
            d.submit(1, IORING_ENTER_GETEVENTS);
            cqes.add(d.reap());
            // an empty pipe: the read waits, its buffer goes back, and the write below brings it in
            read(d, readEnd, 3);
            assertThat(d.submit(0, 0)).isEqualTo(1);
            assertThat(Linux.call(SYS_WRITE, writeEnd, hello.address(), 3)).isEqualTo(3);
            assertThat(kernel.enter(d.ring(), 0, 1, IORING_ENTER_GETEVENTS, MemorySegment.NULL, 0)).isZero();
            cqes.add(d.reap());
            byte[] bytes = pool.toArray(JAVA_BYTE);
            cqes.add(new Cqe(0, new String(bytes, 0, 40, java.nio.charset.StandardCharsets.ISO_8859_1).hashCode(), 0,
                    0, 0));
            Linux.close(readEnd);
            Linux.close(writeEnd);
            return cqes;
        });
    }

    /**
     * 6.18's {@code io_read} recycles only a ring's uncommitted buffer and {@code io_arm_poll_handler} no longer
     * recycles: a READ waiting on an empty pipe keeps the legacy buffer it selected, so the next read takes the
     * next one, and the cancelled read's CQE names its buffer ({@code io_req_defer_failed}: {@code io_put_kbuf}).
     * On 6.12 the buffer went back before the wait: no flags, and the next read takes the same buffer.
     */
    @Test
    void aWaitingReadKeepsItsLegacyBufferAndItsCancelledCqeNamesIt() throws Exception {
        BothSides.Scenario scenario = (kernel, memory) -> waitCancelThenRead(kernel, memory);
        List<Cqe> cqes = BothSides.sameOnBoth(scenario);
        assertThat(cqes).contains(new Cqe(2, -ECANCELED, IORING_CQE_F_BUFFER | 100 << IORING_CQE_BUFFER_SHIFT, 0, 0),
                new Cqe(4, 3, IORING_CQE_F_BUFFER | 101 << IORING_CQE_BUFFER_SHIFT, 0, 0));
        assertThat(BothSides.onEmulator(KernelProfile.LINUX_6_12, List.of(), scenario)).contains(
                new Cqe(2, -ECANCELED, 0, 0, 0), new Cqe(4, 3, IORING_CQE_F_BUFFER | 100 << IORING_CQE_BUFFER_SHIFT,
                        0, 0));
    }

    /** PROVIDE_BUFFERS of four 16-byte buffers of {@code pool}, ids 100 to 103 in {@link #GROUP}, as user_data 1. */
    private static Cqe provideBuffers(RingDriver d, MemorySegment pool) {
        long at = d.nextSqe();
        Sqe.opcode(d.sqes(), at, IORING_OP_PROVIDE_BUFFERS);
        Sqe.fd(d.sqes(), at, 4);
        Sqe.addr(d.sqes(), at, pool.address());
        Sqe.len(d.sqes(), at, 16);
        Sqe.off(d.sqes(), at, 100);
        Sqe.bufIndex(d.sqes(), at, GROUP);
        Sqe.userData(d.sqes(), at, 1);
        d.submit(1, IORING_ENTER_GETEVENTS);
        return d.reap();
    }

    /** A pipe: its read end, then its write end. */
    private static int[] pipe(UserMemory memory) {
        MemorySegment fds = memory.allocate(8);
        assertThat(Linux.call(SYS_PIPE2, fds.address(), Linux.O_CLOEXEC)).isZero();
        return new int[] {fds.getAtIndex(JAVA_INT, 0), fds.getAtIndex(JAVA_INT, 1)};
    }

    private static List<Cqe> waitCancelThenRead(IoUringKernel kernel, UserMemory memory) {
        RingDriver d = new RingDriver(kernel, kernel.setup(8, memory.allocate(IoUringParams.SIZE_BYTES)).ringOrNull());
        MemorySegment pool = memory.allocate(64);
        List<Cqe> cqes = new ArrayList<>();
        cqes.add(provideBuffers(d, pool));
        int[] pipe = pipe(memory);
        int readEnd = pipe[0];
        int writeEnd = pipe[1];
        // an empty pipe: the read selects buffer 100 and waits on its poll
        read(d, readEnd, 2);
        assertThat(d.submit(0, 0)).isEqualTo(1);
        long at = d.nextSqe();
        Sqe.opcode(d.sqes(), at, IORING_OP_ASYNC_CANCEL);
        Sqe.fd(d.sqes(), at, -1);
        Sqe.addr(d.sqes(), at, 2);
        Sqe.userData(d.sqes(), at, 3);
        assertThat(d.submit(2, IORING_ENTER_GETEVENTS)).isEqualTo(1);
        cqes.add(d.reap());
        cqes.add(d.reap());
        MemorySegment hello = memory.allocateFrom("hello");
        assertThat(Linux.call(SYS_WRITE, writeEnd, hello.address(), 3)).isEqualTo(3);
        read(d, readEnd, 4);
        d.submit(1, IORING_ENTER_GETEVENTS);
        cqes.add(d.reap());
        Linux.close(readEnd);
        Linux.close(writeEnd);
        return cqes;
    }

    private static void read(RingDriver d, int fd, long userData) {
        long at = d.nextSqe();
        Sqe.opcode(d.sqes(), at, IORING_OP_READ);
        Sqe.flags(d.sqes(), at, IOSQE_BUFFER_SELECT);
        Sqe.fd(d.sqes(), at, fd);
        Sqe.len(d.sqes(), at, 16);
        Sqe.off(d.sqes(), at, -1);
        Sqe.bufIndex(d.sqes(), at, GROUP);
        Sqe.userData(d.sqes(), at, userData);
    }
}
