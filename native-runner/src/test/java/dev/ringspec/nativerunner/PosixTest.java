package dev.ringspec.nativerunner;

import static dev.ringspec.uapi.Errno.EBADF;
import static dev.ringspec.uapi.Errno.ENOENT;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The small syscalls fixtures use: each returns the kernel's result or -errno. */
class PosixTest {

    @Test
    void aPipeCarriesBytesFromItsWriteEndToItsReadEnd() {
        int[] fds = Posix.pipe(Posix.O_CLOEXEC);
        assertThat(fds).hasSize(2);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocateFrom("ring", StandardCharsets.US_ASCII);
            assertThat(Posix.write(fds[1], out, 4)).isEqualTo(4);
            MemorySegment in = arena.allocate(8);
            assertThat(Posix.read(fds[0], in, 8)).isEqualTo(4);
            assertThat(in.getString(0, StandardCharsets.US_ASCII)).isEqualTo("ring");
        } finally {
            assertThat(Posix.close(fds[0])).isZero();
            assertThat(Posix.close(fds[1])).isZero();
        }
    }

    @Test
    void anEventfdCountsWhatIsWrittenToIt() {
        int fd = Posix.eventfd(5, Posix.EFD_CLOEXEC);
        assertThat(fd).isPositive();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment value = arena.allocate(ValueLayout.JAVA_LONG);
            value.set(ValueLayout.JAVA_LONG, 0, 2);
            assertThat(Posix.write(fd, value, 8)).isEqualTo(8);
            assertThat(Posix.read(fd, value, 8)).isEqualTo(8);
            assertThat(value.get(ValueLayout.JAVA_LONG, 0)).isEqualTo(7);
        } finally {
            Posix.close(fd);
        }
    }

    @Test
    void openatOpensWhatExistsAndReportsWhatDoesNot() {
        int fd = Posix.openat(Posix.AT_FDCWD, "/dev/null", Posix.O_RDONLY | Posix.O_CLOEXEC, 0);
        assertThat(fd).isPositive();
        assertThat(Posix.close(fd)).isZero();
        assertThat(Posix.close(fd)).isEqualTo(-EBADF);
        assertThat(Posix.openat(Posix.AT_FDCWD, "/nonexistent/ringspec", Posix.O_RDONLY, 0)).isEqualTo(-ENOENT);
    }

    @Test
    void unameAndGettidAnswerForThisProcess() throws IOException {
        assertThat(Posix.kernelRelease()).isEqualTo(Files.readString(Path.of("/proc/sys/kernel/osrelease")).strip());
        assertThat(Posix.gettid()).isPositive();
        // Reading the flag is harmless; setting it would be irreversible for this test JVM.
        assertThat(Posix.getNoNewPrivs()).isIn(0, 1);
    }
}
