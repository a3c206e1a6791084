package dev.ringspec.seam;

import dev.ringspec.capabilities.CapabilityProbe;
import dev.ringspec.capabilities.KernelCapabilities;
import java.util.Objects;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * One io_uring backend, as every part of ringspec names one: who it is, whether it can run here (and if not, why),
 * how to open it over the user memory its arguments come from, the process its descriptors live in, and what it
 * supports. The running kernel (native-runner) and the reference model with each {@code KernelProfile}
 * (spec-model) are backends; a guest kernel and the emulator join the same way, through a
 * {@link BackendProvider} found by {@link BackendRegistry}.
 *
 * <p>A backend is used in one of two ways. {@link #open} gives a fresh {@link IoUringKernel} over memory the
 * caller owns, as each side of a lockstep run needs. {@link #kernel()} and {@link #memory()} are one instance
 * shared by every caller in this JVM, opened on first use, as scenarios and {@link #capabilities()} use it.
 *
 * <p>Immutable apart from those lazily made values; {@code with*} methods return a new backend.
 */
public final class Backend {

    /** What answers behind the seam. */
    public enum Kind {
        /** A real Linux kernel: the one this JVM runs on, or one in a guest. */
        KERNEL,
        /** The reference model. */
        MODEL,
        /** The kernel-compatible emulator, whose rules come from the model. */
        EMULATOR
    }

    /**
     * Whether a backend can be used here, and if not, why, in one sentence for a person (for example "io_uring is
     * disabled on this machine (kernel.io_uring_disabled = 2) ...").
     */
    public record Availability(boolean available, String reason) {
        public static final Availability AVAILABLE = new Availability(true, "available");

        public Availability {
            Objects.requireNonNull(reason, "reason");
        }

        public static Availability unavailable(String reason) {
            return new Availability(false, reason);
        }
    }

    private final String name;
    private final String description;
    private final Kind kind;
    private final boolean optIn;
    private final Supplier<Availability> availabilityCheck;
    private final Function<UserMemory, IoUringKernel> factory;
    private final BackendProcess process;
    private final BiFunction<UserMemory, String, IoUringKernel> optionsFactory;

    private Availability availability;
    private UserMemory sharedMemory;
    private IoUringKernel sharedKernel;
    private KernelCapabilities capabilities;

    private Backend(String name, String description, Kind kind, boolean optIn,
            Supplier<Availability> availabilityCheck, Function<UserMemory, IoUringKernel> factory,
            BackendProcess process, BiFunction<UserMemory, String, IoUringKernel> optionsFactory) {
        if (name.isBlank()) {
            throw new IllegalArgumentException("a backend has a name");
        }
        this.name = name;
        this.description = Objects.requireNonNull(description, "description");
        this.kind = Objects.requireNonNull(kind, "kind");
        this.optIn = optIn;
        this.availabilityCheck = Objects.requireNonNull(availabilityCheck, "availabilityCheck");
        this.factory = Objects.requireNonNull(factory, "factory");
        this.process = Objects.requireNonNull(process, "process");
        this.optionsFactory = optionsFactory;
    }

    /** A real kernel, always available, without a process of its own; refine it with the {@code with*} methods. */
    public static Backend kernel(String name, Function<UserMemory, IoUringKernel> factory) {
        return new Backend(name, name, Kind.KERNEL, false, () -> Availability.AVAILABLE, factory,
                BackendProcess.NONE, null);
    }

    /** The model (or a mutant of it), always available, without a process of its own. */
    public static Backend model(String name, Function<UserMemory, IoUringKernel> factory) {
        return new Backend(name, name, Kind.MODEL, false, () -> Availability.AVAILABLE, factory,
                BackendProcess.NONE, null);
    }

    /** The emulator, always available, without a process of its own. */
    public static Backend emulator(String name, Function<UserMemory, IoUringKernel> factory) {
        return new Backend(name, name, Kind.EMULATOR, false, () -> Availability.AVAILABLE, factory,
                BackendProcess.NONE, null);
    }

    /** The same backend, described for a person (for example {@code "Linux 6.18.44 (FFM)"}). */
    public Backend withDescription(String description) {
        return new Backend(name, description, kind, optIn, availabilityCheck, factory, process, optionsFactory);
    }

    /** The same backend, available where {@code check} says so; the check runs once, on first need. */
    public Backend withAvailability(Supplier<Availability> check) {
        return new Backend(name, description, kind, optIn, check, factory, process, optionsFactory);
    }

    /** The same backend, whose descriptors live in {@code process}. */
    public Backend withProcess(BackendProcess process) {
        return new Backend(name, description, kind, optIn, availabilityCheck, factory, process, optionsFactory);
    }

    /**
     * The same backend, selected only when named in {@code ringspec.backends}: for backends too slow or too costly
     * to run everywhere by default (a guest kernel boots a virtual machine).
     */
    public Backend optIn() {
        return new Backend(name, description, kind, true, availabilityCheck, factory, process, optionsFactory);
    }

    /**
     * The same backend, which can also be opened with options: the text after {@code ?} in a selection such as
     * {@code emulator-6.18?faults=...}, handed to {@code factory} as it stands. The backend defines its syntax (the
     * emulator's fault injection); nothing else reads it.
     */
    public Backend withOptionsFactory(BiFunction<UserMemory, String, IoUringKernel> factory) {
        return new Backend(name, description, kind, optIn, availabilityCheck, this.factory, process,
                Objects.requireNonNull(factory, "factory"));
    }

    /** Whether {@link #withOptions} can configure this backend. */
    public boolean takesOptions() {
        return optionsFactory != null;
    }

    /**
     * This backend opened with {@code options}, named {@code name?options}. A backend that takes no options gives
     * one that cannot run, saying so, rather than one that silently ignores them.
     */
    public Backend withOptions(String options) {
        if (options.isBlank()) {
            throw new IllegalArgumentException("empty options for backend " + name);
        }
        String configured = name + "?" + options;
        if (optionsFactory == null) {
            return new Backend(configured, description, kind, optIn,
                    () -> Availability.unavailable(name + " takes no options, so it cannot run with '" + options
                            + "'"), factory, process, null);
        }
        return new Backend(configured, description + " with " + options, kind, optIn, availabilityCheck,
                memory -> optionsFactory.apply(memory, options), process, null);
    }

    /** The name a selection uses, for example {@code "native"} or {@code "model-7.1"}. */
    public String name() {
        return name;
    }

    public String description() {
        return description;
    }

    public Kind kind() {
        return kind;
    }

    /** Whether the backend runs only when named (see {@link #optIn()}). */
    public boolean isOptIn() {
        return optIn;
    }

    /** Whether it can run here, decided once per backend. */
    public synchronized Availability availability() {
        if (availability == null) {
            availability = availabilityCheck.get();
        }
        return availability;
    }

    /** A fresh instance of the backend over {@code memory}, the memory its callers allocate arguments from. */
    public IoUringKernel open(UserMemory memory) {
        requireAvailable();
        return factory.apply(memory);
    }

    /** The process the backend's descriptors live in: files to register or look up, no_new_privs. */
    public BackendProcess process() {
        return process;
    }

    /** The instance shared in this JVM, opened over {@link #memory()} on first use. */
    public synchronized IoUringKernel kernel() {
        if (sharedKernel == null) {
            sharedKernel = open(memory());
        }
        return sharedKernel;
    }

    /** The user memory of {@link #kernel()}: allocate its arguments here. */
    public synchronized UserMemory memory() {
        if (sharedMemory == null) {
            sharedMemory = new UserMemory();
        }
        return sharedMemory;
    }

    /** What {@link #kernel()} supports, found once by {@link CapabilityProbe}. */
    public synchronized KernelCapabilities capabilities() {
        if (capabilities == null) {
            capabilities = CapabilityProbe.probe(kernel(), memory());
        }
        return capabilities;
    }

    private void requireAvailable() {
        Availability a = availability();
        if (!a.available()) {
            throw new IllegalStateException("backend " + name + " cannot run here: " + a.reason());
        }
    }

    /** The name, which is what test reports show. */
    @Override
    public String toString() {
        return name;
    }
}
