/**
 * Kernels to boot: a spec ({@code debian:6.1}, {@code debian:6.12}, {@code debian:7.2}, {@code debian:7.3}, or the
 * path of a bzImage the user built) resolved to an image on disk and the modules its guest must load.
 *
 * <pre>
 * spec          suites (private apt)            package downloaded            image                 guest modules
 * debian:6.1    bookworm, bookworm-security     linux-image-ABI-cloud-amd64-  boot/vmlinuz-ABI      the six virtio
 *                                               unsigned (image + modules)                          modules, .ko
 * debian:6.12   trixie, trixie-security         linux-image-ABI-...-unsigned  boot/vmlinuz-ABI      built in
 * debian:7.2    sid                             linux-binary-ABI-cloud-amd64  usr/lib/modules/ABI/  built in
 *                                               + linux-base-ABI (config,     vmlinuz
 *                                               modules.builtin)
 * debian:7.3    experimental                    as 7.2                        as 7.2                built in
 * FILE          none                            none                          FILE (bzImage header  none
 *                                                                             checked first)
 * </pre>
 *
 * <p>Kernel packages are downloaded, never installed: {@link dev.ringspec.guest.kernel.PrivateApt} runs
 * {@code apt-get update}, {@code apt-cache} and {@code apt-get download} against a configuration of its own (its
 * own sources list naming only the suites needed, its own lists, cache and an empty status file), verified with
 * the system's Debian archive keyring, and {@code dpkg-deb -x} unpacks into a scratch directory. Nothing is added
 * to the system's sources and nothing runs {@code apt-get install}: adding sid or experimental to a stable system
 * and installing from it breaks the machine. Which modules the guest needs is read from the package's
 * {@code modules.builtin}, not assumed from the version; 7.x's {@code linux-modules-ABI} is fetched only where one
 * is missing.
 */
package dev.ringspec.guest.kernel;
