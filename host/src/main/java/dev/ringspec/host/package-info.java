/**
 * {@code ringspec host}: an unmodified program's io_uring served by the emulator in this JVM.
 *
 * <pre>
 *  program (any language)                 this JVM
 *  ─────────────────────                  ────────────────────────────────────────────────────────────
 *  ringspec-launcher: seccomp filter  ──►  FIFO "PID FD KILLABLE" ──► pidfd_getfd: the listener (Launcher)
 *    execs PROGRAM                   ◄──  one byte back
 *  io_uring_setup/enter/register     ──►  NOTIF_RECV ──► the program thread's JVM thread  (Supervisor)
 *    (SECCOMP_RET_USER_NOTIF)              EmulatedIoUring.hosted: arguments through windows
 *                                           (process_vm_readv/writev, RemoteMemory), descriptors
 *                                           through pidfd_getfd (ProgramDescriptors)
 *                                          NOTIF_ID_VALID, changed bytes written back, NOTIF_SEND
 *  setup's answer: a new descriptor  ◄──  NOTIF_ADDFD (ADDFD_FLAG_SEND): a second description of the ring's
 *                                          memfd (/proc/self/fd/N reopened), watched by inotify          (RingEnds)
 *  mmap(fd, IORING_OFF_SQ_RING / SQES)     the same pages: struct io_rings at 0, the SQEs at 0x10000000
 *    (not intercepted)
 *  close, munmap, exit: the last         IN_CLOSE_WRITE ──► the emulated ring closed: requests cancelled,
 *    reference to that description   ──►    registered files let go
 *  a signal while the supervisor       /proc/PID/task/TID/status every 5 ms ──► the JVM thread interrupted:
 *    serves a GETEVENTS wait              the wait ends -EINTR (or 0), the handler runs on return (PendingSignals)
 * </pre>
 *
 * The rings themselves are shared memory: the program writes SQEs and reads CQEs with no supervisor in between;
 * only the three syscalls cross.
 */
package dev.ringspec.host;
