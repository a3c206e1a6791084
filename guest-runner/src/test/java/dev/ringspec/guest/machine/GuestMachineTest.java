package dev.ringspec.guest.machine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ringspec.guest.GuestUnavailableException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The machine's failures where a real QEMU is not needed: small shell scripts stand in for it. */
class GuestMachineTest {
    @TempDir
    Path dir;

    private Path file(String name) throws IOException {
        return Files.writeString(dir.resolve(name), "not booted by a fake");
    }

    /** A file with a valid x86 boot header (Documentation/arch/x86/boot.rst), which the fakes never boot. */
    private Path fakeKernel() throws IOException {
        ByteBuffer image = ByteBuffer.allocate(3 * 512 + 16).order(ByteOrder.LITTLE_ENDIAN);
        image.put(0x1f1, (byte) 2);
        image.putInt(0x1f4, 1);
        image.putShort(0x1fe, (short) 0xaa55);
        image.put(0x202, "HdrS".getBytes(StandardCharsets.US_ASCII));
        image.putShort(0x206, (short) 0x020f);
        return Files.write(dir.resolve("vmlinuz"), image.array());
    }

    private Path fakeQemu(String body) throws IOException {
        Path script = dir.resolve("fake-qemu");
        Files.writeString(script, "#!/bin/sh\n" + body + "\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwx------"));
        return script;
    }

    @Test
    void missingQemuIsOneSentenceSayingWhatToInstall() throws IOException {
        Path kernel = file("vmlinuz");
        Path initrd = file("initrd");
        for (String qemu : new String[] {"qemu-system-x86_64-not-installed", dir.resolve("nope").toString()}) {
            assertThatThrownBy(() -> GuestMachine.boot(kernel, initrd,
                    GuestMachine.Options.defaults().withQemu(qemu)))
                    .isInstanceOfSatisfying(GuestUnavailableException.class, e -> {
                        assertThat(e.reason()).isEqualTo(GuestUnavailableException.Reason.QEMU_MISSING);
                        assertThat(e.exitCode()).isEqualTo(77);
                    })
                    .hasMessageStartingWith("QEMU is not installed")
                    .hasMessageEndingWith("install it with `apt-get install qemu-system-x86`.")
                    .hasMessageNotContaining("\n");
        }
    }

    @Test
    void qemuRefusingTheImageIsReportedWithItsOwnWords() throws IOException {
        Path qemu = fakeQemu("echo 'qemu-system-x86_64: Error loading uncompressed kernel without PVH ELF Note' >&2\n"
                + "exit 1");
        Path kernel = fakeKernel();
        assertThatThrownBy(() -> GuestMachine.boot(kernel, file("initrd"),
                GuestMachine.Options.defaults().withQemu(qemu.toString())))
                .isInstanceOf(GuestBootException.class)
                .hasMessageStartingWith("QEMU refused to boot the guest (status 1): qemu-system-x86_64: Error loading"
                        + " uncompressed kernel without PVH ELF Note")
                .hasMessageContaining("the console printed nothing");
    }

    /**
     * Where /dev/kvm opens but QEMU cannot run a vCPU with it (nested virtualisation; this machine: "failed to set
     * MSR 0x10a", status 134), the boot is made again under TCG, and later boots start there.
     */
    @Test
    void aKvmThatQemuCannotUseFallsBackToTcg() throws IOException {
        fallsBackToTcg("  echo 'qemu-system-x86_64: error: failed to set MSR 0x10a to 0x69' >&2\n"
                + "  echo '../../target/i386/kvm/kvm.c:3183: kvm_buf_set_msrs: Assertion failed.' >&2\n"
                + "  exit 134;;\n");
    }

    /**
     * Where /dev/kvm opens and QEMU takes it, but KVM cannot run the guest (nested virtualisation; this machine since
     * 2026-11-27: "KVM internal error. Suberror: 1", QEMU staying with the guest paused and nothing on the console),
     * the boot is made again under TCG at once, not after the boot timeout.
     */
    @Test
    void aKvmThatStopsTheGuestFallsBackToTcgAtOnce() throws IOException {
        long start = System.nanoTime();
        fallsBackToTcg("  echo 'KVM internal error. Suberror: 1' >&2\n"
                + "  echo 'extra data[0]: 0x0000000000000001' >&2\n"
                + "  exec sleep 300;;\n");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(60));
    }

    /**
     * Where KVM stalls the kernel in silence before QEMU says anything (this machine, Debian's 6.1: the boot stub's
     * "Probing EDD ... ok", then 45 to 60 s of nothing before "KVM internal error"), the boot is made again under TCG
     * once the console has been silent for {@link GuestMachine#kvmSilence}, not after the boot timeout.
     */
    @Test
    void aKvmGuestSilentOnItsConsoleFallsBackToTcgAfterTheSilence() throws IOException {
        Duration before = GuestMachine.kvmSilence;
        GuestMachine.kvmSilence = Duration.ofSeconds(2);
        try {
            long start = System.nanoTime();
            fallsBackToTcg("  for a in \"$@\"; do case \"$a\" in file,id=console,path=*) c=${a#file,id=console,path=};;"
                    + " esac; done\n"
                    + "  echo 'Probing EDD (edd=off to disable)... ok' > \"$c\"\n"
                    + "  exec sleep 300;;\n");
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(60));
        } finally {
            GuestMachine.kvmSilence = before;
        }
    }

    /**
     * A boot with a fake QEMU that runs {@code underKvm} (a shell case branch) when asked for KVM and refuses with
     * status 3 under TCG: the boot answers TCG's refusal, and later boots detect TCG. Skips where /dev/kvm does not
     * open.
     */
    private void fallsBackToTcg(String underKvm) throws IOException {
        boolean before = GuestMachine.Accelerator.kvmRefused;
        GuestMachine.Accelerator.kvmRefused = false;
        try {
            assumeTrue(GuestMachine.Accelerator.detect() == GuestMachine.Accelerator.KVM,
                    "/dev/kvm does not open here: QEMU is never asked for KVM");
            Path qemu = fakeQemu("case \"$*\" in *'-accel kvm'*)\n" + underKvm + "esac\n"
                    + "echo 'qemu-system-x86_64: under tcg' >&2\n"
                    + "exit 3");
            assertThatThrownBy(() -> GuestMachine.boot(fakeKernel(), file("initrd"),
                    GuestMachine.Options.defaults().withQemu(qemu.toString())))
                    .isInstanceOf(GuestBootException.class)
                    .hasMessageStartingWith("QEMU refused to boot the guest (status 3): qemu-system-x86_64: under tcg");
            assertThat(GuestMachine.Accelerator.detect()).isEqualTo(GuestMachine.Accelerator.TCG);
        } finally {
            GuestMachine.Accelerator.kvmRefused = before;
        }
    }

    @Test
    void aQemuThatNeverAnswersIsStoppedAfterTheBootTimeout() throws IOException {
        // Writes a console line where the real one would, then sleeps; its pid goes to a file to check it is gone.
        Path pidFile = dir.resolve("fake.pid");
        Path qemu = fakeQemu("echo $$ > " + pidFile + "\n"
                + "for a in \"$@\"; do case \"$a\" in file,id=console,path=*) c=${a#file,id=console,path=};; esac;"
                + " done\n"
                + "echo 'Booting the kernel.' > \"$c\"\n"
                + "exec sleep 600");
        Path kernel = fakeKernel();
        long start = System.nanoTime();
        assertThatThrownBy(() -> GuestMachine.boot(kernel, file("initrd"),
                GuestMachine.Options.defaults().withQemu(qemu.toString()).withBootTimeout(Duration.ofSeconds(2))))
                .isInstanceOfSatisfying(GuestBootException.class,
                        e -> assertThat(e.consoleTail()).containsExactly("Booting the kernel."))
                .hasMessageStartingWith("the guest (kernel vmlinuz) did not say hello within 2 s")
                .hasMessageEndingWith("the console's last lines:\n  Booting the kernel.");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(15));
        long pid = Long.parseLong(Files.readString(pidFile).strip());
        assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)).as("fake QEMU stopped").isFalse();
    }

    @Test
    void optionsRefuseNonsense() {
        GuestMachine.Options defaults = GuestMachine.Options.defaults();
        assertThatThrownBy(() -> defaults.withBootTimeout(Duration.ZERO)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new GuestMachine.Options("q", 16, Duration.ofSeconds(1), "", null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("64 MiB");
    }

    @Test
    void consoleTailKeepsTheLastNonEmptyLinesWithoutCarriageReturns() throws IOException {
        StringBuilder console = new StringBuilder();
        for (int i = 1; i <= 30; i++) {
            console.append("line ").append(i).append("\r\n\r\n");
        }
        Path log = Files.writeString(dir.resolve("console.log"), console);
        assertThat(GuestMachine.lastLines(log, 3)).containsExactly("line 28", "line 29", "line 30");
        assertThat(GuestMachine.lastLines(dir.resolve("absent"), 3)).isEmpty();
        Path bios = Files.writeString(dir.resolve("bios.log"), "\u001bcSeaBIOS\n\u001b[2J\u001b[0;1mBooting\u0007\n");
        assertThat(GuestMachine.lastLines(bios, 5)).containsExactly("SeaBIOS", "Booting");
    }
}
