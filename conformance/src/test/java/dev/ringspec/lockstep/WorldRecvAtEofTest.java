package dev.ringspec.lockstep;

import static dev.ringspec.uapi.IoUring.IORING_CQE_F_SOCK_NONEMPTY;
import static dev.ringspec.uapi.IoUring.IORING_ENTER_GETEVENTS;
import static dev.ringspec.uapi.IoUring.IORING_OP_ACCEPT;
import static dev.ringspec.uapi.IoUring.IORING_OP_RECV;
import static dev.ringspec.uapi.IoUring.IOSQE_FIXED_FILE;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.seam.Cqe;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A TCP receive once the peer's FIN has come, emulator against this kernel with real I/O (seed 261 of
 * {@link WorldLockstepTest}): {@code tcp_recvmsg} hands io_uring {@code tcp_inq_hint}, which is 1 where no byte is
 * left but the FIN came ("tell the user-space to continue reading"), so the CQE has IORING_CQE_F_SOCK_NONEMPTY,
 * after the last bytes and at the end of the stream (0 bytes) alike. The emulator looked at the bytes left alone.
 */
@Tag("kernel")
class WorldRecvAtEofTest {
    private static final int RUNS = 3;

    @BeforeEach
    void needsIoUring() {
        KernelTests.assumeIoUring();
    }

    /** A RECV of up to 16 bytes from direct descriptor 0. */
    private static Step.WriteIo recv(int slot, long userData) {
        return new Step.WriteIo(slot, IORING_OP_RECV, IOSQE_FIXED_FILE, 0, 0, 0, 16, 0, 0, 0, 0, userData);
    }

    /**
     * The world's TCP peer connects and is accepted into direct descriptor 0; the peer writes 5 bytes and shuts its
     * side down; two RECVs: the 5 bytes, then the end of the stream.
     */
    @Test
    void aReceiveAfterThePeersFinSaysTheSocketIsNotEmpty() {
        List<Step> steps = List.of(new Step.Setup(4, 0, 0),
                new Step.RegisterFiles(8, true, 0),
                new Step.Outside(Step.Outside.CONNECT, OutsideWorld.LISTENER, 0),
                new Step.WriteIo(0, IORING_OP_ACCEPT, 0, 0, OutsideWorld.LISTENER, 0, 0, 0, 0, 0, 1, 3),
                new Step.WriteArray(0, 0),
                new Step.PublishTail(1),
                new Step.Enter(1, 1, IORING_ENTER_GETEVENTS),
                new Step.ConsumeCqes(1, false),
                new Step.Outside(Step.Outside.WRITE, OutsideWorld.TCP_PEER, 5),
                new Step.Outside(Step.Outside.SHUTDOWN_WRITE, OutsideWorld.TCP_PEER, 0),
                recv(1, 1),
                new Step.WriteArray(1, 1),
                new Step.PublishTail(1),
                new Step.Enter(1, 1, IORING_ENTER_GETEVENTS),
                recv(2, 2),
                new Step.WriteArray(2, 2),
                new Step.PublishTail(1),
                new Step.Enter(1, 1, IORING_ENTER_GETEVENTS));
        List<Cqe> cqes = WorldLockstepTest.visible(WorldLockstepTest.agreesWithTheKernel(steps, RUNS,
                new java.util.TreeMap<>()));
        assertThat(cqes).containsExactly(new Cqe(1, 5, IORING_CQE_F_SOCK_NONEMPTY, 0, 0),
                new Cqe(2, 0, IORING_CQE_F_SOCK_NONEMPTY, 0, 0));
    }
}
