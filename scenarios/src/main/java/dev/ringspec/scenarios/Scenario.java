package dev.ringspec.scenarios;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A scenario: a test method with one {@link dev.ringspec.seam.Backend} parameter, run once for every selected
 * backend ({@link Scenarios#backends()}), and skipped with the reason on a backend that cannot run here.
 */
@Target(ElementType.METHOD)
@Retention(RetentionPolicy.RUNTIME)
@ParameterizedTest(name = "{0}")
@MethodSource("dev.ringspec.scenarios.Scenarios#backends")
@ExtendWith(SkipUnavailableBackend.class)
public @interface Scenario {
}
