package dev.ringspec.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code ringspec} command line. Its exit statuses are one table for every command ({@link ExitStatus#TABLE}),
 * printed at the end of each command's {@code --help}.
 */
@Command(name = "ringspec", mixinStandardHelpOptions = true, version = "ringspec 0.1.0",
        description = "An executable specification of io_uring ring semantics, checked against this kernel.",
        subcommands = {CapsCommand.class, CheckCommand.class, BpfCheckCommand.class, RunCommand.class, FuzzCommand.class,
            ExplainCommand.class, HostCommand.class, GuestRunCommand.class, CommandLine.HelpCommand.class},
        exitCodeListHeading = "%nExit status (every command; check --kernel A,B,... exits as its worst kernel, in the "
                + "order 2, 3, 4, 1, 65, 77, 0):%n")
public final class Ringspec implements Callable<Integer> {
    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        // a progress bar where standard output is a terminal; plain progress lines everywhere else
        ConsoleScreen.installIfTerminal(System.getenv());
        System.exit(run(args));
    }

    /** Runs the command line and returns its exit status (for tests). */
    public static int run(String... args) {
        return commandLine().execute(args);
    }

    /**
     * The command line with the exit-status table on every command's help, and every numeric option's value checked
     * to be a whole number of 0 or more (a negative budget, seed or timeout is a usage error, as a word is).
     */
    static CommandLine commandLine() {
        CommandLine cli = new CommandLine(new Ringspec());
        cli.registerConverter(Integer.class, v -> (int) NonNegative.parse(v, Integer.MAX_VALUE));
        cli.registerConverter(Integer.TYPE, v -> (int) NonNegative.parse(v, Integer.MAX_VALUE));
        cli.registerConverter(Long.class, v -> NonNegative.parse(v, Long.MAX_VALUE));
        cli.registerConverter(Long.TYPE, v -> NonNegative.parse(v, Long.MAX_VALUE));
        // a bad option in one sentence and where to read more, not the whole usage
        cli.setParameterExceptionHandler((e, args) -> {
            CommandLine c = e.getCommandLine();
            c.getErr().println("ringspec: " + e.getMessage());
            c.getErr().println("(ringspec " + (c == cli ? "" : c.getCommandName() + " ") + "--help lists the options)");
            c.getErr().flush();
            return ExitStatus.USAGE;
        });
        // host: everything after PROGRAM is the program's, options included
        cli.getSubcommands().get("host").setStopAtPositional(true);
        String heading = cli.getCommandSpec().usageMessage().exitCodeListHeading();
        for (CommandLine c : commands(cli)) {
            c.getCommandSpec().usageMessage().exitCodeListHeading(heading).exitCodeList(ExitStatus.helpList());
        }
        return cli;
    }

    private static java.util.List<CommandLine> commands(CommandLine root) {
        java.util.List<CommandLine> all = new java.util.ArrayList<>();
        all.add(root);
        root.getSubcommands().values().forEach(sub -> all.addAll(commands(sub)));
        return all;
    }

    /** No command: the usage on standard error, and a usage error (a script that forgot the command must not pass). */
    @Override
    public Integer call() {
        CommandLine cli = spec.commandLine();
        cli.getErr().println("ringspec: name a command (check, caps, bpf-check, fuzz, explain, run, host, help)");
        cli.usage(cli.getErr());
        cli.getErr().flush();
        return ExitStatus.USAGE;
    }

    /** Numeric option values: whole numbers from 0 up. */
    static final class NonNegative {
        private NonNegative() {
        }

        static long parse(String value, long max) {
            long v;
            try {
                v = Long.parseLong(value.strip());
            } catch (NumberFormatException e) {
                throw new CommandLine.TypeConversionException("'" + value + "' is not a whole number");
            }
            if (v < 0) {
                throw new CommandLine.TypeConversionException("'" + value + "' is negative; give 0 or more");
            }
            if (v > max) {
                throw new CommandLine.TypeConversionException("'" + value + "' is larger than " + max);
            }
            return v;
        }
    }
}
