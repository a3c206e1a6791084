package dev.ringspec.vectors;

import static dev.ringspec.uapi.IoUring.IORING_REGISTER_BPF_FILTER;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_RESIZE_RINGS;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_RESTRICTIONS;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_CQSIZE;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import dev.ringspec.capabilities.Feature;
import dev.ringspec.capabilities.KernelCapabilities;
import dev.ringspec.fixtures.vectors.Step;
import dev.ringspec.fixtures.vectors.Vector;
import dev.ringspec.seam.Backend;
import dev.ringspec.seam.Cqe;
import dev.ringspec.seam.IoUringKernel;
import dev.ringspec.seam.IoUringKernel.SetupResult;
import dev.ringspec.seam.Ring;
import dev.ringspec.seam.RingObservation;
import dev.ringspec.seam.Sqe;
import dev.ringspec.seam.UserMemory;
import dev.ringspec.uapi.Errno;
import dev.ringspec.uapi.IoUringBpf;
import dev.ringspec.uapi.IoUringBpfFilterStruct;
import dev.ringspec.uapi.IoUringParams;
import dev.ringspec.uapi.IoUringRestriction;
import dev.ringspec.uapi.IoUringTaskRestriction;
import dev.ringspec.uapi.SockFilter;
import dev.ringspec.vectors.VectorResult.Failure;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs a {@link Vector} on any backend behind the seam (a model profile, this machine's kernel, a guest) on the
 * calling thread, and reports every expectation that fails with the vector's line. A vector whose requirements the
 * backend's probed capabilities or kernel version do not meet is skipped with the reason. A vector that forks or
 * restricts its task starts and ends with a fresh task ({@link IoUringKernel#freshTask}), so no vector sees
 * another's task state; a backend that cannot give the thread another task skips it.
 */
public final class VectorRunner {
    /** user_data of the NOPs {@code advance} submits. */
    private static final long ADVANCE_USER_DATA = 0xadad_0000L;

    private final Backend backend;
    private final IoUringKernel kernel;
    private final UserMemory memory;
    private final Map<String, VectorRing> rings = new LinkedHashMap<>();
    private final List<Failure> failures = new ArrayList<>();
    private VectorRing current;
    private long lastResult;
    private MemorySegment lastFilter;
    private final List<Cqe> reaped = new ArrayList<>();

    private VectorRunner(Backend backend) {
        this.backend = backend;
        this.kernel = backend.kernel();
        this.memory = backend.memory();
    }

    /** Runs {@code vector} on {@code backend} (its shared instance, {@link Backend#kernel()}). */
    public static VectorResult run(Vector vector, Backend backend) {
        String skip = skipReason(vector, backend);
        if (skip != null) {
            return new VectorResult.Skipped(skip);
        }
        return new VectorRunner(backend).execute(vector);
    }

    /**
     * A runner for taking a vector (a lesson) one step at a time on {@code backend}: {@link #perform} each step, look
     * at the rings between steps with {@link #observe}, then {@link #close}. Call {@link #skipReason} first.
     */
    public static VectorRunner stepwise(Backend backend) {
        return new VectorRunner(backend);
    }

    /**
     * Performs one step (an {@code expect} line is checked); false where the run cannot go on. A failed expectation
     * or a step that could not run is added to {@link #failures()}.
     */
    public boolean step(Step step) {
        reaped.clear();
        return perform(step);
    }

    /** The result of the last step with one (setup, enter, register, ...). */
    public long lastResult() {
        return lastResult;
    }

    /** The CQEs the last {@code reap} or {@code expect cqe} step took off the CQ. */
    public List<Cqe> reaped() {
        return List.copyOf(reaped);
    }

    /** The failures so far. */
    public List<Failure> failures() {
        return List.copyOf(failures);
    }

    /** The ring set up last (the one steps without {@code ring=} act on), or {@code null} if there is none. */
    public Ring currentRing() {
        return current == null ? null : current.ring;
    }

    /** What an application sees of the ring {@code name} (or the current ring), or a missing ring. */
    public RingObservation observe(String name) {
        VectorRing r = name == null ? current : rings.get(name);
        return r == null ? RingObservation.none((int) lastResult) : RingObservation.capture(r.ring, (int) lastResult);
    }

    /** Closes every ring still open (and gives the thread a fresh task if the vector used tasks). */
    public void close(Vector vector) {
        for (VectorRing r : rings.values()) {
            kernel.close(r.ring);
        }
        rings.clear();
        current = null;
        if (vector.usesTasks()) {
            kernel.freshTask();
        }
    }

    /** Why {@code backend} cannot run {@code vector}, or {@code null} if it can. */
    public static String skipReason(Vector vector, Backend backend) {
        if (!backend.availability().available()) {
            return backend.name() + " cannot run here: " + backend.availability().reason();
        }
        KernelCapabilities caps = backend.capabilities();
        for (Feature f : vector.needs()) {
            if (caps.notModelled().contains(f)) {
                return "the model does not model " + f.name() + " yet (" + backend.name() + ")";
            }
            if (!caps.has(f)) {
                return backend.name() + " lacks " + f.name() + " (" + f.description() + ", since " + f.since() + ")";
            }
        }
        for (Feature f : vector.lacks()) {
            if (caps.has(f) || caps.notModelled().contains(f)) {
                return backend.name() + " has " + f.name() + "; the vector is about kernels without it";
            }
        }
        String release = backend.kernel().release();
        if (vector.minKernel() != null && compareVersions(release, vector.minKernel()) < 0) {
            return backend.name() + " is " + release + ", older than " + vector.minKernel();
        }
        if (vector.belowKernel() != null && compareVersions(release, vector.belowKernel()) >= 0) {
            return backend.name() + " is " + release + ", not older than " + vector.belowKernel();
        }
        if (vector.usesTasks()) {
            try {
                if (backend.kernel().freshTask() != 0) {
                    return backend.name() + " could not give the thread a fresh task";
                }
            } catch (UnsupportedOperationException e) {
                return backend.name() + " cannot give a thread another task: " + e.getMessage();
            }
        }
        return null;
    }

    /** Compares the major.minor of a release string ({@code 7.2.13-amd64}, {@code 7.3}) with {@code version}. */
    static int compareVersions(String release, String version) {
        String[] r = release.split("[^0-9]+", 3);
        String[] v = version.split("\\.");
        int major = Integer.compare(Integer.parseInt(r[0]), Integer.parseInt(v[0]));
        return major != 0 ? major : Integer.compare(Integer.parseInt(r[1]), Integer.parseInt(v[1]));
    }

    private VectorResult execute(Vector vector) {
        Step last = vector.steps().getLast();
        try {
            for (Step step : vector.steps()) {
                if (!perform(step)) {
                    break;
                }
            }
            for (Map.Entry<String, VectorRing> e : rings.entrySet()) {
                for (Cqe cqe = e.getValue().driver.reap(); cqe != null; cqe = e.getValue().driver.reap()) {
                    fail(last, "ring " + e.getKey() + " holds a CQE no `expect cqe` line names: " + cqe);
                }
            }
        } finally {
            for (VectorRing r : rings.values()) {
                kernel.close(r.ring);
            }
            if (vector.usesTasks()) {
                kernel.freshTask();
            }
        }
        return new VectorResult.Ran(failures);
    }

    /** Performs one step; false where the run cannot go on. */
    private boolean perform(Step step) {
        try {
            return switch (step) {
                case Step.Setup s -> setup(s);
                case Step.PutSqe s -> putSqe(s);
                case Step.SqArray s -> {
                    VectorRing r = ring(s.ring());
                    s.entries().forEach((index, sqe) -> r.driver.sq().writeOnceArray(index, sqe));
                    yield true;
                }
                case Step.Publish s -> {
                    ring(s.ring()).publishTail(s.tail());
                    yield true;
                }
                case Step.Advance s -> advance(s);
                case Step.Enter s -> {
                    VectorRing r = ring(s.ring());
                    int filled = s.publish() ? r.publishPending() : 0;
                    int toSubmit = s.toSubmit() < 0 ? filled : s.toSubmit();
                    lastResult = kernel.enter(r.ring, toSubmit, s.minComplete(), s.flags(), MemorySegment.NULL, 0);
                    yield true;
                }
                case Step.Register s -> {
                    MemorySegment arg = s.argSizeBytes() == 0 ? MemorySegment.NULL
                            : memory.allocate(s.argSizeBytes(), 8);
                    lastResult = s.ringless() ? kernel.registerWithoutRing(s.opcode(), arg, s.nrArgs())
                            : kernel.register(ring(s.ring()).ring, s.opcode(), arg, s.nrArgs());
                    yield true;
                }
                case Step.Restrict s -> restrict(s);
                case Step.BpfFilter s -> filter(s);
                case Step.NoNewPrivs s -> {
                    lastResult = kernel.setNoNewPrivs();
                    yield true;
                }
                case Step.Fork s -> {
                    lastResult = kernel.forkTask(s.dropCapSysAdmin());
                    yield true;
                }
                case Step.Close s -> close(s);
                case Step.Reap s -> {
                    VectorRing r = ring(s.ring());
                    reaped.clear();
                    for (Cqe cqe; reaped.size() < s.count() && (cqe = r.driver.reap()) != null; ) {
                        reaped.add(cqe);
                    }
                    yield true;
                }
                case Step.Resize s -> resize(s);
                case Step.Say s -> true;
                case Step.ExpectResult s -> {
                    if (s.value() == null ? lastResult < 0 : lastResult != s.value()) {
                        fail(s, s.kind() + " returned " + Errno.describe((int) lastResult) + ", expected "
                                + (s.value() == null ? "a result >= 0" : Errno.describe(s.value().intValue())));
                    }
                    yield true;
                }
                case Step.ExpectCqe s -> expectCqe(s);
                case Step.ExpectCqEmpty s -> {
                    for (Cqe cqe = ring(s.ring()).driver.reap(); cqe != null; cqe = ring(s.ring()).driver.reap()) {
                        fail(s, "the CQ holds " + cqe);
                    }
                    yield true;
                }
                case Step.ExpectRing s -> expectRing(s);
                case Step.ExpectPdu s -> {
                    int pdu = lastFilter == null ? -1 : Byte.toUnsignedInt(lastFilter.get(JAVA_BYTE,
                            IoUringBpf.FILTER_OFFSET + IoUringBpfFilterStruct.PDU_SIZE_OFFSET));
                    if (pdu != s.pduSize()) {
                        fail(s, "pdu_size reads " + pdu + ", expected " + s.pduSize());
                    }
                    yield true;
                }
            };
        } catch (NoRingException e) {
            fail(step, e.getMessage());
            return false;
        } catch (RuntimeException e) {
            fail(step, backend.name() + " threw " + e);
            return false;
        }
    }

    private boolean setup(Step.Setup s) {
        MemorySegment params = memory.allocate(IoUringParams.SIZE_BYTES, 8);
        int flags = s.flags() | (s.cqEntries() > 0 ? IORING_SETUP_CQSIZE : 0);
        params.set(JAVA_INT, IoUringParams.FLAGS_OFFSET, flags);
        params.set(JAVA_INT, IoUringParams.CQ_ENTRIES_OFFSET, s.cqEntries());
        SetupResult result = kernel.setup(s.sqEntries(), params);
        lastResult = result.result();
        if (result instanceof SetupResult.Created(var ring)) {
            current = new VectorRing(kernel, ring);
            String name = s.name() == null ? "ring" + (rings.size() + 1) : s.name();
            rings.put(name, current);
        }
        return true;
    }

    private boolean putSqe(Step.PutSqe s) {
        VectorRing r = ring(s.ring());
        long at = s.at() < 0 ? r.nextAtTail(s.opcode()) : r.clearAt(s.at(), s.opcode());
        MemorySegment sqes = r.sqes();
        Sqe.opcode(sqes, at, s.opcode());
        Sqe.userData(sqes, at, s.userData());
        for (Map.Entry<String, Long> f : s.fields().entrySet()) {
            long v = f.getValue();
            switch (f.getKey()) {
                case "flags" -> Sqe.flags(sqes, at, (int) v);
                case "ioprio" -> Sqe.ioprio(sqes, at, (int) v);
                case "fd" -> Sqe.fd(sqes, at, (int) v);
                case "off" -> Sqe.off(sqes, at, v);
                case "addr" -> Sqe.addr(sqes, at, v);
                case "len" -> Sqe.len(sqes, at, (int) v);
                case "op_flags" -> Sqe.opFlags(sqes, at, (int) v);
                case "buf_index" -> Sqe.bufIndex(sqes, at, (int) v);
                case "personality" -> Sqe.personality(sqes, at, (int) v);
                case "file_index" -> Sqe.fileIndex(sqes, at, (int) v);
                case "timeout_nanos" -> {
                    // struct __kernel_timespec { __s64 tv_sec; long long tv_nsec; } at addr, len 1 (io_timeout_prep)
                    MemorySegment ts = memory.allocate(16, 8);
                    ts.set(JAVA_LONG, 0, v / 1_000_000_000L);
                    ts.set(JAVA_LONG, 8, v % 1_000_000_000L);
                    Sqe.addr(sqes, at, ts.address());
                    Sqe.len(sqes, at, 1);
                }
                default -> throw new IllegalStateException("the parser let through SQE field " + f.getKey());
            }
        }
        if (s.path() != null) {
            byte[] bytes = s.path().getBytes(StandardCharsets.UTF_8);
            MemorySegment path = memory.allocate(bytes.length + 1L, 8);
            MemorySegment.copy(bytes, 0, path, JAVA_BYTE, 0, bytes.length);
            Sqe.addr(sqes, at, path.address());
        }
        if (s.how() != null) {
            // struct open_how { __u64 flags, mode, resolve; }: its pointer goes in addr2 (the off field), its size in len
            MemorySegment how = memory.allocate(24, 8);
            for (int i = 0; i < 3; i++) {
                how.set(JAVA_LONG, 8L * i, s.how()[i]);
            }
            Sqe.off(sqes, at, how.address());
            Sqe.len(sqes, at, 24);
        }
        return true;
    }

    private boolean advance(Step.Advance s) {
        VectorRing r = ring(s.ring());
        for (int i = 0; i < s.count(); i++) {
            long at = r.nextAtTail(0);
            Sqe.prepNop(r.sqes(), at, ADVANCE_USER_DATA + i);
            int submitted = kernel.enter(r.ring, r.publishPending(), 0, 0, MemorySegment.NULL, 0);
            Cqe cqe = r.driver.reap();
            if (submitted != 1 || cqe == null || cqe.userData() != ADVANCE_USER_DATA + i || cqe.res() != 0) {
                fail(s, "round " + (i + 1) + " submitted " + submitted + " and reaped " + cqe);
                return false;
            }
        }
        return true;
    }

    private boolean restrict(Step.Restrict s) {
        long header = s.task() ? IoUringTaskRestriction.SIZE_BYTES : 0;
        MemorySegment arg = memory.allocate(header + Math.max(1, s.entries().size()) * IoUringRestriction.SIZE_BYTES,
                8);
        for (int i = 0; i < s.entries().size(); i++) {
            long at = header + i * IoUringRestriction.SIZE_BYTES;
            arg.set(JAVA_SHORT, at + IoUringRestriction.OPCODE_OFFSET, (short) s.entries().get(i).type());
            arg.set(JAVA_BYTE, at + IoUringRestriction.SQE_OP_OFFSET, (byte) s.entries().get(i).value());
        }
        if (s.task()) {
            arg.set(JAVA_SHORT, IoUringTaskRestriction.FLAGS_OFFSET, (short) s.flags());
            arg.set(JAVA_SHORT, IoUringTaskRestriction.NR_RES_OFFSET, (short) s.nrRes());
            arg.set(JAVA_INT, IoUringTaskRestriction.RESV_OFFSET, s.resv());
            lastResult = kernel.registerWithoutRing(IORING_REGISTER_RESTRICTIONS, arg, s.nrArgs());
        } else {
            lastResult = kernel.register(ring(s.ring()).ring, IORING_REGISTER_RESTRICTIONS, arg, s.nrArgs());
        }
        return true;
    }

    private boolean filter(Step.BpfFilter s) {
        MemorySegment insns = memory.allocate(s.program().size() * SockFilter.SIZE_BYTES, 8);
        for (int i = 0; i < s.program().size(); i++) {
            s.program().get(i).write(insns, i * SockFilter.SIZE_BYTES);
        }
        MemorySegment bpf = memory.allocate(IoUringBpf.SIZE_BYTES, 8);
        bpf.set(JAVA_SHORT, IoUringBpf.CMD_TYPE_OFFSET, (short) s.cmdType());
        bpf.set(JAVA_SHORT, IoUringBpf.CMD_FLAGS_OFFSET, (short) s.cmdFlags());
        bpf.set(JAVA_INT, IoUringBpf.RESV_OFFSET, s.resv());
        long f = IoUringBpf.FILTER_OFFSET;
        bpf.set(JAVA_INT, f + IoUringBpfFilterStruct.OPCODE_OFFSET, s.opcode());
        bpf.set(JAVA_INT, f + IoUringBpfFilterStruct.FLAGS_OFFSET, s.flags());
        bpf.set(JAVA_INT, f + IoUringBpfFilterStruct.FILTER_LEN_OFFSET, s.filterLen());
        bpf.set(JAVA_BYTE, f + IoUringBpfFilterStruct.PDU_SIZE_OFFSET, (byte) s.pduSize());
        bpf.set(JAVA_LONG, f + IoUringBpfFilterStruct.FILTER_PTR_OFFSET, insns.address());
        lastFilter = bpf;
        lastResult = s.task() ? kernel.registerWithoutRing(IORING_REGISTER_BPF_FILTER, bpf, s.nrArgs())
                : kernel.register(ring(s.ring()).ring, IORING_REGISTER_BPF_FILTER, bpf, s.nrArgs());
        return true;
    }

    private boolean resize(Step.Resize s) {
        VectorRing r = ring(s.ring());
        MemorySegment params = memory.allocate(IoUringParams.SIZE_BYTES, 8);
        params.set(JAVA_INT, IoUringParams.SQ_ENTRIES_OFFSET, s.sqEntries() > 0 ? s.sqEntries()
                : r.driver.sq().readOnceRingEntries());
        params.set(JAVA_INT, IoUringParams.CQ_ENTRIES_OFFSET, s.cqEntries());
        params.set(JAVA_INT, IoUringParams.FLAGS_OFFSET, s.flags() | (s.cqEntries() > 0 ? IORING_SETUP_CQSIZE : 0));
        lastResult = kernel.register(r.ring, IORING_REGISTER_RESIZE_RINGS, params, 1);
        r.driver.refreshViews();
        return true;
    }

    private boolean close(Step.Close s) {
        VectorRing r = ring(s.ring());
        rings.values().remove(r);
        if (current == r) {
            current = rings.isEmpty() ? null : rings.values().stream().reduce((a, b) -> b).orElseThrow();
        }
        lastResult = kernel.close(r.ring);
        return true;
    }

    private boolean expectCqe(Step.ExpectCqe s) {
        Cqe cqe = ring(s.ring()).driver.reap();
        if (cqe != null) {
            reaped.add(cqe);
        }
        if (cqe == null) {
            fail(s, "no CQE is visible");
        } else if (cqe.userData() != s.userData() || cqe.res() != s.res() || cqe.flags() != s.flags()) {
            fail(s, "the CQE at the head is " + cqe + ", expected " + new Cqe(s.userData(), s.res(), s.flags(), 0, 0));
        }
        return true;
    }

    private boolean expectRing(Step.ExpectRing s) {
        VectorRing r = ring(s.ring());
        for (Map.Entry<String, Long> f : s.fields().entrySet()) {
            int actual = s.sq() ? switch (f.getKey()) {
                case "head" -> r.driver.sq().loadAcquireHead();
                case "tail" -> r.driver.sq().readOnceTail();
                case "flags" -> r.driver.sq().readOnceFlags();
                default -> r.driver.sq().readOnceDropped();
            } : switch (f.getKey()) {
                case "head" -> r.driver.cq().readOnceHead();
                case "tail" -> r.driver.cq().loadAcquireTail();
                case "flags" -> r.driver.cq().readOnceFlags();
                default -> r.driver.cq().readOnceOverflow();
            };
            if (actual != f.getValue().intValue()) {
                fail(s, (s.sq() ? "sq." : "cq.") + f.getKey() + " reads " + Integer.toUnsignedString(actual)
                        + ", expected " + Integer.toUnsignedString(f.getValue().intValue()));
            }
        }
        return true;
    }

    private VectorRing ring(String name) {
        VectorRing r = name == null ? current : rings.get(name);
        if (r == null) {
            throw new NoRingException(name == null ? "no ring is set up" : "no ring is named " + name);
        }
        return r;
    }

    private void fail(Step step, String message) {
        failures.add(new Failure(step.line(), step.text(), message));
    }

    /** A step names a ring that does not exist: the vector cannot go on. */
    private static final class NoRingException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        NoRingException(String message) {
            super(message);
        }
    }
}
