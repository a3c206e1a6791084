package dev.ringspec.cli;

import dev.ringspec.capabilities.CapabilityProbe;
import dev.ringspec.emulator.EmulatorOptions;
import dev.ringspec.emulator.FaultPlan;
import dev.ringspec.host.Host;
import dev.ringspec.host.HostServer;
import dev.ringspec.host.ServedClient;
import dev.ringspec.model.KernelProfile;
import dev.ringspec.nativerunner.IoUringAvailability;
import dev.ringspec.nativerunner.NativeIoUring;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code ringspec host -- PROGRAM ARGS}: an unmodified program whose io_uring the emulator serves ({@link Host}). */
@Command(name = "host", mixinStandardHelpOptions = true,
        description = {"Runs PROGRAM with its io_uring_setup, io_uring_enter and io_uring_register served by the "
                + "emulator in this JVM (seccomp user notification; the rings are memfds the program maps itself). The "
                + "program's output and exit status are its own (128 + the signal that killed it); one summary line on "
                + "standard error (rings, intercepted calls, findings) and the findings (pedantic reports, faults "
                + "injected, what could not be hosted) in host-report.md under --out.",
            "Hosted: SQPOLL rings (their SQ thread acts for the process that set the ring up), IOPOLL rings, "
                + "registered ring descriptors, eventfd registration, provided buffers and buffer rings, and the "
                + "opcodes README.md lists (reads, writes, polls, timeouts, cancel, sync, sockets, splice and tee, "
                + "MSG_RING, opens, pipes, statx, path and xattr operations, files update, advice).",
            "Not hosted (answered as a kernel without them, and reported by name): NO_MMAP setups and ring resizing "
                + "(-EINVAL), IORING_REGISTER_PERSONALITY (-EINVAL), every other opcode and CLOSE of a program's "
                + "descriptor (-EOPNOTSUPP), requests on a signalfd (-EBADF). x86-64, Linux 5.14 or later.",
            "Started by the ringspec script, the JVM uses an AOT cache (JDK 25's -XX:AOTCache: the classes and method "
                + "profiles of a hosted training run) so that a fresh JVM serves calls as a warm one does: the first "
                + "host or check for a jar and JDK makes it (about 10 s, before the program starts), in "
                + "$XDG_CACHE_HOME/ringspec/aot (else ~/.cache/ringspec/aot); RINGSPEC_AOT=0 runs without it, "
                + "deleting that directory clears it. The JVM's own log lines are off, so the program's output is "
                + "its own byte for byte. Without --profile, the profile chosen for this kernel is kept in "
                + "$XDG_CACHE_HOME/ringspec/host-profile for this boot, kernel and jar."})
final class HostCommand implements Callable<Integer> {
    @Option(names = "--profile", paramLabel = "VERSION",
            description = "The kernel version the emulator behaves as (6.1, 6.12, 6.18, 6.19, 7.0 to 7.3; default: "
                    + "this kernel's, or 6.18 where io_uring is not usable here).")
    private String profile;

    @Option(names = "--deterministic", paramLabel = "SEED", description = "The emulator's deterministic mode.")
    private Long seed;

    @Option(names = "--faults", paramLabel = "PLAN", description = "Faults to inject, for example short-read=0.3.")
    private String faults;

    @Option(names = "--pedantic", description = "Report the program's mistakes in the ring protocol.")
    private boolean pedantic;

    @Option(names = "--no-sync-wake-up", description = "Do not ask SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (for "
            + "measuring).")
    private boolean noSyncWakeUp;

    @Option(names = "--out", paramLabel = "DIR", description = "Where host-report.md goes (default: "
            + "$XDG_STATE_HOME/ringspec or ~/.local/state/ringspec).")
    private Path out;

    @Option(names = "--serve", paramLabel = "SOCKET", description = "Stay up as a host server listening on the Unix "
            + "socket SOCKET (created 0600), warmed up first by hosting a training program for about 2 s: with "
            + "RINGSPEC_HOST_SERVER=SOCKET set, `ringspec host [OPTIONS] -- PROGRAM` runs a small client instead of a "
            + "JVM, and PROGRAM is hosted here, one at a time, with the client's cwd, environment and descriptors. "
            + "--out is then the report directory of clients that give none. Ends on SIGINT or SIGTERM.")
    private Path serve;

    @Parameters(arity = "0..*", paramLabel = "PROGRAM", description = "The program and its arguments (after --).")
    private List<String> command;

    /** The host server's client this command runs for ({@link #forClient}), or null. */
    private ServedClient client;
    /** The server's {@code --out}: the report directory of a client that gives none. */
    private Path serverOut;

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    private static final List<KernelProfile> PROFILES = List.of(KernelProfile.LINUX_6_1, KernelProfile.LINUX_6_12,
            KernelProfile.LINUX_6_18, KernelProfile.LINUX_6_19, KernelProfile.LINUX_7_0, KernelProfile.LINUX_7_1,
            KernelProfile.LINUX_7_2, KernelProfile.LINUX_7_3);

    @Override
    public Integer call() {
        PrintWriter err = spec.commandLine().getErr();
        if (!"amd64".equals(System.getProperty("os.arch"))) {
            err.println("ringspec: host runs on x86-64 only (its launcher filters x86-64 syscall numbers)");
            return ExitStatus.UNAVAILABLE;
        }
        KernelProfile chosen = profile == null ? thisKernelsProfile() : PROFILES.stream()
                .filter(p -> p.version().equals(profile)).findFirst().orElse(null);
        if (chosen == null) {
            err.println("ringspec: no profile " + profile + "; the profiles are "
                    + PROFILES.stream().map(KernelProfile::version).toList());
            return ExitStatus.USAGE;
        }
        if (serve != null && (client != null || (command != null && !command.isEmpty()))) {
            err.println("ringspec: host --serve takes no PROGRAM" + (client != null ? ", nor runs for a client" : ""));
            return ExitStatus.USAGE;
        }
        if (serve == null && (command == null || command.isEmpty())) {
            err.println("ringspec: host needs a PROGRAM (after --), or --serve SOCKET");
            return ExitStatus.USAGE;
        }
        EmulatorOptions options = EmulatorOptions.of(chosen).pedantic(pedantic);
        if (seed != null) {
            options = options.deterministic(seed);
        }
        if (faults != null) {
            try {
                options = options.withFaults(FaultPlan.parse(faults));
            } catch (IllegalArgumentException e) {
                err.println("ringspec: --faults " + faults + ": " + e.getMessage());
                return ExitStatus.USAGE;
            }
        }
        if (client != null && out != null) {
            // the client's --out is relative to its own cwd
            out = client.cwd().resolve(out);
        }
        if (Places.badOut(out).isPresent()) {
            err.println("ringspec: " + Places.badOut(out).get());
            return ExitStatus.USAGE;
        }
        err.flush();
        if (serve != null) {
            return serve(options, err);
        }
        if (client != null) {
            return runFor(client, options);
        }
        PrintStream stderr = new PrintStream(System.err, true, StandardCharsets.UTF_8);
        try {
            Host.Outcome outcome = new Host(options, !noSyncWakeUp, Places.out(out)).run(command, stderr);
            stderr.println(outcome.summary());
            return outcome.exitStatus();
        } catch (IOException e) {
            err.println("ringspec: cannot host " + command.get(0) + ": " + reason(e));
            return ExitStatus.UNAVAILABLE;
        }
    }

    /** The host server: each client's arguments parsed and run as this command's ({@link #forClient}). */
    private int serve(EmulatorOptions options, PrintWriter err) {
        Path defaultOut = out;
        try {
            new HostServer(serve, c -> forClient(c, defaultOut), new PrintStream(System.err, true,
                    StandardCharsets.UTF_8)).serve(options, HostServer.WARM_NANOS);
            return ExitStatus.UNAVAILABLE;
        } catch (IOException e) {
            err.println("ringspec: host --serve " + serve + ": " + e.getMessage());
            return ExitStatus.UNAVAILABLE;
        }
    }

    /**
     * Runs a client's {@code ringspec host} arguments as this command would run them, with the client's streams,
     * environment and cwd: its report where its own {@code --out}, else the server's, else its environment's state
     * directory ({@link Places#out}) says.
     */
    private static int forClient(ServedClient client, Path serverOut) {
        CommandLine cli = Ringspec.commandLine();
        HostCommand host = cli.getSubcommands().get("host").getCommand();
        host.client = client;
        host.serverOut = serverOut;
        PrintWriter err = new PrintWriter(client.err(), true, StandardCharsets.UTF_8);
        cli.setOut(new PrintWriter(client.out(), true, StandardCharsets.UTF_8));
        cli.setErr(err);
        List<String> args = new ArrayList<>(List.of("host"));
        args.addAll(client.args());
        int status = cli.execute(args.toArray(String[]::new));
        err.flush();
        return status;
    }

    /** Runs {@link #command} for client {@code c}: the summary line to its standard error. */
    private int runFor(ServedClient c, EmulatorOptions options) {
        Path reportDir = out != null ? out.toAbsolutePath().normalize() : serverOut != null ? serverOut
                : Places.out(null, c.env(), c.env().getOrDefault("HOME", System.getProperty("user.home")));
        try {
            Host.Outcome outcome = new Host(options, !noSyncWakeUp, reportDir).run(command, c);
            c.err().println(outcome.summary());
            return outcome.exitStatus();
        } catch (IOException e) {
            c.err().println("ringspec: cannot host " + command.get(0) + ": " + reason(e));
            return ExitStatus.UNAVAILABLE;
        }
    }

    /** What went wrong, for one line: the exception's message, or its class where it has none. */
    private static String reason(IOException e) {
        return e.getMessage() != null ? e.getMessage() : e.toString();
    }

    /** This kernel's profile (the capability probe's choice, kept between runs: {@link HostProfileCache}). */
    private static KernelProfile thisKernelsProfile() {
        if (!IoUringAvailability.probe().available()) {
            return KernelProfile.LINUX_6_18;
        }
        return HostProfileCache.choose(HostProfileCache.file(System.getenv(), System.getProperty("user.home")),
                HostProfileCache.key(), PROFILES,
                () -> KernelProfile.forCapabilities(CapabilityProbe.probe(new NativeIoUring())));
    }
}
