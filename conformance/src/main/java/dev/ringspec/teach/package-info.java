/**
 * Teaching: {@code ringspec explain} shows the rings step by step, in the terminal ({@link TerminalText}) and as one
 * self-contained HTML page ({@link HtmlPage}). A lesson ({@code fixtures}, {@code dev.ringspec.fixtures.vectors.Lesson})
 * runs on the model's side, whose rule events name what acted at each step: the model, or for a lesson marked
 * {@code emulator} (opcodes the model does not execute, such as TIMEOUT) the deterministic emulator, the model's rules
 * with real opcodes. With {@code --kernel [SPEC]} it runs on this kernel or a guest kernel in QEMU beside it
 * ({@link LessonRun}); a saved lockstep divergence or catalogue entry replays on both up to the step where they part,
 * with the rules the engine's model counted in each step ({@link ReplayRun}). Every picture is drawn from the ring
 * memory an application can see ({@link dev.ringspec.seam.RingObservation}), plus the model's overflow list, which no
 * application can.
 *
 * <pre>
 * lesson file ── VectorParser.parseLesson ── LessonRun (VectorRunner.stepwise on the model or emulator [and a kernel])
 *                                              └ Frame per step: narration, RingObservation, overflow list, rules
 * replay JSON ── ReplayStore.read ── ReplayRun (LockstepRunner.run with a StepWatcher and Coverage) ── Frames
 * Frames ── TerminalText (side by side) | HtmlPage (SVG, step forward/back, changes highlighted)
 * </pre>
 */
package dev.ringspec.teach;
