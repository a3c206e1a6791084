package dev.ringspec.invariants;

/** One invariant that did not hold after a step: which, at which step of the run, and what was seen. */
public record Violation(RingInvariant invariant, int step, String detail) {

    @Override
    public String toString() {
        return invariant.name() + " after step " + step + ": " + detail;
    }
}
