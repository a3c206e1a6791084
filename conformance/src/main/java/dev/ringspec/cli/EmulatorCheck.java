package dev.ringspec.cli;

import dev.ringspec.capabilities.CapabilityProbe;
import dev.ringspec.capabilities.KernelCapabilities;
import dev.ringspec.emulator.EmulatorBackendProvider;
import dev.ringspec.lockstep.DivergenceCatalogue;
import dev.ringspec.lockstep.LockstepCheck;
import dev.ringspec.lockstep.ReferenceBackends;
import dev.ringspec.model.KernelProfile;
import dev.ringspec.model.ModelIoUring;
import dev.ringspec.model.OpDef;
import dev.ringspec.nativerunner.IoUringAvailability;
import dev.ringspec.nativerunner.NativeIoUring;
import dev.ringspec.nativerunner.ProcessFdTable;
import dev.ringspec.seam.Backend;
import dev.ringspec.uapi.UapiNames;
import java.io.PrintWriter;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * {@code ringspec check --backend emulator[-VERSION] [--referee model|kernel]}: the default check with the emulator
 * as the checked side.
 *
 * <ul>
 *   <li>{@code --referee model}: the model with the emulator's profile is the reference, the emulator the subject.
 *       The catalogue's kernel bugs do not apply ({@link DivergenceCatalogue#withoutKernelBugs}): the emulator runs
 *       the model's rules, which follow the intent, so a difference of a catalogued shape is the emulator's own.
 *   <li>{@code --referee kernel}: this kernel judges the emulator. The emulator (at the profile chosen for this
 *       kernel) is the run's reference and its own referee, the kernel its subject, so the catalogue applies
 *       unchanged: a kernel bug shows as the catalogued difference it is, on the kernel's side. With
 *       {@code --real-io} the emulator runs deterministically and the runs do real I/O, each side in an outside
 *       world of its own ({@link dev.ringspec.lockstep.LockstepRunner#withWorld}).
 * </ul>
 * Opcodes the emulator has not implemented (it answers them as a kernel that compiled them out) are not generated;
 * saved replays run first, and new divergences are printed with their reproducers but not saved among the kernel's
 * replays.
 */
final class EmulatorCheck {
    /** The lockstep part of {@link CheckCommand}: reference against subject, classified by a catalogue. */
    @FunctionalInterface
    interface Lockstep {
        MatrixReport.Row run(String kernel, PrintWriter out, KernelCapabilities caps, Backend reference,
                Backend subject, String subjectName, DivergenceCatalogue catalogue, boolean goOn);
    }

    private EmulatorCheck() {
    }

    static int check(Lockstep lockstep, String backend, String referee, boolean realIo, List<String> kernels,
            PrintWriter out, PrintWriter err) {
        if (realIo && !referee.equals("kernel")) {
            err.println("ringspec: --real-io needs --referee kernel (the model does no real I/O)");
            return ExitStatus.USAGE;
        }
        if (!kernels.isEmpty()) {
            err.println("ringspec: --backend " + backend + " is checked on this machine; it takes no --kernel");
            return ExitStatus.USAGE;
        }
        if (!referee.equals("model") && !referee.equals("kernel")) {
            err.println("ringspec: --referee is model or kernel, not " + referee);
            return ExitStatus.USAGE;
        }
        if (!backend.equals("emulator") && !backend.startsWith("emulator-")) {
            err.println("ringspec: --backend is native, emulator or emulator-VERSION, not " + backend);
            return ExitStatus.USAGE;
        }
        KernelProfile kernelProfile = null;
        IoUringAvailability availability = IoUringAvailability.probe();
        if (availability.available()) {
            kernelProfile = KernelProfile.forCapabilities(CapabilityProbe.probe(new NativeIoUring()));
        } else if (referee.equals("kernel") || backend.equals("emulator")) {
            err.println("ringspec: " + availability.reason() + (referee.equals("kernel") ? ""
                    : " (name the emulator's profile, for example --backend emulator-6.18, to check it anyway)"));
            return ExitStatus.UNAVAILABLE;
        }
        String name = backend.equals("emulator") ? "emulator-" + kernelProfile.version() : backend;
        Optional<Backend> emulator = new EmulatorBackendProvider().backends().stream()
                .filter(b -> b.name().equals(name)).findFirst();
        if (emulator.isEmpty()) {
            err.println("ringspec: no emulator profile " + name + "; the profiles are "
                    + new EmulatorBackendProvider().backends().stream().map(Backend::name).toList());
            return ExitStatus.USAGE;
        }
        KernelProfile profile = profileOf(name);
        if (referee.equals("kernel") && profile != kernelProfile) {
            err.println("ringspec: --referee kernel checks the emulator at this kernel's profile ("
                    + kernelProfile.version() + "), not " + profile.version());
            return ExitStatus.USAGE;
        }
        KernelCapabilities caps = emulator.get().capabilities();
        out.printf("the emulator at profile %s implements %d opcodes: %s (the others answer as compiled out and "
                + "are not generated)%n", profile.version(), caps.opcodes().size(), caps.opcodes());
        MatrixReport.Row row;
        if (referee.equals("model")) {
            KernelProfile compiledOut = compiledOut(profile, caps);
            Backend model = Backend.model("model, profile " + profile.version(), memory -> new ModelIoUring(
                    compiledOut, memory, Set.of()).withProcessDescriptors(ProcessFdTable.INSTANCE));
            row = lockstep.run(name, out, caps, model, emulator.get(), name, DivergenceCatalogue.load()
                    .withoutKernelBugs(), false);
        } else {
            // with real I/O deterministic, so it takes the kernel's outcome at each choice point
            row = lockstep.run(name, out, caps, realIo ? emulator.get().withOptions(LockstepCheck.REAL_IO_OPTIONS)
                    : emulator.get(), ReferenceBackends.kernel(), "this kernel", DivergenceCatalogue.load(), false);
        }
        out.flush();
        return row.status();
    }

    /**
     * {@code profile} as a kernel that compiled out every opcode the emulator's PROBE leaves out: the model the
     * emulator claims to be, so PROBE and every SQE of those opcodes are compared exactly too.
     */
    private static KernelProfile compiledOut(KernelProfile profile, KernelCapabilities emulator) {
        KernelProfile.Builder b = profile.toBuilder();
        for (int op = 0; op < profile.opLast(); op++) {
            if (!emulator.opcodes().contains(op)) {
                String name = UapiNames.OPCODES.get(op);
                b.opcode(OpDef.notSupported(op, name == null ? "OP_" + op : UapiNames.shortName(name)));
            }
        }
        return b.build();
    }

    private static KernelProfile profileOf(String name) {
        for (KernelProfile p : List.of(KernelProfile.LINUX_6_1, KernelProfile.LINUX_6_12, KernelProfile.LINUX_6_18,
                KernelProfile.LINUX_6_19, KernelProfile.LINUX_7_0, KernelProfile.LINUX_7_1, KernelProfile.LINUX_7_2,
                KernelProfile.LINUX_7_3)) {
            if (name.equals("emulator-" + p.version())) {
                return p;
            }
        }
        throw new IllegalArgumentException(name);
    }
}
