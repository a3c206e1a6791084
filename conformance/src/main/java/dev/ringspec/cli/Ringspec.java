package dev.ringspec.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code ringspec} command line.
 *
 * <p>Exit status ({@link ExitStatus}): 0 when the command did its job, 1 when a check found a new divergence, 2 for a
 * usage error, 3 when a guest kernel failed (did not boot, died, stopped answering), and 77 when io_uring or a
 * guest kernel cannot be used on this machine (the usual "skipped" of test harnesses).
 */
@Command(name = "ringspec", mixinStandardHelpOptions = true, version = "ringspec 0.1.0",
        description = "An executable specification of io_uring ring semantics, checked against this kernel.",
        subcommands = {CapsCommand.class, CheckCommand.class, BpfCheckCommand.class, RunCommand.class, ExplainCommand.class, CommandLine.HelpCommand.class},
        exitCodeListHeading = "%nExit status:%n",
        exitCodeList = {"0:done; a check found nothing new", "1:a check found a new divergence",
            "2:usage error: a bad option, an unknown kernel spec, a missing or non-kernel image file",
            "3:a guest kernel failed: it did not boot, it died, or its agent stopped answering (the console's last"
                    + " lines are printed)",
            "77:cannot run here: io_uring disabled, blocked or absent, QEMU missing, or the kernel could not be"
                    + " downloaded",
            "matrix:check --kernel A,B,... exits as its worst kernel, 2 before 3 before 1 before 77 before 0"})
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
