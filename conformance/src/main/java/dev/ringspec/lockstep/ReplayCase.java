package dev.ringspec.lockstep;

import java.util.List;

/**
 * A shrunk diverging case as saved on disk (JSON) and replayed first on every later run, on every kernel: the
 * exact steps, not just the seed.
 *
 * @param seed the seed of the run that found it
 * @param reference the reference backend's name when it was found
 * @param subject the subject backend's name when it was found
 * @param kernelRelease the kernel release it was found on
 * @param signature {@link Divergence#signature()}
 * @param divergentStep the step that diverged (the last one)
 * @param referenceValue the reference's value of the field
 * @param subjectValue the subject's value of the field
 * @param steps the steps
 */
public record ReplayCase(long seed, String reference, String subject, String kernelRelease, String signature,
        int divergentStep, String referenceValue, String subjectValue, List<Step> steps) {

    public ReplayCase {
        if (steps == null || steps.isEmpty()) {
            throw new IllegalArgumentException("a replay needs at least one step");
        }
        for (int i = 0; i < steps.size(); i++) {
            if (steps.get(i) == null) {
                throw new IllegalArgumentException("step " + i + " is null");
            }
        }
        if (signature == null) {
            throw new IllegalArgumentException("a replay needs its signature");
        }
        steps = List.copyOf(steps);
    }

    /** A file name that says what diverged: {@code enter-CqTail-seed-42.json}. */
    public String fileName() {
        return signature.replace(':', '-').replaceAll("[^A-Za-z0-9.-]", "_") + "-seed-" + Long.toUnsignedString(seed)
                + ".json";
    }
}
