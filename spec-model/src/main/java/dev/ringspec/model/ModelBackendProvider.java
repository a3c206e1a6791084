package dev.ringspec.model;

import static dev.ringspec.uapi.Errno.EBADF;

import dev.ringspec.seam.Backend;
import dev.ringspec.seam.BackendProcess;
import dev.ringspec.seam.BackendProvider;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The reference model as backends, one per {@link KernelProfile}: {@code model-6.1}, {@code model-6.12},
 * {@code model-6.18}, {@code model-6.19}, {@code model-7.0}, {@code model-7.1}, {@code model-7.2} and
 * {@code model-7.3}. Each opens a {@link ModelIoUring} over the caller's user memory, with
 * an {@link ProcessDescriptorTable} that knows its process: descriptor numbers handed out by {@code pipe()} are open until
 * closed, every other descriptor {@code >= 0} is open as by default; no_new_privs may be set here, but it is
 * {@link ModelIoUring#setNoNewPrivs} that sets a model task's bit (the model's tasks have CAP_SYS_ADMIN, so per-task
 * restrictions pass the privilege check either way).
 */
public final class ModelBackendProvider implements BackendProvider {
    private static final List<KernelProfile> PROFILES = List.of(KernelProfile.LINUX_6_1, KernelProfile.LINUX_6_12,
            KernelProfile.LINUX_6_18, KernelProfile.LINUX_6_19, KernelProfile.LINUX_7_0, KernelProfile.LINUX_7_1,
            KernelProfile.LINUX_7_2, KernelProfile.LINUX_7_3);

    @Override
    public List<Backend> backends() {
        return PROFILES.stream().map(ModelBackendProvider::backend).toList();
    }

    /** The model with {@code profile}, named {@code model-<version>}. */
    public static Backend backend(KernelProfile profile) {
        ModelProcess process = new ModelProcess();
        return Backend.model("model-" + profile.version(),
                        memory -> new ModelIoUring(profile, memory).withProcessDescriptors(process::isOpen))
                .withDescription("model, profile " + profile.version())
                .withProcess(process);
    }

    /**
     * Descriptors for a model: numbers from 100 up (below the model's own ring descriptors), open until closed.
     * As the model's {@link ProcessDescriptorTable}, every other non-negative descriptor counts as open, as by default.
     */
    private static final class ModelProcess implements BackendProcess {
        private final AtomicInteger next = new AtomicInteger(100);
        private final Set<Integer> open = ConcurrentHashMap.newKeySet();
        private final Set<Integer> closed = ConcurrentHashMap.newKeySet();

        boolean isOpen(int fd) {
            return fd >= 0 && !closed.contains(fd);
        }

        @Override
        public int[] pipe() {
            int read = next.getAndIncrement();
            int write = next.getAndIncrement();
            open.add(read);
            open.add(write);
            return new int[] {read, write};
        }

        @Override
        public int close(int fd) {
            if (!open.remove(fd)) {
                return -EBADF;
            }
            closed.add(fd);
            return 0;
        }

        @Override
        public int setNoNewPrivs() {
            return 0;
        }
    }
}
