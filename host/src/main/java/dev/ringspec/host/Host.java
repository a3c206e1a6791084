package dev.ringspec.host;

import dev.ringspec.emulator.EmulatedIoUring;
import dev.ringspec.emulator.EmulatorOptions;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;

/**
 * {@code ringspec host -- PROGRAM ARGS}: runs an unmodified program with its io_uring_setup, io_uring_enter and
 * io_uring_register served by the emulator in this JVM ({@link Launcher} installs the filter and execs the program,
 * {@link Supervisor} answers). The program's standard streams and exit status are its own; the emulator's findings
 * (pedantic reports, faults injected, what the supervisor refused) go to a report file, and one summary line to
 * standard error.
 */
public final class Host {
    private final EmulatorOptions emulatorOptions;
    private final boolean syncWakeUp;
    private final Path reportDir;

    /**
     * @param emulatorOptions the emulator's profile and modes
     * @param syncWakeUp whether to ask SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (6.6+; faster round trips)
     * @param reportDir where the report file goes (created when needed)
     */
    public Host(EmulatorOptions emulatorOptions, boolean syncWakeUp, Path reportDir) {
        this.emulatorOptions = Objects.requireNonNull(emulatorOptions);
        this.syncWakeUp = syncWakeUp;
        this.reportDir = Objects.requireNonNull(reportDir);
    }

    /** What a hosted run gave: the program's exit status, and what the summary line says. */
    public record Outcome(int exitStatus, int rings, long calls, List<String> findings, List<String> notHosted,
            Path report) {
        /** The one summary line: the counts, and what was not hosted by name. */
        public String summary() {
            return "ringspec host: " + rings + (rings == 1 ? " ring, " : " rings, ") + calls + " intercepted calls, "
                    + findings.size() + (findings.size() == 1 ? " finding" : " findings")
                    + (notHosted.isEmpty() ? "" : "; not hosted: " + String.join(", ", notHosted))
                    + (report == null ? "" : " (" + report.toAbsolutePath() + ")");
        }
    }

    /**
     * Runs {@code command} hosted and waits for it and all its children.
     *
     * @throws IOException where the program cannot be started under the filter (the reason in the message)
     */
    public Outcome run(List<String> command, PrintStream err) throws IOException {
        return run(command, ProcessBuilder.Redirect.INHERIT, err);
    }

    /** The same with the program's standard output to {@code output}. */
    public Outcome run(List<String> command, ProcessBuilder.Redirect output, PrintStream err) throws IOException {
        return run(command, Launcher.start(command, output), err);
    }

    /**
     * Runs {@code command} hosted for a client of the host server ({@link HostServer}): in the client's cwd and
     * environment, with its descriptors, its signals forwarded to the program; the messages go to {@code client}'s
     * standard error.
     */
    public Outcome run(List<String> command, ServedClient client) throws IOException {
        Launcher.Started started = Launcher.start(command, client);
        client.started(started.process());
        return run(command, started, client.err());
    }

    private Outcome run(List<String> command, Launcher.Started started, PrintStream err) {
        Process process = started.process();
        AtomicReference<Supervisor> serving = new AtomicReference<>();
        Thread stopProgram = new Thread(() -> stopped(command, process, serving.get(), err), "ringspec-host-stop");
        Runtime.getRuntime().addShutdownHook(stopProgram);
        // SECCOMP_IOCTL_NOTIF_SET_FLAGS exists from 6.6, as RECV's end with the program does (Seccomp.Receiver)
        boolean recvSeesEnd = Seccomp.setFlags(started.listener(), syncWakeUp) == 0;
        if (syncWakeUp && !recvSeesEnd) {
            err.println("ringspec host: SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP is not available here (Linux 6.6+);"
                    + " going on without it");
        }
        TrainedClasses.initialize();
        ProgramThread thread = new ProgramThread();
        DescriptorChanges changes = new DescriptorChanges();
        RemoteMemory memory = new RemoteMemory(thread);
        ProgramDescriptors descriptors = new ProgramDescriptors(thread, started.listener(), changes);
        EmulatedIoUring emulator = EmulatedIoUring.hosted(emulatorOptions, memory, descriptors);
        Supervisor supervisor = new Supervisor(started.listener(), started.killableWait(), recvSeesEnd, emulator,
                thread, memory, descriptors, changes);
        serving.set(supervisor);
        List<String> findings = new ArrayList<>();
        try {
            supervisor.run();
        } catch (RuntimeException e) {
            // the supervisor must never leave the program stopped in a call nobody answers
            process.destroyForcibly();
            findings.add("the supervisor failed, the program was killed: " + e);
        } finally {
            dev.ringspec.emulator.sys.Linux.close(started.listener());
        }
        int status = Launcher.exitStatus(process);
        findings.addAll(supervisor.findings());
        List<String> notHosted = new ArrayList<>(emulator.refusals().keySet());
        emulator.refusals().forEach((what, n) -> findings.add("not hosted: " + what + " (" + n
                + (n == 1 ? " request" : " requests") + " answered -EOPNOTSUPP)"));
        emulator.findings().forEach(f -> findings.add("pedantic: " + f));
        emulator.faultLog().forEach(f -> findings.add("fault injected: " + f));
        supervisor.close();
        thread.close();
        try {
            Runtime.getRuntime().removeShutdownHook(stopProgram);
        } catch (IllegalStateException shuttingDown) {
            // the JVM is exiting anyway
        }
        Path report = writeReport(command, status, supervisor, findings, err);
        return new Outcome(status, supervisor.rings(), supervisor.calls(), List.copyOf(findings),
                List.copyOf(notHosted), report);
    }

    /**
     * This JVM is exiting while the program runs (SIGTERM or SIGINT to it, as {@code timeout} sends): the program
     * and its children are killed, none left waiting for answers nobody gives, and the report says so.
     */
    private void stopped(List<String> command, Process process, Supervisor supervisor, PrintStream err) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        if (supervisor != null) {
            List<String> findings = new ArrayList<>(supervisor.findings());
            findings.add("the supervisor was stopped while the program ran (its JVM exiting: SIGTERM, SIGINT):"
                    + " the program and its children were killed");
            Path report = writeReport(command, 128 + 9, supervisor, findings, err);
            // the summary line a run that ends prints, so a Ctrl-C does not end without a word
            int rings = supervisor.rings();
            err.println("ringspec host: stopped while the program ran (SIGINT or SIGTERM); the program and its"
                    + " children were killed; " + rings + (rings == 1 ? " ring, " : " rings, ") + supervisor.calls()
                    + " intercepted calls (" + (report == null ? "no report" : report) + ")");
        }
    }

    private synchronized Path writeReport(List<String> command, int status, Supervisor supervisor, List<String> findings,
            PrintStream err) {
        StringBuilder text = new StringBuilder();
        text.append("# ringspec host\n\n")
                .append("- program: ").append(String.join(" ", command)).append('\n')
                .append("- emulator: profile ").append(emulatorOptions.profile().version())
                .append(emulatorOptions.deterministic() ? ", deterministic seed " + emulatorOptions.seed() : "")
                .append(emulatorOptions.faults().isEmpty() ? "" : ", faults " + emulatorOptions.faults())
                .append(emulatorOptions.pedantic() ? ", pedantic" : "").append('\n')
                .append("- exit status: ").append(Launcher.describe(status)).append('\n')
                .append("- rings: ").append(supervisor.rings()).append('\n')
                .append("- intercepted calls: ").append(supervisor.calls()).append('\n')
                .append("- calls let run after being noted: ").append(supervisor.changes().tableCalls())
                .append(" that may change which file a descriptor number names (close, dup2, dup3, close_range, exec,")
                .append(" ADDFD), ").append(supervisor.changes().processCalls())
                .append(" that made a process (fork, vfork, clone, clone3)\n\n## Findings\n\n");
        if (findings.isEmpty()) {
            text.append("none\n");
        }
        findings.forEach(f -> text.append("- ").append(f).append('\n'));
        List<String> events = supervisor.events();
        if (!events.isEmpty()) {
            text.append("\n## Events\n\n");
            events.forEach(e -> text.append("- ").append(e).append('\n'));
        }
        try {
            Files.createDirectories(reportDir);
            Path report = reportDir.resolve("host-report.md");
            Files.writeString(report, text, StandardCharsets.UTF_8);
            return report;
        } catch (IOException e) {
            err.println("ringspec host: the report could not be written to " + reportDir + ": " + e.getMessage());
            return null;
        }
    }
}
