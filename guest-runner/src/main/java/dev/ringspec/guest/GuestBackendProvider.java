package dev.ringspec.guest;

import static dev.ringspec.uapi.Errno.ENOSYS;

import dev.ringspec.guest.agent.AgentTask;
import dev.ringspec.guest.kernel.KernelImageException;
import dev.ringspec.guest.kernel.KernelSpec;
import dev.ringspec.guest.machine.GuestBootException;
import dev.ringspec.nativerunner.Posix;
import dev.ringspec.seam.Backend;
import dev.ringspec.seam.BackendProcess;
import dev.ringspec.seam.BackendProvider;
import dev.ringspec.seam.BackendRegistry;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Guest kernels as opt-in backends: {@code guest:debian:6.1}, {@code guest:debian:6.12}, {@code guest:debian:7.2}
 * and {@code guest:debian:7.3}, selected only when named ({@code -Dringspec.backends=guest:debian:7.2}), because
 * each boots a virtual machine. A selection may also name {@code guest:} followed by a kernel image's path when the
 * path is one word of letters, digits, dots, dashes and underscores ({@code guest:/opt/k/bzImage} is not, as the
 * registry's names have no slash; copy or link the image to a plain name in the working directory).
 *
 * <p>One guest per spec and JVM, booted on the first need (the backend's availability check), shared by every test
 * class that uses it, and stopped when the JVM exits. Where QEMU or the kernel cannot be had, the backend is
 * unavailable with that sentence, and tests over it skip; a kernel that does not boot is an error, not a skip.
 *
 * <p>The guest's process: pipes are made in this JVM and mirrored into the agent (see
 * {@link dev.ringspec.guest.agent.AgentSession#mirrorFileTable()}), so their numbers name pipes there too;
 * no_new_privs is not offered ({@code -ENOSYS}), since it is irreversible for the agent's task.
 */
public final class GuestBackendProvider implements BackendProvider {

    /** What a guest backend's name starts with. */
    public static final String PREFIX = "guest:";

    private static final Map<String, Booted> GUESTS = new LinkedHashMap<>();

    /** A guest booted for a spec, or why it could not be. */
    private record Booted(GuestKernel guest, Backend.Availability availability, RuntimeException failure) {
    }

    @Override
    public List<Backend> backends() {
        TreeSet<String> specs = new TreeSet<>();
        for (String series : KernelSpec.DEBIAN_SERIES.keySet()) {
            specs.add("debian:" + series);
        }
        String selection = System.getProperty(BackendRegistry.SELECTION_PROPERTY);
        if (selection != null) {
            for (String name : selection.split(",")) {
                String n = name.strip();
                if (n.startsWith(PREFIX) && n.length() > PREFIX.length() && n.matches("[A-Za-z0-9._:-]+")) {
                    specs.add(n.substring(PREFIX.length()));
                }
            }
        }
        List<Backend> backends = new ArrayList<>();
        for (String spec : specs) {
            backends.add(backend(spec));
        }
        return backends;
    }

    /** The guest of {@code spec} as a backend named {@code guest:SPEC}. */
    public static Backend backend(String spec) {
        return Backend.kernel(PREFIX + spec, memory -> guest(spec).backend(memory))
                .withDescription("a QEMU guest of " + spec)
                .withAvailability(() -> booted(spec).availability())
                .withProcess(new MirroredProcess(spec))
                .optIn();
    }

    /** The guest of {@code spec}, booting it on first use; stopped at JVM exit. */
    static GuestKernel guest(String spec) {
        Booted b = booted(spec);
        if (b.failure() != null) {
            throw b.failure();
        }
        if (b.guest() == null) {
            throw new IllegalStateException("guest " + spec + " cannot run here: " + b.availability().reason());
        }
        return b.guest();
    }

    private static synchronized Booted booted(String spec) {
        Booted b = GUESTS.get(spec);
        if (b == null) {
            b = boot(spec);
            GUESTS.put(spec, b);
        }
        if (b.failure() != null) {
            throw b.failure();
        }
        return b;
    }

    private static Booted boot(String spec) {
        try {
            GuestKernel guest = GuestKernel.boot(spec);
            Runtime.getRuntime().addShutdownHook(Thread.ofPlatform().unstarted(guest::close));
            return new Booted(guest, Backend.Availability.AVAILABLE, null);
        } catch (GuestUnavailableException e) {
            return new Booted(null, Backend.Availability.unavailable(e.getMessage()), null);
        } catch (KernelImageException | GuestBootException | IOException | IllegalArgumentException e) {
            return new Booted(null, Backend.Availability.unavailable(e.getMessage()),
                    new IllegalStateException("guest " + spec + " could not be started: " + e.getMessage(), e));
        }
    }

    /** Pipes made here and mirrored into the guest's agent. */
    private record MirroredProcess(String spec) implements BackendProcess {
        @Override
        public int[] pipe() {
            int[] fds = Posix.pipe(Posix.O_CLOEXEC);
            if (fds[0] >= 0) {
                guest(spec).session().mirrorFileTable();
            }
            return fds;
        }

        @Override
        public int close(int fd) {
            int result = Posix.close(fd);
            if (result == 0) {
                guest(spec).session().mirrorFileTable();
            }
            return result;
        }

        /** For the agent's task that serves the calling thread (see {@link AgentTask#NO_NEW_PRIVS}). */
        @Override
        public int setNoNewPrivs() {
            return guest(spec).session().task(AgentTask.NO_NEW_PRIVS, false);
        }
    }
}
