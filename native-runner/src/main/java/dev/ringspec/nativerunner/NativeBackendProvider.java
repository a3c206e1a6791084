package dev.ringspec.nativerunner;

import dev.ringspec.seam.Backend;
import dev.ringspec.seam.BackendProcess;
import dev.ringspec.seam.BackendProvider;
import java.util.List;

/**
 * The kernel this JVM runs on as the backend {@code native}: {@link NativeIoUring}, available where
 * {@link IoUringAvailability} says io_uring can be used (and otherwise skipped with its reason), with this JVM's
 * process for descriptors and no_new_privs.
 */
public final class NativeBackendProvider implements BackendProvider {

    /** This JVM's process, through {@link Posix}. */
    public static final BackendProcess PROCESS = new BackendProcess() {
        @Override
        public int[] pipe() {
            return Posix.pipe(Posix.O_CLOEXEC);
        }

        @Override
        public int close(int fd) {
            return Posix.close(fd);
        }

        @Override
        public int setNoNewPrivs() {
            return Posix.setNoNewPrivs();
        }
    };

    @Override
    public List<Backend> backends() {
        return List.of(backend());
    }

    /** The running kernel, named {@code native}. */
    public static Backend backend() {
        return Backend.kernel("native", memory -> new NativeIoUring())
                .withDescription("Linux " + Posix.kernelRelease() + " (FFM)")
                .withAvailability(() -> {
                    IoUringAvailability a = IoUringAvailability.probe();
                    return new Backend.Availability(a.available(), a.reason());
                })
                .withProcess(PROCESS);
    }
}
