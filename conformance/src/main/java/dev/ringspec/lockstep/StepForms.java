package dev.ringspec.lockstep;

import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A step says once what it does: its record components are its arguments, in order. From them come the step's
 * Java expression (the JUnit reproducer), its C call (the C reproducer calls a function of the same name and
 * arguments, defined once in the C program's prelude) and its simpler variants (the shrinker changes one component
 * at a time). Nothing here knows a step kind by name.
 */
final class StepForms {
    private StepForms() {
    }

    /** A component whose value is a bit set: written in hex, and shrunk by clearing bits. */
    static boolean isBitSet(RecordComponent c) {
        String n = c.getName().toLowerCase(Locale.ROOT);
        return n.endsWith("flags") || n.equals("pattern");
    }

    static RecordComponent[] components(Step step) {
        return step.getClass().getRecordComponents();
    }

    static Object value(Step step, RecordComponent c) {
        try {
            return c.getAccessor().invoke(step);
        } catch (IllegalAccessException | InvocationTargetException e) {
            throw new IllegalStateException("cannot read " + c.getName() + " of " + step, e);
        }
    }

    /** {@code step} with component {@code index} replaced by {@code value}, through the canonical constructor. */
    static Step with(Step step, int index, Object value) {
        RecordComponent[] cs = components(step);
        Object[] args = new Object[cs.length];
        Class<?>[] types = new Class<?>[cs.length];
        for (int i = 0; i < cs.length; i++) {
            args[i] = i == index ? value : value(step, cs[i]);
            types[i] = cs[i].getType();
        }
        try {
            Constructor<? extends Step> ctor = step.getClass().getDeclaredConstructor(types);
            return ctor.newInstance(args);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot rebuild " + step, e);
        }
    }

    /** {@code step} with the component called {@code name} replaced by {@code value}. */
    static Step with(Step step, String name, Object value) {
        RecordComponent[] cs = components(step);
        for (int i = 0; i < cs.length; i++) {
            if (cs[i].getName().equals(name)) {
                return with(step, i, value);
            }
        }
        throw new IllegalArgumentException(step + " has no component " + name);
    }

    /** The Java expression that builds {@code step}: {@code new Step.Enter(1, 0, 0x1)}. */
    static String java(Step step) {
        List<String> args = new ArrayList<>();
        for (RecordComponent c : components(step)) {
            Object v = value(step, c);
            args.add(switch (v) {
                case Step inner -> java(inner);
                case long[] program -> longs(program, "L", "new long[] {", "}");
                case Integer i when isBitSet(c) -> "0x" + Integer.toHexString(i);
                case Long l -> l + "L";
                default -> String.valueOf(v);
            });
        }
        return "new Step." + step.getClass().getSimpleName() + "(" + String.join(", ", args) + ")";
    }

    /**
     * The C call that performs {@code step} in the reproducer: {@code step_enter(1, 0, 0x1u)}, a function named after
     * the step kind in snake case, taking the step's components in order (ints as C ints, longs as unsigned 64-bit
     * hex, booleans as 0 or 1), returning the result the trace prints.
     */
    static String c(Step step) {
        List<String> args = new ArrayList<>();
        for (RecordComponent c : components(step)) {
            Object v = value(step, c);
            args.add(switch (v) {
                case Step inner -> throw new IllegalArgumentException("a nested step has no C argument form: " + step);
                case long[] program -> program.length == 0 ? "NULL, 0"
                        : longs(program, "ull", "(const unsigned long long[]) {", "}") + ", " + program.length;
                case Integer i when isBitSet(c) -> "0x" + Integer.toHexString(i) + "u";
                case Integer i -> i == Integer.MIN_VALUE ? "(-2147483647 - 1)" : String.valueOf(i);
                case Long l -> "0x" + Long.toHexString(l) + "ull";
                case Boolean b -> b ? "1" : "0";
                default -> throw new IllegalArgumentException("no C form for " + c.getName() + " of " + step);
            });
        }
        return cFunction(step) + "(" + String.join(", ", args) + ")";
    }

    /** Longs in hex with {@code suffix}, between {@code open} and {@code close}. */
    private static String longs(long[] values, String suffix, String open, String close) {
        List<String> out = new ArrayList<>(values.length);
        for (long v : values) {
            out.add("0x" + Long.toHexString(v) + suffix);
        }
        return open + String.join(", ", out) + close;
    }

    /** {@code step_} and the step kind in snake case: {@code Step.WriteSqe} is {@code step_write_sqe}. */
    static String cFunction(Step step) {
        return "step" + step.getClass().getSimpleName().replaceAll("([A-Z])", "_$1").toLowerCase(Locale.ROOT);
    }
}
