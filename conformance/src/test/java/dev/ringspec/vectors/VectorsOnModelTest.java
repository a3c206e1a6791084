package dev.ringspec.vectors;

import dev.ringspec.seam.Backend;
import dev.ringspec.seam.BackendRegistry;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.TestFactory;

/** Every vector on every profile of the model (6.1 to 7.3): the ones whose features a profile lacks are skipped. */
class VectorsOnModelTest {
    private static final VectorChecks CHECKS = new VectorChecks();

    @TestFactory
    Stream<DynamicNode> vectorsOnEveryModelProfile() {
        return CHECKS.tests(BackendRegistry.registered().stream().filter(b -> b.kind() == Backend.Kind.MODEL)
                .toList());
    }

    @AfterAll
    static void printTally() {
        System.out.print(CHECKS.summary());
    }
}
