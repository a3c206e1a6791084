package dev.ringspec.emulator.ops;

import dev.ringspec.model.KernelProfile;

/** Where a prep check differs between kernel versions: the profile's version number decides. */
final class Versions {
    private Versions() {
    }

    /** Whether {@code profile}'s version ("6.18", "7.2", ...) is {@code major.minor} or later. */
    static boolean atLeast(KernelProfile profile, int major, int minor) {
        String[] v = profile.version().split("[.-]");
        int ma = Integer.parseInt(v[0]);
        int mi = v.length > 1 ? Integer.parseInt(v[1].replaceAll("\\D.*", "")) : 0;
        return ma != major ? ma > major : mi >= minor;
    }
}
