package dev.ringspec.lockstep;

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
 */
public record Divergence(int step, Op op, String field, String referenceValue, String subjectValue,
        RingState reference, RingState subject, int referenceSqFlagsBefore) {

    /** A divergence whose step started with the reference's SQ flags as they ended. */
    public Divergence(int step, Op op, String field, String referenceValue, String subjectValue, RingState reference,
            RingState subject) {
        this(step, op, field, referenceValue, subjectValue, reference, subject, reference.sqFlags());
    }

    /** What a shrink must preserve, and what the catalogue matches: the kind of step and the field. */
    public String signature() {
        return kind(op) + ":" + field;
    }

    static String kind(Op op) {
        return op instanceof Op.OnOtherThread(Op inner) ? "otherThread." + kind(inner)
                : op.getClass().getSimpleName();
    }
}
