package dev.ringspec.guest;

import dev.ringspec.guest.agent.AgentBinary;
import dev.ringspec.guest.agent.AgentChannel;
import dev.ringspec.guest.agent.AgentSession;
import dev.ringspec.guest.kernel.KernelImage;
import dev.ringspec.guest.kernel.KernelImageException;
import dev.ringspec.guest.kernel.KernelImages;
import dev.ringspec.guest.machine.GuestBootException;
import dev.ringspec.guest.machine.GuestMachine;
import dev.ringspec.guest.machine.Initramfs;
import dev.ringspec.seam.UserMemory;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * A kernel booted in QEMU with the agent as its /init, ready to serve the seam: {@link #backend} gives an
 * {@link dev.ringspec.seam.IoUringKernel} over it. Closing it stops the guest.
 */
public final class GuestKernel implements AutoCloseable {
    private static final Duration CALL_TIMEOUT =
            Duration.ofSeconds(Long.getLong("ringspec.guest.callTimeoutSeconds", 60));

    private final KernelImage image;
    private final GuestMachine machine;
    private final AgentSession session;

    private GuestKernel(KernelImage image, GuestMachine machine, AgentSession session) {
        this.image = image;
        this.machine = machine;
        this.session = session;
    }

    /** Resolves {@code spec} ({@code debian:7.2}, or a bzImage path), downloading it if needed, and boots it. */
    public static GuestKernel boot(String spec)
            throws GuestUnavailableException, KernelImageException, GuestBootException, IOException {
        return boot(KernelImages.inUserCache().resolve(spec));
    }

    public static GuestKernel boot(KernelImage image) throws GuestUnavailableException, GuestBootException,
            IOException {
        Path dir = Files.createTempDirectory("ringspec-initramfs-");
        Path initrd = dir.resolve("initrd.gz");
        try {
            Initramfs.of(AgentBinary.path(), image.modules()).write(initrd, true);
            GuestMachine machine = GuestMachine.boot(image.image(), initrd, GuestMachine.Options.defaults());
            try {
                AgentSession session = AgentSession.openGreeted(new MachineChannel(machine, image), CALL_TIMEOUT);
                return new GuestKernel(image, machine, session);
            } catch (RuntimeException e) {
                machine.close();
                throw e;
            }
        } finally {
            Files.deleteIfExists(initrd);
            Files.deleteIfExists(dir);
        }
    }

    /** The seam over this guest's kernel, mirroring {@code memory} (may be null) there. */
    public GuestIoUring backend(UserMemory memory) {
        return new GuestIoUring(session, memory);
    }

    public AgentSession session() {
        return session;
    }

    public KernelImage image() {
        return image;
    }

    /** From QEMU's start to the agent's hello. */
    public Duration bootTime() {
        return machine.bootTime();
    }

    /** "TCG" or "KVM". */
    public String accelerator() {
        return machine.accelerator().name();
    }

    @Override
    public void close() {
        session.close();
        machine.close();
    }

    /** The agent's channel over the guest's virtio-serial port; killing it stops QEMU. */
    private static final class MachineChannel implements AgentChannel {
        private final GuestMachine machine;
        private final KernelImage image;
        private final InputStream in;
        private final OutputStream out;

        MachineChannel(GuestMachine machine, KernelImage image) {
            this.machine = machine;
            this.image = image;
            this.in = new BufferedInputStream(Channels.newInputStream(machine.channel()), 1 << 16);
            this.out = Channels.newOutputStream(machine.channel());
        }

        @Override
        public String description() {
            return "a QEMU guest of " + image.describe() + ", " + machine.accelerator();
        }

        @Override
        public InputStream in() {
            return in;
        }

        @Override
        public OutputStream out() {
            return out;
        }

        @Override
        public void kill() {
            machine.close();
        }

        @Override
        public String deathDetail() {
            Optional<Integer> status = machine.exitStatus();
            List<String> tail = machine.consoleTail();
            String console = String.join(" / ", tail.subList(Math.max(0, tail.size() - 3), tail.size()));
            return status.map(s -> "QEMU exited with status " + s).orElse("")
                    + (console.isBlank() ? "" : (status.isPresent() ? "; " : "") + "console: " + console);
        }
    }
}
