package dev.ringspec.model;

import static dev.ringspec.uapi.IoUring.IORING_ENTER_GETEVENTS;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_CQSIZE;
import static dev.ringspec.uapi.IoUring.IOSQE_ASYNC;
import static dev.ringspec.uapi.IoUring.IOSQE_IO_DRAIN;
import static dev.ringspec.uapi.IoUring.IOSQE_IO_LINK;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The rules a lockstep engine refuses steps by, reported as events where they apply (ring-semantics.md A2, A3). */
class RuleEventsTest {

    private record Event(Rule rule, int ringFd, long detail) {
    }

    private static List<Event> listen(ModelFixture f) {
        List<Event> events = new ArrayList<>();
        f.model.withRuleListener((rule, ringFd, detail) -> events.add(new Event(rule, ringFd, detail)));
        return events;
    }

    private static List<Rule> rules(List<Event> events) {
        return events.stream().map(Event::rule).toList();
    }

    @Test
    void asyncNopIsHandedToIoWq() {
        try (ModelFixture f = ModelFixture.of().setup(8, 0)) {
            List<Event> events = listen(f);
            f.nop(7, IOSQE_ASYNC);
            assertThat(f.submit()).isEqualTo(1);
            assertThat(events).contains(new Event(Rules.IO_QUEUE_IOWQ, f.ring.fd(), 7));
        }
    }

    @Test
    void plainNopsFireNoneOfTheRefusalRules() {
        try (ModelFixture f = ModelFixture.of().setup(8, 0)) {
            List<Event> events = listen(f);
            f.nop(1);
            f.nop(2);
            assertThat(f.submit(2, IORING_ENTER_GETEVENTS)).isEqualTo(2);
            assertThat(rules(events)).doesNotContain(Rules.IO_QUEUE_IOWQ, Rules.INIT_DRAIN,
                    Rules.SUBMIT_STATE_END_DANGLING_LINK, Rules.CQRING_WAIT_WOULD_BLOCK);
        }
    }

    @Test
    void acceptedDrainIsReported() {
        try (ModelFixture f = ModelFixture.of().setup(8, 0)) {
            List<Event> events = listen(f);
            f.nop(3, IOSQE_IO_DRAIN);
            f.submit();
            assertThat(events).contains(new Event(Rules.INIT_DRAIN, f.ring.fd(), 3));
        }
    }

    @Test
    void chainOpenAtTheEndOfTheBatchDangles() {
        try (ModelFixture f = ModelFixture.of().setup(8, 0)) {
            List<Event> events = listen(f);
            f.nop(4, IOSQE_IO_LINK);
            f.submit();
            assertThat(events).contains(new Event(Rules.SUBMIT_STATE_END_DANGLING_LINK, f.ring.fd(), 4));
            assertThat(rules(events)).contains(Rules.IO_QUEUE_IOWQ);
        }
    }

    @Test
    void waitForCompletionsThatNeverComeIsReportedWithWhatIsMissing() {
        try (ModelFixture f = ModelFixture.of().setup(8, 0)) {
            List<Event> events = listen(f);
            f.nop(1);
            assertThat(f.submit(3, IORING_ENTER_GETEVENTS)).isEqualTo(1);
            assertThat(events).contains(new Event(Rules.CQRING_WAIT_WOULD_BLOCK, f.ring.fd(), 2));
        }
    }

    @Test
    void listenerSetAfterSetupHearsTheRingAndNoneSilencesIt() {
        try (ModelFixture f = ModelFixture.of().setup(8, 0)) {
            List<Event> events = listen(f);
            f.model.withRuleListener(RuleListener.NONE);
            f.nop(5, IOSQE_ASYNC);
            f.submit();
            assertThat(events).isEmpty();
        }
    }

    @Test
    void everyRuleHasADenseIdAUniqueNameAndASource() {
        List<Rule> all = Rule.all();
        assertThat(all).hasSize(Rule.count());
        Set<String> names = new HashSet<>();
        for (int i = 0; i < all.size(); i++) {
            Rule r = all.get(i);
            assertThat(r.id()).isEqualTo(i);
            assertThat(names.add(r.name())).as(r.name()).isTrue();
            assertThat(r.kernelFunction()).isNotBlank();
            assertThat(r.section()).isNotBlank();
            assertThat(r.sentence()).endsWith(".");
            assertThat(Rule.byName(r.name())).isSameAs(r);
        }
        assertThat(all).contains(Rules.IO_QUEUE_IOWQ, Rules.CQRING_WAIT_WOULD_BLOCK, Rules.STALE_CQE_CACHE_6_18);
    }

    @Test
    void everyMutantBreaksANamedRuleOfTheModel() {
        for (Mutant m : Mutant.values()) {
            assertThat(m.rule()).as(m.name()).isNotNull();
            assertThat(Rule.all().indexOf(m.rule())).as(m.name()).isBetween(0, Rule.all().size() - 1);
        }
    }

    @Test
    void overflowFlushAsksTheChooserPerMovedEntryAndReschedulingKeepsTheOrder() {
        try (ModelFixture f = ModelFixture.of().setup(4, IORING_SETUP_CQSIZE, 4)) {
            List<Choice> asked = new ArrayList<>();
            f.model.withChooser((choice, ringFd) -> {
                asked.add(choice);
                return 1;
            });
            for (int round = 0; round < 2; round++) {
                for (int i = 0; i < 4; i++) {
                    f.nop(100 * (round + 1) + i);
                }
                f.submit();
            }
            f.reapAll();
            assertThat(asked).isEmpty();
            assertThat(f.enter(0, 0, IORING_ENTER_GETEVENTS)).isZero();
            assertThat(asked).containsExactly(Choice.OVERFLOW_FLUSH_RESCHEDULES, Choice.OVERFLOW_FLUSH_RESCHEDULES,
                    Choice.OVERFLOW_FLUSH_RESCHEDULES, Choice.OVERFLOW_FLUSH_RESCHEDULES);
            assertThat(f.userDatas(f.reapAll())).containsExactly(200L, 201L, 202L, 203L);
        }
    }
}
