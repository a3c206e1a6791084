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
 * The reference model as backends, one per {@link KernelProfile}: {@code model-6.18}, {@code model-6.19},
 * {@code model-7.0} and {@code model-7.1}. Each opens a {@link ModelIoUring} over the caller's user memory, with
 * the default {@link FdTable} (every descriptor {@code >= 0} is open); its process hands out descriptor numbers
 * the model therefore treats as open files, and lets no_new_privs be set (the model does not check it).
 */
public final class ModelBackendProvider implements BackendProvider {
    private static final List<KernelProfile> PROFILES = List.of(KernelProfile.LINUX_6_18, KernelProfile.LINUX_6_19,
            KernelProfile.LINUX_7_0, KernelProfile.LINUX_7_1);

    @Override
    public List<Backend> backends() {
        return PROFILES.stream().map(ModelBackendProvider::backend).toList();
    }

    /** The model with {@code profile}, named {@code model-<version>}. */
    public static Backend backend(KernelProfile profile) {
        return Backend.model("model-" + profile.version(), memory -> new ModelIoUring(profile, memory))
                .withDescription("model, profile " + profile.version())
                .withProcess(new ModelProcess());
    }

    /**
     * Descriptors for a model: numbers from 100 up (below the model's own ring descriptors), open until closed.
     * The model's default {@link FdTable} does not consult them: to it every non-negative descriptor is open.
     */
    private static final class ModelProcess implements BackendProcess {
        private final AtomicInteger next = new AtomicInteger(100);
        private final Set<Integer> open = ConcurrentHashMap.newKeySet();

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
            return open.remove(fd) ? 0 : -EBADF;
        }

        @Override
        public int setNoNewPrivs() {
            return 0;
        }
    }
}
