package dev.ringspec.emulator.ops;

import dev.ringspec.model.KernelProfile;

/**
 * Where a prep check differs between kernel versions: the profile's version number decides. Read on every request
 * of the opcodes that ask (rw.c asks up to four times), so the version is parsed by hand, without allocating.
 */
final class Versions {
    private Versions() {
    }

    /** Whether {@code profile}'s version ("6.18", "7.2", "7.3-rc7", ...) is {@code major.minor} or later. */
    static boolean atLeast(KernelProfile profile, int major, int minor) {
        String v = profile.version();
        int dot = v.indexOf('.');
        int ma = digits(v, 0, dot < 0 ? v.length() : dot);
        int mi = dot < 0 ? 0 : digits(v, dot + 1, v.length());
        return ma != major ? ma > major : mi >= minor;
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
