package dev.ringspec.seam;

import java.util.List;

/**
 * How a module offers its backends: a {@link java.util.ServiceLoader} service, named in the module's
 * {@code META-INF/services/dev.ringspec.seam.BackendProvider}, with a public no-argument constructor. spec-model
 * offers the model with each profile, native-runner the kernel this JVM runs on; a guest kernel and the emulator
 * join the same way, and {@link BackendRegistry} finds every provider on the class path.
 */
public interface BackendProvider {

    /**
     * The backends this module offers, available here or not (an unavailable one says why through
     * {@link Backend#availability()}). Listing must be cheap: probe nothing, boot nothing.
     */
    List<Backend> backends();
}
