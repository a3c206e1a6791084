package dev.ringspec.lockstep;

import dev.ringspec.seam.FlagNames;
import dev.ringspec.seam.U32;
import java.util.function.ToIntFunction;

/**
 * The words of a side's ring the engine reads after every step, without copying the ring: the syscall's result and
 * the SQ and CQ counters and flags in the order of the kernel's fdinfo ({@link Word}). The whole observation of a
 * ring ({@link dev.ringspec.seam.RingObservation}: sizes, pending SQEs, every CQE slot) is taken where a step
 * diverges, for the report and the catalogue.
 */
public record Counters(boolean exists, int result, int sqHead, int sqTail, int sqDropped, int sqFlags, int cqHead,
        int cqTail, int cqOverflow, int cqFlags) {

    /** No ring: a failed setup, or before the first. */
    public static Counters none(int result) {
        return new Counters(false, result, 0, 0, 0, 0, 0, 0, 0, 0);
    }

    /** The ring words an application can read, by the names a divergence reports them under. */
    public enum Word {
        SQ_HEAD("SqHead", Counters::sqHead),
        SQ_TAIL("SqTail", Counters::sqTail),
        SQ_DROPPED("SqDropped", Counters::sqDropped),
        SQ_FLAGS("SqFlags", Counters::sqFlags),
        CQ_HEAD("CqHead", Counters::cqHead),
        CQ_TAIL("CqTail", Counters::cqTail),
        CQ_OVERFLOW("CqOverflow", Counters::cqOverflow),
        CQ_FLAGS("CqFlags", Counters::cqFlags);

        private final String field;
        private final ToIntFunction<Counters> read;

        Word(String field, ToIntFunction<Counters> read) {
            this.field = field;
            this.read = read;
        }

        /** The field name of a divergence in this word ({@link Divergence#field()}). */
        public String field() {
            return field;
        }

        public int of(Counters o) {
            return read.applyAsInt(o);
        }

        /** The value as a report prints it: SQ flags by name, counters as unsigned numbers. */
        public String describe(int value) {
            return this == SQ_FLAGS ? FlagNames.sqFlags(value) : String.valueOf(U32.value(value));
        }

        /** The word whose field name is {@code field}. */
        public static Word byField(String field) {
            for (Word w : values()) {
                if (w.field.equals(field)) {
                    return w;
                }
            }
            throw new IllegalArgumentException("no ring word " + field);
        }
    }
}
