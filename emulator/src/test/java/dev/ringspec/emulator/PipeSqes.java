package dev.ringspec.emulator;

import static dev.ringspec.emulator.sys.Linux.SYS_PIPE2;
import static dev.ringspec.uapi.IoUring.IORING_OP_READ;
import static dev.ringspec.uapi.IoUring.IORING_OP_SPLICE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.emulator.sys.Linux;
import dev.ringspec.seam.Cqe;
import dev.ringspec.seam.RingDriver;
import dev.ringspec.seam.Sqe;
import dev.ringspec.seam.UserMemory;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/** Pipes and the SQEs on them that the woken-worker tests submit one at a time, and their CQEs as text. */
final class PipeSqes {
    private PipeSqes() {
    }

    /** A pipe (O_CLOEXEC): its read end, then its write end. */
    static int[] pipe(UserMemory memory) {
        MemorySegment fds = memory.allocate(8);
        assertThat(Linux.call(SYS_PIPE2, fds.address(), Linux.O_CLOEXEC)).isZero();
        return new int[] {fds.getAtIndex(JAVA_INT, 0), fds.getAtIndex(JAVA_INT, 1)};
    }

    /** A READ of {@code len} bytes of {@code fd} into {@code addr} at the file's position, submitted alone. */
    static void read(RingDriver d, int fd, long addr, int len, long userData) {
        long at = d.nextSqe();
        Sqe.clear(d.sqes(), at, 64);
        Sqe.opcode(d.sqes(), at, IORING_OP_READ);
        Sqe.fd(d.sqes(), at, fd);
        Sqe.addr(d.sqes(), at, addr);
        Sqe.len(d.sqes(), at, len);
        Sqe.off(d.sqes(), at, -1);
        Sqe.userData(d.sqes(), at, userData);
        assertThat(d.submit(0, 0)).isEqualTo(1);
    }

    /** A SPLICE of {@code len} bytes from pipe end {@code in} to {@code out}, submitted alone. */
    static void splice(RingDriver d, int out, int in, int len, long userData) {
        long at = d.nextSqe();
        Sqe.clear(d.sqes(), at, 64);
        Sqe.opcode(d.sqes(), at, IORING_OP_SPLICE);
        Sqe.fd(d.sqes(), at, out);
        Sqe.fileIndex(d.sqes(), at, in); // splice_fd_in
        Sqe.addr(d.sqes(), at, -1);
        Sqe.off(d.sqes(), at, -1);
        Sqe.len(d.sqes(), at, len);
        Sqe.userData(d.sqes(), at, userData);
        assertThat(d.submit(0, 0)).isEqualTo(1);
    }

    /** The CQEs ready now, reaped, as {@code user_data:res}. */
    static List<String> reap(RingDriver d) {
        List<String> cqes = new ArrayList<>();
        for (Cqe c = d.reap(); c != null; c = d.reap()) {
            cqes.add(c.userData() + ":" + c.res());
        }
        return cqes;
    }
}
