package dev.ringspec.emulator;

import static dev.ringspec.emulator.sys.Linux.SYS_MEMFD_CREATE;

import dev.ringspec.emulator.sys.Linux;
import dev.ringspec.model.ModelIoUring;
import dev.ringspec.model.ProcessDescriptorTable;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * The process's real descriptor table, as the emulator's model sees it: a descriptor is open when
 * {@code fcntl(F_GETFD)} says so; a registered-file slot holds a duplicate of the application's descriptor, as the
 * kernel holds a reference to its file, so it outlives the application's close. A ring's descriptor is a real one
 * too (a memfd, so no other file of the process can have its number).
 */
final class RealDescriptors implements ProcessDescriptorTable, ModelIoUring.RingDescriptors {
    private static final int MFD_CLOEXEC = 1;

    @Override
    public boolean isOpen(int fd) {
        return Linux.isOpen(fd);
    }

    @Override
    public int acquire(int fd) {
        int dup = Linux.dup(fd);
        if (dup < 0) {
            throw new IllegalStateException("cannot hold a reference to descriptor " + fd + ": " + dup);
        }
        return dup;
    }

    @Override
    public void release(int reference) {
        Linux.close(reference);
    }

    @Override
    public int open() {
        try (Arena call = Arena.ofConfined()) {
            MemorySegment name = call.allocateFrom("ringspec-emulated-ring");
            int fd = (int) Linux.call(SYS_MEMFD_CREATE, name.address(), MFD_CLOEXEC);
            if (fd < 0) {
                throw new IllegalStateException("no descriptor for an emulated ring: memfd_create " + fd);
            }
            return fd;
        }
    }

    @Override
    public void close(int fd) {
        Linux.close(fd);
    }
}
