package dev.ringspec.host;

import dev.ringspec.emulator.EmulatorOptions;
import dev.ringspec.model.KernelProfile;
import java.nio.file.Path;
import java.util.Arrays;

/** {@code HostMain REPORT_DIR PROGRAM ARGS}: a hosted run in a JVM of its own, for tests that stop that JVM. */
final class HostMain {
    private HostMain() {
    }

    public static void main(String[] args) throws Exception {
        Host.Outcome o = new Host(EmulatorOptions.of(KernelProfile.LINUX_6_18), true, Path.of(args[0]))
                .run(Arrays.asList(args).subList(1, args.length), System.err);
        System.exit(o.exitStatus());
    }
}
