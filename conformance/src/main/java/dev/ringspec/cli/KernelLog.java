package dev.ringspec.cli;

import dev.ringspec.nativerunner.Posix;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * This machine's kernel log, read from {@code /dev/kmsg} without blocking: {@link #open} reads past every record
 * already there (the log before the run), and each {@link #newLines} returns the messages logged since. A record
 * reads as {@code prio,seq,usec,flags;message}; the message is returned with its syslog level as {@code <N>}, so
 * {@link KernelSplats#parse} reads it as it reads a console line.
 */
final class KernelLog implements KernelSplats.Source, AutoCloseable {
    static final String DEVICE = "/dev/kmsg";
    private static final int EAGAIN = 11;
    private static final int EPIPE = 32;
    private static final int EINTR = 4;
    private static final int RECORD_BYTES = 8192;

    private final Arena arena = Arena.ofShared();
    private final MemorySegment buffer = arena.allocate(RECORD_BYTES);
    private final int fd;

    private KernelLog(int fd) {
        this.fd = fd;
    }

    /** The log positioned after its last record, or the one-sentence reason it cannot be read here. */
    static Result open(String device) {
        int fd = Posix.openat(Posix.AT_FDCWD, device, Posix.O_RDONLY | Posix.O_NONBLOCK | Posix.O_CLOEXEC, 0);
        if (fd < 0) {
            return new Result(Optional.empty(), "the kernel log (" + device + ") cannot be read here (errno "
                    + -fd + "), so kernel splats are not watched");
        }
        KernelLog log = new KernelLog(fd);
        log.newLines();
        return new Result(Optional.of(log), null);
    }

    record Result(Optional<KernelLog> log, String reason) {
    }

    /** The messages logged since the last call, each as {@code <level>message}; continuation lines dropped. */
    @Override
    public synchronized List<String> newLines() {
        List<String> lines = new ArrayList<>();
        while (true) {
            long n = Posix.read(fd, buffer, RECORD_BYTES);
            if (n == -EPIPE || n == -EINTR) {
                continue; // records overwritten before they were read: go on with the oldest one left
            }
            if (n <= 0) {
                if (n < 0 && n != -EAGAIN) {
                    lines.add("<3>ringspec: reading " + DEVICE + " failed with errno " + -n);
                }
                return lines;
            }
            String record = new String(buffer.asSlice(0, n).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE),
                    StandardCharsets.UTF_8);
            int semicolon = record.indexOf(';');
            int comma = record.indexOf(',');
            if (semicolon < 0 || comma < 0 || comma > semicolon) {
                continue;
            }
            int level;
            try {
                level = Integer.parseInt(record.substring(0, comma)) & 7;
            } catch (NumberFormatException e) {
                continue;
            }
            String message = record.substring(semicolon + 1).lines().findFirst().orElse("");
            lines.add("<" + level + ">" + message);
        }
    }

    @Override
    public String description() {
        return "the kernel log, " + DEVICE;
    }

    @Override
    public void close() {
        Posix.close(fd);
        arena.close();
    }
}
