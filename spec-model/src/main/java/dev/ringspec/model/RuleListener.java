package dev.ringspec.model;

/**
 * Hears the model's rules as they apply ({@link ModelIoUring#withRuleListener}). Called on the thread that made
 * the syscall, in the middle of it: a listener must not call back into the model. The model checks once whether
 * anyone listens ({@link #NONE} costs one branch per site) and never allocates to report.
 */
@FunctionalInterface
public interface RuleListener {

    /**
     * {@code rule} applied.
     *
     * @param ringFd the ring's descriptor, or -1 for a rule of setup or of a register call without a ring
     * @param detail what the rule's own documentation in {@link Rules} says (a request's user_data for the rules of
     *     a request), else 0
     */
    void fired(Rule rule, int ringFd, long detail);

    /** Nobody listens. */
    RuleListener NONE = (rule, ringFd, detail) -> { };
}
