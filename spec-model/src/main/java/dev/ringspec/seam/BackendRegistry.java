package dev.ringspec.seam;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;

/**
 * Every backend on the class path, found through {@link BackendProvider}, and the ones a run selects.
 *
 * <p>The selection is the system property {@value #SELECTION_PROPERTY}: backend names separated by commas
 * ({@code -Dringspec.backends=native,model-6.18,model-7.1}), or {@code all}. Without it, every registered backend
 * that is not {@link Backend#optIn() opt-in} is selected, available or not, so that an unavailable one is reported
 * with its reason instead of vanishing. A name nobody registered is an error that lists the names there are. A name
 * may carry options after {@code ?} ({@code emulator-6.18?faults=...}, up to the next comma), which the backend is
 * opened with ({@link Backend#withOptions}).
 */
public final class BackendRegistry {

    /** The system property that selects backends. */
    public static final String SELECTION_PROPERTY = "ringspec.backends";

    private static List<Backend> registered;

    private BackendRegistry() {
    }

    /** Every registered backend: kernels first, then the model, then the emulator, each in its provider's order. */
    public static synchronized List<Backend> registered() {
        if (registered == null) {
            List<Backend> found = new ArrayList<>();
            for (BackendProvider provider : ServiceLoader.load(BackendProvider.class)) {
                found.addAll(provider.backends());
            }
            registered = sorted(found);
        }
        return registered;
    }

    /** The backends {@value #SELECTION_PROPERTY} selects (see the class comment). */
    public static List<Backend> selected() {
        return select(System.getProperty(SELECTION_PROPERTY), registered());
    }

    /**
     * The backends {@code selection} names among {@code backends}, in the order named; {@code null} or blank
     * selects every one that is not opt-in, {@code all} every one.
     *
     * @throws IllegalArgumentException for a name no backend has, or a name given twice
     */
    public static List<Backend> select(String selection, List<Backend> backends) {
        Map<String, Backend> byName = byName(backends);
        if (selection == null || selection.isBlank()) {
            return backends.stream().filter(b -> !b.isOptIn()).toList();
        }
        if (selection.strip().equals("all")) {
            return List.copyOf(backends);
        }
        List<Backend> chosen = new ArrayList<>();
        for (String name : selection.split(",")) {
            Backend backend = named(name.strip(), byName, SELECTION_PROPERTY + " names");
            if (chosen.stream().anyMatch(b -> b.name().equals(backend.name()))) {
                throw new IllegalArgumentException(SELECTION_PROPERTY + " names '" + backend.name() + "' twice");
            }
            chosen.add(backend);
        }
        return List.copyOf(chosen);
    }

    /**
     * The one backend {@code name} names among {@code backends}, options included ({@code emulator-6.18?faults=a,b}:
     * here the options may hold commas).
     *
     * @throws IllegalArgumentException for a name no backend has
     */
    public static Backend named(String name, List<Backend> backends) {
        return named(name.strip(), byName(backends), "the test names");
    }

    private static Map<String, Backend> byName(List<Backend> backends) {
        Map<String, Backend> byName = new LinkedHashMap<>();
        for (Backend backend : backends) {
            if (!backend.name().matches("[A-Za-z0-9._:-]+")) {
                throw new IllegalStateException("a selectable backend's name is one word without commas: '"
                        + backend.name() + "'");
            }
            if (byName.putIfAbsent(backend.name(), backend) != null) {
                throw new IllegalStateException("two backends are named " + backend.name());
            }
        }
        return byName;
    }

    /**
     * The backend {@code name} names: a registered name, or one followed by {@code ?options}, which the backend
     * is opened with ({@link Backend#withOptions}; everything up to the next comma of a selection).
     */
    private static Backend named(String name, Map<String, Backend> byName, String who) {
        int query = name.indexOf('?');
        String base = query < 0 ? name : name.substring(0, query);
        Backend backend = byName.get(base);
        if (backend == null) {
            throw new IllegalArgumentException(who + " '" + base
                    + "', which no backend has; registered: " + String.join(", ", byName.keySet()));
        }
        return query < 0 ? backend : backend.withOptions(name.substring(query + 1));
    }

    private static List<Backend> sorted(List<Backend> backends) {
        return backends.stream().sorted(Comparator.comparing(Backend::kind)).toList();
    }
}
