package dev.ringspec.emulator;

import static dev.ringspec.emulator.sys.Linux.SYS_OPENAT;
import static dev.ringspec.emulator.sys.Linux.SYS_PIPE2;
import static dev.ringspec.emulator.sys.Linux.SYS_WRITE;
import static dev.ringspec.uapi.Errno.EPERM;
import static dev.ringspec.uapi.Poll.POLLIN;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.emulator.sys.Linux;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class ReadinessTest {

    @Test
    void aOneShotWatchFiresOnceWhenThePipeHasDataAndReleasesItsDuplicate() throws Exception {
        try (Readiness r = new Readiness(); Arena arena = Arena.ofConfined()) {
            MemorySegment fds = arena.allocate(JAVA_INT, 2);
            assertThat(Linux.call(SYS_PIPE2, fds.address(), Linux.O_CLOEXEC)).isZero();
            int read = fds.getAtIndex(JAVA_INT, 0);
            int write = fds.getAtIndex(JAVA_INT, 1);
            BlockingQueue<Integer> fired = new ArrayBlockingQueue<>(4);
            int[] error = new int[1];
            Readiness.Watch w = r.watch(read, POLLIN, true, fired::add, error);
            assertThat(w).isNotNull();
            assertThat(fired.poll(100, TimeUnit.MILLISECONDS)).as("nothing to read yet").isNull();
            MemorySegment b = arena.allocate(1);
            assertThat(Linux.call(SYS_WRITE, write, b.address(), 1)).isEqualTo(1);
            assertThat(fired.poll(5, TimeUnit.SECONDS)).isEqualTo(POLLIN);
            assertThat(Linux.call(SYS_WRITE, write, b.address(), 1)).isEqualTo(1);
            assertThat(fired.poll(100, TimeUnit.MILLISECONDS)).as("one shot").isNull();
            assertThat(w.cancel()).as("already fired").isFalse();
            Linux.close(read);
            Linux.close(write);
        }
    }

    @Test
    void aRegularFileCannotBePolled() {
        try (Readiness r = new Readiness(); Arena arena = Arena.ofConfined()) {
            MemorySegment path = arena.allocateFrom("/proc/self/status");
            int fd = (int) Linux.call(SYS_OPENAT, -100, path.address(), 0);
            assertThat(fd).isNotNegative();
            int[] error = new int[1];
            assertThat(r.watch(fd, POLLIN, true, e -> { }, error)).isNull();
            assertThat(error[0]).isEqualTo(-EPERM);
            Linux.close(fd);
        }
    }
}
