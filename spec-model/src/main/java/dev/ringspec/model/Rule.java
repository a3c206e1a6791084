package dev.ringspec.model;

import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * One rule of io_uring's semantics, with an identity: the kernel function that holds it, the section of
 * {@code shared/reference/ring-semantics.md} that describes it, and one sentence. The model reports a rule to its
 * {@link RuleListener} where the rule applies, so coverage, refusals, teaching and mutants all read the same events.
 *
 * <p>Every rule gets a dense {@link #id()} in the order rules are defined, so a listener can count in an array.
 * The model's own rules are the constants of {@link Rules}; another module (an emulator with opcodes of its own)
 * defines more with {@link #define}. {@link #all()} lists every rule defined so far, the model's first, so that
 * coverage can name the rules a run never saw.
 */
public final class Rule {
    private static final List<Rule> DEFINED = new CopyOnWriteArrayList<>();

    private final int id;
    private final String name;
    private final String kernelFunction;
    private final String section;
    private final String sentence;

    private Rule(int id, String name, String kernelFunction, String section, String sentence) {
        this.id = id;
        this.name = name;
        this.kernelFunction = kernelFunction;
        this.section = section;
        this.sentence = sentence;
    }

    /**
     * Defines a rule and gives it the next id.
     *
     * @param name a unique name in upper snake case, for example {@code "INIT_REQ_UNKNOWN_OPCODE"}
     * @param kernelFunction the kernel function that holds the rule, for example {@code "io_init_req"}
     * @param section the ring-semantics.md section, for example {@code "A1"}, or a source where none describes it
     * @param sentence what the rule says, in one sentence
     * @throws IllegalArgumentException if a rule of that name exists
     */
    public static Rule define(String name, String kernelFunction, String section, String sentence) {
        // The model's rules come first, whoever defines the first rule (within Rules' own initialisation this
        // call returns at once); outside the lock, so two threads initialising cannot wait on each other.
        Rules.load();
        return add(name, kernelFunction, section, sentence);
    }

    private static synchronized Rule add(String name, String kernelFunction, String section, String sentence) {
        Objects.requireNonNull(kernelFunction);
        Objects.requireNonNull(section);
        Objects.requireNonNull(sentence);
        if (!name.matches("[A-Z][A-Z0-9_]*")) {
            throw new IllegalArgumentException("a rule name is upper snake case: " + name);
        }
        for (Rule r : DEFINED) {
            if (r.name.equals(name)) {
                throw new IllegalArgumentException("rule " + name + " is defined already");
            }
        }
        Rule rule = new Rule(DEFINED.size(), name, kernelFunction, section, sentence);
        DEFINED.add(rule);
        return rule;
    }

    /** Every rule defined so far: the model's ({@link Rules}) first, in id order. */
    public static List<Rule> all() {
        Rules.load();
        return List.copyOf(DEFINED);
    }

    /** How many rules are defined: an array of this length holds a counter per {@link #id()}. */
    public static int count() {
        Rules.load();
        return DEFINED.size();
    }

    /** The rule called {@code name}. */
    public static Rule byName(String name) {
        for (Rule r : all()) {
            if (r.name.equals(name)) {
                return r;
            }
        }
        throw new IllegalArgumentException("no rule " + name);
    }

    /** Dense, from 0, in definition order. */
    public int id() {
        return id;
    }

    public String name() {
        return name;
    }

    public String kernelFunction() {
        return kernelFunction;
    }

    /** The section of ring-semantics.md, or the source where that document has none. */
    public String section() {
        return section;
    }

    public String sentence() {
        return sentence;
    }

    @Override
    public String toString() {
        return name;
    }
}
