package dev.ringspec.bpfcheck;

import dev.ringspec.bpf.CheckResult;
import dev.ringspec.bpf.RunResult;
import dev.ringspec.uapi.SockFilter;
import java.util.List;

/** The model's side of the oracle: a socket filter's checker and a run on a datagram. */
public interface BpfModel {
    /** For reports: {@code "model"}, or the mutant's name. */
    String name();

    /** What {@code SO_ATTACH_FILTER} answers for {@code program}. */
    CheckResult check(List<SockFilter> program);

    /** The run of {@code program} (which {@link #check} accepted) on {@code packet}. */
    RunResult run(List<SockFilter> program, byte[] packet);
}
