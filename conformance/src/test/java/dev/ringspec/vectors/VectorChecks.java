package dev.ringspec.vectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.abort;

import dev.ringspec.fixtures.vectors.Vector;
import dev.ringspec.fixtures.vectors.Vectors;
import dev.ringspec.seam.Backend;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;

/**
 * Every shipped vector on each of a list of backends, one dynamic test per backend and vector: it passes when every
 * expectation holds, fails listing each failed one with its line, and is skipped with the reason where the backend
 * lacks what the vector requires. A tally per backend (passed, skipped, failed, milliseconds) is kept for the log.
 */
final class VectorChecks {
    private final Map<String, int[]> tally = new ConcurrentHashMap<>();
    private final Map<String, Long> nanos = new ConcurrentHashMap<>();

    /** A container per backend holding a test per vector. */
    Stream<DynamicNode> tests(List<Backend> backends) {
        List<Vector> vectors = Vectors.all();
        return backends.stream().map(backend -> DynamicContainer.dynamicContainer(backend.name(),
                vectors.stream().map(v -> DynamicTest.dynamicTest(v.name(), () -> check(v, backend)))));
    }

    private void check(Vector vector, Backend backend) {
        int[] counts = tally.computeIfAbsent(backend.name(), n -> new int[3]);
        long start = System.nanoTime();
        VectorResult result;
        try {
            result = VectorRunner.run(vector, backend);
        } finally {
            nanos.merge(backend.name(), System.nanoTime() - start, Long::sum);
        }
        switch (result) {
            case VectorResult.Skipped(String reason) -> {
                counts[1]++;
                abort(reason);
            }
            case VectorResult.Ran(List<VectorResult.Failure> failures) -> {
                counts[failures.isEmpty() ? 0 : 2]++;
                assertThat(failures).as("%s on %s:%n%s", vector.name(), backend.name(), failures.stream()
                        .map(Object::toString).collect(Collectors.joining("\n"))).isEmpty();
            }
        }
    }

    /** One line per backend: passed, skipped and failed vectors, and the time they took. */
    String summary() {
        StringBuilder b = new StringBuilder();
        new TreeMap<>(tally).forEach((name, c) -> b.append(String.format("vectors on %-18s passed %3d, skipped %3d, "
                + "failed %3d, %6d ms%n", name, c[0], c[1], c[2], nanos.getOrDefault(name, 0L) / 1_000_000)));
        return b.toString();
    }
}
