package dev.ringspec.model;

/** Time for opcodes (timeouts, linked timeouts) and waits; the model's default is the JVM's monotonic clock. */
@FunctionalInterface
public interface Clock {

    long nanoTime();

    Clock SYSTEM = System::nanoTime;
}
