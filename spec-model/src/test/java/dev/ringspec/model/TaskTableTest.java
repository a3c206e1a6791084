package dev.ringspec.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The task table's kept answer never outlives a replacement, and keys that are equal share a task. */
class TaskTableTest {
    private final AtomicInteger made = new AtomicInteger();
    private final TaskTable table = new TaskTable(() -> IoUringTask.root("t" + made.incrementAndGet(), true));

    @Test
    void aKeyAskedAgainGetsTheSameTaskAndAReplacementIsSeenAtOnce() {
        Object key = new Object();
        IoUringTask first = table.current(key);
        assertThat(table.current(key)).isSameAs(first);
        IoUringTask child = first.fork("child", false, false, false);
        table.set(key, child);
        assertThat(table.current(key)).isSameAs(child);
        assertThat(made).hasValue(1);
    }

    @Test
    void equalKeysThatAreNotTheSameObjectShareTheirTask() {
        IoUringTask a = table.current(Integer.valueOf(1000));
        table.current(new Object());
        assertThat(table.current(Integer.valueOf(1000))).isSameAs(a);
        table.set(Integer.valueOf(1000), IoUringTask.root("x", true));
        assertThat(table.current(Integer.valueOf(1000))).isNotSameAs(a);
    }
}
