package dev.ringspec.vectors;

import java.util.List;

/** What running a vector on a backend gave: skipped with the reason, or run with every expectation that failed. */
public sealed interface VectorResult {

    /** The backend lacks what the vector requires (or has what it must lack), in one sentence. */
    record Skipped(String reason) implements VectorResult {
    }

    /** The vector ran; {@code failures} is empty when every expectation held. */
    record Ran(List<Failure> failures) implements VectorResult {
        public Ran {
            failures = List.copyOf(failures);
        }
    }

    /** One expectation that did not hold (or a step that could not run): the vector's line, its text, and why. */
    record Failure(int line, String text, String message) {
        @Override
        public String toString() {
            return "line " + line + " `" + text.strip() + "`: " + message;
        }
    }
}
