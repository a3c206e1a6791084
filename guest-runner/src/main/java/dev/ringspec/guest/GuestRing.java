package dev.ringspec.guest;

import dev.ringspec.guest.agent.SyncedRing;
import dev.ringspec.nativerunner.MappedRing;

/**
 * A ring of a guest kernel, as the host sees it: the descriptor the guest's kernel gave, what setup reported, and
 * host memory laid out exactly like the guest's mappings ({@link MappedRing}), kept equal to them at every call
 * through its {@link SyncedRing}.
 */
final class GuestRing extends MappedRing {
    private final SyncedRing synced;

    GuestRing(int fd, boolean registeredIndex, SyncedRing synced, Mapping mapping) {
        super(fd, registeredIndex, mapping);
        this.synced = synced;
    }

    SyncedRing synced() {
        return synced;
    }

    /** Marks the ring closed and frees its regions, here and in what the agent syncs. */
    @Override
    public void markClosedAndFree() {
        synced.clear();
        super.markClosedAndFree();
    }

    @Override
    protected String kind() {
        return "guest ring";
    }
}
