package dev.ringspec.emulator;

import dev.ringspec.model.Clock;
import dev.ringspec.model.KernelProfile;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;

/**
 * How an emulator behaves: the kernel version ({@link KernelProfile}), its clock, whether it is deterministic (a
 * seed: no threads of its own, completions that are ready together in a seeded order, and a {@link VirtualClock}
 * unless another clock is given), the faults it injects ({@link FaultPlan}), and whether it reports the
 * application's protocol mistakes ({@link Pedantic}).
 *
 * @param seed the deterministic mode's seed, or null for the threaded mode
 */
public record EmulatorOptions(KernelProfile profile, Clock clock, Long seed, FaultPlan faults, boolean pedantic,
        List<Function<EmulatorServices, List<EmuOp>>> extraOpcodes) {

    public EmulatorOptions {
        Objects.requireNonNull(profile, "profile");
        Objects.requireNonNull(faults, "faults");
        extraOpcodes = List.copyOf(extraOpcodes);
        if (clock == null) {
            clock = seed != null ? new VirtualClock() : Clock.SYSTEM;
        }
    }

    /** The threaded emulator of {@code profile}, on the real clock, without faults. */
    public static EmulatorOptions of(KernelProfile profile) {
        return new EmulatorOptions(profile, null, null, FaultPlan.NONE, false, List.of());
    }

    public EmulatorOptions withClock(Clock newClock) {
        return new EmulatorOptions(profile, Objects.requireNonNull(newClock), seed, faults, pedantic, extraOpcodes);
    }

    /** Deterministic, with {@code newSeed}; on a {@link VirtualClock} unless a clock was given. */
    public EmulatorOptions deterministic(long newSeed) {
        Clock c = clock == Clock.SYSTEM && seed == null ? null : clock;
        return new EmulatorOptions(profile, c, newSeed, faults, pedantic, extraOpcodes);
    }

    public EmulatorOptions withFaults(FaultPlan plan) {
        return new EmulatorOptions(profile, clock, seed, plan, pedantic, extraOpcodes);
    }

    public EmulatorOptions pedantic(boolean on) {
        return new EmulatorOptions(profile, clock, seed, faults, on, extraOpcodes);
    }

    /**
     * The same with opcodes of the caller's added to the emulator's table ({@code set} gets the emulator's services):
     * a library's own opcode, or a test's; an entry replaces the emulator's for its opcode.
     */
    public EmulatorOptions withOpcodes(Function<EmulatorServices, List<EmuOp>> set) {
        List<Function<EmulatorServices, List<EmuOp>>> more = new ArrayList<>(extraOpcodes);
        more.add(Objects.requireNonNull(set));
        return new EmulatorOptions(profile, clock, seed, faults, pedantic, more);
    }

    /**
     * The options a backend selection carries after {@code ?}, separated by {@code &}: {@code seed=N} (the
     * deterministic mode), {@code faults=PLAN} (a {@link FaultPlan}, whose commas stay inside it),
     * {@code pedantic}, {@code clock=virtual}; for example {@code emulator-6.18?seed=7&faults=short-read=0.5&pedantic}.
     *
     * @throws IllegalArgumentException naming the bad option and the known ones
     */
    public static EmulatorOptions parse(KernelProfile profile, String text) {
        EmulatorOptions o = of(profile);
        Objects.requireNonNull(text, "text");
        for (String raw : text.split("&")) {
            String part = raw.trim();
            if (part.isEmpty()) {
                continue;
            }
            int eq = part.indexOf('=');
            String key = eq < 0 ? part : part.substring(0, eq);
            String value = eq < 0 ? null : part.substring(eq + 1);
            switch (key) {
                case "seed" -> {
                    try {
                        o = o.deterministic(Long.parseLong(Objects.requireNonNullElse(value, "")));
                    } catch (NumberFormatException e) {
                        throw new IllegalArgumentException("'" + part + "': seed=N takes a whole number", e);
                    }
                }
                case "faults" -> o = o.withFaults(FaultPlan.parse(Objects.requireNonNullElse(value, "")));
                case "pedantic" -> o = o.pedantic(value == null || Boolean.parseBoolean(value));
                case "clock" -> {
                    if (!"virtual".equals(value)) {
                        throw new IllegalArgumentException("'" + part + "': the only clock to ask for is virtual");
                    }
                    o = o.withClock(new VirtualClock());
                }
                default -> throw new IllegalArgumentException("unknown emulator option '" + key + "' in \"" + text
                        + "\"; known: seed=N, faults=PLAN, pedantic, clock=virtual");
            }
        }
        return o;
    }

    public boolean deterministic() {
        return seed != null;
    }
}
