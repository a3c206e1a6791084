package dev.ringspec.emulator;

import static dev.ringspec.emulator.sys.Linux.SYS_PIPE2;
import static dev.ringspec.emulator.sys.Linux.SYS_WRITE;
import static dev.ringspec.uapi.IoUring.IORING_ENTER_GETEVENTS;
import static dev.ringspec.uapi.IoUring.IORING_OP_READ;
import static dev.ringspec.uapi.IoUring.IORING_OP_SPLICE;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_DEFER_TASKRUN;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SINGLE_ISSUER;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.emulator.sys.Linux;
import dev.ringspec.model.Choice;
import dev.ringspec.model.KernelProfile;
import dev.ringspec.seam.Cqe;
import dev.ringspec.seam.RingDriver;
import dev.ringspec.seam.Sqe;
import dev.ringspec.seam.UserMemory;
import dev.ringspec.uapi.IoUringParams;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A SPLICE from a pipe holding 8 bytes goes to io-wq, and a READ of 8 bytes from the same pipe follows it in one
 * submission. Where the deterministic emulator lets the worker finish after the READ
 * ({@link IoWqChoices#IOWQ_FINISHES_DURING_SUBMIT}), the READ has taken the bytes: the worker's SPLICE waits for the
 * next bytes, as the kernel's worker would wait in {@code do_splice}, and the submission ends. It used to run the
 * SPLICE's blocking call on the ring's task there, which waited for good (world lockstep seed 1115, a hang).
 */
class SubmitLaterWaitsTest {

    private static int[] pipe(UserMemory memory) {
        MemorySegment fds = memory.allocate(8);
        assertThat(Linux.call(SYS_PIPE2, fds.address(), Linux.O_CLOEXEC)).isZero();
        return new int[] {fds.getAtIndex(JAVA_INT, 0), fds.getAtIndex(JAVA_INT, 1)};
    }

    private static void sqe(RingDriver d, int opcode, int fd, int fdIn, long addr, int len, long userData) {
        long at = d.nextSqe();
        Sqe.clear(d.sqes(), at, 64);
        Sqe.opcode(d.sqes(), at, opcode);
        Sqe.fd(d.sqes(), at, fd);
        Sqe.fileIndex(d.sqes(), at, fdIn); // splice_fd_in
        Sqe.addr(d.sqes(), at, addr);
        Sqe.off(d.sqes(), at, -1);
        Sqe.len(d.sqes(), at, len);
        Sqe.userData(d.sqes(), at, userData);
    }

    private static List<String> reap(RingDriver d) {
        List<String> cqes = new ArrayList<>();
        for (Cqe c = d.reap(); c != null; c = d.reap()) {
            cqes.add(c.userData() + ":" + c.res());
        }
        return cqes;
    }

    @ParameterizedTest
    @ValueSource(ints = {0, IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_SINGLE_ISSUER})
    @Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void aSpliceWhoseBytesALaterReadTookWaitsForMore(int setupFlags) {
        List<Choice> asked = new ArrayList<>();
        try (UserMemory memory = new UserMemory();
                EmulatedIoUring e = EmulatedIoUring.open(EmulatorOptions.of(KernelProfile.LINUX_6_18)
                        .deterministic(1), memory)) {
            e.withChooser((choice, ringFd) -> {
                asked.add(choice);
                return choice == IoWqChoices.IOWQ_FINISHES_DURING_SUBMIT ? 2 : choice.defaultOutcome();
            });
            MemorySegment params = memory.allocate(IoUringParams.SIZE_BYTES);
            params.set(JAVA_INT, IoUringParams.FLAGS_OFFSET, setupFlags);
            RingDriver d = new RingDriver(e, e.setup(8, params).ringOrNull());
            int[] in = pipe(memory);
            int[] out = pipe(memory);
            MemorySegment bytes = memory.allocate(16);
            try {
                assertThat(Linux.call(SYS_WRITE, in[1], bytes.address(), 8)).isEqualTo(8);
                sqe(d, IORING_OP_SPLICE, out[1], in[0], -1, 8, 1);
                sqe(d, IORING_OP_READ, in[0], 0, bytes.address(), 8, 2);
                assertThat(d.submit(0, 0)).isEqualTo(2);
                assertThat(asked).contains(IoWqChoices.IOWQ_FINISHES_DURING_SUBMIT);
                assertThat(e.enter(d.ring(), 0, 0, IORING_ENTER_GETEVENTS, MemorySegment.NULL, 0)).isZero();
                assertThat(reap(d)).as("the READ took the bytes; the SPLICE waits").containsExactly("2:8");
                assertThat(Linux.call(SYS_WRITE, in[1], bytes.address(), 8)).isEqualTo(8);
                assertThat(e.enter(d.ring(), 0, 1, IORING_ENTER_GETEVENTS, MemorySegment.NULL, 0)).isZero();
                assertThat(reap(d)).containsExactly("1:8");
            } finally {
                for (int fd : new int[] {in[0], in[1], out[0], out[1]}) {
                    Linux.close(fd);
                }
            }
        }
    }
}
