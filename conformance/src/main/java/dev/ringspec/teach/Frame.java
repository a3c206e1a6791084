package dev.ringspec.teach;

import dev.ringspec.model.Rule;
import dev.ringspec.seam.Cqe;
import dev.ringspec.seam.RingObservation;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One step of an explanation: the lesson line that acted, the narration before it, and what each side showed after
 * it. {@code kernel} is {@code null} when only the model ran, {@code model} when only a kernel did.
 *
 * @param number the step's number, from 1
 * @param line the lesson's line (or the replay's step number)
 * @param action the line's text
 * @param narration the {@code say} lines since the step before
 */
public record Frame(int number, int line, String action, List<String> narration, View model, View kernel) {

    public Frame {
        narration = List.copyOf(narration);
    }

    /**
     * What one side showed after a step.
     *
     * @param ring the ring as an application sees it
     * @param result the step's syscall result, or {@code null} for a step without one
     * @param overflowList the CQEs in the overflow list (the model's only; {@code null} where it cannot be seen)
     * @param rules the model's rules that acted in the step, in order (empty for a kernel)
     * @param reaped the CQEs the step took off the CQ
     * @param failures expectations of the lesson that did not hold, or why the step could not run
     * @param remarks what else the side did in the step (a wait entered again after it ended early)
     */
    public record View(RingObservation ring, Long result, List<Cqe> overflowList, List<Fired> rules, List<Cqe> reaped,
            List<String> failures, List<String> remarks) {
        public View {
            overflowList = overflowList == null ? null : List.copyOf(overflowList);
            rules = List.copyOf(rules);
            reaped = List.copyOf(reaped);
            failures = List.copyOf(failures);
            remarks = List.copyOf(remarks);
        }
    }

    /** A rule that acted: its name, kernel function, ring-semantics section, sentence, and its detail word. */
    public record Fired(String name, String kernelFunction, String section, String sentence, long detail) {

        /** {@code rule}, fired with {@code detail} (0 where none was heard). */
        public static Fired of(Rule rule, long detail) {
            return new Fired(rule.name(), rule.kernelFunction(), rule.section(), rule.sentence(), detail);
        }
    }

    /** The rules in order of their first firing, each once: its sentence, where it lives, and its details. */
    public static List<String> grouped(List<Fired> rules) {
        Map<String, List<Fired>> byName = new LinkedHashMap<>();
        for (Fired f : rules) {
            byName.computeIfAbsent(f.name(), n -> new ArrayList<>()).add(f);
        }
        List<String> lines = new ArrayList<>();
        for (List<Fired> same : byName.values()) {
            Fired f = same.getFirst();
            String details = String.join(", ", same.stream().map(x -> Long.toUnsignedString(x.detail())).toList());
            boolean anyDetail = same.stream().anyMatch(x -> x.detail() != 0);
            lines.add(f.sentence() + " [" + f.name() + ", " + f.kernelFunction() + ", " + f.section()
                    + (same.size() > 1 ? "; " + same.size() + " times" + (anyDetail ? ", details " + details : "")
                            : anyDetail ? "; detail " + details : "") + "]");
        }
        return lines;
    }

    /**
     * Whether both sides ran the step and differ in what an application sees: ring memory, or the CQEs reaped
     * (not the setup's descriptor number, nor the overflow list, which only the model shows).
     */
    public boolean differs() {
        return model != null && kernel != null && (!RingPicture.lines(model.ring(), null)
                .equals(RingPicture.lines(kernel.ring(), null)) || !model.reaped().equals(kernel.reaped()));
    }
}
