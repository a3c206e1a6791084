package dev.ringspec.scenarios;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import dev.ringspec.seam.BackendRegistry;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;

/** The contract as a consumer runs it: a selected backend that cannot run here is reported skipped, with why. */
class SkipUnavailableBackendTest {

    @Test
    void anUnavailableBackendIsSkippedWithItsReasonWhileTheOthersRun() {
        List<String> aborted = new ArrayList<>();
        List<String> succeeded = new ArrayList<>();
        List<String> failed = new ArrayList<>();
        TestExecutionListener listener = new TestExecutionListener() {
            @Override
            public void executionFinished(TestIdentifier test, TestExecutionResult result) {
                if (!test.isTest()) {
                    return;
                }
                switch (result.getStatus()) {
                    case ABORTED -> aborted.add(test.getDisplayName() + ": "
                            + result.getThrowable().map(Throwable::getMessage).orElse(""));
                    case SUCCESSFUL -> succeeded.add(test.getDisplayName());
                    case FAILED -> failed.add(test.getDisplayName() + ": " + result.getThrowable().orElseThrow());
                }
            }
        };
        String before = System.getProperty(BackendRegistry.SELECTION_PROPERTY);
        System.setProperty(BackendRegistry.SELECTION_PROPERTY, "unavailable,model-7.1");
        try {
            Launcher launcher = LauncherFactory.create();
            launcher.execute(LauncherDiscoveryRequestBuilder.request().selectors(selectClass(LinkChainTest.class))
                    .build(), listener);
        } finally {
            if (before == null) {
                System.clearProperty(BackendRegistry.SELECTION_PROPERTY);
            } else {
                System.setProperty(BackendRegistry.SELECTION_PROPERTY, before);
            }
        }
        assertThat(failed).isEmpty();
        assertThat(succeeded).isNotEmpty().allSatisfy(name -> assertThat(name).contains("model-7.1"));
        assertThat(aborted).hasSameSizeAs(succeeded).allSatisfy(reason -> assertThat(reason)
                .contains("unavailable").endsWith("unavailable cannot run here: " + UnavailableBackendProvider.REASON));
    }
}
