package dev.ringspec.seam;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;

class UserMemoryTest {

    @Test
    void anAddressInsideAnAllocationResolvesToTheSameBytes() {
        try (UserMemory memory = new UserMemory()) {
            MemorySegment a = memory.allocate(64);
            a.set(ValueLayout.JAVA_INT, 8, 1234);
            MemorySegment view = memory.resolve(a.address() + 8, 4);
            assertThat(view).isNotNull();
            assertThat(view.get(ValueLayout.JAVA_INT, 0)).isEqualTo(1234);
        }
    }

    @Test
    void addressesOutsideEveryAllocationDoNotResolve() {
        try (UserMemory memory = new UserMemory(); Arena other = Arena.ofConfined()) {
            MemorySegment a = memory.allocate(64);
            assertThat(memory.resolve(a.address() + 60, 8)).as("runs past the end").isNull();
            assertThat(memory.resolve(0, 8)).as("NULL").isNull();
            assertThat(memory.resolve(1, 8)).isNull();
            assertThat(memory.resolve(other.allocate(16).address(), 8)).as("not registered").isNull();
        }
    }
}
