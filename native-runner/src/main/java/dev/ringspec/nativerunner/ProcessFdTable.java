package dev.ringspec.nativerunner;

import dev.ringspec.model.ProcessDescriptorTable;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The file descriptors of this process, read from {@code /proc/self/fd}: the table the kernel's {@code fget}
 * looks in. A model running beside the kernel in one process, as in a lockstep check, asks this table so that
 * both judge a descriptor alike.
 */
public final class ProcessFdTable implements ProcessDescriptorTable {
    public static final ProcessFdTable INSTANCE = new ProcessFdTable();
    private static final Path FDS = Path.of("/proc/self/fd");

    private ProcessFdTable() {
    }

    @Override
    public boolean isOpen(int fd) {
        return fd >= 0 && Files.exists(FDS.resolve(Integer.toString(fd)));
    }
}
