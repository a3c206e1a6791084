package dev.ringspec.lockstep;

import dev.ringspec.model.KernelProfile;
import dev.ringspec.model.ModelIoUring;
import dev.ringspec.seam.Backend;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ScratchDebugTest {
    @Test
    void show() {
        long seed = Long.getLong("scratch.seed", 19);
        int upTo = Integer.getInteger("scratch.upTo", 70);
        KernelProfile p = KernelProfile.LINUX_7_2;
        Backend m = Backend.model("m", mem -> new ModelIoUring(p, mem, Set.of()));
        try (LockstepRunner runner = new LockstepRunner(m, m)) {
            LockstepRunner.Outcome o = runner.generate(seed, 200, null);
            List<Step> steps = o.steps();
            for (InvariantWatch.SideViolation v : runner.invariants().takeRun().violations()) {
                System.out.println("VIOLATION " + v.side() + " " + v.violation());
            }
            List<String> trace = runner.trace(steps.subList(0, Math.min(upTo, steps.size())), LockstepRunner.Role.REFERENCE);
            for (int i = 0; i < Math.min(upTo, steps.size()); i++) {
                System.out.println(i + ": " + steps.get(i).describe() + "   => " + trace.get(i));
            }
            System.out.println(trace.get(trace.size() - 2));
            System.out.println(trace.get(trace.size() - 1));
        }
    }
}
