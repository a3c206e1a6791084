package dev.ringspec.model;

import static dev.ringspec.uapi.IoUring.IORING_OP_CONNECT;
import static dev.ringspec.uapi.IoUring.IORING_OP_FSYNC;
import static dev.ringspec.uapi.IoUring.IORING_OP_NOP;
import static dev.ringspec.uapi.IoUring.IORING_OP_NOP128;
import static dev.ringspec.uapi.IoUring.IORING_OP_OPENAT;
import static dev.ringspec.uapi.IoUring.IORING_OP_OPENAT2;
import static dev.ringspec.uapi.IoUring.IORING_OP_SOCKET;
import static dev.ringspec.uapi.IoUring.IORING_OP_URING_CMD128;

import dev.ringspec.uapi.UapiNames;

/**
 * The opcode table of one {@link KernelProfile}, like the kernel's {@code io_issue_defs[]} (io_uring/opdef.c):
 * one {@link OpDef} per opcode below {@code IORING_OP_LAST}, indexed by opcode. The model's own entries are NOP
 * and NOP128 ({@link Nop}), SOCKET and CONNECT ({@link Net}), OPENAT and OPENAT2 ({@link OpenClose}) and FSYNC
 * ({@link Sync}) within the world of WORLD.md; every other opcode is known by number only until the profile brings an entry for it
 * ({@link KernelProfile.Builder#opcode}).
 */
final class IoIssueDefs {
    private final OpDef[] defs;

    IoIssueDefs(KernelProfile profile, java.util.Set<Mutant> mutants) {
        defs = new OpDef[profile.opLast()];
        for (int op = 0; op < defs.length; op++) {
            defs[op] = OpDef.unmodelled(op, name(op), 0);
        }
        // opdef.c: NOP is allowed on IOPOLL rings and has no file, ioprio or buffer select
        defs[IORING_OP_NOP] = new OpDef(IORING_OP_NOP, "NOP", OpDef.IOPOLL, Nop::prep, Nop::issue);
        if (profile.sqeMixed()) {
            // opdef.c (6.19+): NOP128 is NOP in a 128-byte SQE; URING_CMD128 is known, not modelled
            defs[IORING_OP_NOP128] = new OpDef(IORING_OP_NOP128, "NOP128", OpDef.IOPOLL | OpDef.SQE128, Nop::prep,
                    Nop::issue);
            defs[IORING_OP_URING_CMD128] = OpDef.unmodelled(IORING_OP_URING_CMD128, "URING_CMD128", OpDef.SQE128);
        }
        // opdef.c: SOCKET, OPENAT and OPENAT2 (CONNECT from 6.12, whose prep copies the address in; FSYNC from 6.12,
        // whose prep sends it to io-wq), with their BPF filter payloads from 7.0 (WORLD.md)
        defs[IORING_OP_SOCKET] = Net.socketDef(profile, mutants.contains(Mutant.BPF_SOCKET_TYPE_PROTOCOL_SWAPPED));
        defs[IORING_OP_OPENAT] = OpenClose.openatDef(profile, false);
        defs[IORING_OP_OPENAT2] = OpenClose.openatDef(profile, true);
        if (profile.connectPrepCopiesAddress()) {
            defs[IORING_OP_CONNECT] = Net.connectDef(profile);
            defs[IORING_OP_FSYNC] = Sync.fsyncDef();
        }
        for (OpDef def : profile.opcodes()) {
            if (def.opcode() >= defs.length) {
                throw new IllegalArgumentException("opcode " + def.name() + " (" + def.opcode()
                        + ") is at or above IORING_OP_LAST of profile " + profile.version());
            }
            defs[def.opcode()] = def;
        }
    }

    /** The entry of {@code opcode}, which io_init_req has checked is below IORING_OP_LAST. */
    OpDef def(int opcode) {
        return defs[opcode];
    }

    /** The table itself, indexed by opcode, for io_init_req's hot path (callers must not write it). */
    OpDef[] table() {
        return defs;
    }

    private static String name(int opcode) {
        String n = UapiNames.OPCODES.get(opcode);
        return n == null ? "OP_" + opcode : UapiNames.shortName(n);
    }
}
