package dev.ringspec.host;

import dev.ringspec.emulator.EmulatedIoUring;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.JarFile;
import java.util.stream.Stream;

/**
 * Initializes the classes of the host and of the emulator's opcodes before the first call is served, so that the
 * serving path's trained compiles are replayed.
 *
 * <p>JDK 25's AOT cache ({@code .mvn/aot-cache.sh}, JEP 515) holds, for each method the training run compiled, its
 * profile and the classes that were initialized when the compile was made (the compile's "init deps"). A fresh JVM
 * goes straight to the C2 compile the training made only once every one of those classes is initialized here too;
 * until then the method is compiled as if untrained, after its own counters have run up again (with the profiling
 * delay the JIT gives trained methods it cannot replay). The training (host/src/main/c/ringspec-aot-training.c)
 * also reads, writes, times out, polls and sleeps in waits, so the serving path's compiles name the per-request state
 * classes of those, which a program that only submits NOPs never initializes; which ones depends on when the
 * training's compile happened (seen: {@code Rw$State}, {@code TimeoutList$Data}, {@code Poll$PollReq},
 * {@code Versions}, {@code ProgramDescriptors$Held}, {@code PendingSignals$Wait}). Measured on a fresh hosted
 * {@code nop-cost 100000} (the NOP batches of {@code benchmarks/hosted/run.sh}, about 2 seconds) under load 9 to 21,
 * from the first compile of a {@code Supervisor} method (-Xlog:jit+compilation): without them
 * {@code ModelIoUring.enter} got its C2 code after 1.9 to 3.1 s, or not before the run ended (1 of 4 runs), and
 * {@code Supervisor.serve} none; with them after 0.7 to 1.6 s (2 of 3 runs), and {@code Supervisor.serve} after
 * 0.07 to 1.0 s.
 *
 * <p>Found with {@code -XX:+AOTPrintTrainingInfo} (each compile's dependencies), {@code -Xlog:training*=trace}
 * (those left as classes are initialized) and {@code -Xlog:class+init}. The two packages' static initializers set
 * constants, tables and thread-locals, and two read {@code /proc} ({@code RealFiles}: this process's capabilities,
 * {@code Kbuf}: whether the CPU has la57); all 105 classes took about 2 ms here (-Xlog:class+init), most of them
 * initialized by then anyway.
 */
final class TrainedClasses {
    /** The packages whose classes are initialized, as paths. */
    static final List<String> PACKAGES = List.of("dev/ringspec/host/", "dev/ringspec/emulator/ops/");

    private TrainedClasses() {
    }

    /** Initializes every class of {@link #PACKAGES}; what cannot be listed or initialized is left as it is. */
    static void initialize() {
        ClassLoader loader = TrainedClasses.class.getClassLoader();
        for (String name : names()) {
            try {
                Class.forName(name, true, loader);
            } catch (ClassNotFoundException | LinkageError e) {
                // left uninitialized: only its trained compiles wait, as without this class
            }
        }
    }

    /** The binary names of the classes of {@link #PACKAGES}, from the jar or directory each was loaded from. */
    static List<String> names() {
        List<String> names = new ArrayList<>();
        names(Host.class, PACKAGES.get(0), names);
        names(EmulatedIoUring.class, PACKAGES.get(1), names);
        return names;
    }

    private static void names(Class<?> anchor, String pkg, List<String> names) {
        try {
            Path source = Path.of(anchor.getProtectionDomain().getCodeSource().getLocation().toURI());
            if (Files.isDirectory(source)) {
                try (Stream<Path> files = Files.list(source.resolve(pkg))) {
                    files.map(f -> pkg + f.getFileName()).forEach(entry -> add(entry, pkg, names));
                }
            } else {
                try (JarFile jar = new JarFile(source.toFile())) {
                    jar.stream().forEach(e -> add(e.getName(), pkg, names));
                }
            }
        } catch (IOException | URISyntaxException | RuntimeException unlisted) {
            // no code source to list (another class loader): nothing is initialized ahead
        }
    }

    private static void add(String entry, String pkg, List<String> names) {
        if (entry.startsWith(pkg) && entry.endsWith(".class") && entry.indexOf('/', pkg.length()) < 0
                && !entry.endsWith("package-info.class")) {
            names.add(entry.substring(0, entry.length() - ".class".length()).replace('/', '.'));
        }
    }
}
