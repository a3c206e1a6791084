package dev.ringspec.guest.kernel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class DebianVersionTest {
    @Test
    void ordersAsDebPolicySays() {
        // Each pair: the first sorts before the second (deb-version(7) and Debian Policy 5.6.12 examples).
        List<List<String>> ascending = List.of(
                List.of("7.3~rc7-1~exp1", "7.3-1"),
                List.of("1.0~rc1", "1.0"),
                List.of("~~", "~~a"),
                List.of("~", ""),
                List.of("1.0", "1.0a"),
                List.of("1.0a", "1.0+b1"),
                List.of("6.1.192-1", "6.1.192-2"),
                List.of("6.1.192-2", "6.12.117-1"),
                List.of("6.12.9-1", "6.12.10-1"),
                List.of("6.12.115+deb13-1", "6.12.115+deb13.1-1"),
                List.of("9.9", "1:0.1"),
                List.of("1.01", "1.2"));
        for (List<String> pair : ascending) {
            assertThat(DebianVersion.compare(pair.get(0), pair.get(1))).as("%s < %s", pair.get(0), pair.get(1))
                    .isNegative();
            assertThat(DebianVersion.compare(pair.get(1), pair.get(0))).as("%s > %s", pair.get(1), pair.get(0))
                    .isPositive();
        }
        assertThat(DebianVersion.compare("1.001", "1.1")).isZero();
        assertThat(DebianVersion.compare("0:6.1-1", "6.1-1")).isZero();
    }

    @Test
    void agreesWithDpkgOnRandomVersions() throws IOException, InterruptedException {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/dpkg")), "dpkg is not installed: no oracle to compare with");
        Random random = new Random(8);
        String alphabet = "0123456789.~+-ab";
        for (int i = 0; i < 60; i++) {
            String a = randomVersion(random, alphabet);
            String b = randomVersion(random, alphabet);
            Process lt = new ProcessBuilder("dpkg", "--compare-versions", a, "lt", b).start();
            Process eq = new ProcessBuilder("dpkg", "--compare-versions", a, "eq", b).start();
            int expected = lt.waitFor() == 0 ? -1 : eq.waitFor() == 0 ? 0 : 1;
            assertThat(Integer.signum(DebianVersion.compare(a, b))).as("%s vs %s", a, b).isEqualTo(expected);
        }
    }

    private static String randomVersion(Random random, String alphabet) {
        StringBuilder version = new StringBuilder().append(random.nextInt(10));
        int length = random.nextInt(8);
        for (int i = 0; i < length; i++) {
            char c = alphabet.charAt(random.nextInt(alphabet.length()));
            version.append(c == '-' ? '.' : c);
        }
        if (random.nextBoolean()) {
            version.append('-').append(random.nextInt(4)).append(random.nextBoolean() ? "~exp1" : "");
        }
        return version.toString();
    }
}
