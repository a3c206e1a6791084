package dev.ringspec.lockstep;

import dev.ringspec.emulator.EmulatedIoUring;
import dev.ringspec.model.Chooser;
import dev.ringspec.model.KernelProfile;
import dev.ringspec.model.ModelIoUring;
import dev.ringspec.model.RuleListener;
import dev.ringspec.seam.Backend;
import dev.ringspec.seam.IoUringKernel;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The model inside a side, where a side has one: the reference model itself, or the emulator, whose every ring rule
 * is the model's (it runs a {@link ModelIoUring} and adds a world). Such a side can referee a run: it reports the
 * model's rules as they apply and takes the run's choices at the model's {@link dev.ringspec.model.Choice} points.
 *
 * @param profile the kernel version it behaves as
 * @param listen installs the run's rule listener
 * @param choose installs the run's chooser
 */
record RefereeModel(KernelProfile profile, Consumer<RuleListener> listen, Consumer<Chooser> choose) {

    /** The model in {@code kernel}, or null for a real kernel. */
    static RefereeModel of(IoUringKernel kernel) {
        return switch (kernel) {
            case ModelIoUring m -> new RefereeModel(m.profile(), m::withRuleListener, m::withChooser);
            case EmulatedIoUring e -> new RefereeModel(e.profile(), e::withRuleListener, e::withChooser);
            default -> null;
        };
    }

    /**
     * The opcodes an emulator among {@code backends} leaves out of its PROBE (it answers them as a kernel that
     * compiled them out), which a lockstep run must not write ({@link LockstepRunner#writes}).
     */
    static Set<Integer> compiledOut(Backend... backends) {
        Set<Integer> out = new HashSet<>();
        for (Backend b : backends) {
            if (b.kind() == Backend.Kind.EMULATOR) {
                List<Integer> has = b.capabilities().opcodes();
                for (int op = 0; op < 256; op++) {
                    if (!has.contains(op)) {
                        out.add(op);
                    }
                }
            }
        }
        return Set.copyOf(out);
    }

    /** Whether a real kernel is among {@code backends}. */
    static boolean anyKernel(Backend... backends) {
        return List.of(backends).stream().anyMatch(b -> b.kind() == Backend.Kind.KERNEL);
    }
}
