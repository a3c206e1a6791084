package dev.ringspec.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.abort;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ringspec guest-run}, with scripts/liburing-yardstick's launcher, on a real guest (Debian's 7.2 under QEMU):
 * programs run in turn in a scratch directory of their own, their output and exit status (a failure, a timeout, a
 * signal) kept in files as the yardstick's native runs keep them, and the guest's memory given back after each.
 * Skipped with the reason where gcc -static, QEMU or the kernel cannot be had.
 */
class GuestRunCommandTest {
    @TempDir
    Path tmp;

    private record Outcome(int status, String out, String err) {
    }

    private static Outcome run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int status = Ringspec.commandLine().setOut(new PrintWriter(out, true)).setErr(new PrintWriter(err, true))
                .execute(args);
        return new Outcome(status, out.toString(), err.toString());
    }

    /** Compiles C source with {@code gcc -static}, or aborts the test saying why it cannot. */
    private Path compile(String name, String source) throws Exception {
        Path c = tmp.resolve(name + ".c");
        Files.writeString(c, source);
        return compileFile(name, c);
    }

    private Path compileFile(String name, Path c) throws Exception {
        Path binary = tmp.resolve("bin").resolve(name);
        Files.createDirectories(binary.getParent());
        Process gcc;
        try {
            gcc = new ProcessBuilder("gcc", "-static", "-O1", "-o", binary.toString(), c.toString())
                    .redirectErrorStream(true).start();
        } catch (java.io.IOException e) {
            abort("gcc is not available: " + e.getMessage());
            throw e;
        }
        String output = new String(gcc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!gcc.waitFor(120, TimeUnit.SECONDS) || gcc.exitValue() != 0) {
            abort("gcc -static cannot build " + name + " (is libc6-dev installed?): " + output);
        }
        return binary;
    }

    @Test
    void aProgramThatCannotBeReadIsAUsageErrorBeforeAnyGuestBoots() {
        Outcome o = run("guest-run", "--kernel", "debian:7.2", "--out", tmp.resolve("out").toString(),
                tmp.resolve("no-such.t").toString());
        assertThat(o.status()).isEqualTo(ExitStatus.USAGE);
        assertThat(o.err()).contains("cannot read").contains("no-such.t").doesNotContain("Exception");
        assertThat(tmp.resolve("out")).doesNotExist();
    }

    @Test
    @Tag("qemu")
    void programsRunInTurnInScratchDirectoriesWithTheNativeRunsStatuses() throws Exception {
        Path launcher = compileFile("yardstick-guest-launcher", Path.of("").toAbsolutePath()
                .resolveSibling("scripts").resolve("yardstick-guest-launcher.c"));
        Path shared = compile("shared.t", "int main(void) { return 0; }\n");
        List<Path> programs = new ArrayList<>();
        programs.add(compile("cwd.t", """
                #include <stdio.h>
                #include <unistd.h>
                int main(void) {
                    char here[256];
                    printf("cwd %s\\n", getcwd(here, sizeof here));
                    printf("shared %s\\n", access("./shared.t", X_OK) == 0 ? "linked" : "missing");
                    fflush(stdout);
                    fprintf(stderr, "to stderr\\n");
                    FILE *f = fopen("left-behind", "w");
                    return f ? 3 : 1;
                }
                """));
        programs.add(compile("sleeps.t", "#include <unistd.h>\nint main(void) { sleep(60); return 0; }\n"));
        programs.add(compile("segv.t", "#include <signal.h>\nint main(void) { raise(SIGSEGV); return 0; }\n"));
        programs.add(compile("after.t", """
                #include <dirent.h>
                #include <stdio.h>
                #include <string.h>
                #include <sys/stat.h>
                #include <unistd.h>
                int main(void) {
                    char here[256], there[300];
                    getcwd(here, sizeof here);
                    DIR *d = opendir("/tmp");
                    struct dirent *e;
                    while ((e = readdir(d))) {
                        snprintf(there, sizeof there, "/tmp/%s", e->d_name);
                        // its own scratch directory is the only one
                        if (!strncmp(e->d_name, "scratch.", 8) && strcmp(there, here)) printf("left %s\\n", e->d_name);
                    }
                    struct stat st;
                    printf("cwd.t holds %ld bytes\\n", stat("/tmp/cwd.t", &st) == 0 ? (long)st.st_size : -1L);
                    return 0;
                }
                """));
        Path out = tmp.resolve("runs");
        List<String> args = new ArrayList<>(List.of("guest-run", "--kernel", "debian:7.2", "--out", out.toString(),
                "--timeout-seconds", "60", "--launcher", launcher.toString(), "--launcher-arg", "2", "--file",
                shared.toString()));
        programs.forEach(p -> args.add(p.toString()));
        Outcome o = run(args.toArray(String[]::new));
        if (o.status() == ExitStatus.UNAVAILABLE && o.err().contains("debian:7.2")) {
            abort(o.err().lines().findFirst().orElse("debian:7.2 unavailable"));
        }
        assertThat(o.status()).as(o.err()).isEqualTo(ExitStatus.OK);
        assertThat(o.out().lines().map(l -> l.split(" ")[0]).toList()).containsExactly("cwd", "sleeps", "segv",
                "after");
        assertThat(Files.readString(out.resolve("cwd.out")))
                .containsPattern("(?s)^cwd /tmp/scratch\\.\\w+\nshared linked\nto stderr\n$");
        assertThat(Files.readString(out.resolve("cwd.exit"))).startsWith("3 ");
        // the launcher's SIGINT after its 2 s limit, reported as timeout(1) reports it
        assertThat(Files.readString(out.resolve("sleeps.exit"))).startsWith("124 ");
        assertThat(Files.readString(out.resolve("segv.exit"))).startsWith((128 + 11) + " ");
        assertThat(Files.readString(out.resolve("after.out"))).isEqualTo("cwd.t holds 0 bytes\n");
        assertThat(Files.readString(out.resolve("after.exit"))).matches("0 \\d+\\.\\d\\d\n");
    }
}
