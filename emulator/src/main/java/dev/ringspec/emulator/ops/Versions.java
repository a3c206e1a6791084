package dev.ringspec.emulator.ops;

import dev.ringspec.model.KernelProfile;

/**
 * Where a prep check differs between kernel versions: the profile's version number decides. Read on every request
 * of the opcodes that ask (rw.c asks up to four times), so the version of the profile last asked about is kept,
 * parsed once.
 */
final class Versions {
    /** A profile and its version's numbers. */
    private record Parsed(KernelProfile profile, int major, int minor) {
    }

    /** The profile last asked about (an emulator asks about one), or null. */
    private static volatile Parsed last;

    private Versions() {
    }

    /** Whether {@code profile}'s version ("6.18", "7.2", "7.3-rc7", ...) is {@code major.minor} or later. */
    static boolean atLeast(KernelProfile profile, int major, int minor) {
        Parsed p = last;
        if (p == null || p.profile() != profile) {
            p = parse(profile);
            last = p;
        }
        return p.major() != major ? p.major() > major : p.minor() >= minor;
    }

    private static Parsed parse(KernelProfile profile) {
        String v = profile.version();
        int dot = v.indexOf('.');
        int ma = digits(v, 0, dot < 0 ? v.length() : dot);
        int mi = dot < 0 ? 0 : digits(v, dot + 1, v.length());
        return new Parsed(profile, ma, mi);
    }

    /** The number the decimal digits of {@code s} from {@code from} spell, up to {@code to} or the first non-digit. */
    private static int digits(String s, int from, int to) {
        int n = 0;
        for (int i = from; i < to && s.charAt(i) >= '0' && s.charAt(i) <= '9'; i++) {
            n = n * 10 + (s.charAt(i) - '0');
        }
        return n;
    }
}
