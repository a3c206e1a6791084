/**
 * Runs the vectors of {@code dev.ringspec.fixtures.vectors} on any {@link dev.ringspec.seam.Backend}: a model
 * profile, this machine's kernel or a guest kernel. {@link dev.ringspec.vectors.VectorRunner} skips a vector whose
 * requirements the backend's probed capabilities do not meet, with the reason, and otherwise reports every
 * expectation that fails with the vector's line.
 */
package dev.ringspec.vectors;
