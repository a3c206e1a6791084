package dev.ringspec.guest.machine;

import java.util.List;

/**
 * The guest did not come up: QEMU refused the image, the kernel panicked or hung, or /init never said hello. The
 * message is one sentence; {@link #consoleTail()} holds the console's last lines (also appended to the message).
 */
public final class GuestBootException extends Exception {
    private static final long serialVersionUID = 1L;

    private final transient List<String> consoleTail;

    public GuestBootException(String sentence, List<String> consoleTail) {
        super(GuestMachine.withConsole(sentence, consoleTail));
        this.consoleTail = List.copyOf(consoleTail);
    }

    /** A boot refused before QEMU started: the sentence alone. */
    public GuestBootException(String sentence) {
        super(sentence + ".");
        this.consoleTail = List.of();
    }

    /** The console's last lines when the boot was given up. */
    public List<String> consoleTail() {
        return consoleTail;
    }
}
