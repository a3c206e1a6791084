package dev.ringspec.emulator;

import dev.ringspec.model.IoWq.SubmitPoint;
import dev.ringspec.model.IssueContext;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The deterministic mode's io-wq work that finishes later in the submission that queued it
 * ({@link IoWqChoices#IOWQ_FINISHES_DURING_SUBMIT}), by ring, while that ring's task submits ({@code io_submit_sqes}).
 */
final class DuringSubmit {
    /** An item's completion, and after how many more SQEs of its submission (the end's flush one of them) it runs. */
    private static final class Item {
        final Consumer<Delivery> finish;
        int sqesLeft;

        Item(Consumer<Delivery> finish, int sqesLeft) {
            this.finish = finish;
            this.sqesLeft = sqesLeft;
        }
    }

    private final Map<IssueContext, List<Item>> byRing = new IdentityHashMap<>();

    /** Whether the ring {@code ctx}'s task is submitting now. */
    synchronized boolean submitting(IssueContext ctx) {
        return byRing.containsKey(ctx);
    }

    /**
     * Holds {@code finish}, which hands the item's completion to the delivery it is given, until {@code sqes} more SQEs
     * of the ring's current submission are done: those after the one being submitted, which queued it.
     */
    synchronized void add(IssueContext ctx, int sqes, Consumer<Delivery> finish) {
        byRing.get(ctx).add(new Item(finish, sqes + 1));
    }

    /**
     * The ring {@code ctx}'s submission reached {@code point}: answers the completions that run now, in order: those
     * whose count is spent, and at the end every one left, the smallest count first (in queue order where equal).
     */
    synchronized List<Consumer<Delivery>> reached(IssueContext ctx, SubmitPoint point) {
        if (point == SubmitPoint.BEGIN) {
            byRing.put(ctx, new ArrayList<>());
            return List.of();
        }
        List<Item> items = point == SubmitPoint.END ? byRing.remove(ctx) : byRing.get(ctx);
        if (items == null) {
            return List.of();
        }
        for (Item i : items) {
            i.sqesLeft--;
        }
        items.sort(Comparator.comparingInt(i -> i.sqesLeft));
        List<Consumer<Delivery>> now = new ArrayList<>();
        for (Iterator<Item> it = items.iterator(); it.hasNext();) {
            Item i = it.next();
            if (i.sqesLeft <= 0 || point == SubmitPoint.END) {
                it.remove();
                now.add(i.finish);
            }
        }
        return now;
    }
}
