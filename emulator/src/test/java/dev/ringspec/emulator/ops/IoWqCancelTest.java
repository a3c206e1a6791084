package dev.ringspec.emulator.ops;

import static dev.ringspec.uapi.Errno.EALREADY;
import static dev.ringspec.uapi.Errno.EINTR;
import static dev.ringspec.uapi.Errno.ETIME;
import static dev.ringspec.uapi.IoUring.IORING_ASYNC_CANCEL_ANY;
import static dev.ringspec.uapi.IoUring.IORING_OP_ASYNC_CANCEL;
import static dev.ringspec.uapi.IoUring.IORING_OP_SPLICE;
import static dev.ringspec.uapi.IoUring.IORING_OP_TEE;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_SYNC_CANCEL;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.emulator.BothSides;
import dev.ringspec.emulator.sys.Linux;
import dev.ringspec.model.KernelProfile;
import dev.ringspec.nativerunner.NativeBackendProvider;
import dev.ringspec.seam.Cqe;
import dev.ringspec.uapi.IoUringSyncCancelReg;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Cancelling io-wq work that is running, on the emulator against this machine's kernel: a SPLICE (or TEE) from an
 * empty pipe blocks in an io-wq worker (splice has no poll to arm); ASYNC_CANCEL answers -EALREADY and signals the
 * worker ({@code io_wq_worker_cancel}), whose call ends; IORING_REGISTER_SYNC_CANCEL waits for it and answers 0, or
 * -ETIME when its timeout passes first. The interrupted request ends -EINTR on the emulator, as on 6.1 and 6.12;
 * kernels after 6.12 put the call's -ERESTARTSYS in the CQE, -512 (catalogue entry
 * splice-interrupted-cqe-holds-erestartsys; {@link SpliceInterruption}).
 */
@Tag("kernel")
class IoWqCancelTest {
    private static final long SYS_PIPE2 = 293;

    private static int[] pipe() {
        MemorySegment fds = java.lang.foreign.Arena.ofAuto().allocate(8, 4);
        assertThat(Linux.call(SYS_PIPE2, fds.address(), 0)).isZero();
        return new int[] {fds.get(JAVA_INT, 0), fds.get(JAVA_INT, 4)};
    }

    private static void splice(NetRing r, int opcode, int in, int out, long userData) {
        long at = r.sqe(opcode, out, opcode == IORING_OP_SPLICE ? -1 : 0, opcode == IORING_OP_SPLICE ? -1 : 0, 16, 0,
                userData);
        r.fileIndex(at, in);
    }

    private static int syncCancel(NetRing r, long userData, long sec, long nsec) {
        MemorySegment sc = r.memory.allocate(IoUringSyncCancelReg.SIZE_BYTES, 8);
        sc.set(JAVA_LONG, IoUringSyncCancelReg.ADDR_OFFSET, userData);
        sc.set(JAVA_LONG, IoUringSyncCancelReg.TIMEOUT_OFFSET, sec);
        sc.set(JAVA_LONG, IoUringSyncCancelReg.TIMEOUT_OFFSET + 8, nsec);
        return r.kernel.register(r.d.ring(), IORING_REGISTER_SYNC_CANCEL, sc, 1);
    }

    @Test
    void aRunningSpliceIsSignalledTheCancelAnswersEalreadyAndTheSpliceEndsInterrupted() throws Exception {
        BothSides.Scenario scenario = (k, m) -> {
            int[] in = pipe();
            int[] out = pipe();
            try (NetRing r = new NetRing(k, m)) {
                List<Cqe> all = new ArrayList<>();
                splice(r, IORING_OP_SPLICE, in[0], out[1], 1);
                r.submit();
                Thread.sleep(250); // the worker is in its call, under load too
                r.sqe(IORING_OP_ASYNC_CANCEL, -1, 0, 1, 0, 0, 2);
                all.addAll(r.submitAndWait(2));
                // ANY: the running TEE is signalled and not counted
                splice(r, IORING_OP_TEE, in[0], out[1], 3);
                r.submit();
                Thread.sleep(250); // the worker is in its call, under load too
                r.sqe(IORING_OP_ASYNC_CANCEL, -1, 0, 0, 0, IORING_ASYNC_CANCEL_ANY, 4);
                all.addAll(r.submitAndWait(2));
                // SYNC_CANCEL without a timeout waits until the splice is done
                splice(r, IORING_OP_SPLICE, in[0], out[1], 5);
                r.submit();
                Thread.sleep(250); // the worker is in its call, under load too
                all.add(new Cqe(-1, syncCancel(r, 5, -1, -1), 0, 0, 0));
                all.addAll(r.await(1));
                // with a timeout of 1 ns it may give up first (-ETIME) or find it done (0); either way it ends
                splice(r, IORING_OP_SPLICE, in[0], out[1], 6);
                r.submit();
                Thread.sleep(250); // the worker is in its call, under load too
                int ret = syncCancel(r, 6, 0, 1);
                assertThat(ret).as(k.description()).isIn(0, -ETIME);
                all.addAll(r.await(1));
                assertThat(r.drain()).isEmpty();
                return all;
            } finally {
                NetRing.closeAll(in[0], in[1], out[0], out[1]);
            }
        };
        for (boolean kernel : new boolean[] {true, false}) {
            SpliceInterruption.Heard heard = new SpliceInterruption.Heard();
            List<Cqe> c = kernel ? BothSides.onKernel(NativeBackendProvider.backend(), scenario)
                    : SpliceInterruption.onEmulator(KernelProfile.LINUX_6_18, heard, scenario);
            int res = kernel ? SpliceInterruption.onThisKernel() : -EINTR;
            assertThat(c).as(kernel ? "the kernel" : "the emulator").containsExactly(new Cqe(2, -EALREADY, 0, 0, 0),
                    new Cqe(1, res, 0, 0, 0), new Cqe(4, 0, 0, 0, 0), new Cqe(3, res, 0, 0, 0),
                    new Cqe(-1, 0, 0, 0, 0), new Cqe(5, res, 0, 0, 0), new Cqe(6, res, 0, 0, 0));
            if (!kernel) {
                assertThat(heard.userData()).as("where 6.18 puts -512 in the CQE").containsExactly(1L, 3L, 5L, 6L);
            }
        }
    }
}
