package dev.ringspec.lockstep;

import java.util.List;

/** Prints a shrunk case as a JUnit test method that replays its steps through the seam on both backends. */
public final class JavaReproducer {
    private JavaReproducer() {
    }

    public static String testMethod(String name, List<Step> ops, Divergence divergence) {
        StringBuilder b = new StringBuilder();
        b.append("@Test\n");
        b.append("void ").append(name).append("() {\n");
        b.append("    // ").append(divergence.field()).append(" at step ").append(divergence.step()).append(": reference ")
                .append(oneLine(divergence.referenceValue())).append(", subject ")
                .append(oneLine(divergence.subjectValue())).append('\n');
        b.append("    List<Step> steps = List.of(\n");
        for (int i = 0; i < ops.size(); i++) {
            b.append("            ").append(StepForms.java(ops.get(i))).append(i < ops.size() - 1 ? "," : "")
                    .append(" // ").append(i).append('\n');
        }
        b.append("    );\n");
        b.append("    try (LockstepRunner runner = new LockstepRunner(ReferenceBackends.reference(null), "
                + "ReferenceBackends.kernel(), DivergenceCatalogue.load())) {\n");
        b.append("        assertThat(runner.run(steps, null).divergence()).isNull();\n");
        b.append("    }\n");
        b.append("}\n");
        return b.toString();
    }

    private static String oneLine(String s) {
        String t = s.replace('\n', ' ');
        return t.length() > 120 ? t.substring(0, 117) + "..." : t;
    }
}
