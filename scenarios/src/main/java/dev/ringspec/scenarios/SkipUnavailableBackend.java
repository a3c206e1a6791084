package dev.ringspec.scenarios;

import dev.ringspec.seam.Backend;
import java.lang.reflect.Method;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.InvocationInterceptor;
import org.junit.jupiter.api.extension.ReflectiveInvocationContext;
import org.opentest4j.TestAbortedException;

/**
 * Skips a scenario's run on a backend that cannot run here (io_uring disabled, blocked or absent; no QEMU for a
 * guest kernel), with the backend's own reason, so that the backend is reported rather than left out.
 */
final class SkipUnavailableBackend implements InvocationInterceptor {

    @Override
    public void interceptTestTemplateMethod(Invocation<Void> invocation,
            ReflectiveInvocationContext<Method> invocationContext, ExtensionContext extensionContext)
            throws Throwable {
        for (Object argument : invocationContext.getArguments()) {
            if (argument instanceof Backend backend && !backend.availability().available()) {
                invocation.skip();
                throw new TestAbortedException(backend.name() + " cannot run here: "
                        + backend.availability().reason());
            }
        }
        invocation.proceed();
    }
}
