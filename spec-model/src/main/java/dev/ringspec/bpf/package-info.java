/**
 * Classic BPF exactly as Linux checks and runs it: the checker of {@code net/core/filter.c}, what socket filters
 * and io_uring filters add to it, and an interpreter with the semantics of the kernel's eBPF translation.
 *
 * <h2>The life of a classic program in the kernel</h2>
 * <pre>
 *   user sock_filter[]                       (dev.ringspec.uapi.SockFilter)
 *     bpf_check_basics_ok       NULL, 0 or &gt; 4096 insns -&gt; -EINVAL           ClassicChecker
 *     bpf_check_classic         per insn in order: chk_code_allowed, DIV/MOD K=0,
 *                               shift K&gt;=32, M[K&gt;=16], JA/Jxx past end, unknown
 *                               SKF_AD_*; then last insn RET; then
 *                               check_load_and_stores (M read before written)  ClassicChecker
 *     trans hook                io_uring: io_uring_check_cbpf_filter            IoUringCbpfChecker
 *                               (seccomp: seccomp_check_filter; sockets: none)
 *     bpf_convert_filter        classic -&gt; eBPF; jump offsets must fit s16     ClassicConverter
 *     __sk_filter_charge        sockets only: bpf_prog_size &lt; optmem_max       SocketFilterChecker
 *   run: eBPF interpreter or x86-64 JIT of the translation                     ClassicInterpreter
 *     on an skb (socket filter)                                                 UnixDatagram
 *     on struct io_uring_bpf_ctx (io_uring filter)                              IoUringContext
 * </pre>
 *
 * <h2>The semantics the translation gives</h2>
 * A and X are 32-bit and start at 0; ALU operations are eBPF ALU32 (wrapping, unsigned DIV and MOD, shifts by
 * {@code X & 31}, which the x86-64 JIT's {@code shl/shr r32, cl} also does); jumps compare unsigned 32-bit values;
 * {@code DIV X}/{@code MOD X} with X = 0 end the program returning 0; a packet load out of range ends it returning
 * 0; {@code RET} returns a {@code u32}. Scratch memory is the eBPF stack and is not cleared, which is why the
 * checker insists on a write before every read.
 *
 * <p>{@link dev.ringspec.bpf.ClassicBpf} is the front door; {@link dev.ringspec.bpf.BpfMutant} lists the
 * deviations the oracles must catch.
 */
package dev.ringspec.bpf;
