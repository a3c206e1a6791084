package dev.ringspec.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ringspec.capabilities.Feature;
import dev.ringspec.capabilities.KernelCapabilities;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * The report's "missing beside the 7.1 uapi" lists, for the capability set measured on Linux 6.18.44
 * (shared/reference/uapi.md, "Kernel 6.18.44 reality"), written out here by hand.
 */
class CapsReportTest {
    private static final KernelCapabilities LINUX_6_18 = new KernelCapabilities("Linux 6.18.44 (FFM)",
            "6.18.44", 0x3ffff, 0x7ffff, 62, IntStream.rangeClosed(0, 62).boxed().toList(),
            IntStream.range(0, 36).boxed().toList(), 0x3f,
            new KernelCapabilities.QueryOpcodes(63, 36, 0x3ffff, 0x7ffff, 0xff, 0x7f, 1),
            EnumSet.of(Feature.SQE128, Feature.CQE32, Feature.NO_SQARRAY, Feature.RESIZE_RINGS, Feature.CQE_MIXED,
                    Feature.QUERY),
            true, Set.of());

    @Test
    void missingListsNameWhatTheUapiHasAndTheKernelLacks() {
        CapsReport report = CapsReport.of(LINUX_6_18);
        assertThat(report.setupFlags().missing()).containsExactly("SQE_MIXED", "SQ_REWIND");
        assertThat(report.requestOpcodes().missing()).containsExactly("NOP128", "URING_CMD128");
        assertThat(report.registerOpcodes().missing()).containsExactly("ZCRX_CTRL", "BPF_FILTER");
        assertThat(report.nopFlags().missing()).isEmpty();
        assertThat(report.featureBits().missing()).isEmpty();
        assertThat(report.table()).contains("request opcodes    63 of 65")
                .contains("SQE_MIXED          no           6.19");
    }

    @Test
    void jsonCarriesEveryFeatureWithItsPresence() throws Exception {
        JsonNode json = CapsCommand.mapper().readTree(CapsCommand.mapper().writeValueAsString(CapsReport.of(LINUX_6_18)));
        assertThat(json.get("available").asBoolean()).isTrue();
        List<String> present = json.get("features").valueStream().filter(f -> f.get("present").asBoolean())
                .map(f -> f.get("name").asText()).toList();
        assertThat(present).containsExactlyInAnyOrder("SQE128", "CQE32", "NO_SQARRAY", "RESIZE_RINGS", "CQE_MIXED",
                "QUERY");
        assertThat(json.get("features")).hasSize(Feature.values().length);
        assertThat(json.get("query").get("nrRequestOpcodes").asInt()).isEqualTo(63);
    }
}
