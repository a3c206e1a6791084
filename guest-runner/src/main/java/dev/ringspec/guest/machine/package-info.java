/**
 * The QEMU machine a guest kernel runs in, its initramfs, and the byte channel between the host and the guest's
 * /init.
 *
 * <p><b>What /init (the agent) must do</b>, in this order:
 * <ol>
 *   <li>mount devtmpfs on /dev, proc on /proc and sysfs on /sys (the initramfs holds only the mount points and
 *       {@code /dev/console});</li>
 *   <li>load each module named in {@code /modules.list} ({@link dev.ringspec.guest.machine.Initramfs#MODULES_LIST},
 *       one absolute path a line, in order; empty on 6.12 and later) with {@code finit_module(fd, "", flags)},
 *       flags {@code MODULE_INIT_COMPRESSED_FILE} (4) for a {@code .ko.xz}/{@code .ko.zst}, EEXIST meaning already
 *       loaded;</li>
 *   <li>find the port whose {@code /sys/class/virtio-ports/vportNpM/name} reads {@code ringspec}
 *       ({@link dev.ringspec.guest.machine.GuestMachine#PORT_NAME}), waiting for it to appear (device probing is
 *       asynchronous), and open {@code /dev/vportNpM} read-write;</li>
 *   <li>write the hello, the 8 ASCII bytes {@code RSAGENT1}
 *       ({@link dev.ringspec.guest.machine.GuestMachine#HELLO}), before anything else;</li>
 *   <li>serve the host; {@code reboot(RB_POWER_OFF)} ends the guest (QEMU exits with status 0). Should /init exit,
 *       the kernel panics, QEMU exits ({@code panic=-1}, {@code -no-reboot}), and the host's next read throws
 *       {@link dev.ringspec.guest.machine.GuestDiedException} quoting the panic.</li>
 * </ol>
 * A read on the port returns 0 while the host end is not connected; QEMU keeps what the host sends until the guest
 * opens its port. {@code src/test/resources/.../test-init.c} is a stand-in that does all of this.
 *
 * <p><b>Boot times</b>, QEMU start to hello with the stand-in /init, TCG, 2 cores shared with other builds (load
 * average 12 to 17), eight boots of each: 6.1.192 (six modules loaded) 5.2 to 12.6 s, 6.12.118 6.3 to 18.5 s,
 * 7.2.13 6.2 to 17.1 s, 7.3-rc7 11.6 to 16.5 s. On an idle machine about 3 to 4 s each
 * (shared/reference/kernels.md); the default boot timeout, 120 s, leaves room for a loaded one.
 */
package dev.ringspec.guest.machine;
