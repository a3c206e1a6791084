package dev.ringspec.emulator.ops;

import static dev.ringspec.uapi.Errno.EINTR;

import dev.ringspec.emulator.BothSides;
import dev.ringspec.emulator.EmulatedIoUring;
import dev.ringspec.model.Clock;
import dev.ringspec.model.KernelProfile;
import dev.ringspec.seam.Cqe;
import dev.ringspec.seam.UserMemory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * What an io-wq SPLICE or TEE interrupted in its call ends with. Measured with the same C program on Debian's
 * 6.1.192 and 6.12.118 (-EINTR) and on 6.18.44, 7.2.13 and 7.3-rc7 (-512, the kernel's internal ERESTARTSYS, which
 * {@code io_splice} leaves in the CQE); the emulator answers -EINTR at every profile and reports
 * {@link Splice#RESTART_IN_CQE} where the profile's kernel gives -512.
 */
final class SpliceInterruption {
    /** The kernel's internal ERESTARTSYS (include/linux/errno.h). */
    static final int ERESTARTSYS = 512;

    private SpliceInterruption() {
    }

    /** The result this machine's kernel gives: -512 after 6.12 (measured up to 7.3-rc7), -EINTR before. */
    static int onThisKernel() throws Exception {
        String[] v = Files.readString(Path.of("/proc/sys/kernel/osrelease")).trim().split("[.-]");
        int major = Integer.parseInt(v[0]);
        int minor = Integer.parseInt(v[1]);
        return major > 6 || major == 6 && minor > 12 ? -ERESTARTSYS : -EINTR;
    }

    /** The user_data of every {@link Splice#RESTART_IN_CQE} the emulator reported. */
    static final class Heard {
        private final List<Long> userData = new ArrayList<>();

        synchronized void add(long ud) {
            userData.add(ud);
        }

        synchronized List<Long> userData() {
            return List.copyOf(userData);
        }
    }

    /** The CQEs of {@code scenario} on the emulator at {@code profile}; {@code heard} gets its reports. */
    static List<Cqe> onEmulator(KernelProfile profile, Heard heard, BothSides.Scenario scenario) throws Exception {
        try (UserMemory memory = new UserMemory(); EmulatedIoUring emulator = EmulatedIoUring.open(profile, memory,
                Clock.SYSTEM, List.of())) {
            emulator.withRuleListener((rule, ringFd, detail) -> {
                if (rule == Splice.RESTART_IN_CQE) {
                    heard.add(detail);
                }
            });
            return scenario.run(emulator, memory);
        }
    }
}
