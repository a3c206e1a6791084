/**
 * {@code ringspec host}: an unmodified program's io_uring served by the emulator in this JVM.
 *
 * <pre>
 *  program (any language)                 this JVM
 *  ─────────────────────                  ────────────────────────────────────────────────────────────
 *  ringspec-launcher: seccomp filter  ──►  FIFO "PID FD" ──► pidfd_getfd: the listener     (Launcher)
 *    execs PROGRAM                   ◄──  one byte back
 *  io_uring_setup/enter/register     ──►  NOTIF_RECV ──► the program thread's JVM thread  (Supervisor)
 *    (SECCOMP_RET_USER_NOTIF)              EmulatedIoUring.hosted: arguments through windows
 *                                           (process_vm_readv/writev, RemoteMemory), descriptors
 *                                           through pidfd_getfd (ProgramDescriptors)
 *                                          NOTIF_ID_VALID, changed bytes written back, NOTIF_SEND
 *  setup's answer: a new descriptor  ◄──  NOTIF_ADDFD (ADDFD_FLAG_SEND): the ring's memfd
 *  mmap(fd, IORING_OFF_SQ_RING / SQES)     the same pages: struct io_rings at 0, the SQEs at 0x10000000
 *    (not intercepted)
 * </pre>
 *
 * The rings themselves are shared memory: the program writes SQEs and reads CQEs with no supervisor in between;
 * only the three syscalls cross.
 */
package dev.ringspec.host;
