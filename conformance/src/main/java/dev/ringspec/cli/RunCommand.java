package dev.ringspec.cli;

import dev.ringspec.guest.agent.AgentSession;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code ringspec run --kernel SPEC -- PROGRAM [ARGS]}: copies a static program into a guest of that kernel, runs
 * it there, and gives back its output and its exit status, as if it had run here.
 */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = "Run a static program in a guest of the given kernel; its output and exit status are ours.")
final class RunCommand implements Callable<Integer> {
    @Option(names = "--kernel", paramLabel = "SPEC", required = true, description = "debian:6.1, debian:6.12, "
            + "debian:7.2, debian:7.3 (the newest matching package), or a bzImage path.")
    private String kernel;

    @Option(names = "--timeout-seconds", description = "Kill the program after this long (default: ${DEFAULT-VALUE}).")
    private int timeoutSeconds = 600;

    @Parameters(arity = "1..*", paramLabel = "PROGRAM [ARGS]", description = "A statically linked program and its "
            + "arguments.")
    private List<String> command = new ArrayList<>();

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter err = spec.commandLine().getErr();
        Path program = Path.of(command.get(0));
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(program);
        } catch (IOException e) {
            err.println("ringspec: cannot read the program " + program + ": " + e.getMessage());
            return ExitStatus.USAGE;
        }
        if (timeoutSeconds < 1) {
            err.println("ringspec: --timeout-seconds must be at least 1");
            return ExitStatus.USAGE;
        }
        return GuestKernels.withGuest(kernel, err, (guest, memory) -> {
            String target = "/tmp/" + program.getFileName();
            int written = guest.session().writeFile(target, 0755, bytes);
            if (written < 0) {
                err.println("ringspec: the guest could not store the program at " + target + " (errno "
                        + -written + ")");
                return ExitStatus.GUEST_FAILED;
            }
            List<String> argv = new ArrayList<>(command);
            argv.set(0, target);
            AgentSession.RunResult result = guest.session().run(argv, Duration.ofSeconds(timeoutSeconds));
            // the program's bytes as they came, not re-encoded
            PrintStream stdout = System.out;
            stdout.write(result.stdout());
            stdout.flush();
            System.err.write(result.stderr());
            System.err.flush();
            if (result.timedOut()) {
                err.println("ringspec: " + program.getFileName() + " did not finish within " + timeoutSeconds
                        + " s in the guest and was killed");
            }
            return result.exitCode();
        });
    }
}
