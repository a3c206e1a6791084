package dev.ringspec.bpf;

import dev.ringspec.uapi.Errno;

import java.util.Objects;

/**
 * What a kernel checker answers for a classic program: accepted, rejected with an errno at an instruction, or a case
 * the model cannot decide (it depends on something the model does not know, such as the kernel's
 * {@code net.core.optmem_max} budget or the size of {@code struct bpf_prog} on this build).
 *
 * @param verdict accepted, rejected or outside the model
 * @param errno the positive errno of a rejection ({@link Errno#EINVAL}, ...), 0 otherwise
 * @param index the offending instruction, or -1 where the rule concerns the whole program
 * @param reason one sentence naming the kernel function and the rule
 */
public record CheckResult(Verdict verdict, int errno, int index, String reason) {
    public enum Verdict { ACCEPT, REJECT, OUTSIDE_MODEL }

    public static final CheckResult ACCEPTED = new CheckResult(Verdict.ACCEPT, 0, -1, "accepted");

    public CheckResult {
        Objects.requireNonNull(verdict, "verdict");
        Objects.requireNonNull(reason, "reason");
        if ((verdict == Verdict.REJECT) != (errno > 0)) {
            throw new IllegalArgumentException("a rejection, and only a rejection, has a positive errno: "
                    + verdict + " errno " + errno);
        }
        if (index < -1) {
            throw new IllegalArgumentException("index is an instruction or -1: " + index);
        }
    }

    static CheckResult reject(int errno, int index, String reason) {
        return new CheckResult(Verdict.REJECT, errno, index, reason);
    }

    static CheckResult outsideModel(String reason) {
        return new CheckResult(Verdict.OUTSIDE_MODEL, 0, -1, reason);
    }

    public boolean accepted() {
        return verdict == Verdict.ACCEPT;
    }

    public boolean rejected() {
        return verdict == Verdict.REJECT;
    }

    /** The syscall result the kernel gives: 0, or {@code -errno}; undefined (0) outside the model. */
    public int result() {
        return -errno;
    }

    @Override
    public String toString() {
        return switch (verdict) {
            case ACCEPT -> "accepted";
            case REJECT -> Errno.describe(-errno) + " at " + (index < 0 ? "program" : "insn " + index) + ": " + reason;
            case OUTSIDE_MODEL -> "outside the model: " + reason;
        };
    }
}
