package dev.ringspec.host;

import dev.ringspec.emulator.EmulatorOptions;
import dev.ringspec.model.KernelProfile;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * {@code HostServerMain SOCKET REPORT_DIR WARM_MILLIS}: a host server in a JVM of its own, for tests; each client's
 * arguments are {@code -- PROGRAM ARGS}, hosted on the 6.18 profile (the CLI's option parsing is conformance's).
 */
final class HostServerMain {
    private HostServerMain() {
    }

    public static void main(String[] args) throws Exception {
        EmulatorOptions options = EmulatorOptions.of(KernelProfile.LINUX_6_18);
        Host host = new Host(options, true, Path.of(args[1]));
        new HostServer(Path.of(args[0]), client -> {
            List<String> command = client.args();
            if (!command.isEmpty() && command.get(0).equals("--")) {
                command = command.subList(1, command.size());
            }
            try {
                Host.Outcome outcome = host.run(command, client);
                client.err().println(outcome.summary());
                return outcome.exitStatus();
            } catch (IOException e) {
                client.err().println("ringspec: cannot host " + command.get(0) + ": " + e.getMessage());
                return ServedClient.UNAVAILABLE;
            }
        }, System.err).serve(options, Long.parseLong(args[2]) * 1_000_000L);
        System.exit(ServedClient.UNAVAILABLE);
    }
}
