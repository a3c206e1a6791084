/**
 * The SQE fuzz: random and mutated SQEs submitted to the emulator and to this machine's kernel side by side, every
 * CQE's res and flags compared where the emulator implements the opcode ({@link dev.ringspec.sqefuzz.SqeFuzz}), in
 * a world the fuzz owns so the kernel's real I/O cannot reach the JVM ({@link dev.ringspec.sqefuzz.FuzzWorld}).
 */
package dev.ringspec.sqefuzz;
