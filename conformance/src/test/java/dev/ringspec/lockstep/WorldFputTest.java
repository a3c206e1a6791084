package dev.ringspec.lockstep;

import static dev.ringspec.uapi.Errno.ECANCELED;
import static dev.ringspec.uapi.Errno.ENFILE;
import static dev.ringspec.uapi.IoUring.IORING_ENTER_GETEVENTS;
import static dev.ringspec.uapi.IoUring.IORING_OP_ACCEPT;
import static dev.ringspec.uapi.IoUring.IORING_OP_LINK_TIMEOUT;
import static dev.ringspec.uapi.IoUring.IORING_OP_READ;
import static dev.ringspec.uapi.IoUring.IORING_OP_WRITE;
import static dev.ringspec.uapi.IoUring.IOSQE_IO_LINK;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A file a request drops on the ring's task is released when the call returns (fs/file_table.c fput: ____fput is
 * the task's own task work), emulator against this kernel with real I/O (seed 103 of {@link WorldLockstepTest}).
 */
@Tag("kernel")
class WorldFputTest {
    private static final int RUNS = 3;
    private static final int FILE_INDEX_ALLOC = -1;

    @BeforeEach
    void needsIoUring() {
        KernelTests.assumeIoUring();
    }

    /**
     * A TCP connection waits in the listener's backlog; one submission holds an ACCEPT of it into a direct slot the
     * ring has no table for (io_fixed_fd_install: -ENFILE, then fput of the accepted socket), a WRITE linked to a
     * LINK_TIMEOUT (its -ECANCELED is task work queued by the submission's flush) and a READ of the connection's
     * client end. The socket is released only on the task's way back from the call, after that task work, so the
     * READ finds no EOF, arms a poll, and completes 0 after the LINK_TIMEOUT's CQE. The emulator closed the accepted
     * socket at once: its READ found the EOF inline and posted 0 before the LINK_TIMEOUT.
     */
    @Test
    void aSocketADirectInstallDroppedIsReleasedAsTheCallReturns() {
        List<Step> steps = List.of(new Step.Setup(8, 0, 0),
                new Step.Outside(Step.Outside.CONNECT, OutsideWorld.LISTENER, 0),
                new Step.WriteIo(0, IORING_OP_ACCEPT, 0, 0, OutsideWorld.LISTENER, 0, 0, 0, 0, 0, FILE_INDEX_ALLOC, 1),
                new Step.WriteIo(1, IORING_OP_WRITE, IOSQE_IO_LINK, 0, OutsideWorld.SOCKET, 0, 22, 0, 0, 0, 0, 2),
                new Step.WriteIo(2, IORING_OP_LINK_TIMEOUT, 0, 0, -1, 0, 0, 0, 1, 0, 0, 3),
                new Step.WriteIo(3, IORING_OP_READ, 0, 0, OutsideWorld.TCP_PEER, 0, 59, 0, 3, 0, 0, 4),
                new Step.WriteArray(0, 0), new Step.WriteArray(1, 1), new Step.WriteArray(2, 2),
                new Step.WriteArray(3, 3), new Step.PublishTail(4), new Step.Enter(4, 0, IORING_ENTER_GETEVENTS));
        Map<String, Long> taken = new TreeMap<>();
        var kernel = WorldLockstepTest.agreesWithTheKernel(steps, RUNS, taken);
        assertThat(WorldLockstepTest.visible(kernel).stream().map(c -> c.userData() + ":" + c.res()).toList())
                .containsExactly("1:" + -ENFILE, "2:22", "3:" + -ECANCELED, "4:0");
        System.out.println("choices taken against the kernel: " + taken);
    }
}
