package dev.ringspec.uapi;

import java.lang.foreign.GroupLayout;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemoryLayout.PathElement;
import java.util.ArrayList;
import java.util.List;

/**
 * Looks members of the uapi struct layouts up by their C names, as C does.
 *
 * <p>A path is a member name, or names joined by dots for members of nested structs ({@code "sq_off.array"},
 * {@code "socket.family"}). Each name is looked up among the direct members of the group and, like C's anonymous
 * unions and structs, inside every member whose name starts with {@code "anon"}. So {@code "cmd_op"} finds
 * {@code io_uring_sqe.anon1.anon2.cmd_op}. Offsets come from {@link MemoryLayout#byteOffset}, never from
 * arithmetic here.
 *
 * <p>This class holds no state: the struct classes call it while they are being initialized.
 */
public final class Layouts {
    private static final String ANONYMOUS_PREFIX = "anon";

    private Layouts() {
    }

    /**
     * The byte offset of a member from the start of {@code layout}.
     *
     * @throws IllegalArgumentException if a name on the path is not a member
     */
    public static long offsetOf(GroupLayout layout, String path) {
        return layout.byteOffset(pathOf(layout, path));
    }

    /**
     * The layout of a member; a flexible array member is a sequence layout of zero elements.
     *
     * @throws IllegalArgumentException if a name on the path is not a member
     */
    public static MemoryLayout memberOf(GroupLayout layout, String path) {
        return layout.select(pathOf(layout, path));
    }

    private static PathElement[] pathOf(GroupLayout layout, String path) {
        List<PathElement> elements = new ArrayList<>();
        GroupLayout group = layout;
        String[] names = path.split("\\.", -1);
        for (int i = 0; i < names.length; i++) {
            String name = names[i];
            if (name.isEmpty()) {
                throw new IllegalArgumentException(problem(layout, path, "has no member ''"));
            }
            List<List<String>> found = new ArrayList<>();
            find(group, name, new ArrayList<>(), found);
            if (found.size() != 1) {
                String count = found.isEmpty() ? "no" : "more than one";
                throw new IllegalArgumentException(problem(layout, path, "has " + count + " member '" + name + "'"));
            }
            for (String step : found.getFirst()) {
                elements.add(PathElement.groupElement(step));
            }
            if (i < names.length - 1) {
                if (!(layout.select(elements.toArray(PathElement[]::new)) instanceof GroupLayout nested)) {
                    String what = "member '" + name + "' is not a struct or union";
                    throw new IllegalArgumentException(problem(layout, path, what));
                }
                group = nested;
            }
        }
        return elements.toArray(PathElement[]::new);
    }

    private static String problem(GroupLayout layout, String path, String what) {
        return "struct " + layout.name().orElse("(unnamed)") + " " + what + " (looking up '" + path + "')";
    }

    /** Adds to {@code found} the chain of group element names that leads from {@code group} to {@code name}. */
    private static void find(GroupLayout group, String name, List<String> chain, List<List<String>> found) {
        for (MemoryLayout member : group.memberLayouts()) {
            String memberName = member.name().orElse("");
            if (memberName.equals(name)) {
                List<String> match = new ArrayList<>(chain);
                match.add(memberName);
                found.add(match);
            } else if (memberName.startsWith(ANONYMOUS_PREFIX) && member instanceof GroupLayout anonymous) {
                chain.add(memberName);
                find(anonymous, name, chain, found);
                chain.removeLast();
            }
        }
    }
}
