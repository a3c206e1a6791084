package dev.ringspec.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code ringspec} command line.
 *
 * <p>Exit status: 0 when the command did its job, 1 when a check found a problem, 2 for a usage error, and 77 when
 * io_uring cannot be used on this machine (disabled, blocked or absent; the usual "skipped" of test harnesses).
 */
@Command(name = "ringspec", mixinStandardHelpOptions = true, version = "ringspec 0.1.0",
        description = "An executable specification of io_uring ring semantics, checked against this kernel.",
        subcommands = {CapsCommand.class, CheckCommand.class, RunCommand.class, CommandLine.HelpCommand.class},
        exitCodeListHeading = "%nExit status:%n",
        exitCodeList = {"0:done", "1:a check found a problem", "2:usage error",
            "77:io_uring cannot be used here (disabled, blocked or absent)"})
public final class Ringspec implements Runnable {
    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the command line and returns its exit status (for tests). */
    public static int run(String... args) {
        return new CommandLine(new Ringspec()).execute(args);
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}
