package dev.ringspec.seam;

import java.lang.foreign.MemorySegment;

/**
 * A backend that passes every call to another ({@link #kernel}), for a wrapper that changes or watches a few of them
 * (a test's perturbed or held-up kernel, the JUnit extension's tracking of open rings) and overrides only those.
 */
public abstract class ForwardingIoUringKernel implements IoUringKernel {
    /** The backend every call goes to. */
    protected final IoUringKernel kernel;

    protected ForwardingIoUringKernel(IoUringKernel kernel) {
        this.kernel = java.util.Objects.requireNonNull(kernel);
    }

    @Override
    public String description() {
        return kernel.description();
    }

    @Override
    public String release() {
        return kernel.release();
    }

    @Override
    public SetupResult setup(int entries, MemorySegment params) {
        return kernel.setup(entries, params);
    }

    @Override
    public int enter(Ring ring, int toSubmit, int minComplete, int flags, MemorySegment arg, long argSizeBytes) {
        return kernel.enter(ring, toSubmit, minComplete, flags, arg, argSizeBytes);
    }

    @Override
    public int register(Ring ring, int opcode, MemorySegment arg, int nrArgs) {
        return kernel.register(ring, opcode, arg, nrArgs);
    }

    @Override
    public int registerWithoutRing(int opcode, MemorySegment arg, int nrArgs) {
        return kernel.registerWithoutRing(opcode, arg, nrArgs);
    }

    @Override
    public int setNoNewPrivs() {
        return kernel.setNoNewPrivs();
    }

    @Override
    public int forkTask(boolean dropCapSysAdmin) {
        return kernel.forkTask(dropCapSysAdmin);
    }

    @Override
    public int freshTask() {
        return kernel.freshTask();
    }

    @Override
    public int close(Ring ring) {
        return kernel.close(ring);
    }
}
