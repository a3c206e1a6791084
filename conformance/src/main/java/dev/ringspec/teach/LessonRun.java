package dev.ringspec.teach;

import static dev.ringspec.uapi.IoUring.IORING_ENTER_GETEVENTS;

import dev.ringspec.emulator.EmulatedIoUring;
import dev.ringspec.emulator.EmulatorBackendProvider;
import dev.ringspec.emulator.EmulatorOptions;
import dev.ringspec.fixtures.vectors.Lesson;
import dev.ringspec.fixtures.vectors.Step;
import dev.ringspec.lockstep.DivergenceCatalogue;
import dev.ringspec.lockstep.ReferenceBackends;
import dev.ringspec.model.KernelProfile;
import dev.ringspec.model.ModelIoUring;
import dev.ringspec.model.RuleListener;
import dev.ringspec.seam.Backend;
import dev.ringspec.seam.Ring;
import dev.ringspec.seam.RingObservation;
import dev.ringspec.vectors.VectorResult.Failure;
import dev.ringspec.vectors.VectorRunner;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs a lesson one step at a time on the model's side and, if given, on a kernel, on the calling thread (a ring
 * created with SINGLE_ISSUER or DEFER_TASKRUN belongs to it), and draws a {@link Frame} after every step. The model's
 * side is the model, or for a lesson marked {@code emulator} (opcodes the model does not execute) the emulator in its
 * deterministic mode: the model's rules with real opcodes, on a virtual clock. Its rule events are heard for the
 * run's length ({@link ModelIoUring#withRuleListener}) and given to the frame of the step in which they fired.
 */
public final class LessonRun {
    /** The deterministic emulator's seed: any fixed one; a lesson's completions then come in one order every run. */
    private static final long EMULATOR_SEED = 1;

    private LessonRun() {
    }

    /**
     * The model's side of {@code lesson} at {@code profile}: the model, or the emulator for a lesson marked
     * {@code emulator}, named so that a reader sees which ({@code null} for a kernel-only lesson).
     */
    public static Backend modelSide(Lesson lesson, KernelProfile profile) {
        if (lesson.kernelOnly()) {
            return null;
        }
        if (!lesson.emulator()) {
            return ReferenceBackends.model(profile);
        }
        return Backend.emulator("emulator, profile " + profile.version() + " (the model's rules, real opcodes)",
                memory -> EmulatedIoUring.open(EmulatorOptions.of(profile).deterministic(EMULATOR_SEED), memory))
                .withProcess(EmulatorBackendProvider.backend(profile).process());
    }

    /**
     * Runs {@code lesson} on {@code model} and {@code kernel}; either may be {@code null} (a kernel-only lesson has no
     * model), and a side whose backend cannot run the lesson is left out with the reason in the notes.
     */
    public static Explanation run(Lesson lesson, Backend model, Backend kernel) {
        List<String> notes = new ArrayList<>();
        if (lesson.kernelOnly()) {
            notes.add("The model does not execute this lesson's requests; it shows the kernel alone.");
            model = null;
        }
        if (lesson.catalogueEntry() != null) {
            DivergenceCatalogue.load().entries().stream().filter(e -> e.id().equals(lesson.catalogueEntry()))
                    .findFirst().ifPresentOrElse(e -> {
                        notes.add("Catalogue entry " + e.id() + " (" + e.kernelVersions() + ").");
                        notes.add("Observed: " + e.observed());
                        notes.add("Intended: " + e.intended());
                    }, () -> notes.add("No catalogue entry is named " + lesson.catalogueEntry() + "."));
        }
        Side m = Side.of(model, lesson, notes);
        Side k = Side.of(kernel, lesson, notes);
        List<Frame> frames = new ArrayList<>();
        List<String> narration = new ArrayList<>();
        List<String> filled = new ArrayList<>();
        int parted = 0;
        try {
            for (Step step : lesson.vector().steps()) {
                if (step instanceof Step.Say say) {
                    narration.add(say.words());
                    continue;
                }
                if (m != null) {
                    m.perform(step);
                }
                if (k != null) {
                    k.perform(step);
                }
                filled.add(step.text().strip());
                // Filling SQEs changes nothing the kernel reads until they are published: shown with the step after
                if (step instanceof Step.PutSqe || step instanceof Step.SqArray) {
                    continue;
                }
                boolean result = step.resultKind() != null;
                Frame frame = new Frame(frames.size() + 1, step.line(), String.join("; ", filled), narration,
                        m == null ? null : m.view(result), k == null ? null : k.view(result));
                narration.clear();
                filled.clear();
                frames.add(frame);
                if (parted == 0 && frame.differs()) {
                    parted = frame.number();
                }
            }
        } finally {
            if (m != null) {
                m.close(lesson);
            }
            if (k != null) {
                k.close(lesson);
            }
        }
        if (!narration.isEmpty() && !frames.isEmpty()) {
            Frame last = frames.removeLast();
            List<String> all = new ArrayList<>(last.narration());
            all.addAll(narration);
            frames.add(new Frame(last.number(), last.line(), last.action(), all, last.model(), last.kernel()));
        }
        return new Explanation(lesson.name(), lesson.title(), notes, m == null ? null : model.name(),
                k == null ? null : kernel.name(), frames, lesson.question(), parted);
    }

    /** One side of a lesson run: its stepwise runner, the rules heard, and whether it can go on. */
    private static final class Side {
        /** How often a lesson's wait enters at most: a CQE that never comes blocks anyway; a signal storm ends. */
        private static final int MAX_ENTERS = 16;

        private final VectorRunner runner;
        private final ModelIoUring model;
        private final EmulatedIoUring emulator;
        private final List<Frame.Fired> heard = new ArrayList<>();
        private final List<String> remarks = new ArrayList<>();
        private boolean stopped;
        private int failuresShown;

        private Side(Backend backend) {
            this.runner = VectorRunner.stepwise(backend);
            this.model = backend.kernel() instanceof ModelIoUring m ? m : null;
            this.emulator = backend.kernel() instanceof EmulatedIoUring e ? e : null;
            RuleListener listener = (rule, ringFd, detail) -> heard.add(Frame.Fired.of(rule, detail));
            if (model != null) {
                model.withRuleListener(listener);
            } else if (emulator != null) {
                emulator.withRuleListener(listener);
            }
        }

        static Side of(Backend backend, Lesson lesson, List<String> notes) {
            if (backend == null) {
                return null;
            }
            String skip = VectorRunner.skipReason(lesson.vector(), backend);
            if (skip != null) {
                // one line; "Not run on kernel debian:6.12 (6.12.57): it lacks RESIZE_RINGS (...)"
                notes.add("Not run on " + backend.name() + ": " + (skip.startsWith(backend.name() + " ")
                        ? "it" + skip.substring(backend.name().length()) : skip) + ".");
                return null;
            }
            return new Side(backend);
        }

        void perform(Step step) {
            if (stopped) {
                return;
            }
            if (!runner.step(step)) {
                stopped = true;
                return;
            }
            if (step instanceof Step.Enter e && (e.flags() & IORING_ENTER_GETEVENTS) != 0 && e.minComplete() > 0) {
                waitAgain(e);
            }
        }

        /**
         * A kernel ends a wait early when any timeout expires ({@code io_should_wake}: {@code cq_timeouts} moved),
         * or on a signal; a lesson's {@code wait=N} means N CQEs, so it enters again, as an application's wait loop
         * does, until they are there, and says so in the step's remarks.
         */
        private void waitAgain(Step.Enter e) {
            int enters = 1;
            Step.Enter again = new Step.Enter(e.line(), e.text(), e.ring(), false, 0, e.minComplete(), e.flags());
            while (runner.lastResult() >= 0 && visible(e.ring()) < e.minComplete() && enters < MAX_ENTERS) {
                if (!runner.step(again)) {
                    stopped = true;
                    break;
                }
                enters++;
            }
            if (enters > 1) {
                remarks.add("entered " + enters + " times: a wait ends early when a timeout expires, so the lesson "
                        + "waited again for its " + e.minComplete() + " CQEs");
            }
        }

        private int visible(String ring) {
            RingObservation o = runner.observe(ring);
            return o.exists() ? o.cqTail() - o.cqHead() : 0;
        }

        /** The ring after the steps since the last view, and the rules heard since. */
        Frame.View view(boolean result) {
            List<String> failures = new ArrayList<>();
            List<Failure> all = runner.failures();
            for (; failuresShown < all.size(); failuresShown++) {
                failures.add(all.get(failuresShown).message());
            }
            Ring ring = runner.currentRing();
            Frame.View view = new Frame.View(runner.observe(null), result ? runner.lastResult() : null,
                    model != null && ring != null ? model.overflowList(ring) : null, heard, runner.reaped(), failures,
                    remarks);
            heard.clear();
            remarks.clear();
            return view;
        }

        void close(Lesson lesson) {
            runner.close(lesson.vector());
            if (model != null) {
                model.withRuleListener(RuleListener.NONE);
            } else if (emulator != null) {
                emulator.withRuleListener(RuleListener.NONE);
            }
        }
    }
}
