package dev.ringspec.sqefuzz;

import static dev.ringspec.uapi.IoUring.IORING_ENTER_GETEVENTS;
import static dev.ringspec.uapi.IoUring.IORING_OP_ACCEPT;
import static dev.ringspec.uapi.IoUring.IORING_OP_CLOSE;
import static dev.ringspec.uapi.IoUring.IORING_OP_FIXED_FD_INSTALL;
import static dev.ringspec.uapi.IoUring.IORING_OP_GETXATTR;
import static dev.ringspec.uapi.IoUring.IORING_OP_LINKAT;
import static dev.ringspec.uapi.IoUring.IORING_OP_MADVISE;
import static dev.ringspec.uapi.IoUring.IORING_OP_MKDIRAT;
import static dev.ringspec.uapi.IoUring.IORING_OP_NOP;
import static dev.ringspec.uapi.IoUring.IORING_OP_OPENAT;
import static dev.ringspec.uapi.IoUring.IORING_OP_OPENAT2;
import static dev.ringspec.uapi.IoUring.IORING_OP_PIPE;
import static dev.ringspec.uapi.IoUring.IORING_OP_PROVIDE_BUFFERS;
import static dev.ringspec.uapi.IoUring.IORING_OP_RENAMEAT;
import static dev.ringspec.uapi.IoUring.IORING_OP_SETXATTR;
import static dev.ringspec.uapi.IoUring.IORING_OP_SOCKET;
import static dev.ringspec.uapi.IoUring.IORING_OP_SPLICE;
import static dev.ringspec.uapi.IoUring.IORING_OP_STATX;
import static dev.ringspec.uapi.IoUring.IORING_OP_SYMLINKAT;
import static dev.ringspec.uapi.IoUring.IORING_OP_TEE;
import static dev.ringspec.uapi.IoUring.IORING_OP_UNLINKAT;
import static dev.ringspec.uapi.IoUringSqe.ADDR2_OFFSET;
import static dev.ringspec.uapi.IoUringSqe.ADDR_OFFSET;
import static dev.ringspec.uapi.IoUringSqe.BUF_INDEX_OFFSET;
import static dev.ringspec.uapi.IoUringSqe.FD_OFFSET;
import static dev.ringspec.uapi.IoUringSqe.FLAGS_OFFSET;
import static dev.ringspec.uapi.IoUringSqe.IOPRIO_OFFSET;
import static dev.ringspec.uapi.IoUringSqe.LEN_OFFSET;
import static dev.ringspec.uapi.IoUringSqe.OFF_OFFSET;
import static dev.ringspec.uapi.IoUringSqe.OPCODE_OFFSET;
import static dev.ringspec.uapi.IoUringSqe.PERSONALITY_OFFSET;
import static dev.ringspec.uapi.IoUringSqe.RW_FLAGS_OFFSET;
import static dev.ringspec.uapi.IoUringSqe.SPLICE_FD_IN_OFFSET;
import static dev.ringspec.uapi.IoUringSqe.USER_DATA_OFFSET;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import dev.ringspec.capabilities.CapabilityProbe;
import dev.ringspec.emulator.EmulatedIoUring;
import dev.ringspec.emulator.EmulatorOptions;
import dev.ringspec.model.KernelProfile;
import dev.ringspec.model.Rule;
import dev.ringspec.model.Rules;
import dev.ringspec.nativerunner.NativeIoUring;
import dev.ringspec.nativerunner.Posix;
import dev.ringspec.seam.Cqe;
import dev.ringspec.seam.IoUringKernel;
import dev.ringspec.seam.Ring;
import dev.ringspec.seam.RingDriver;
import dev.ringspec.uapi.IoUring;
import dev.ringspec.uapi.IoUringParams;
import dev.ringspec.seam.UserMemory;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.random.RandomGenerator;
import java.util.random.RandomGeneratorFactory;

/**
 * Random and mutated SQEs, each submitted to the emulator (at the profile chosen for this kernel) and to this kernel
 * on rings of the same shape, their CQEs' res and flags compared. Every opcode number is drawn (NOP most, then the
 * profile's opcodes and anything up to 255), with random flags and fields; fields are then pinned to the fuzz's world
 * ({@link FuzzWorld}) so the kernel's real operations touch only what the fuzz owns.
 *
 * <p>What is compared: every SQE whose opcode the emulator implements, and every SQE of an opcode past the last.
 * Each side's CQEs are collected until one of the SQE's user_data comes: at once, or where the SQE goes async
 * (IOSQE_ASYNC, a link, a drain) within 5 ms on the emulator and 250 ms on the kernel (io-wq starts a worker); they must be equal in user_data,
 * res and flags, in order (none on both sides, for a skipped success, agrees too). A draining NOP is no fence here:
 * behind a request that failed at init, the kernel (and the model) release a drain only at a later completion.
 *
 * <p>Not compared: an opcode the emulator compiled out (-EOPNOTSUPP from its prep, as a kernel without it, or an
 * earlier init error its compiled-out definition causes, such as -EINVAL for an ioprio), and a request for which the
 * model fires a rule that leaves the kernel's outcome open ({@link #UNDETERMINED}). They are counted, their kernel
 * CQEs reaped, and both rings set up anew unless the kernel failed the request at once, so the kernel's state of it
 * (a pending read, provided buffers) cannot reach a compared SQE.
 */
public final class SqeFuzz implements AutoCloseable {
    private static final int ENTRIES = 8;
    private static final int LINKS = IoUring.IOSQE_IO_LINK | IoUring.IOSQE_IO_HARDLINK | IoUring.IOSQE_IO_DRAIN;
    private static final int[] SETUP_FLAGS = {0, 0, IoUring.IORING_SETUP_CQE32,
        IoUring.IORING_SETUP_SINGLE_ISSUER | IoUring.IORING_SETUP_DEFER_TASKRUN};
    /** The zero-copy sends, whose result CQE with IORING_CQE_F_MORE promises a notification. */
    private static final Set<Integer> ZERO_COPY = Set.of(IoUring.IORING_OP_SEND_ZC, IoUring.IORING_OP_SENDMSG_ZC);
    /** Opcodes whose kernel result is a new descriptor the fuzz must close. */
    private static final Set<Integer> MAKE_FDS = Set.of(IORING_OP_SOCKET, IORING_OP_ACCEPT, IORING_OP_OPENAT,
            IORING_OP_OPENAT2, IORING_OP_FIXED_FD_INSTALL);
    /**
     * The model's rules that leave a request's outcome open, as the lockstep's referee refuses them: a NOP_FILE
     * with IOSQE_FIXED_FILE but not NOP_FIXED_FILE (a normal file taken for a fixed one, before 7.2).
     */
    private static final Set<Rule> UNDETERMINED = Set.of(Rules.NOP_FILE_FIXED_FLAG_MISMATCH);
    private static final Set<Integer> PATHS = Set.of(IORING_OP_OPENAT, IORING_OP_OPENAT2, IORING_OP_STATX,
            IORING_OP_UNLINKAT, IORING_OP_MKDIRAT, IORING_OP_RENAMEAT, IORING_OP_SYMLINKAT, IORING_OP_LINKAT,
            IORING_OP_SETXATTR, IORING_OP_GETXATTR);

    /** What a fuzz run did. */
    public record Report(long sqes, long compared, long compiledOut, long open, long late, long recycled,
            long divergences, List<String> firstDivergences, long nanos) {
        public double perSecond() {
            return nanos == 0 ? 0 : sqes * 1e9 / nanos;
        }

        public String summary() {
            return String.format("%,d SQEs in %.1f s (%,.0f/s): %,d compared, %,d divergences; %,d of an opcode the "
                    + "emulator compiled out and %,d the model leaves open not compared; %,d where only one side "
                    + "showed its CQE within 250 ms (io-wq and pipe timing), not compared; rings set up anew %,d "
                    + "times", sqes, nanos / 1e9, perSecond(), compared, divergences, compiledOut, open, late,
                    recycled);
        }
    }

    private final FuzzWorld world;
    private final FuzzStructs structs;
    private final RandomGenerator random;
    private final KernelProfile profile;
    private final Side kernel;
    private final Side emulator;
    private final List<Integer> emulated;
    private final MemorySegment sqe = Arena.ofAuto().allocate(64, 8);
    /** The SQE of the step before, for {@link FuzzWorld#changedDescriptors}'s report. */
    private final MemorySegment previous = Arena.ofAuto().allocate(64, 8);
    private long userData = 1;
    /** Whether a rule of {@link #UNDETERMINED} applied to the SQE now on the emulator. */
    private boolean undetermined;

    /** One backend's ring in the fuzz. */
    private static final class Side implements AutoCloseable {
        final UserMemory memory = new UserMemory();
        final IoUringKernel kernel;
        final MemorySegment params;
        Ring ring;
        RingDriver driver;

        Side(java.util.function.Function<UserMemory, IoUringKernel> open) {
            this.kernel = open.apply(memory);
            this.params = memory.allocate(IoUringParams.SIZE_BYTES, 8);
        }

        void setup(int flags) {
            closeRing();
            params.fill((byte) 0);
            params.set(JAVA_INT, IoUringParams.FLAGS_OFFSET, flags);
            if (!(kernel.setup(ENTRIES, params) instanceof IoUringKernel.SetupResult.Created(Ring created))) {
                throw new IllegalStateException(kernel.description() + " refused a fuzz ring of flags " + flags);
            }
            ring = created;
            driver = new RingDriver(kernel, ring);
        }

        /** Submits {@code sqe}; the CQEs it can see now. */
        List<Cqe> submit(MemorySegment sqe) {
            long at = driver.nextSqe();
            MemorySegment.copy(sqe, 0, driver.sqes(), at, 64);
            driver.submit(0, 0);
            return reap();
        }

        List<Cqe> reap() {
            List<Cqe> out = new ArrayList<>();
            for (Cqe c = driver.reap(); c != null; c = driver.reap()) {
                out.add(c);
            }
            return out;
        }

        /**
         * Submits {@code sqe} alone; the CQEs seen until one of {@code ud} is, for up to {@code nanos} (the emulator's
         * io-wq and task work take microseconds; a request whose CQE is skipped waits it out).
         */
        List<Cqe> settle(MemorySegment sqe, long ud, long nanos) {
            return await(new ArrayList<>(submit(sqe)), ud, nanos);
        }

        /** {@code out} and the CQEs seen after it until one of {@code ud} is, for up to {@code nanos}. */
        List<Cqe> await(List<Cqe> out, long ud, long nanos) {
            return awaitCqe(out, c -> c.userData() == ud, nanos);
        }

        /**
         * {@code out} and, where it holds a zero-copy send's result of {@code ud} (IORING_CQE_F_MORE) but not its
         * notification, the CQEs seen after it until the notification is, for up to {@code nanos}. Where io-wq ran
         * the request, the kernel frees it (and so flushes the notification) on whichever of two threads drops its
         * last reference: the task, as it posts the failure's CQE, or the worker after it (io_wq_free_work ->
         * io_free_req, task work of its own); the notification then comes in the same task work run or a later
         * one, a race of the kernel's own.
         */
        List<Cqe> awaitNotification(List<Cqe> out, long ud, long nanos) {
            boolean promised = out.stream().anyMatch(c -> c.userData() == ud
                    && (c.flags() & IoUring.IORING_CQE_F_MORE) != 0);
            return promised ? awaitCqe(out, c -> c.userData() == ud
                    && (c.flags() & IoUring.IORING_CQE_F_NOTIF) != 0, nanos) : out;
        }

        private List<Cqe> awaitCqe(List<Cqe> out, java.util.function.Predicate<Cqe> wanted, long nanos) {
            long deadline = System.nanoTime() + nanos;
            while (out.stream().noneMatch(wanted) && System.nanoTime() < deadline) {
                kernel.enter(ring, 0, 0, IORING_ENTER_GETEVENTS, MemorySegment.NULL, 0);
                out.addAll(reap());
                Thread.onSpinWait();
            }
            return out;
        }

        void closeRing() {
            if (ring != null) {
                kernel.close(ring);
                ring = null;
            }
        }

        @Override
        public void close() {
            closeRing();
            if (kernel instanceof AutoCloseable c) {
                try {
                    c.close();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }
            memory.close();
        }
    }

    public SqeFuzz(long seed) throws IOException {
        this.random = RandomGeneratorFactory.of("L64X128MixRandom").create(seed);
        this.world = new FuzzWorld(random);
        this.structs = new FuzzStructs(world);
        this.profile = KernelProfile.forCapabilities(CapabilityProbe.probe(new NativeIoUring()));
        this.kernel = new Side(memory -> new NativeIoUring());
        this.emulator = new Side(memory -> EmulatedIoUring.open(EmulatorOptions.of(profile), memory,
                world.emulatorDescriptors()).withRuleListener(
                (rule, ringFd, detail) -> undetermined |= UNDETERMINED.contains(rule)));
        this.emulated = CapabilityProbe.probe(emulator.kernel, emulator.memory).opcodes();
        // the emulator resolves the owned bytes as the kernel does (the reserved rest is -EFAULT on both)
        emulator.memory.register(world.owned);
        // and the path page the path opcodes are pinned to (just past the owned bytes), read-only as on the kernel
        emulator.memory.register(world.pathPage.asReadOnly());
        // and the structs the kernel reads pointers from (FuzzStructs), read-only as on the kernel
        emulator.memory.register(world.reservation.structsReadable);
    }

    /** Told before each SQE how many ran and how many differed; answers whether to go on (false: an interrupt). */
    public interface Progress {
        boolean goOn(long sqes, long divergences);
    }

    private Progress progress = (sqes, divergences) -> true;

    /** Tells {@code listener} how far the run is, and ends it early when it answers false. */
    public SqeFuzz withProgress(Progress listener) {
        this.progress = listener;
        return this;
    }

    /** Runs {@code count} SQEs, or fewer where the progress listener ends the run (the report counts those run). */
    public Report run(long count) {
        long start = System.nanoTime();
        long compared = 0;
        long compiledOut = 0;
        long open = 0;
        long late = 0;
        long recycled = 0;
        long divergences = 0;
        List<String> first = new ArrayList<>();
        recycle();
        for (long i = 0; i < count; i++) {
            if (!progress.goOn(i, divergences)) {
                count = i;
                break;
            }
            // nothing a step did may close or replace the world's descriptors (the emulator's pipe included): a
            // request that did is a divergence of its own, and the world it leaves compares nothing, so the run ends
            List<String> changed = i == 0 ? List.of() : world.changedDescriptors();
            if (!changed.isEmpty()) {
                divergences++;
                first.add("WORLD after " + describe(previous) + ": " + changed);
                count = i;
                break;
            }
            // a step only the kernel ran, or one where the sides differed, may have left the pipes apart
            world.equalizePipes();
            next(i);
            MemorySegment.copy(sqe, 0, previous, 0, 64);
            int opcode = Byte.toUnsignedInt(sqe.get(JAVA_BYTE, OPCODE_OFFSET));
            undetermined = false;
            long ud = sqe.get(JAVA_LONG, USER_DATA_OFFSET);
            boolean later = (sqe.get(JAVA_BYTE, FLAGS_OFFSET) & (LINKS | IoUring.IOSQE_ASYNC)) != 0;
            List<Cqe> onEmulator = emulator.settle(sqe, ud, later ? 5_000_000L : 0);
            // an opcode it compiled out fails on the emulator in prep, or earlier where the kernel's definition
            // of the opcode (needs a file, takes an ioprio) would have let init pass: not comparable
            boolean out = undetermined || opcode < profile.opLast() && !emulated.contains(opcode);
            if (out) {
                List<Cqe> onKernel = kernel.submit(sqe);
                if (undetermined) {
                    open++;
                } else {
                    compiledOut++;
                }
                closeMadeDescriptors(opcode, onKernel);
                // a request the kernel failed at once left nothing behind; anything else may have (it is pending,
                // it provided buffers, its CQE_SKIP_SUCCESS disabled drains, ...): both rings start anew
                if (onKernel.size() != 1 || onKernel.getFirst().userData() != ud || onKernel.getFirst().res() >= 0
                        || (onKernel.getFirst().flags() & IoUring.IORING_CQE_F_MORE) != 0
                        || (sqe.get(JAVA_BYTE, FLAGS_OFFSET) & (LINKS | IoUring.IOSQE_CQE_SKIP_SUCCESS)) != 0) {
                    recycle();
                    recycled++;
                }
                continue;
            }
            compared++;
            // what the emulator's request made is closed before the kernel's runs: its descriptor numbers come out
            // the same (the lowest free), and the kernel's PIPE cannot write over the emulator's before they are read
            closeMadeDescriptors(opcode, onEmulator);
            List<Cqe> e = onEmulator;
            // the kernel may be slower to show a CQE the emulator has shown (an overflow flushed at the next enter)
            boolean shown = e.stream().anyMatch(c -> c.userData() == ud);
            // (and io-wq's time is neither side's to fix: the side that has not shown a CQE the other has shown gets
            // up to 250 ms to show it; what each then shows is compared)
            List<Cqe> k = kernel.settle(sqe, ud, later || shown ? 250_000_000L : 0);
            closeMadeDescriptors(opcode, k);
            boolean seen = k.stream().anyMatch(c -> c.userData() == ud);
            if (seen && !shown) {
                int before = e.size();
                e = emulator.await(new ArrayList<>(e), ud, 250_000_000L);
                if (opcode != IORING_OP_PIPE) {
                    closeMadeDescriptors(opcode, e.subList(before, e.size()));
                }
            }
            if (ZERO_COPY.contains(opcode)) {
                // a zero-copy send's notification may come a task work run after its result (awaitNotification)
                e = emulator.awaitNotification(new ArrayList<>(e), ud, 250_000_000L);
                k = kernel.awaitNotification(new ArrayList<>(k), ud, 250_000_000L);
            }
            boolean shownAtLast = e.stream().anyMatch(c -> c.userData() == ud);
            if (!same(e, k) && shownAtLast != seen && e.stream().allMatch(c -> c.userData() == ud)
                    && k.stream().allMatch(c -> c.userData() == ud)) {
                // one side's CQE did not come within 250 ms (a pipe one side still found full, io-wq): timing
                late++;
                compared--;
                recycle();
                recycled++;
            } else if (!same(e, k)) {
                divergences++;
                if (first.size() < 20) {
                    first.add(describe() + ": emulator " + e + ", kernel " + k);
                }
                recycle();
                recycled++;
            } else if (!seen) {
                // skipped on both, or still running somewhere (io-wq work the kernel always punts: STATX, an
                // OPENAT that creates): nothing of it may reach the next SQE
                recycle();
                recycled++;
            }
        }
        return new Report(count, compared, compiledOut, open, late, recycled, divergences, first,
                System.nanoTime() - start);
    }

    /** The {@code i}th SQE of the run (fresh or mutated, then pinned to the world), in {@link #sqe}. */
    MemorySegment next(long i) {
        if (i % 64 == 0 || random.nextInt(16) == 0) {
            fresh();
        } else {
            mutate();
        }
        pin();
        return sqe;
    }

    /** The world the SQEs are pinned to. */
    FuzzWorld world() {
        return world;
    }

    private static boolean same(List<Cqe> a, List<Cqe> b) {
        if (a.size() != b.size()) {
            return false;
        }
        for (int i = 0; i < a.size(); i++) {
            if (a.get(i).userData() != b.get(i).userData() || a.get(i).res() != b.get(i).res()
                    || a.get(i).flags() != b.get(i).flags()) {
                return false;
            }
        }
        return true;
    }

    private void recycle() {
        int flags = SETUP_FLAGS[random.nextInt(SETUP_FLAGS.length)];
        kernel.setup(flags);
        emulator.setup(flags);
    }

    /** A new SQE: every field drawn. */
    private void fresh() {
        int opcode = switch (random.nextInt(10)) {
            case 0, 1, 2 -> IORING_OP_NOP;
            case 3, 4, 5, 6 -> random.nextInt(profile.opLast() + 2);
            default -> random.nextInt(256);
        };
        sqe.fill((byte) 0);
        sqe.set(JAVA_BYTE, OPCODE_OFFSET, (byte) opcode);
        sqe.set(JAVA_BYTE, FLAGS_OFFSET, (byte) flags());
        sqe.set(JAVA_SHORT, IOPRIO_OFFSET, (short) (random.nextInt(5) == 0 ? random.nextInt() : 0));
        sqe.set(JAVA_INT, FD_OFFSET, world.fd(random));
        sqe.set(JAVA_LONG, ADDR2_OFFSET, switch (random.nextInt(5)) {
            case 0, 1 -> random.nextInt(8192);
            case 2 -> -1L;
            default -> world.pointer(random);
        });
        sqe.set(JAVA_LONG, ADDR_OFFSET, world.pointer(random));
        sqe.set(JAVA_INT, LEN_OFFSET, switch (random.nextInt(6)) {
            case 0 -> 0;
            case 1 -> 1;
            case 2 -> random.nextInt(64);
            case 3 -> 4096;
            case 4 -> 65536;
            default -> random.nextInt();
        });
        sqe.set(JAVA_INT, RW_FLAGS_OFFSET, random.nextInt(2) == 0 ? 0
                : random.nextInt(2) == 0 ? 1 << random.nextInt(32) : random.nextInt());
        sqe.set(JAVA_SHORT, BUF_INDEX_OFFSET, (short) (random.nextInt(4) == 0 ? random.nextInt(20) : 0));
        sqe.set(JAVA_SHORT, PERSONALITY_OFFSET, (short) (random.nextInt(8) == 0 ? random.nextInt() : 0));
        sqe.set(JAVA_INT, SPLICE_FD_IN_OFFSET, switch (random.nextInt(6)) {
            case 0 -> world.fd(random);
            case 1 -> 1 + random.nextInt(16);
            default -> 0;
        });
        sqe.set(JAVA_LONG, 48, random.nextInt(2) == 0 ? 0 : world.pointer(random));
        sqe.set(JAVA_LONG, 56, random.nextInt(10) == 0 ? random.nextLong() : 0);
    }

    private int flags() {
        if (random.nextInt(4) == 0) {
            return random.nextInt(256);
        }
        int flags = 0;
        for (int bit = 0; bit < 8; bit++) {
            if (random.nextInt(9) == 0) {
                flags |= 1 << bit;
            }
        }
        return flags;
    }

    /** The last SQE with a few bytes or one field changed. */
    private void mutate() {
        int edits = 1 + random.nextInt(3);
        for (int i = 0; i < edits; i++) {
            switch (random.nextInt(4)) {
                case 0 -> sqe.set(JAVA_BYTE, random.nextInt(64), (byte) random.nextInt());
                case 1 -> sqe.set(JAVA_BYTE, FLAGS_OFFSET, (byte) (sqe.get(JAVA_BYTE, FLAGS_OFFSET)
                        ^ (1 << random.nextInt(8))));
                case 2 -> sqe.set(JAVA_BYTE, OPCODE_OFFSET, (byte) random.nextInt(profile.opLast() + 2));
                default -> sqe.set(JAVA_INT, random.nextInt(16) * 4, random.nextInt());
            }
        }
    }

    /**
     * Pins the SQE to the world: a fresh user_data; descriptors and pointers the world owns or that name nothing;
     * per opcode, the fields that decide where the kernel writes or which file it creates.
     */
    private void pin() {
        sqe.set(JAVA_LONG, USER_DATA_OFFSET, userData++);
        int opcode = Byte.toUnsignedInt(sqe.get(JAVA_BYTE, OPCODE_OFFSET));
        if (!world.safeFd(sqe.get(JAVA_INT, FD_OFFSET)) || opcode == IORING_OP_CLOSE) {
            sqe.set(JAVA_INT, FD_OFFSET, opcode == IORING_OP_CLOSE ? -1 : world.fd(random));
        }
        for (long at : new long[] {ADDR2_OFFSET, ADDR_OFFSET, 48}) {
            if (!world.safePointer(sqe.get(JAVA_LONG, at))) {
                sqe.set(JAVA_LONG, at, world.pointer(random));
            }
        }
        int fdIn = sqe.get(JAVA_INT, SPLICE_FD_IN_OFFSET);
        if ((opcode == IORING_OP_SPLICE || opcode == IORING_OP_TEE) ? !world.safeFd(fdIn) || fdIn == 0
                : fdIn != 0 && !world.safeFd(fdIn) && (fdIn > 16 || fdIn < 0)) {
            sqe.set(JAVA_INT, SPLICE_FD_IN_OFFSET, world.pipeRead);
        }
        if (PATHS.contains(opcode)) {
            long path = random.nextInt(8) == 0 ? 0 : world.absentPath;
            sqe.set(JAVA_LONG, ADDR_OFFSET, path);
            if (opcode == IORING_OP_RENAMEAT || opcode == IORING_OP_LINKAT || opcode == IORING_OP_SYMLINKAT) {
                sqe.set(JAVA_LONG, ADDR2_OFFSET, world.absentPath);
                sqe.set(JAVA_INT, LEN_OFFSET, world.pipeRead);
            }
            if (opcode == IORING_OP_SETXATTR || opcode == IORING_OP_GETXATTR) {
                sqe.set(JAVA_LONG, 48, world.absentPath);
            }
        }
        if (opcode == IORING_OP_MADVISE) {
            // within the reservation, and never over the path page: MADV_DONTNEED (and the like) would zero it on
            // this process's memory, and every later path argument would be empty on both sides
            long addr = sqe.get(JAVA_LONG, ADDR_OFFSET);
            long pathEnd = world.absentPath + 4096;
            if (addr >= world.absentPath && addr < pathEnd) {
                addr = pathEnd;
                sqe.set(JAVA_LONG, ADDR_OFFSET, addr);
            }
            long end = addr < world.absentPath ? world.absentPath : world.base + FuzzWorld.RESERVED;
            long low = world.reservation.lowLimit;
            long room = addr >= world.base && addr < end ? end - addr
                    : Long.compareUnsigned(addr, low) < 0 ? low - addr : 1 << 20;
            sqe.set(JAVA_INT, LEN_OFFSET, (int) Math.min(Integer.toUnsignedLong(sqe.get(JAVA_INT, LEN_OFFSET)), room));
            // and off, which is the length where it is not 0 (io_madvise_prep, 6.12 on: 64 bits; before, off must be
            // 0): unpinned, a DONTNEED from the low guard or the reservation ran over all of the JVM's memory above it
            long off = sqe.get(JAVA_LONG, OFF_OFFSET);
            if (Long.compareUnsigned(off, room) > 0) {
                sqe.set(JAVA_LONG, OFF_OFFSET, room);
            }
            // no advice from 100 on (MADV_HWPOISON, SOFT_OFFLINE, GUARD_INSTALL, GUARD_REMOVE): a poisoned or guarded
            // owned page would stop the emulator's own reads of it with a signal, where the kernel answers -EFAULT
            int advice = sqe.get(JAVA_INT, RW_FLAGS_OFFSET);
            if (advice >= 100 && advice < 200) {
                sqe.set(JAVA_INT, RW_FLAGS_OFFSET, 0);
            }
        }
        if (opcode == IORING_OP_PROVIDE_BUFFERS) {
            // buffers at addr + bid * len for nbufs (the fd field) buffers: within the reservation's first half
            sqe.set(JAVA_LONG, ADDR_OFFSET, world.base + random.nextLong(FuzzWorld.OWNED));
            sqe.set(JAVA_INT, LEN_OFFSET, Math.floorMod(sqe.get(JAVA_INT, LEN_OFFSET), 4097));
            sqe.set(JAVA_INT, FD_OFFSET, Math.floorMod(sqe.get(JAVA_INT, FD_OFFSET), 1025));
        }
        // last: the structures the SQE hands the kernel, and its pointers to them
        structs.pin(sqe, random);
    }

    /** Closes the descriptors a kernel request made (SOCKET, OPENAT, ..., PIPE): the fuzz's world does not grow. */
    @SuppressWarnings("restricted") // PIPE's two descriptors, read where the world's owned bytes hold them
    private void closeMadeDescriptors(int opcode, List<Cqe> cqes) {
        long ud = sqe.get(JAVA_LONG, USER_DATA_OFFSET);
        boolean direct = sqe.get(JAVA_INT, SPLICE_FD_IN_OFFSET) != 0;
        for (Cqe c : cqes) {
            if (c.userData() != ud || c.res() < 0 || direct) {
                continue;
            }
            if (MAKE_FDS.contains(opcode) && !world.keeps(c.res())) {
                Posix.close(c.res());
            }
            long addr = sqe.get(JAVA_LONG, ADDR_OFFSET);
            if (opcode == IORING_OP_PIPE && c.res() == 0 && world.inOwned(addr, 8)) {
                MemorySegment fds = MemorySegment.ofAddress(addr).reinterpret(8);
                for (int i = 0; i < 2; i++) {
                    int fd = fds.getAtIndex(JAVA_INT, i);
                    if (fd > 2 && !world.keeps(fd)) {
                        Posix.close(fd);
                    }
                }
            }
        }
    }

    private String describe() {
        return describe(sqe);
    }

    /** The ring's setup flags and {@code s}'s eight words. */
    private String describe(MemorySegment s) {
        StringBuilder b = new StringBuilder("ring 0x" + Integer.toHexString(kernel.ring.params().flags()) + " sqe");
        for (int i = 0; i < 64; i += 8) {
            b.append(String.format(" %016x", s.get(JAVA_LONG, i)));
        }
        return b.toString();
    }

    @Override
    public void close() throws IOException {
        kernel.close();
        emulator.close();
        world.close();
    }
}
