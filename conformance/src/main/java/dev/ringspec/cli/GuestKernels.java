package dev.ringspec.cli;

import dev.ringspec.guest.GuestKernel;
import dev.ringspec.guest.GuestUnavailableException;
import dev.ringspec.guest.agent.AgentException;
import dev.ringspec.guest.kernel.KernelImageException;
import dev.ringspec.guest.machine.GuestBootException;
import dev.ringspec.seam.UserMemory;
import java.io.IOException;
import java.io.PrintWriter;

/** {@code --kernel SPEC}: boots the kernel in QEMU for a command, and turns what can go wrong into one sentence. */
final class GuestKernels {
    private GuestKernels() {
    }

    /** What a command does with a booted guest and user memory the guest mirrors; answers the exit status. */
    interface Job {
        int run(GuestKernel guest, UserMemory memory) throws Exception;
    }

    /**
     * Boots {@code spec}, runs the job and stops the guest. QEMU or the kernel not to be had here exits
     * {@link GuestUnavailableException#EXIT_CODE} (77); a kernel that does not boot, or a guest that dies, exits 1.
     */
    static int withGuest(String spec, PrintWriter err, Job job) throws Exception {
        try (GuestKernel guest = GuestKernel.boot(spec); UserMemory memory = new UserMemory()) {
            return job.run(guest, memory);
        } catch (GuestUnavailableException e) {
            err.println("ringspec: " + e.getMessage());
            return e.exitCode();
        } catch (GuestBootException e) {
            err.println("ringspec: " + e.getMessage());
            e.consoleTail().forEach(line -> err.println("  console: " + line));
            return 1;
        } catch (KernelImageException | AgentException e) {
            err.println("ringspec: " + e.getMessage());
            return 1;
        } catch (IOException e) {
            err.println("ringspec: the guest kernel " + spec + " could not be prepared: " + e.getMessage());
            return 1;
        } finally {
            err.flush();
        }
    }
}
