package dev.ringspec.lockstep;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Compiling and running the C reproducers in tests (the ring lockstep's and the cBPF oracle's): gcc with every warning an error, the program's output lines. */
public final class CPrograms {
    private CPrograms() {
    }

    /** Whether gcc is installed and runs here. */
    public static boolean gccWorks() throws InterruptedException {
        try {
            Process p = new ProcessBuilder("gcc", "--version").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        }
    }

    /** Compiles {@code source} into {@code dir} (with {@code includeDir} on the include path, if given), runs it. */
    static List<String> compileAndRun(Path source, Path dir, Path includeDir) throws Exception {
        Path exe = compile(source, dir, includeDir);
        Process run = new ProcessBuilder(exe.toString()).redirectErrorStream(true).start();
        String out = new String(run.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(run.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(run.exitValue()).as(out).isZero();
        return out.lines().toList();
    }

    /** Compiles {@code source} into an executable in {@code dir} (with {@code includeDir} on the include path). */
    public static Path compile(Path source, Path dir, Path includeDir) throws Exception {
        Path exe = dir.resolve(source.getFileName().toString().replace(".c", ""));
        List<String> command = new ArrayList<>(List.of("gcc", "-O1", "-Wall", "-Werror"));
        if (includeDir != null) {
            command.addAll(List.of("-I", includeDir.toString()));
        }
        command.addAll(List.of("-o", exe.toString(), source.toString(), "-lpthread"));
        Process gcc = new ProcessBuilder(command).redirectErrorStream(true).start();
        String gccOut = new String(gcc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(gcc.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(gcc.exitValue()).as(gccOut).isZero();
        return exe;
    }

    /** Writes {@code source} as {@code name} in {@code dir}, then compiles and runs it. */
    public static List<String> compileAndRun(String source, String name, Path dir) throws Exception {
        Path c = dir.resolve(name);
        Files.writeString(c, source);
        return compileAndRun(c, dir, null);
    }
}
