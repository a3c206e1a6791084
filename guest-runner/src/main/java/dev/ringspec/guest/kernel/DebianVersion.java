package dev.ringspec.guest.kernel;

import java.util.Comparator;

/**
 * Debian's version order (deb-version(7)): {@code [epoch:]upstream[-revision]}, the epoch compared as a number,
 * then the upstream version and the revision each compared in alternating runs of non-digits (character by
 * character, where {@code ~} sorts before everything, even the end, and letters before other characters) and
 * digits (as numbers). So {@code 7.3~rc7-1~exp1 < 7.3-1} and {@code 6.1.192-2 > 6.1.192-1}.
 */
public final class DebianVersion {
    /** Orders version strings as dpkg does. */
    public static final Comparator<String> ORDER = DebianVersion::compare;

    private DebianVersion() {
    }

    public static int compare(String a, String b) {
        int byEpoch = Long.compare(epoch(a), epoch(b));
        if (byEpoch != 0) {
            return byEpoch;
        }
        String[] left = upstreamAndRevision(a);
        String[] right = upstreamAndRevision(b);
        int byUpstream = comparePart(left[0], right[0]);
        return byUpstream != 0 ? byUpstream : comparePart(left[1], right[1]);
    }

    private static long epoch(String version) {
        int colon = version.indexOf(':');
        return colon < 0 ? 0 : Long.parseLong(version.substring(0, colon));
    }

    private static String[] upstreamAndRevision(String version) {
        String rest = version.substring(version.indexOf(':') + 1);
        int dash = rest.lastIndexOf('-');
        return dash < 0 ? new String[] {rest, ""} : new String[] {rest.substring(0, dash), rest.substring(dash + 1)};
    }

    private static int comparePart(String a, String b) {
        int i = 0;
        int j = 0;
        while (i < a.length() || j < b.length()) {
            // A run of non-digits, character by character.
            while ((i < a.length() && !Character.isDigit(a.charAt(i)))
                    || (j < b.length() && !Character.isDigit(b.charAt(j)))) {
                int left = weight(a, i);
                int right = weight(b, j);
                if (left != right) {
                    return Integer.compare(left, right);
                }
                i++;
                j++;
            }
            // A run of digits, as a number (leading zeros do not count).
            while (i < a.length() && a.charAt(i) == '0') {
                i++;
            }
            while (j < b.length() && b.charAt(j) == '0') {
                j++;
            }
            int firstDifference = 0;
            while (i < a.length() && Character.isDigit(a.charAt(i))
                    && j < b.length() && Character.isDigit(b.charAt(j))) {
                if (firstDifference == 0) {
                    firstDifference = Character.compare(a.charAt(i), b.charAt(j));
                }
                i++;
                j++;
            }
            if (i < a.length() && Character.isDigit(a.charAt(i))) {
                return 1;
            }
            if (j < b.length() && Character.isDigit(b.charAt(j))) {
                return -1;
            }
            if (firstDifference != 0) {
                return firstDifference;
            }
        }
        return 0;
    }

    /** A non-digit's place: ~ first, then the end of the string (or a digit), then letters, then the rest. */
    private static int weight(String s, int at) {
        if (at >= s.length() || Character.isDigit(s.charAt(at))) {
            return 0;
        }
        char c = s.charAt(at);
        if (c == '~') {
            return -1;
        }
        return Character.isLetter(c) ? c : c + 256;
    }
}
