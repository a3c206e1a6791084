package dev.ringspec.guest.machine;

import java.io.IOException;
import java.util.List;

/**
 * The guest went away while the host was talking to it: its kernel panicked, /init exited, or QEMU was killed.
 * Thrown by {@link GuestChannel} in place of a bare end of stream, with QEMU's exit status and the console's last
 * lines.
 */
public final class GuestDiedException extends IOException {
    private static final long serialVersionUID = 1L;

    private final transient List<String> consoleTail;

    public GuestDiedException(String sentence, List<String> consoleTail) {
        super(GuestMachine.withConsole(sentence, consoleTail));
        this.consoleTail = List.copyOf(consoleTail);
    }

    /** The console's last lines when the guest was found gone. */
    public List<String> consoleTail() {
        return consoleTail;
    }
}
