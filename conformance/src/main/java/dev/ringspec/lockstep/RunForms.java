package dev.ringspec.lockstep;

import dev.ringspec.capabilities.Feature;
import dev.ringspec.seam.Backend;
import java.util.Set;

/**
 * What the backends of a {@link LockstepRunner} let generated runs write, found once when the runner is made from
 * their capability probes (never from a version string).
 *
 * @param compiledOut the opcodes an emulator side has not implemented ({@link LockstepRunner#writes})
 * @param kernelSide whether a side is a kernel
 * @param taskRestrictions whether runs may restrict the run's task ({@link LockstepRunner#taskRestrictions()})
 * @param splitRestrictions whether rings register restrictions of their own
 *     ({@link LockstepRunner#splitRestrictions()})
 * @param absentLookupsInline whether every kernel side answers an absent path's lookup inline
 *     ({@link LockstepRunner#absentLookupsInline()})
 * @param bpfFilters whether both backends have IORING_REGISTER_BPF_FILTER ({@link LockstepRunner#bpfFilters()})
 * @param newerLayouts the newer ring layouts the generator may use ({@link LockstepRunner#newerLayouts()})
 */
record RunForms(Set<Integer> compiledOut, boolean kernelSide, boolean taskRestrictions, boolean splitRestrictions,
        boolean absentLookupsInline, boolean bpfFilters, Set<Feature> newerLayouts) {

    /**
     * The forms of a runner whose sides are {@code reference} and {@code subject}, refereed by {@code model};
     * {@code hasTasks}: every side can give the run thread another task; {@code newerLayouts}: the referee's
     * ({@link SideProbes#newerLayouts}, probed before it hears rules).
     */
    static RunForms of(Backend referenceBackend, Backend subjectBackend, Side reference, Side subject,
            RefereeModel model, boolean hasTasks, Set<Feature> newerLayouts) {
        // Two kernel sides in one guest share the run thread's task there: one side's restrictions would be the
        // other's. The model's tasks are its own.
        boolean ownTasks = referenceBackend.kind() != Backend.Kind.KERNEL
                || subjectBackend.kind() != Backend.Kind.KERNEL;
        boolean absentLookupsInline = SideProbes.answersAbsentLookupsInline(reference, referenceBackend)
                && SideProbes.answersAbsentLookupsInline(subject, subjectBackend);
        // a model reference takes the profile the subject's capabilities chose; a mutated one is never probed
        boolean bpfFilters = subjectBackend.capabilities().has(Feature.BPF_FILTER)
                && (referenceBackend.kind() == Backend.Kind.MODEL
                        || referenceBackend.capabilities().has(Feature.BPF_FILTER));
        boolean taskRestrictions = ownTasks && hasTasks
                && referenceBackend.capabilities().has(Feature.TASK_RESTRICTIONS)
                && subjectBackend.capabilities().has(Feature.TASK_RESTRICTIONS);
        return new RunForms(RefereeModel.compiledOut(referenceBackend, subjectBackend),
                RefereeModel.anyKernel(referenceBackend, subjectBackend), taskRestrictions,
                model.profile().splitRestrictions(), absentLookupsInline, bpfFilters, newerLayouts);
    }
}
