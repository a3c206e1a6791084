package dev.ringspec.guest.machine;

import java.nio.file.Path;

/** Boots a guest, prints {@code QEMU <pid>}, and waits to be killed: the other JVM in {@link NoStrayQemuTest}. */
public final class BootAndWait {
    private BootAndWait() {
    }

    public static void main(String[] args) throws Exception {
        GuestMachine machine = GuestMachine.boot(Path.of(args[0]), Path.of(args[1]), GuestMachine.Options.defaults());
        System.out.println("QEMU " + machine.pid());
        System.out.flush();
        Thread.sleep(Long.MAX_VALUE);
    }
}
