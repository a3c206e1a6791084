package dev.ringspec.guest.machine;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ByteChannel;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SocketChannel;

/**
 * The host's end of the guest's virtio-serial port: bytes written here are read by the guest's /init from its
 * port, and what it writes comes back here. A blocking channel; where the guest goes away (panic, /init exiting,
 * QEMU killed) a read or write throws {@link GuestDiedException} with QEMU's exit status and the console's last
 * lines instead of returning end of stream.
 */
public final class GuestChannel implements ByteChannel {
    private final SocketChannel socket;
    private final GuestMachine machine;

    GuestChannel(SocketChannel socket, GuestMachine machine) {
        this.socket = socket;
        this.machine = machine;
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        int count;
        try {
            count = socket.read(dst);
        } catch (IOException e) {
            throw translate(e);
        }
        if (count < 0) {
            throw machine.died();
        }
        return count;
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
        try {
            return socket.write(src);
        } catch (IOException e) {
            throw translate(e);
        }
    }

    /** Reads until {@code dst} is full. */
    public void readFully(ByteBuffer dst) throws IOException {
        while (dst.hasRemaining()) {
            read(dst);
        }
    }

    /** Writes all of {@code src}. */
    public void writeFully(ByteBuffer src) throws IOException {
        while (src.hasRemaining()) {
            write(src);
        }
    }

    @Override
    public boolean isOpen() {
        return socket.isOpen();
    }

    /** Closes the host's end; the guest sees its port's host side disconnect. {@link GuestMachine#close} stops it. */
    @Override
    public void close() throws IOException {
        socket.close();
    }

    private IOException translate(IOException e) {
        // A channel the caller closed stays a ClosedChannelException; one that broke because QEMU went away (or
        // that the machine's exit watcher closed for that reason) is a dead guest.
        if (machine.closedByCaller() || (e instanceof ClosedChannelException && machine.isAlive())) {
            return e;
        }
        GuestDiedException died = machine.died();
        died.addSuppressed(e);
        return died;
    }
}
