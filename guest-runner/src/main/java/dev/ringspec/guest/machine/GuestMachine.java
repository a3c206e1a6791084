package dev.ringspec.guest.machine;

import dev.ringspec.guest.GuestUnavailableException;
import dev.ringspec.guest.kernel.BzImage;
import dev.ringspec.guest.kernel.KernelImage;
import dev.ringspec.guest.kernel.KernelImageException;
import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * One QEMU guest: a kernel, an initramfs whose /init is the agent, and a virtio-serial port between the agent and
 * the host.
 *
 * <pre>
 *  host JVM                                   QEMU (qemu-system-x86_64, TCG or KVM)
 *  GuestChannel ── Unix socket port.sock ──▶ -chardev socket,server=on,wait=off
 *   (SocketChannel, UnixDomainSocketAddress)  -device virtserialport,name=ringspec ──▶ guest /dev/vportNpM
 *  consoleTail() ◀── console.log ─────────── -serial (ttyS0: console=ttyS0 panic=-1 quiet no_timer_check)
 *  watchdog sh ◀── pipe held by the JVM       -pidfile qemu.pid
 * </pre>
 *
 * <p><b>Boot.</b> QEMU starts with {@code -nographic -no-reboot -nic none -m 512}; the host connects to the socket
 * and waits, for at most {@link Options#bootTimeout()}, for the guest's hello: the 8 ASCII bytes {@code RSAGENT1}
 * ({@link #HELLO}), which /init writes to the port named {@code ringspec} ({@link #PORT_NAME}, found as
 * {@code /sys/class/virtio-ports/vportNpM/name}) as soon as it has opened it. QEMU holds bytes the host sends
 * before the guest opens its port, so nothing is lost; the hello tells the host the guest is ready. A kernel that
 * panics reboots at once ({@code panic=-1}), and {@code -no-reboot} turns that reboot into QEMU's exit.
 *
 * <p><b>No stray QEMU.</b> {@link #close()} stops QEMU; a JVM shutdown hook stops every machine still running
 * (Ctrl-C, {@code System.exit}); and where the JVM is killed outright a watchdog shell, whose stdin is a pipe only
 * the JVM holds, sees that pipe close and kills QEMU if the pid in QEMU's {@code -pidfile} is still that QEMU's.
 */
public final class GuestMachine implements AutoCloseable {
    /** What the guest's /init writes first, once its port is open. */
    public static final byte[] HELLO = "RSAGENT1".getBytes(StandardCharsets.US_ASCII);
    /** The name of the guest's virtio-serial port, in {@code /sys/class/virtio-ports/*}{@code /name}. */
    public static final String PORT_NAME = "ringspec";
    /**
     * The kernel command line (before {@link Options#extraAppend()}). {@code no_timer_check}: under TCG on a loaded
     * host the IO-APIC timer check at boot can miss its ticks and panic ("IO-APIC + timer doesn't work!", seen
     * once in 12 boots of 7.2 at load 16); the check proves nothing about a virtual machine's timer.
     */
    public static final String APPEND = "console=ttyS0 panic=-1 quiet no_timer_check";
    /** How many console lines errors carry. */
    public static final int CONSOLE_LINES = 20;

    private static final Set<GuestMachine> RUNNING = ConcurrentHashMap.newKeySet();
    private static final Thread SHUTDOWN_HOOK = new Thread(GuestMachine::stopAll, "ringspec-guest-shutdown");

    static {
        Runtime.getRuntime().addShutdownHook(SHUTDOWN_HOOK);
    }

    /** How QEMU runs the guest. */
    public enum Accelerator {
        /** Hardware virtualisation, where {@code /dev/kvm} opens for reading and writing. */
        KVM,
        /** QEMU's own translator, everywhere else: {@code -cpu max} gives the guest every feature TCG has. */
        TCG;

        /**
         * Set once QEMU has refused KVM although /dev/kvm opens (nested virtualisation that cannot run a guest: QEMU
         * aborts setting up the vCPU, "failed to set MSR"): later boots of this JVM go straight to TCG.
         */
        static volatile boolean kvmRefused;

        /** KVM where /dev/kvm opens and QEMU has not refused it, else TCG. */
        public static Accelerator detect() {
            if (kvmRefused) {
                return TCG;
            }
            try {
                FileChannel.open(Path.of("/dev/kvm"), StandardOpenOption.READ, StandardOpenOption.WRITE).close();
                return KVM;
            } catch (IOException | UnsupportedOperationException e) {
                return TCG;
            }
        }
    }

    /**
     * How to start QEMU.
     *
     * @param qemu        the QEMU binary: a name looked up on the PATH, or a path
     * @param memoryMiB   the guest's memory
     * @param bootTimeout how long to wait from QEMU's start to the guest's hello
     * @param extraAppend more kernel command line, after {@link #APPEND} (empty for none)
     * @param accelerator KVM or TCG; null to {@linkplain Accelerator#detect() detect}
     */
    public record Options(String qemu, int memoryMiB, Duration bootTimeout, String extraAppend,
            Accelerator accelerator) {
        public Options {
            Objects.requireNonNull(qemu, "qemu");
            Objects.requireNonNull(bootTimeout, "bootTimeout");
            Objects.requireNonNull(extraAppend, "extraAppend");
            if (memoryMiB < 64) {
                throw new IllegalArgumentException("a guest needs at least 64 MiB, not " + memoryMiB);
            }
            if (bootTimeout.isNegative() || bootTimeout.isZero()) {
                throw new IllegalArgumentException("the boot timeout must be positive, not " + bootTimeout);
            }
        }

        /** qemu-system-x86_64 from the PATH, 512 MiB, 120 s to boot (TCG on a busy 2-core machine), detected. */
        public static Options defaults() {
            return new Options("qemu-system-x86_64", 512, Duration.ofSeconds(120), "", null);
        }

        public Options withQemu(String binary) {
            return new Options(binary, memoryMiB, bootTimeout, extraAppend, accelerator);
        }

        public Options withBootTimeout(Duration timeout) {
            return new Options(qemu, memoryMiB, timeout, extraAppend, accelerator);
        }

        public Options withExtraAppend(String append) {
            return new Options(qemu, memoryMiB, bootTimeout, append, accelerator);
        }
    }

    private final Process qemu;
    private final Path workDir;
    private final Path console;
    private final Path qemuLog;
    private final Accelerator accelerator;
    private volatile Process watchdog;
    private volatile OutputStream watchdogPipe;
    private volatile SocketChannel socket;
    private volatile GuestChannel channel;
    private volatile boolean closedByCaller;
    private Duration bootTime;
    /** The console's size when last seen during the boot, and when it last changed (KVM's silent stall). */
    private long consoleSeen = -1;
    private long consoleChangedNanos = System.nanoTime();

    private GuestMachine(Process qemu, Path workDir, Accelerator accelerator) {
        this.qemu = qemu;
        this.workDir = workDir;
        this.console = workDir.resolve("console.log");
        this.qemuLog = workDir.resolve("qemu.log");
        this.accelerator = accelerator;
    }

    /**
     * Boots a resolved kernel with an initramfs (written, gzip-compressed, to a temporary file that is removed once
     * QEMU has loaded it) and waits for the guest's hello.
     *
     * @see #boot(Path, Path, Options)
     */
    public static GuestMachine boot(KernelImage kernel, Initramfs initramfs, Options options)
            throws GuestUnavailableException, GuestBootException, IOException {
        Path initrd = Files.createTempFile("ringspec-initrd-", ".cpio.gz");
        try {
            initramfs.write(initrd, true);
            return boot(kernel.image(), initrd, options);
        } finally {
            Files.deleteIfExists(initrd);
        }
    }

    /**
     * Boots {@code kernel} with {@code initrd} and waits for the guest's hello.
     *
     * @throws GuestUnavailableException QEMU is not installed
     * @throws GuestBootException        QEMU refused the image, the kernel panicked or hung, or /init never said
     *                                   hello within the boot timeout (QEMU is stopped in every case)
     */
    public static GuestMachine boot(Path kernel, Path initrd, Options options)
            throws GuestUnavailableException, GuestBootException, IOException {
        Path binary = locateQemu(options.qemu());
        for (Path file : List.of(kernel, initrd)) {
            if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
                throw new IOException(file + " is not a readable file");
            }
        }
        try {
            // QEMU's own words for a file that is no kernel mislead ("linux kernel too old to load a ram disk").
            BzImage.read(kernel);
        } catch (KernelImageException e) {
            throw new GuestBootException(e.getMessage().replaceFirst("\\.$", ""));
        }
        Accelerator accelerator = options.accelerator() != null ? options.accelerator() : Accelerator.detect();
        try {
            return boot(binary, kernel, initrd, options, accelerator);
        } catch (GuestBootException e) {
            // a detected KVM that QEMU could not use: the same boot under TCG, which runs everywhere
            if (options.accelerator() != null || accelerator != Accelerator.KVM || !e.getMessage().startsWith(REFUSED)
                    || !e.getMessage().toLowerCase(Locale.ROOT).contains("kvm")) {
                throw e;
            }
            Accelerator.kvmRefused = true;
            return boot(binary, kernel, initrd, options, Accelerator.TCG);
        }
    }

    private static final String REFUSED = "QEMU refused to boot the guest";

    private static GuestMachine boot(Path binary, Path kernel, Path initrd, Options options, Accelerator accelerator)
            throws GuestUnavailableException, GuestBootException, IOException {
        Path workDir = Files.createTempDirectory("ringspec-guest-");
        Path socketPath = workDir.resolve("port.sock");
        Path pidFile = workDir.resolve("qemu.pid");
        List<String> command = new ArrayList<>(List.of(binary.toString(),
                "-accel", accelerator == Accelerator.KVM ? "kvm" : "tcg",
                "-cpu", accelerator == Accelerator.KVM ? "host" : "max",
                "-m", Integer.toString(options.memoryMiB()), "-smp", "1",
                "-nographic", "-no-reboot", "-nic", "none", "-monitor", "none", "-parallel", "none",
                "-chardev", "file,id=console,path=" + escape(workDir.resolve("console.log")),
                "-serial", "chardev:console",
                "-device", "virtio-serial",
                "-chardev", "socket,id=port,path=" + escape(socketPath) + ",server=on,wait=off",
                "-device", "virtserialport,chardev=port,name=" + PORT_NAME,
                "-pidfile", pidFile.toString(),
                "-kernel", kernel.toAbsolutePath().toString(),
                "-initrd", initrd.toAbsolutePath().toString(),
                "-append", options.extraAppend().isBlank() ? APPEND : APPEND + " " + options.extraAppend()));
        long startNanos = System.nanoTime();
        Process process;
        try {
            process = new ProcessBuilder(command)
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectErrorStream(true)
                    .redirectOutput(workDir.resolve("qemu.log").toFile())
                    .start();
        } catch (IOException e) {
            deleteTree(workDir);
            throw new GuestUnavailableException(GuestUnavailableException.Reason.QEMU_MISSING,
                    "QEMU (" + binary + ") could not be started: install it with"
                            + " `apt-get install qemu-system-x86`.", e);
        }
        GuestMachine machine = new GuestMachine(process, workDir, accelerator);
        RUNNING.add(machine);
        try {
            machine.connect(socketPath, pidFile, startNanos + options.bootTimeout().toNanos(), options, kernel);
            machine.bootTime = Duration.ofNanos(System.nanoTime() - startNanos);
        } catch (GuestBootException | IOException | RuntimeException e) {
            machine.stop();
            throw e;
        }
        process.onExit().thenRun(machine::stopWatchdog);
        return machine;
    }

    private void connect(Path socketPath, Path pidFile, long deadlineNanos, Options options, Path kernel)
            throws GuestBootException, IOException {
        SocketChannel connected = null;
        while (connected == null) {
            checkBooting(deadlineNanos, options, kernel);
            if (Files.exists(socketPath)) {
                try {
                    connected = SocketChannel.open(UnixDomainSocketAddress.of(socketPath));
                } catch (IOException notYetListening) {
                    connected = null;
                }
            }
            if (connected == null) {
                pause(10);
            }
        }
        socket = connected;
        startWatchdog(pidFile);
        ByteBuffer hello = ByteBuffer.allocate(HELLO.length);
        connected.configureBlocking(false);
        try (Selector selector = Selector.open()) {
            connected.register(selector, SelectionKey.OP_READ);
            while (hello.hasRemaining()) {
                checkBooting(deadlineNanos, options, kernel);
                selector.select(50);
                selector.selectedKeys().clear();
                int count;
                try {
                    count = connected.read(hello);
                } catch (IOException e) {
                    count = -1;
                }
                if (count < 0) {
                    waitForExit(Duration.ofSeconds(5));
                    checkBooting(deadlineNanos, options, kernel);
                    throw new GuestBootException("the guest closed its port before saying hello", consoleTail());
                }
            }
        }
        connected.configureBlocking(true);
        if (!Arrays.equals(hello.array(), HELLO)) {
            throw new GuestBootException("the guest's /init said " + quoted(hello.array()) + " where the hello "
                    + new String(HELLO, StandardCharsets.US_ASCII) + " was expected: is /init the ringspec agent?",
                    consoleTail());
        }
        channel = new GuestChannel(connected, this);
    }

    /** Throws where QEMU has exited or the boot has taken too long. */
    private void checkBooting(long deadlineNanos, Options options, Path kernel) throws GuestBootException {
        if (!qemu.isAlive()) {
            throw new GuestBootException(bootFailure(), consoleTail());
        }
        if (accelerator == Accelerator.KVM && kvmStopped()) {
            // nested virtualisation whose KVM takes the vCPU but cannot run the guest: QEMU says "KVM internal
            // error" and stays, the guest paused, so the boot would wait out its timeout in silence (this machine
            // since 2026-11-27: the 7.2 kernel's first instructions, "Suberror: 1", an emulation failure)
            throw new GuestBootException(REFUSED + " under KVM: " + String.join(" ", lastLines(qemuLog, 2)),
                    consoleTail());
        }
        Duration silence = kvmSilence;
        if (accelerator == Accelerator.KVM && kvmSilentFor(silence)) {
            // the same KVM can stall a kernel a minute or more before it says "KVM internal error" (Debian's 6.1
            // here: the boot stub's "Probing EDD ... ok", then 45 to 60 s of nothing at load 1, past the boot
            // timeout under load); a guest under KVM says hello within seconds, so long silence is KVM refusing it
            throw new GuestBootException(REFUSED + " under KVM: the guest printed nothing for "
                    + silence.toSeconds() + " s", consoleTail());
        }
        if (System.nanoTime() - deadlineNanos > 0) {
            String panic = panicLine();
            List<String> tail = consoleTail();
            String within = " within " + options.bootTimeout().toSeconds() + " s";
            if (panic != null) {
                throw new GuestBootException("the kernel " + kernel.getFileName() + " panicked while booting ("
                        + panic + ")", tail);
            }
            if (!tail.isEmpty() && tail.getLast().matches("Booting from ROM\\.*\\s*")) {
                // SeaBIOS's last words before it jumps into the image; the kernel prints even under "quiet" once
                // it runs into trouble, so silence after them is a kernel that never got going (what the guest
                // prints next may share their line: they end without a newline)
                throw new GuestBootException("the kernel " + kernel.getFileName() + " printed nothing" + within
                        + " after the firmware started it: is the image corrupt?", tail);
            }
            throw new GuestBootException("the guest (kernel " + kernel.getFileName() + ") did not say hello"
                    + within, tail);
        }
    }

    /**
     * How long a guest under KVM may print nothing on its console while booting before KVM counts as refusing it
     * (tests shorten it).
     */
    static volatile Duration kvmSilence = Duration.ofSeconds(20);

    /** Whether the console has not grown for {@code silence} (sizes compared at each look during the boot). */
    private boolean kvmSilentFor(Duration silence) {
        long size;
        try {
            size = Files.exists(console) ? Files.size(console) : 0;
        } catch (IOException e) {
            return false;
        }
        long now = System.nanoTime();
        if (size != consoleSeen) {
            consoleSeen = size;
            consoleChangedNanos = now;
            return false;
        }
        return now - consoleChangedNanos > silence.toNanos();
    }

    /** Whether QEMU has reported that KVM stopped the guest's vCPU ({@code kvm_cpu_exec}: "KVM internal error"). */
    private boolean kvmStopped() {
        try {
            return Files.size(qemuLog) > 0 && lastLines(qemuLog, 40).stream()
                    .anyMatch(l -> l.startsWith("KVM internal error"));
        } catch (IOException e) {
            return false;
        }
    }

    /** One sentence for a QEMU that exited before the hello: its own complaint, or the kernel's panic. */
    private String bootFailure() {
        int status = qemu.exitValue();
        String panic = panicLine();
        if (panic != null) {
            return "the kernel panicked while booting (" + panic + ")";
        }
        List<String> complaint = lastLines(qemuLog, 3);
        if (status != 0 && !complaint.isEmpty()) {
            return REFUSED + " (status " + status + "): " + String.join(" ", complaint);
        }
        return "the guest stopped before saying hello (QEMU exited with status " + status + ")";
    }

    /** The exception a read or write on the channel throws once the guest is gone. */
    GuestDiedException died() {
        waitForExit(Duration.ofSeconds(5));
        String panic = panicLine();
        String sentence;
        if (qemu.isAlive()) {
            sentence = "the guest closed its port while the host was talking to it (QEMU is still running)";
        } else if (panic != null) {
            sentence = "the guest's kernel panicked while the host was talking to it (" + panic + ")";
        } else {
            sentence = "the guest stopped while the host was talking to it (QEMU exited with status "
                    + qemu.exitValue() + ")";
        }
        return new GuestDiedException(sentence, consoleTail());
    }

    boolean closedByCaller() {
        return closedByCaller;
    }

    /** The host's end of the guest's port, after the hello. */
    public GuestChannel channel() {
        return channel;
    }

    /** From QEMU's start to the guest's hello. */
    public Duration bootTime() {
        return bootTime;
    }

    public Accelerator accelerator() {
        return accelerator;
    }

    /** QEMU's process id (for tests and diagnostics). */
    public long pid() {
        return qemu.pid();
    }

    public boolean isAlive() {
        return qemu.isAlive();
    }

    /** QEMU's exit status once it has exited. */
    public Optional<Integer> exitStatus() {
        return qemu.isAlive() ? Optional.empty() : Optional.of(qemu.exitValue());
    }

    /** Waits at most {@code timeout} for QEMU to exit (as after the guest powers off); true if it has. */
    public boolean waitForExit(Duration timeout) {
        try {
            return qemu.waitFor(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return !qemu.isAlive();
        }
    }

    /** The console's last {@link #CONSOLE_LINES} lines. */
    public List<String> consoleTail() {
        return lastLines(console, CONSOLE_LINES);
    }

    /** Stops QEMU and removes its files; the channel is closed. */
    @Override
    public void close() {
        closedByCaller = true;
        stop();
    }

    private void stop() {
        SocketChannel open = socket;
        if (open != null) {
            try {
                open.close();
            } catch (IOException ignored) {
                // Closing a socket whose peer is gone can only fail harmlessly.
            }
        }
        stopWatchdog();
        if (qemu.isAlive()) {
            qemu.destroy();
            if (!waitForExit(Duration.ofSeconds(3))) {
                qemu.destroyForcibly();
                waitForExit(Duration.ofSeconds(3));
            }
        }
        RUNNING.remove(this);
        deleteTree(workDir);
    }

    private static void stopAll() {
        for (GuestMachine machine : RUNNING) {
            machine.stopWatchdog();
            machine.qemu.destroyForcibly();
        }
        for (GuestMachine machine : RUNNING) {
            machine.waitForExit(Duration.ofSeconds(2));
            deleteTree(machine.workDir);
        }
    }

    /**
     * Starts a shell that waits for end of file on a pipe only this JVM holds, then kills QEMU if QEMU's pid file
     * still names it: where the JVM is killed with SIGKILL no hook runs, but the kernel closes the pipe.
     */
    private void startWatchdog(Path pidFile) throws IOException {
        Process shell = new ProcessBuilder("/bin/sh", "-c",
                "while read -r _; do :; done; p=$(cat \"$1\" 2>/dev/null) && [ \"$p\" = \"$2\" ] && kill -9 \"$2\";"
                        + " d=${1%/*}; rm -f \"$d\"/port.sock \"$d\"/console.log \"$d\"/qemu.log \"$1\"; rmdir \"$d\"",
                "ringspec-qemu-watchdog", pidFile.toString(), Long.toString(qemu.pid()))
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(ProcessBuilder.Redirect.DISCARD)
                .start();
        watchdog = shell;
        watchdogPipe = shell.getOutputStream();
    }

    private void stopWatchdog() {
        Process shell = watchdog;
        if (shell != null) {
            // Kill it first, so that closing the pipe cannot make it kill anything.
            shell.destroyForcibly();
            try {
                shell.waitFor(2, TimeUnit.SECONDS);
                watchdogPipe.close();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (IOException ignored) {
                // The pipe's reader is dead; nothing to flush.
            }
        }
    }

    private String panicLine() {
        for (String line : lastLines(console, 200)) {
            int at = line.indexOf("Kernel panic");
            if (at >= 0) {
                return line.substring(at).strip();
            }
        }
        return null;
    }

    static String withConsole(String sentence, List<String> consoleTail) {
        if (consoleTail.isEmpty()) {
            return sentence + "; the console printed nothing.";
        }
        return sentence + "; the console's last lines:\n  " + String.join("\n  ", consoleTail);
    }

    /** The last {@code count} non-empty lines of a file (at most its last 64 KiB), without carriage returns. */
    static List<String> lastLines(Path file, int count) {
        byte[] tail;
        try (RandomAccessFile in = new RandomAccessFile(file.toFile(), "r")) {
            long length = in.length();
            int size = (int) Math.min(length, 1 << 16);
            tail = new byte[size];
            in.seek(length - size);
            in.readFully(tail);
        } catch (IOException e) {
            return List.of();
        }
        List<String> lines = new ArrayList<>();
        for (String line : new String(tail, StandardCharsets.UTF_8).split("\n")) {
            String clean = printable(line).stripTrailing();
            if (!clean.isEmpty()) {
                lines.add(clean);
            }
        }
        return List.copyOf(lines.subList(Math.max(0, lines.size() - count), lines.size()));
    }

    /** A console line without terminal escapes (SeaBIOS resets the screen with ESC c) or other control bytes. */
    static String printable(String line) {
        StringBuilder text = new StringBuilder(line.length());
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (c == 0x1b) {
                // ESC [ parameters final-byte, or ESC and one character.
                if (i + 1 < line.length() && line.charAt(i + 1) == '[') {
                    i += 2;
                    while (i < line.length() && (line.charAt(i) < 0x40 || line.charAt(i) > 0x7e)) {
                        i++;
                    }
                } else {
                    i++;
                }
            } else if (c >= 0x20 && c != 0x7f || c == '\t') {
                text.append(c);
            }
        }
        return text.toString();
    }

    /** The QEMU binary: a path that must be executable, or a name found on the PATH. */
    static Path locateQemu(String qemu) throws GuestUnavailableException {
        String advice = ": install it with `apt-get install qemu-system-x86`.";
        if (qemu.contains("/")) {
            Path path = Path.of(qemu);
            if (Files.isRegularFile(path) && Files.isExecutable(path)) {
                return path;
            }
            throw new GuestUnavailableException(GuestUnavailableException.Reason.QEMU_MISSING,
                    "QEMU is not installed (" + qemu + " is not an executable file)" + advice);
        }
        String pathVariable = Objects.requireNonNullElse(System.getenv("PATH"), "/usr/bin:/bin");
        for (String dir : pathVariable.split(File.pathSeparator)) {
            if (dir.isEmpty()) {
                continue;
            }
            Path candidate = Path.of(dir, qemu);
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        throw new GuestUnavailableException(GuestUnavailableException.Reason.QEMU_MISSING,
                "QEMU is not installed (no " + qemu + " on the PATH)" + advice);
    }

    /** A path inside a QEMU option value, where a comma is written twice. */
    private static String escape(Path path) {
        return path.toAbsolutePath().toString().replace(",", ",,");
    }

    private static String quoted(byte[] bytes) {
        StringBuilder text = new StringBuilder("\"");
        for (byte b : bytes) {
            text.append(b >= 0x20 && b < 0x7f ? Character.toString(b) : String.format("\\x%02x", b & 0xff));
        }
        return text.append('"').toString();
    }

    private static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void deleteTree(Path root) {
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        } catch (IOException ignored) {
            // A temporary directory left behind is harmless.
        }
    }
}
