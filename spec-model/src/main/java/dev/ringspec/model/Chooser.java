package dev.ringspec.model;

/**
 * Picks the outcome of a {@link Choice} each time the model reaches it ({@link ModelIoUring#withChooser}). Called on
 * the syscall's thread, in the middle of the syscall; must not call back into the model.
 */
@FunctionalInterface
public interface Chooser {

    /** The index of the outcome that happens this time, one of {@code choice.outcomes()}. */
    int choose(Choice choice, int ringFd);

    /** The model's behaviour before choices were named: every choice takes its default. */
    Chooser DEFAULT = (choice, ringFd) -> choice.defaultOutcome();
}
