package dev.ringspec.emulator;

import static dev.ringspec.emulator.sys.Linux.SYS_DUP3;
import static dev.ringspec.emulator.sys.Linux.SYS_OPENAT;
import static dev.ringspec.emulator.sys.Linux.SYS_PIPE2;
import static dev.ringspec.emulator.sys.Linux.SYS_READ;
import static dev.ringspec.emulator.sys.Linux.SYS_WRITE;
import static dev.ringspec.uapi.Errno.EBADF;
import static dev.ringspec.uapi.Errno.EPERM;
import static dev.ringspec.uapi.Poll.POLLIN;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.emulator.sys.Linux;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
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

    /** A fresh pipe: {read, write}. */
    private static int[] pipe(Arena arena) {
        MemorySegment fds = arena.allocate(JAVA_INT, 2);
        assertThat(Linux.call(SYS_PIPE2, fds.address(), Linux.O_CLOEXEC)).isZero();
        return new int[] {fds.getAtIndex(JAVA_INT, 0), fds.getAtIndex(JAVA_INT, 1)};
    }

    private static void writeOne(Arena arena, int fd) {
        assertThat(Linux.call(SYS_WRITE, fd, arena.allocate(1).address(), 1)).isEqualTo(1);
    }

    private static void readOne(Arena arena, int fd) {
        assertThat(Linux.call(SYS_READ, fd, arena.allocate(1).address(), 1)).isEqualTo(1);
    }

    @Test
    void aKeptRegistrationIsReArmedForTheNextWatchOfTheSameFile() throws Exception {
        try (Readiness r = new Readiness(); Arena arena = Arena.ofConfined()) {
            int[] p = pipe(arena);
            int[] error = new int[1];
            for (int round = 0; round < 3; round++) {
                BlockingQueue<Integer> fired = new ArrayBlockingQueue<>(4);
                Readiness.Watch w = r.watchFile(p[0], POLLIN, false, fired::add, error);
                assertThat(w).as("round %d", round).isNotNull();
                assertThat(w.fd()).as("the descriptor's own registration, no duplicate").isEqualTo(p[0]);
                assertThat(fired.poll(50, TimeUnit.MILLISECONDS)).as("nothing to read yet").isNull();
                writeOne(arena, p[1]);
                assertThat(fired.poll(5, TimeUnit.SECONDS)).isEqualTo(POLLIN);
                readOne(arena, p[0]);
            }
            Linux.close(p[0]);
            Linux.close(p[1]);
        }
    }

    @Test
    void aKeptRegistrationIsDroppedWhenItsNumberNamesAnotherFile() throws Exception {
        try (Readiness r = new Readiness(); Arena arena = Arena.ofConfined()) {
            int[] a = pipe(arena);
            int[] b = pipe(arena);
            int[] error = new int[1];
            BlockingQueue<Integer> first = new ArrayBlockingQueue<>(4);
            assertThat(r.watchFile(a[0], POLLIN, false, first::add, error)).isNotNull();
            writeOne(arena, a[1]);
            assertThat(first.poll(5, TimeUnit.SECONDS)).isEqualTo(POLLIN);
            // pipe a's read end lives on elsewhere, and its number now names pipe b's read end
            int keptA = Linux.dup(a[0]);
            assertThat(Linux.call(SYS_DUP3, b[0], a[0], Linux.O_CLOEXEC)).isEqualTo(a[0]);
            BlockingQueue<Integer> second = new ArrayBlockingQueue<>(4);
            Readiness.Watch w = r.watchFile(a[0], POLLIN, false, second::add, error);
            assertThat(w).isNotNull();
            writeOne(arena, a[1]);
            assertThat(second.poll(100, TimeUnit.MILLISECONDS)).as("pipe a is not what the number names").isNull();
            writeOne(arena, b[1]);
            assertThat(second.poll(5, TimeUnit.SECONDS)).as("pipe b is").isEqualTo(POLLIN);
            // and once the number names nothing, a watch is refused as epoll refuses it
            Linux.close(a[0]);
            assertThat(r.watchFile(a[0], POLLIN, false, e -> { }, error)).isNull();
            assertThat(error[0]).isEqualTo(-EBADF);
            for (int fd : new int[] {keptA, a[1], b[0], b[1]}) {
                Linux.close(fd);
            }
        }
    }

    @Test
    void aSecondWatchOfADescriptorWhileTheFirstIsArmedTakesItsOwnDuplicate() throws Exception {
        try (Readiness r = new Readiness(); Arena arena = Arena.ofConfined()) {
            int[] p = pipe(arena);
            int[] error = new int[1];
            BlockingQueue<Integer> fired = new ArrayBlockingQueue<>(4);
            Readiness.Watch one = r.watchFile(p[0], POLLIN, false, e -> fired.add(1), error);
            Readiness.Watch two = r.watchFile(p[0], POLLIN, false, e -> fired.add(2), error);
            assertThat(one.fd()).isEqualTo(p[0]);
            assertThat(two.fd()).isNotEqualTo(p[0]);
            writeOne(arena, p[1]);
            assertThat(List.of(fired.poll(5, TimeUnit.SECONDS), fired.poll(5, TimeUnit.SECONDS)))
                    .containsExactlyInAnyOrder(1, 2);
            assertThat(two.cancel()).as("fired already").isFalse();
            // a cancelled kept registration is removed: the next watch adds it again and fires
            readOne(arena, p[0]);
            Readiness.Watch three = r.watchFile(p[0], POLLIN, false, e -> fired.add(3), error);
            assertThat(three.cancel()).isTrue();
            Readiness.Watch four = r.watchFile(p[0], POLLIN, false, e -> fired.add(4), error);
            assertThat(four.fd()).isEqualTo(p[0]);
            writeOne(arena, p[1]);
            assertThat(fired.poll(5, TimeUnit.SECONDS)).isEqualTo(4);
            Linux.close(p[0]);
            Linux.close(p[1]);
        }
    }
}
