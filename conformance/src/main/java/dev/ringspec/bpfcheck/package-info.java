/**
 * The cBPF oracle: the spec-model's classic-BPF checker and interpreter ({@code dev.ringspec.bpf}) against this
 * kernel's, reached through a socket filter ({@link dev.ringspec.nativerunner.SocketFilterKernel}: an
 * {@code AF_UNIX} datagram pair, {@code SO_ATTACH_FILTER}, one datagram).
 *
 * <pre>
 *  seed ──► ProgramGenerator ──► BpfCase (program, packet)
 *                                   │
 *                                   ▼
 *        BpfOracle: model check ── attach ── kernel errno        differ ──► Kind.CHECK
 *                   model run (Returned v / load failed / X = 0 / no device / outside: skipped, counted)
 *                      │
 *                      ▼
 *        Instrumentation: RET K → RET #KEEP where K = v, else RET #0; RET A → JA epilogue
 *                         (JEQ #v ? RET #KEEP : RET #0); nothing moves, so the datagram arrives
 *                         whole exactly when the kernel's run returned v at a RET
 *                      │ attach, send, recv (MSG_DONTWAIT)
 *                      ▼
 *        delivery ≠ expected ──► Kind.RESULT
 *                      │ a difference
 *                      ▼
 *        BpfShrinker (delete instructions with jumps fixed, simpler K and offsets, shorter packet)
 *                      ▼
 *        report + BpfReplays JSON + BpfCReproducer (prints the kernel's answers beside the model's)
 * </pre>
 *
 * <p>{@link dev.ringspec.bpfcheck.BpfCheck} is the run ({@code ringspec bpf-check}, and the short run at the end
 * of {@code ringspec check}); {@link dev.ringspec.bpfcheck.BpfMutantCheck} proves each model mutant is caught and
 * shrunk to at most 8 instructions.
 */
package dev.ringspec.bpfcheck;
