package dev.ringspec.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/**
 * One exit-status table for every command: the same in README.md and in every command's {@code --help}, and each
 * command's usage errors end with its usage status, in one sentence, before anything runs.
 */
class ExitCodesTest {
    @TempDir
    Path tmp;

    private record Outcome(int status, String out, String err) {
    }

    private static Outcome run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = Ringspec.commandLine();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        int status = cli.execute(args);
        return new Outcome(status, out.toString(), err.toString());
    }

    /** README.md, two directories up from the module the tests run in. */
    private static String readme() throws Exception {
        return Files.readString(Path.of("..", "README.md"));
    }

    @Test
    void readmeHoldsTheTableOfEveryStatus() throws Exception {
        String readme = readme();
        assertThat(readme).contains(ExitStatus.markdown());
        // every status a command can end with, and the interrupt's 128 + SIGINT
        assertThat(ExitStatus.TABLE).extracting(ExitStatus.Row::status)
                .containsExactly(0, 1, 2, 3, 4, 65, 77, 78, 130);
        for (String situation : List.of("nothing new", "catalogue knows", "new divergence", "usage error",
                "guest kernel failed", "splat", "bad input", "cannot run here", "no JDK 25", "interrupted")) {
            assertThat(ExitStatus.TABLE).as(situation).anyMatch(r -> r.meaning().contains(situation));
        }
    }

    @Test
    void everyCommandsHelpEndsWithTheTable() {
        for (String command : List.of("", "check", "caps", "bpf-check", "run", "host")) {
            Outcome o = command.isEmpty() ? run("--help") : run(command, "--help");
            assertThat(o.status()).as(command).isZero();
            for (ExitStatus.Row row : ExitStatus.TABLE) {
                assertThat(o.out()).as(command).containsPattern("(?m)^  " + row.status() + " +"
                        + java.util.regex.Pattern.quote(row.meaning().substring(0, 20)));
            }
        }
    }

    @Test
    void noCommandIsAUsageErrorWithTheUsageOnStandardError() {
        Outcome o = run();
        assertThat(o.status()).isEqualTo(ExitStatus.USAGE).isNotZero();
        assertThat(o.out()).isEmpty();
        assertThat(o.err()).contains("name a command", "Usage: ringspec", "Exit status");
    }

    @Test
    void anUnknownOptionIsAUsageErrorInEveryCommand() {
        for (String command : List.of("check", "caps", "bpf-check", "run")) {
            Outcome o = run(command, "--no-such-option");
            assertThat(o.status()).as(command).isEqualTo(ExitStatus.USAGE);
            // run takes any word as its program, so its first complaint is the missing --kernel
            assertThat(o.err()).as(command).startsWith("ringspec: ")
                    .contains(command.equals("run") ? "--kernel" : "--no-such-option").doesNotContain("Exception");
        }
    }

    /** Every numeric option of every command, given a negative number or a word, is a usage error. */
    @Test
    void everyNegativeOrNonNumericOptionValueIsAUsageError() {
        Map<String, CommandLine> commands = Ringspec.commandLine().getSubcommands();
        List<String> tried = new ArrayList<>();
        for (Map.Entry<String, CommandLine> c : commands.entrySet()) {
            for (OptionSpec option : c.getValue().getCommandSpec().options()) {
                Class<?> type = option.type();
                if (type != int.class && type != long.class && type != Integer.class && type != Long.class) {
                    continue;
                }
                for (String value : List.of("-1", "-9223372036854775808", "ten", "1.5", "")) {
                    List<String> args = new ArrayList<>(List.of(c.getKey(), option.longestName() + "=" + value));
                    if (c.getKey().equals("run")) {
                        args.addAll(List.of("--kernel", "debian:7.2", "/bin/true"));
                    }
                    Outcome o = run(args.toArray(String[]::new));
                    assertThat(o.status()).as(args.toString()).isEqualTo(ExitStatus.USAGE);
                    assertThat(o.err()).as(args.toString()).contains(option.longestName()).doesNotContain("Usage:");
                }
                tried.add(c.getKey() + " " + option.longestName());
            }
        }
        assertThat(tried).contains("check --shrink-seconds", "check --runs", "check --seed", "check --steps",
                "bpf-check --programs", "run --timeout-seconds");
    }

    @Test
    void aMissingReplayDirectoryOrAnOutThatIsAFileIsAUsageError() throws Exception {
        Path missing = tmp.resolve("no-such-dir");
        for (String command : List.of("check", "bpf-check")) {
            Outcome o = run(command, "--replay-dir", missing.toString());
            assertThat(o.status()).as(command).isEqualTo(ExitStatus.USAGE);
            assertThat(o.err()).contains("no such replay directory: " + missing.toAbsolutePath());
            Path file = Files.writeString(tmp.resolve("a-file"), "x");
            o = run(command, "--out", file.toString());
            assertThat(o.status()).as(command).isEqualTo(ExitStatus.USAGE);
            assertThat(o.err()).contains(file.toAbsolutePath() + " is a file");
        }
        Outcome relative = run("check", "--replay-dir", "relative/no-such-dir");
        assertThat(relative.err()).contains(Path.of("relative/no-such-dir").toAbsolutePath().toString());
    }

    @Test
    void aMatrixPicksItsWorstInTheTablesOrder() {
        assertThat(ExitStatus.worst(ExitStatus.DIVERGENCE, ExitStatus.BAD_INPUT)).isEqualTo(ExitStatus.DIVERGENCE);
        assertThat(ExitStatus.worst(ExitStatus.BAD_INPUT, ExitStatus.UNAVAILABLE)).isEqualTo(ExitStatus.BAD_INPUT);
        assertThat(ExitStatus.worst(ExitStatus.OK, ExitStatus.BAD_INPUT)).isEqualTo(ExitStatus.BAD_INPUT);
        assertThat(ExitStatus.worst(ExitStatus.SPLAT, ExitStatus.DIVERGENCE)).isEqualTo(ExitStatus.SPLAT);
        assertThat(ExitStatus.worst(ExitStatus.GUEST_FAILED, ExitStatus.SPLAT)).isEqualTo(ExitStatus.GUEST_FAILED);
    }

    @Test
    void theDefaultOutputDirectoryIsTheUsersStateDirectoryNeverTheWorkingDirectory() {
        assertThat(Places.out(null, Map.of("XDG_STATE_HOME", "/s"), "/home/u")).isEqualTo(Path.of("/s/ringspec"));
        // a relative XDG_STATE_HOME is ignored, as the XDG base directory specification says
        assertThat(Places.out(null, Map.of("XDG_STATE_HOME", "rel"), "/home/u"))
                .isEqualTo(Path.of("/home/u/.local/state/ringspec"));
        assertThat(Places.out(null, Map.of(), "/home/u")).isEqualTo(Path.of("/home/u/.local/state/ringspec"));
        assertThat(Places.out(Path.of("mine"), Map.of(), "/home/u")).isAbsolute()
                .isEqualTo(Path.of("mine").toAbsolutePath());
    }
}
