package dev.ringspec.guest.machine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ringspec.guest.kernel.KernelImage;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Boots real Debian kernels under QEMU with a stand-in /init. Needs QEMU, gcc -static and the archive (or cache). */
@Tag("guest")
class GuestBootTest {
    @TempDir
    Path dir;

    @BeforeEach
    void qemu() {
        GuestTests.assumeQemu();
    }

    private static String ask(GuestChannel channel, char request, int replyBytes) throws IOException {
        channel.writeFully(ByteBuffer.wrap(new byte[] {(byte) request}));
        ByteBuffer reply = ByteBuffer.allocate(replyBytes);
        channel.readFully(reply);
        return new String(reply.array(), StandardCharsets.US_ASCII);
    }

    private static String release(GuestChannel channel) throws IOException {
        channel.writeFully(ByteBuffer.wrap(new byte[] {'u'}));
        StringBuilder text = new StringBuilder();
        ByteBuffer one = ByteBuffer.allocate(1);
        while (true) {
            one.clear();
            channel.readFully(one);
            if (one.get(0) == '\n') {
                return text.toString();
            }
            text.append((char) one.get(0));
        }
    }

    @ParameterizedTest
    @MethodSource("dev.ringspec.guest.machine.GuestTests#specs")
    void eachKernelBootsAndItsInitSaysHelloThroughThePort(String spec) throws Exception {
        KernelImage kernel = GuestTests.kernel(spec);
        try (GuestMachine machine = GuestMachine.boot(kernel, Initramfs.of(GuestTests.testInit(), kernel.modules()),
                GuestMachine.Options.defaults())) {
            GuestChannel channel = machine.channel();
            assertThat(release(channel)).isEqualTo(kernel.release());
            assertThat(ask(channel, 'r', 1) + ask(channel, 'i', 1) + ask(channel, 'n', 1) + ask(channel, 'g', 1))
                    .isEqualTo("ring");
            System.out.printf("guest boot: %s -> %s (release %s, %d modules), %s, hello after %d ms%n", spec,
                    kernel.describe(), kernel.release(), kernel.modules().size(), machine.accelerator(),
                    machine.bootTime().toMillis());
            channel.writeFully(ByteBuffer.wrap(new byte[] {'p'}));
            assertThat(machine.waitForExit(Duration.ofSeconds(60))).as("QEMU exits after poweroff").isTrue();
            assertThat(machine.exitStatus()).contains(0);
        }
    }

    @Test
    void aGuestWhoseInitExitsMidRunIsReportedWithThePanic() throws Exception {
        KernelImage kernel = GuestTests.kernel("debian:6.12");
        try (GuestMachine machine = GuestMachine.boot(kernel.image(), GuestTests.initramfs(dir, kernel),
                GuestMachine.Options.defaults())) {
            GuestChannel channel = machine.channel();
            channel.writeFully(ByteBuffer.wrap(new byte[] {'x'}));
            assertThatThrownBy(() -> channel.readFully(ByteBuffer.allocate(1)))
                    .isInstanceOfSatisfying(GuestDiedException.class, e -> assertThat(e.consoleTail()).isNotEmpty())
                    .hasMessageStartingWith("the guest's kernel panicked while the host was talking to it (Kernel"
                            + " panic - not syncing: Attempted to kill init");
            assertThat(machine.isAlive()).isFalse();
        }
    }

    @Test
    void aKilledQemuIsReportedOnTheChannel() throws Exception {
        KernelImage kernel = GuestTests.kernel("debian:6.12");
        try (GuestMachine machine = GuestMachine.boot(kernel.image(), GuestTests.initramfs(dir, kernel),
                GuestMachine.Options.defaults())) {
            ProcessHandle.of(machine.pid()).orElseThrow().destroyForcibly();
            assertThatThrownBy(() -> machine.channel().readFully(ByteBuffer.allocate(1)))
                    .isInstanceOf(GuestDiedException.class)
                    .hasMessageStartingWith("the guest stopped while the host was talking to it (QEMU exited with");
        }
    }

    @Test
    void aGuestThatNeverSaysHelloIsGivenUpAfterTheBootTimeout() throws Exception {
        KernelImage kernel = GuestTests.kernel("debian:6.12");
        Path initrd = GuestTests.initramfs(dir, kernel, "hang");
        // 45 s: on a loaded 2-core machine a healthy boot has taken 20 s to reach /init.
        long start = System.nanoTime();
        assertThatThrownBy(() -> GuestMachine.boot(kernel.image(), initrd,
                GuestMachine.Options.defaults().withBootTimeout(Duration.ofSeconds(45))))
                .isInstanceOfSatisfying(GuestBootException.class,
                        // The firmware's "Booting from ROM..." may share the line: it ends without a newline.
                        e -> assertThat(e.consoleTail()).last().asString()
                                .endsWith("test-init: hanging, as /hang asks"))
                .hasMessageStartingWith("the guest (kernel vmlinuz) did not say hello within 45 s");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(70));
        assertThat(qemusWith(dir)).as("QEMU processes left for this test's initrd").isZero();
    }

    @Test
    void aKernelThatPanicsAtBootIsReportedWithItsPanicLine() throws Exception {
        KernelImage kernel = GuestTests.kernel("debian:6.12");
        Path initrd = GuestTests.initramfs(dir, kernel, "fail");
        assertThatThrownBy(() -> GuestMachine.boot(kernel.image(), initrd, GuestMachine.Options.defaults()))
                .isInstanceOf(GuestBootException.class)
                .hasMessageStartingWith("the kernel panicked while booting (Kernel panic - not syncing: Attempted"
                        + " to kill init");
    }

    @Test
    void aCorruptKernelImageFailsWithinTheBootTimeout() throws Exception {
        KernelImage kernel = GuestTests.kernel("debian:6.12");
        Path corrupt = Files.copy(kernel.image(), dir.resolve("vmlinuz-corrupt"));
        try (RandomAccessFile file = new RandomAccessFile(corrupt.toFile(), "rw")) {
            // Overwrite 64 KiB in the middle of the compressed kernel; the header stays valid.
            byte[] noise = new byte[1 << 16];
            new Random(3).nextBytes(noise);
            file.seek(file.length() / 2);
            file.write(noise);
        }
        Path initrd = GuestTests.initramfs(dir, kernel);
        long start = System.nanoTime();
        assertThatThrownBy(() -> GuestMachine.boot(corrupt, initrd,
                GuestMachine.Options.defaults().withBootTimeout(Duration.ofSeconds(20))))
                .isInstanceOf(GuestBootException.class)
                .hasMessageStartingWith("the kernel vmlinuz-corrupt printed nothing within 20 s after the firmware"
                        + " started it: is the image corrupt?");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(40));
        assertThat(qemusWith(dir)).isZero();
    }

    @Test
    void aFileThatIsNoKernelIsRefusedBeforeQemuStarts() throws Exception {
        byte[] noise = new byte[1 << 20];
        new Random(4).nextBytes(noise);
        Path notAKernel = Files.write(dir.resolve("notakernel"), noise);
        Path initrd = Files.write(dir.resolve("initrd"), new byte[512]);
        long start = System.nanoTime();
        assertThatThrownBy(() -> GuestMachine.boot(notAKernel, initrd, GuestMachine.Options.defaults()))
                .isInstanceOf(GuestBootException.class)
                .hasMessage(notAKernel + " is not an x86 kernel image (it has no bzImage boot header): name a"
                        + " bzImage or vmlinuz.");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(30));
        assertThat(qemusWith(dir)).isZero();
    }

    /** QEMU processes whose command line names a file under {@code dir}. */
    static long qemusWith(Path dir) {
        return ProcessHandle.allProcesses().filter(process -> process.info().commandLine()
                .map(line -> line.contains("qemu-system") && line.contains(dir.toString())).orElse(false)).count();
    }
}
