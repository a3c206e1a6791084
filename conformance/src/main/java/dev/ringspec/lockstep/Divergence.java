package dev.ringspec.lockstep;

import dev.ringspec.seam.Cqe;
import dev.ringspec.seam.CqeReader;
import dev.ringspec.seam.RingObservation;
import java.util.ArrayList;
import java.util.List;
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
        RingObservation reference, RingObservation subject, int referenceSqFlagsBefore, Set<String> referenceNotes) {

    public Divergence {
        referenceNotes = Set.copyOf(referenceNotes);
    }

    /** A divergence whose step started with the reference's SQ flags as they ended, with no notes. */
    public Divergence(int step, Step op, String field, String referenceValue, String subjectValue, RingObservation reference,
            RingObservation subject) {
        this(step, op, field, referenceValue, subjectValue, reference, subject, reference.sqFlags(), Set.of());
    }

    /** A divergence with no notes from the reference. */
    public Divergence(int step, Step op, String field, String referenceValue, String subjectValue, RingObservation reference,
            RingObservation subject, int referenceSqFlagsBefore) {
        this(step, op, field, referenceValue, subjectValue, reference, subject, referenceSqFlagsBefore, Set.of());
    }

    /** What a shrink must preserve, and what the catalogue matches: the kind of step and the field. */
    public String signature() {
        return kind(op) + ":" + field;
    }

    /**
     * The CQEs the engine compared in {@code o}: those an application may read, as {@link CqeReader} reads them; or,
     * where the CQ is malformed (its head moved beyond its tail, say), the raw slots from the head, at most one
     * ring's worth, as the byte comparison saw them.
     */
    static List<Cqe> visibleCqes(RingObservation o) {
        if (!o.exists()) {
            return List.of();
        }
        CqeReader.CqeRead read = o.cqes();
        if (read instanceof CqeReader.CqeRead.WellFormed) {
            return read.cqes().stream().map(CqeReader.VisibleCqe::cqe).toList();
        }
        int n = (int) Math.min(o.cqDistance(), o.cqEntries());
        List<Cqe> slots = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            slots.add(o.cqSlots().get((o.cqHead() + i) & (o.cqEntries() - 1)));
        }
        return slots;
    }

    static String kind(Step op) {
        return op instanceof Step.OnOtherThread(Step inner) ? "otherThread." + kind(inner)
                : op.getClass().getSimpleName();
    }
}
