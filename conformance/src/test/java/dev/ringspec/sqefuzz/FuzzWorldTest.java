package dev.ringspec.sqefuzz;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.emulator.sys.Linux;
import java.util.List;
import java.util.random.RandomGeneratorFactory;
import org.junit.jupiter.api.Test;

/** The fuzz's world notices when one of its descriptors was closed or now names another file. */
class FuzzWorldTest {

    @Test
    void aDescriptorReplacedUnderTheWorldIsNamed() throws Exception {
        try (FuzzWorld world = new FuzzWorld(RandomGeneratorFactory.of("L64X128MixRandom").create(7))) {
            assertThat(world.changedDescriptors()).isEmpty();
            // dup3 puts /dev/null under the pipe's write end: the number stays open, its file is another
            assertThat(Linux.call(Linux.SYS_DUP3, world.devNull, world.pipeWrite, 0)).isEqualTo(world.pipeWrite);
            List<String> changed = world.changedDescriptors();
            assertThat(changed).hasSize(1);
            assertThat(changed.getFirst()).startsWith(world.pipeWrite + " -> /dev/null (was pipe:[");
        }
    }
}
