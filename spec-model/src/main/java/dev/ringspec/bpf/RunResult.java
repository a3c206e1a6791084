package dev.ringspec.bpf;

import java.util.Objects;

/**
 * How a run of a classic program ended and what the kernel's filter function returns.
 *
 * @param ending why the program stopped
 * @param value the 32-bit value the kernel's run returns (an unsigned {@code u32} in an int): the RET operand, 0
 *        after a failed load or a division by zero, A when an ancillary device load finds no device; 0 and
 *        meaningless outside the model
 * @param executed classic instructions executed, the last one included
 * @param note why the run is outside the model, or null
 */
public record RunResult(Ending ending, int value, int executed, String note) {
    public enum Ending {
        /** A {@code RET K} or {@code RET A} ended the program. */
        RETURNED,
        /** A packet or context load was out of range: the converted program returns 0. */
        LOAD_FAILED,
        /** {@code DIV X} or {@code MOD X} with X = 0: the converted program returns 0. */
        DIVIDED_BY_ZERO,
        /** {@code SKF_AD_IFINDEX} or {@code SKF_AD_HATYPE} on an skb without a device: returns A as it is. */
        NO_DEVICE,
        /** The result depends on something the model does not know; the note says what. */
        OUTSIDE_MODEL
    }

    public RunResult {
        Objects.requireNonNull(ending, "ending");
        if ((ending == Ending.OUTSIDE_MODEL) != (note != null)) {
            throw new IllegalArgumentException("a note, and only a note, explains a run outside the model");
        }
        if (executed < 0) {
            throw new IllegalArgumentException("executed is a count: " + executed);
        }
    }

    public static RunResult returned(int value, int executed) {
        return new RunResult(Ending.RETURNED, value, executed, null);
    }

    public static RunResult outsideModel(String note, int executed) {
        return new RunResult(Ending.OUTSIDE_MODEL, 0, executed, Objects.requireNonNull(note, "note"));
    }

    public boolean insideModel() {
        return ending != Ending.OUTSIDE_MODEL;
    }

    /** The returned value widened without sign, as the kernel's {@code u32}. */
    public long unsignedValue() {
        return Integer.toUnsignedLong(value);
    }

    @Override
    public String toString() {
        return ending == Ending.OUTSIDE_MODEL
                ? "outside the model after " + executed + " insns: " + note
                : ending + " " + Integer.toUnsignedString(value) + " after " + executed + " insns";
    }
}
