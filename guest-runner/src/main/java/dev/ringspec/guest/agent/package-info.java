/**
 * The agent that executes io_uring calls for the host, and its protocol.
 *
 * <p>{@code ringspec-agent.c} (a resource here, built by {@link dev.ringspec.guest.agent.AgentBinary} with
 * {@code gcc -static}) runs as a QEMU guest's {@code /init}, or natively over stdin/stdout
 * ({@code ringspec-agent --stdio}, {@link dev.ringspec.guest.agent.NativeAgent}) to test the protocol against this
 * machine's kernel.
 *
 * <h2>As a guest's /init</h2>
 * It mounts devtmpfs on /dev, sysfs on /sys, proc on /proc and a tmpfs on /tmp, sends its diagnostics to
 * /dev/console, loads the modules listed in {@code /modules.list} with {@code finit_module} (one absolute path per
 * line, in load order; blank lines and lines starting with {@code #} are skipped; a {@code .xz}, {@code .gz} or
 * {@code .zst} file is passed with {@code MODULE_INIT_COMPRESSED_FILE}; an already loaded module is fine), then
 * opens the virtio-serial port named {@code ringspec.agent} or {@code agent} (else the first port) under
 * {@code /sys/class/virtio-ports}, waiting up to 10 s for it to appear. When the host closes the channel it powers
 * the guest off.
 *
 * <h2>Frames</h2>
 * All numbers little-endian. The agent first writes the 8 bytes {@code RSAGENT1}. Then each request is one frame
 * and is answered by one frame with the same call id:
 * <pre>
 * request:  u32 length | u32 callId | u32 thread | u32 op | memory section | op arguments
 * answer:   u32 length | u32 callId | u32 status (0 ok, 1 refused: the bytes are the reason) | i64 result
 *           | u32 aux | u32 n | n bytes (op output) | memory section
 * </pre>
 * {@code thread} names the host thread; the agent serves each on a thread of its own, created on first use
 * (op 7 ends one). The thread holding the reader role reads the next frame and serves it itself when it is its
 * own, so a host thread calling again and again costs no hand-over between threads in the guest; the main thread
 * takes the role over from a call that blocks for more than a few milliseconds. Op 9 (ping) is answered by the
 * reader at once, so it measures the channel alone. Ops: 1 setup(ringId, entries, u64 params), 2 enter(fd, toSubmit, minComplete, flags, u64 arg,
 * u64 argSize), 3 register(fd, opcode, u64 arg, nrArgs, ringId: non-zero for a resize the agent maps anew; aux 1
 * when it could not and closed the ring), 4 close(ringId), 5 uname (output: the release), 6 run(timeoutMillis,
 * argc, strings; aux the wait status; output: u32 timedOut, stdout, stderr), 8 write-file(mode, path, bytes),
 * 9 ping. Results are the syscall's, {@code -errno} on failure.
 *
 * <h2>Memory</h2>
 * A memory section is {@code u32 count} commands: 1 mirror-add(u64 addr, u32 len, bytes), 2 mirror-drop(addr,
 * len), 3 mirror-diff(addr, len, runs), 4 transient-add (a mirror for this call only), 5 region-diff(u32 ringId,
 * u8 region: 0 SQ ring, 1 CQ ring, 2 SQEs; runs), 6 ring-pages(u32 ringId, u8 slot, u64 addr, u64 len: NO_MMAP
 * memory the host placed). Runs are {@code u32 count} of (u32 offset, u32 length, bytes). Mirrors are host memory
 * mapped in the agent at the same virtual addresses, so pointers inside arguments stay valid. Both sides keep the
 * last synced copy of every mirror and region; a request carries what the application changed, an answer what
 * the kernel changed. The agent keeps its own memory out of the way: its thread stacks at {@code 0x3f0000000000},
 * and the free address space from {@code 0x700000000000} up reserved, so the kernel places ring mappings below it.
 * Op 10 (files: u32 count of (fd, kind, u64 group)) recreates the host's descriptors at the same numbers: each host
 * pipe as one pipe (group: its inode), eventfds as eventfds, the rest as /dev/null.
 *
 * <h2>Tasks</h2>
 * Per-task restrictions ({@code IORING_REGISTER_RESTRICTIONS} on fd -1), no_new_privs and a SINGLE_ISSUER ring's
 * owner belong to the kernel task that serves a host thread, which is a thread of the agent. A new thread inherits
 * its creator's restrictions, no_new_privs and credentials ({@code copy_process}, {@code __io_uring_fork}), so
 * fresh serving threads are all made by a spawner thread that never restricts itself. Op 11 (task: u32 command,
 * u32 value; {@link dev.ringspec.guest.agent.AgentTask}) acts on the serving task: 1 sets no_new_privs; 2 forks, the
 * serving thread creating its own successor (which inherits, and gives up CAP_SYS_ADMIN first when value is 1) and
 * ending once it has answered, so the host thread goes on in the child with the same rings and mirrors; 3 ends the
 * serving thread, so the host thread's next call is served by a fresh task. A lockstep run that changed its task
 * ends with 3, and a restriction never outlives the run that made it.
 */
package dev.ringspec.guest.agent;
