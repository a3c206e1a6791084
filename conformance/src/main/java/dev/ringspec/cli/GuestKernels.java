package dev.ringspec.cli;

import dev.ringspec.capabilities.CapabilityProbe;
import dev.ringspec.capabilities.KernelCapabilities;
import dev.ringspec.guest.GuestKernel;
import dev.ringspec.guest.GuestUnavailableException;
import dev.ringspec.guest.agent.AgentException;
import dev.ringspec.guest.kernel.KernelImage;
import dev.ringspec.guest.kernel.KernelImageException;
import dev.ringspec.guest.kernel.KernelImages;
import dev.ringspec.guest.kernel.KernelSpec;
import dev.ringspec.guest.machine.GuestBootException;
import dev.ringspec.guest.machine.GuestDiedException;
import dev.ringspec.seam.UserMemory;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.util.Optional;

/** {@code --kernel SPEC}: boots the kernel in QEMU for a command, and turns what can go wrong into one sentence. */
final class GuestKernels {
    private GuestKernels() {
    }

    /** Told of each guest a command booted, before the command uses it (a test reaches the guest through it). */
    static volatile java.util.function.Consumer<GuestKernel> booted = guest -> { };

    /** What a command does with a booted guest and user memory the guest mirrors; answers the exit status. */
    interface Job {
        int run(GuestKernel guest, UserMemory memory) throws Exception;
    }

    /**
     * The guest's capabilities, or null after printing one sentence when io_uring cannot be used in it (disabled by
     * {@code kernel.io_uring_disabled} or not built in): that kernel is unavailable ({@link ExitStatus#UNAVAILABLE}),
     * not divergent.
     */
    static KernelCapabilities probe(GuestKernel guest, UserMemory memory, String spec, PrintWriter err) {
        try {
            return CapabilityProbe.probe(guest.backend(memory), memory);
        } catch (IllegalStateException e) {
            err.println("ringspec: io_uring cannot be used in the guest kernel " + spec + " ("
                    + guest.session().release() + "): " + e.getMessage()
                    + " (is it disabled by kernel.io_uring_disabled, or not built in?)");
            err.flush();
            return null;
        }
    }

    /** A spec that cannot name a kernel, in one sentence, before anything is downloaded or booted; or empty. */
    static Optional<String> badSpec(String spec) {
        KernelSpec parsed;
        try {
            parsed = KernelSpec.parse(spec);
        } catch (IllegalArgumentException e) {
            return Optional.of(e.getMessage());
        }
        if (parsed instanceof KernelSpec.File file && !Files.exists(file.image())) {
            return Optional.of("no such kernel image: " + file.image() + " (name a bzImage or vmlinuz, or "
                    + "debian:6.1, debian:6.12, debian:7.2 or debian:7.3)");
        }
        return Optional.empty();
    }

    /**
     * Boots {@code spec}, runs the job and stops the guest (also when this JVM is interrupted: the guest machine's
     * shutdown hook stops QEMU). Each failure prints one sentence, with the console's last lines where the guest
     * got that far, and answers its {@link ExitStatus}.
     */
    static int withGuest(String spec, PrintWriter err, Job job) throws Exception {
        Optional<String> bad = badSpec(spec);
        if (bad.isPresent()) {
            err.println("ringspec: " + bad.get());
            err.flush();
            return ExitStatus.USAGE;
        }
        try {
            KernelImage image = KernelImages.inUserCache().resolve(spec);
            try (GuestKernel guest = GuestKernel.boot(image); UserMemory memory = new UserMemory()) {
                booted.accept(guest);
                return job.run(guest, memory);
            }
        } catch (GuestUnavailableException e) {
            err.println("ringspec: " + e.getMessage());
            return ExitStatus.UNAVAILABLE;
        } catch (KernelImageException e) {
            err.println("ringspec: " + e.getMessage());
            return ExitStatus.USAGE;
        } catch (GuestBootException | GuestDiedException e) {
            // the message is the sentence and the console's last lines
            err.println("ringspec: the guest kernel " + spec + " failed: " + e.getMessage());
            return ExitStatus.GUEST_FAILED;
        } catch (AgentException e) {
            err.println("ringspec: the guest kernel " + spec + " stopped answering: " + e.getMessage());
            return ExitStatus.GUEST_FAILED;
        } catch (IOException e) {
            err.println("ringspec: the guest kernel " + spec + " could not be prepared: " + e.getMessage());
            return ExitStatus.GUEST_FAILED;
        } finally {
            err.flush();
        }
    }
}
