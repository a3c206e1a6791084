package dev.ringspec.uapi;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.Collections;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The kernel's names for the values of one family of {@link IoUring} constants (setup flags, opcodes, register
 * opcodes, NOP flags, features), read from the constants themselves so the names cannot drift from the values.
 */
public final class UapiNames {
    /** {@code IORING_SETUP_*}: bit value to name. */
    public static final SortedMap<Integer, String> SETUP_FLAGS = family("IORING_SETUP_", Set.of());
    /** {@code IORING_OP_*} request opcodes (without {@code IORING_OP_LAST}). */
    public static final SortedMap<Integer, String> OPCODES = family("IORING_OP_", Set.of("IORING_OP_LAST"));
    /** {@code IORING_REGISTER_*} and {@code IORING_UNREGISTER_*} opcodes (without the LAST marker and flags). */
    public static final SortedMap<Integer, String> REGISTER_OPCODES = registerOpcodes();
    /** {@code IORING_NOP_*} flag bits. */
    public static final SortedMap<Integer, String> NOP_FLAGS = family("IORING_NOP_", Set.of());
    /** {@code IORING_FEAT_*} bits of {@code io_uring_params.features}. */
    public static final SortedMap<Integer, String> FEATURES = family("IORING_FEAT_", Set.of());

    private UapiNames() {
    }

    /** The name without its family prefix, for tables: {@code CQE_MIXED}, {@code NOP128}. */
    public static String shortName(String name) {
        for (String prefix : new String[] {"IORING_SETUP_", "IORING_OP_", "IORING_REGISTER_", "IORING_NOP_",
            "IORING_FEAT_"}) {
            if (name.startsWith(prefix)) {
                return name.substring(prefix.length());
            }
        }
        return name.startsWith("IORING_") ? name.substring("IORING_".length()) : name;
    }

    private static SortedMap<Integer, String> registerOpcodes() {
        SortedMap<Integer, String> all = new TreeMap<>(family("IORING_REGISTER_", Set.of("IORING_REGISTER_LAST",
                "IORING_REGISTER_USE_REGISTERED_RING", "IORING_REGISTER_FILES_SKIP",
                "IORING_REGISTER_SRC_REGISTERED", "IORING_REGISTER_DST_REPLACE")));
        all.putAll(family("IORING_UNREGISTER_", Set.of()));
        return Collections.unmodifiableSortedMap(all);
    }

    private static SortedMap<Integer, String> family(String prefix, Set<String> excluded) {
        SortedMap<Integer, String> names = new TreeMap<>(Integer::compareUnsigned);
        for (Field field : IoUring.class.getFields()) {
            String name = field.getName();
            if (!name.startsWith(prefix) || excluded.contains(name) || field.getType() != int.class
                    || !Modifier.isStatic(field.getModifiers())) {
                continue;
            }
            try {
                String previous = names.putIfAbsent(field.getInt(null), name);
                if (previous != null) {
                    throw new IllegalStateException(prefix + " names " + previous + " and " + name
                            + " share a value");
                }
            } catch (IllegalAccessException e) {
                throw new IllegalStateException(e);
            }
        }
        return Collections.unmodifiableSortedMap(names);
    }
}
