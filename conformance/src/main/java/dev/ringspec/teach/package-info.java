/**
 * Teaching: {@code ringspec explain} shows the rings step by step, in the terminal ({@link RingPicture}) and as one
 * self-contained HTML page ({@link HtmlPage}). A lesson ({@code fixtures}, {@code dev.ringspec.fixtures.vectors.Lesson})
 * runs on the model, whose rule events name what acted at each step, and with {@code --kernel} on this kernel beside
 * it ({@link LessonRun}); a saved lockstep divergence or catalogue entry replays on both up to the step where they
 * part ({@link ReplayRun}). Every picture is drawn from the ring memory an application can see
 * ({@link dev.ringspec.seam.RingObservation}), plus the model's overflow list, which no application can.
 *
 * <pre>
 * lesson file ── VectorParser.parseLesson ── LessonRun (VectorRunner.stepwise on the model [and the kernel])
 *                                              └ Frame per step: narration, RingObservation, overflow list, rules
 * replay JSON ── ReplayStore.read ── ReplayRun (LockstepRunner.run with a StepWatcher) ── Frames
 * Frames ── RingPicture (terminal, side by side) | HtmlPage (SVG, step forward/back, changes highlighted)
 * </pre>
 */
package dev.ringspec.teach;
