package dev.ringspec.host;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@link TrainedClasses} lists the classes the AOT cache's training names as its compiles' dependencies (seen in
 * -XX:+AOTPrintTrainingInfo): a listing that missed them would silently bring the late C2 compiles back.
 */
class TrainedClassesTest {
    @Test
    void listsTheRequestStateClassesTrainedCompilesDependOn() {
        List<String> names = TrainedClasses.names();
        assertThat(names).contains("dev.ringspec.emulator.ops.Rw$State", "dev.ringspec.emulator.ops.TimeoutList$Data",
                "dev.ringspec.emulator.ops.Poll$PollReq", "dev.ringspec.emulator.ops.Versions",
                "dev.ringspec.host.ProgramDescriptors$Held", "dev.ringspec.host.PendingSignals$Wait",
                "dev.ringspec.host.Supervisor");
        assertThat(names).allMatch(n -> n.startsWith("dev.ringspec.host.")
                || n.startsWith("dev.ringspec.emulator.ops."));
    }
}
