package dev.ringspec.emulator.ops;

import static dev.ringspec.emulator.sys.Linux.SYS_FTRUNCATE;
import static dev.ringspec.emulator.sys.Linux.SYS_GETPID;
import static dev.ringspec.emulator.sys.Linux.SYS_GETTID;
import static dev.ringspec.emulator.sys.Linux.SYS_MEMFD_CREATE;
import static dev.ringspec.emulator.sys.Linux.SYS_TGKILL;
import static dev.ringspec.uapi.Errno.ECANCELED;
import static dev.ringspec.uapi.Errno.EINTR;
import static dev.ringspec.uapi.Errno.ETIME;
import static dev.ringspec.uapi.IoUring.IORING_OP_READV;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_SYNC_CANCEL;
import static dev.ringspec.uapi.IoUring.IOSQE_ASYNC;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.emulator.BothSides;
import dev.ringspec.emulator.EmulatedIoUring;
import dev.ringspec.emulator.sys.Linux;
import dev.ringspec.seam.Cqe;
import dev.ringspec.seam.IoUringKernel;
import dev.ringspec.seam.UserMemory;
import dev.ringspec.uapi.IoUringSyncCancelReg;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The wait of IORING_REGISTER_SYNC_CANCEL for a request that keeps running (io_sync_cancel's loop), against this
 * machine's kernel: a READV on an io-wq worker of about 2 GiB out of a sparse memfd into 64 MiB of memory (about
 * 110 ms on a quiet machine here; into one 2 MiB buffer it took 33 ms, too short to be sure of), which the
 * cancellation's signal to the worker does not stop (the page cache's copy looks only at fatal signals), so the
 * cancel finds it running (-EALREADY) and sleeps. Its timeout ends the wait with -ETIME; a signal to the waiting
 * thread with -EINTR (io_run_task_work_sig), on the kernel a real one (the JDK's own interrupt signal, whose handler
 * does nothing and has no SA_RESTART), on the emulator the waiting thread's interrupt, its form of a signal. Either
 * way the read ends whole.
 */
@Tag("kernel")
class SyncCancelWaitTest {
    private static final int IOVECS = 1024;
    private static final long CHUNK = 2L << 20;
    /** How many distinct chunks the iovecs cycle through: 64 MiB, more than any cache, so the copy goes to memory. */
    private static final int CHUNKS = 32;
    /** {@code MAX_RW_COUNT}: a read of more is cut to this. */
    private static final int MAX_RW_COUNT = Integer.MAX_VALUE & ~4095;
    /** The JDK's signal for interrupting a thread in a blocking call (SIGRTMAX - 2 on Linux). */
    private static final int INTERRUPT_SIGNAL = 62;

    /** A READV of {@code IOVECS} times {@code CHUNK} bytes, into {@code CHUNKS} chunks in turn, from a sparse memfd. */
    private static long bigRead(NetRing r, int fd) {
        MemorySegment buf = r.memory.allocate(CHUNK * CHUNKS, 4096);
        MemorySegment iov = r.memory.allocate(16L * IOVECS, 8);
        for (int i = 0; i < IOVECS; i++) {
            iov.set(JAVA_LONG, 16L * i, buf.address() + CHUNK * (i % CHUNKS));
            iov.set(JAVA_LONG, 16L * i + 8, CHUNK);
        }
        return r.sqe(IORING_OP_READV, fd, 0, iov.address(), IOVECS, 0, 0x77);
    }

    private static int sparseMemfd() {
        MemorySegment name = java.lang.foreign.Arena.ofAuto().allocateFrom("ringspec-sync-cancel");
        int fd = (int) Linux.call(SYS_MEMFD_CREATE, name.address(), 1);
        assertThat(fd).isGreaterThanOrEqualTo(0);
        assertThat(Linux.call(SYS_FTRUNCATE, fd, 4L << 30)).isZero();
        return fd;
    }

    private static MemorySegment reg(NetRing r, long sec, long nsec) {
        MemorySegment sc = r.memory.allocate(IoUringSyncCancelReg.SIZE_BYTES, 8);
        sc.set(JAVA_LONG, IoUringSyncCancelReg.ADDR_OFFSET, 0x77);
        sc.set(JAVA_INT, IoUringSyncCancelReg.FLAGS_OFFSET, 0);
        sc.set(JAVA_LONG, IoUringSyncCancelReg.TIMEOUT_OFFSET, sec);
        sc.set(JAVA_LONG, IoUringSyncCancelReg.TIMEOUT_OFFSET + 8, nsec);
        sc.set(JAVA_BYTE, IoUringSyncCancelReg.OPCODE_OFFSET, (byte) 0);
        return sc;
    }

    /** What a scenario does once the big read runs on its io-wq worker: the CQEs it records. */
    @FunctionalInterface
    private interface WhileReading {
        List<Cqe> run(NetRing r) throws Exception;
    }

    /**
     * On both sides: the big read submitted with IOSQE_ASYNC and given a head start to be taken up by a worker
     * (running, not pending), then {@code then}, then the read's own CQE. A side whose read was still pending when
     * {@code then} cancelled it (the cancel 0, the read -ECANCELED: io-wq's pending work is simply taken off its list,
     * {@code io_acct_cancel_pending_work}) did not test a running read: it runs again with a longer head start (20,
     * 200, then 1,000 ms), so that a slow worker start on a loaded machine is not read as an answer.
     */
    private static List<Cqe> whileReading(WhileReading then) throws Exception {
        BothSides.Scenario scenario = (k, m) -> {
            List<Cqe> all = List.of();
            for (long headStart : HEAD_STARTS_MILLIS) {
                all = once(k, m, then, headStart);
                if (!wasPending(all)) {
                    break;
                }
            }
            return all;
        };
        return BothSides.sameOnBoth(scenario);
    }

    private static final long[] HEAD_STARTS_MILLIS = {20, 200, 1_000};

    private static List<Cqe> once(IoUringKernel k, UserMemory m, WhileReading then, long headStartMillis)
            throws Exception {
        int fd = sparseMemfd();
        try (NetRing r = new NetRing(k, m)) {
            r.flags(bigRead(r, fd), IOSQE_ASYNC);
            r.submit();
            Thread.sleep(headStartMillis);
            List<Cqe> all = new ArrayList<>(then.run(r));
            all.addAll(r.await(1));
            return all;
        } finally {
            NetRing.closeAll(fd);
        }
    }

    /** The read was cancelled before a worker took it up: the cancel answered 0 and the read -ECANCELED. */
    private static boolean wasPending(List<Cqe> cqes) {
        return cqes.size() == 2 && cqes.get(0).res() == 0 && cqes.get(1).res() == -ECANCELED;
    }

    private static Cqe syncCancel(NetRing r, long sec, long nsec) {
        return new Cqe(-1, r.kernel.register(r.d.ring(), IORING_REGISTER_SYNC_CANCEL, reg(r, sec, nsec), 1), 0, 0, 0);
    }

    @Test
    void aTimeoutEndsTheWaitForARunningRequestWithEtime() throws Exception {
        List<Cqe> c = whileReading(r -> List.of(syncCancel(r, 0, 5_000_000)));
        assertThat(c).containsExactly(new Cqe(-1, -ETIME, 0, 0, 0), new Cqe(0x77, MAX_RW_COUNT, 0, 0, 0));
    }

    @Test
    void aSignalEndsTheWaitForARunningRequestWithEintr() throws Exception {
        List<Cqe> c = whileReading(r -> {
            Thread waiting = Thread.currentThread();
            long tid = Linux.call(SYS_GETTID, 0);
            boolean emulated = r.kernel instanceof EmulatedIoUring;
            AtomicBoolean answered = new AtomicBoolean();
            // a signal every 2 ms until the call returns: one lands in its wait, however soon the read ends
            Thread signaller = Thread.ofPlatform().start(() -> {
                while (!answered.get()) {
                    if (emulated) {
                        waiting.interrupt();
                    } else {
                        Linux.call(SYS_TGKILL, Linux.call(SYS_GETPID, 0), tid, INTERRUPT_SIGNAL);
                    }
                    LockSupport.parkNanos(2_000_000);
                }
            });
            // no timeout: only a signal can end the wait before the read does
            Cqe answer = syncCancel(r, -1, -1);
            answered.set(true);
            while (signaller.isAlive()) {
                try {
                    signaller.join(100);
                } catch (InterruptedException e) {
                    // the emulator's last signal came after the answer: taken, as a handler would have run
                }
            }
            Thread.interrupted();
            return List.of(answer);
        });
        assertThat(c).containsExactly(new Cqe(-1, -EINTR, 0, 0, 0), new Cqe(0x77, MAX_RW_COUNT, 0, 0, 0));
    }
}
