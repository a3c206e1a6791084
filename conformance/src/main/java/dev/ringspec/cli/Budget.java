package dev.ringspec.cli;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;

/**
 * The deep mode's budget ({@code check --budget 30m}, {@code 2h}, {@code 90s}, or {@code 500000steps}): generated
 * runs go on until the time or the step count is spent, instead of stopping after {@code --runs}.
 *
 * @param time the wall-clock time of one kernel's generated runs, or null
 * @param steps the checked steps of one kernel's runs, or 0
 * @param text as given
 */
record Budget(Duration time, long steps, String text) {
    private static final Pattern FORM = Pattern.compile("(\\d{1,9})(s|m|h|steps)");

    /** Reads a budget; a form it does not know is a usage error naming the forms it does. */
    static final class Converter implements CommandLine.ITypeConverter<Budget> {
        @Override
        public Budget convert(String value) {
            Matcher m = FORM.matcher(value.strip());
            if (!m.matches() || Long.parseLong(m.group(1)) == 0) {
                throw new CommandLine.TypeConversionException("'" + value + "' is no budget; give a time (90s, 30m, "
                        + "2h) or a step count (500000steps), more than 0");
            }
            long n = Long.parseLong(m.group(1));
            return switch (m.group(2)) {
                case "s" -> new Budget(Duration.ofSeconds(n), 0, value.strip());
                case "m" -> new Budget(Duration.ofMinutes(n), 0, value.strip());
                case "h" -> new Budget(Duration.ofHours(n), 0, value.strip());
                default -> new Budget(null, n, value.strip());
            };
        }
    }

    /** Whether a kernel's runs that started at {@code startNanos} and checked {@code stepsSoFar} steps spent it. */
    boolean spent(long startNanos, long stepsSoFar) {
        return time != null ? System.nanoTime() - startNanos >= time.toNanos() : stepsSoFar >= steps;
    }
}
