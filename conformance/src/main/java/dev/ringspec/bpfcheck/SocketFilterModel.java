package dev.ringspec.bpfcheck;

import dev.ringspec.bpf.BpfMutant;
import dev.ringspec.bpf.CheckResult;
import dev.ringspec.bpf.ClassicBpf;
import dev.ringspec.bpf.ClassicProgram;
import dev.ringspec.bpf.RunResult;
import dev.ringspec.uapi.SockFilter;
import java.util.List;
import java.util.Set;

/** The spec-model's classic BPF as a socket filter on an AF_UNIX datagram, with a set of mutants (none: the kernel). */
public final class SocketFilterModel implements BpfModel {
    private final Set<BpfMutant> mutants;

    private SocketFilterModel(Set<BpfMutant> mutants) {
        this.mutants = Set.copyOf(mutants);
    }

    public static SocketFilterModel of(Set<BpfMutant> mutants) {
        return new SocketFilterModel(mutants);
    }

    @Override
    public String name() {
        return mutants.isEmpty() ? "model" : "model with " + mutants;
    }

    @Override
    public CheckResult check(List<SockFilter> program) {
        return ClassicBpf.checkSocketFilter(program, mutants);
    }

    @Override
    public RunResult run(List<SockFilter> program, byte[] packet) {
        return ClassicBpf.runOnDatagram(ClassicProgram.of(program), packet, mutants);
    }
}
