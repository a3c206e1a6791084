package dev.ringspec.emulator.ops;

import static dev.ringspec.uapi.IoUring.IORING_POLL_ADD_MULTI;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_EVENTFD;
import static dev.ringspec.uapi.Poll.POLLIN;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.emulator.EmulatedIoUring;
import dev.ringspec.model.KernelProfile;
import dev.ringspec.seam.UserMemory;
import java.io.File;
import java.lang.foreign.MemorySegment;
import java.util.Objects;
import org.junit.jupiter.api.Test;

/**
 * What the emulator's poll, cancel and eventfd state holds of the process (duplicated descriptors, epoll watches)
 * goes when the requests end and when their ring is closed with requests still waiting.
 */
class PollLifetimeTest {

    private static int openDescriptors() {
        return Objects.requireNonNull(new File("/proc/self/fd").list()).length;
    }

    @Test
    void closingARingWithWaitingPollsAndAnEventfdLeavesNoDescriptorBehind() {
        try (UserMemory memory = new UserMemory();
                EmulatedIoUring emulator = EmulatedIoUring.open(KernelProfile.LINUX_6_18, memory);
                World w = new World()) {
            int[] p = w.pipe();
            int e = w.eventfd();
            int before = openDescriptors();
            for (int round = 0; round < 50; round++) {
                TestRing r = new TestRing(emulator, memory);
                r.pollAdd(p[0], POLLIN, 0, 1);
                r.pollAdd(p[0], POLLIN, IORING_POLL_ADD_MULTI, 2);
                r.pollAdd(p[1], POLLIN, 0, 3);
                r.submit();
                MemorySegment arg = memory.allocate(4);
                arg.set(JAVA_INT, 0, e);
                assertThat(emulator.register(r.d.ring(), IORING_REGISTER_EVENTFD, arg, 1)).isZero();
                r.close();
            }
            assertThat(openDescriptors()).isEqualTo(before);
        }
    }

    @Test
    void pollsThatEndReleaseTheirDescriptors() {
        try (UserMemory memory = new UserMemory();
                EmulatedIoUring emulator = EmulatedIoUring.open(KernelProfile.LINUX_6_18, memory);
                World w = new World()) {
            int[] p = w.pipe();
            TestRing r = new TestRing(emulator, memory);
            int before = openDescriptors();
            for (int round = 0; round < 20; round++) {
                r.pollAdd(p[0], POLLIN, 0, 1);
                r.pollAdd(p[0], POLLIN, IORING_POLL_ADD_MULTI, 2);
                r.submit();
                w.write(p[1], 1);
                r.settle(2);
                assertThat(w.read(p[0], 8)).isEqualTo(1);
                r.cancel(2, 0, 0, 0, 3);
                r.submit();
                r.settle(2);
            }
            assertThat(r.cqes).hasSize(20 * 4);
            assertThat(openDescriptors()).isEqualTo(before);
            r.close();
        }
    }
}
