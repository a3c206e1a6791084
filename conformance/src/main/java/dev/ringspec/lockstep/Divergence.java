package dev.ringspec.lockstep;

import java.util.Set;

/**
 * The first step at which the two backends disagreed on something observable.
 *
 * @param step index of the step in the executed sequence (0-based)
 * @param op the step
 * @param field what differed: {@code Result}, {@code SqHead}, ..., {@code CQEs}, {@code ParamsWriteBack}
 * @param referenceValue the reference side's value, readable
 * @param subjectValue the subject side's value, readable
 * @param reference the reference ring after the step
 * @param subject the subject ring after the step
 * @param referenceSqFlagsBefore the reference ring's SQ flags before the step (0 without a ring)
 * @param referenceNotes what the reference knows about the kernel by this step: {@code "kernelUsesStaleCqeCache"}
 *     when the model saw Linux 6.18 take a CQE slot from its stale cached range (see
 *     {@code ModelIoUring.kernelUsesStaleCqeCache})
 */
public record Divergence(int step, Step op, String field, String referenceValue, String subjectValue,
        Observation reference, Observation subject, int referenceSqFlagsBefore, Set<String> referenceNotes) {

    public Divergence {
        referenceNotes = Set.copyOf(referenceNotes);
    }

    /** A divergence whose step started with the reference's SQ flags as they ended, with no notes. */
    public Divergence(int step, Step op, String field, String referenceValue, String subjectValue, Observation reference,
            Observation subject) {
        this(step, op, field, referenceValue, subjectValue, reference, subject, reference.sqFlags(), Set.of());
    }

    /** A divergence with no notes from the reference. */
    public Divergence(int step, Step op, String field, String referenceValue, String subjectValue, Observation reference,
            Observation subject, int referenceSqFlagsBefore) {
        this(step, op, field, referenceValue, subjectValue, reference, subject, referenceSqFlagsBefore, Set.of());
    }

    /** What a shrink must preserve, and what the catalogue matches: the kind of step and the field. */
    public String signature() {
        return kind(op) + ":" + field;
    }

    static String kind(Step op) {
        return op instanceof Step.OnOtherThread(Step inner) ? "otherThread." + kind(inner)
                : op.getClass().getSimpleName();
    }
}
