package dev.ringspec.bpfcheck;

import dev.ringspec.bpf.CheckResult;
import dev.ringspec.bpf.RunResult;
import dev.ringspec.nativerunner.SocketFilterKernel;
import dev.ringspec.uapi.Errno;
import dev.ringspec.uapi.SockFilter;
import java.util.List;

/**
 * One case on the model and on this kernel, compared: the checker's verdict (accepted, or the same errno), then for
 * an accepted program the interpreter's result, observed exactly through {@link Instrumentation}. A case whose
 * verdict or run the model calls outside the model is counted and skipped, never compared loosely.
 */
public final class BpfOracle {
    /** Programs longer than this are attached alone (see {@link #attach}). */
    private static final int DETACH_ABOVE = 256;

    private final SocketFilterKernel kernel;
    private final BpfModel model;
    private int attachedLength;

    public BpfOracle(SocketFilterKernel kernel, BpfModel model) {
        this.kernel = kernel;
        this.model = model;
    }

    public BpfModel model() {
        return model;
    }

    /** What a case came to. */
    public sealed interface Verdict {
        /** Both sides agree. {@code exact} is false where the run was observed by its length only. */
        record Agreed(CheckResult check, RunResult run, boolean exact) implements Verdict {
        }

        /** The model cannot decide this case; the reason says why. */
        record Outside(String reason) implements Verdict {
        }

        /** The sides differ. */
        record Differed(Difference difference) implements Verdict {
        }
    }

    /** Where the sides part. */
    public enum Kind {
        /** The checker's verdict: accepted against rejected, or another errno. */
        CHECK,
        /** The interpreter's result on the packet. */
        RESULT,
        /** The instrumented program of an accepted one was refused: the instrumentation's fault or the kernel's. */
        INSTRUMENTED_REFUSED
    }

    /** A difference: its kind, each side's answer in words, and the instrumented program that showed it. */
    public record Difference(Kind kind, String model, String kernel, List<SockFilter> instrumented) {
        @Override
        public String toString() {
            return kind + ": model " + model + "; kernel " + kernel;
        }
    }

    public Verdict check(BpfCase c) {
        List<SockFilter> program = c.program();
        CheckResult expected = model.check(program);
        if (!expected.accepted() && !expected.rejected()) {
            return new Verdict.Outside("check: " + expected);
        }
        RunResult run = expected.accepted() ? model.run(program, c.packet()) : null;
        Instrumentation.Instrumented instrumented = run != null && run.insideModel()
                ? Instrumentation.instrument(program, run, c.packetLength()) : null;
        // Where the instrumentation only changed the K of RET K instructions, the kernel's verdict on it is its
        // verdict on the original (bpf_check_classic never reads a RET's K, bpf_convert_filter emits two
        // instructions for every RET K): one attach tells both, and the JIT runs once instead of twice.
        boolean sameShape = instrumented != null && Instrumentation.sameShape(program, instrumented.program());
        int attach = attach(sameShape ? instrumented.program() : program);
        if (attach != expected.result()) {
            return new Verdict.Differed(new Difference(Kind.CHECK, expected.toString(), Errno.describe(attach),
                    null));
        }
        if (run == null) {
            return new Verdict.Agreed(expected, null, true);
        }
        if (instrumented == null) {
            return new Verdict.Outside("run: " + run.note());
        }
        if (!sameShape) {
            int again = attach(instrumented.program());
            if (again != 0) {
                // The epilogue can push a long program past what the kernel converts (a JA beyond S16_MAX eBPF
                // instructions, or past optmem_max); where the model refuses it too, the original runs as it is.
                CheckResult refused = model.check(instrumented.program());
                if (refused.accepted() || refused.result() != again) {
                    return new Verdict.Differed(new Difference(Kind.INSTRUMENTED_REFUSED, refused.toString(),
                            Errno.describe(again), instrumented.program()));
                }
                instrumented = Instrumentation.uninstrumented(program, run, c.packetLength());
                attach(program);
            }
        }
        SocketFilterKernel.Delivery delivery = kernel.deliver(c.packet());
        if (delivery.sent() != c.packetLength() || delivery.received() != instrumented.expectedReceive()) {
            return new Verdict.Differed(new Difference(Kind.RESULT, run + ", so the instrumented program's datagram is "
                    + instrumented.describeExpected(), delivery.toString(), instrumented.program()));
        }
        return new Verdict.Agreed(expected, run, instrumented.exact());
    }

    /** Whether {@code c} differs in the same way as {@code kind}: what the shrinker keeps. */
    public boolean differsAs(BpfCase c, Kind kind) {
        return check(c) instanceof Verdict.Differed(Difference d) && d.kind() == kind;
    }

    /**
     * Attaches {@code program}, first detaching the filter before it where either is long, so that the charge
     * against {@code net.core.optmem_max} is the new program's alone, as on the fresh socket the model assumes.
     */
    private int attach(List<SockFilter> program) {
        if (attachedLength > DETACH_ABOVE || attachedLength > 0 && program.size() > DETACH_ABOVE) {
            kernel.detach();
            attachedLength = 0;
        }
        int r = kernel.attach(program);
        if (r == 0) {
            attachedLength = program.size();
        }
        return r;
    }
}
