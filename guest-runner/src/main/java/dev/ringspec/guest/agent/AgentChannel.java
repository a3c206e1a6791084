package dev.ringspec.guest.agent;

import java.io.InputStream;
import java.io.OutputStream;

/**
 * The byte stream to one agent: a natively running agent's stdin and stdout, or a QEMU guest's virtio-serial port.
 * Reads are blocking; {@link #kill()} must make a blocked read end, which is how every wait on the agent is bounded.
 */
public interface AgentChannel extends AutoCloseable {

    /** What the agent runs on, for messages: for example {@code "a native agent (pid 1234)"}. */
    String description();

    InputStream in();

    OutputStream out();

    /** Ends the agent (and its guest) now; a read blocked on {@link #in()} then ends. Idempotent. */
    void kill();

    /** Why the channel ended, where the far side can tell (exit status, a console's last lines), or "". */
    String deathDetail();

    @Override
    default void close() {
        kill();
    }
}
