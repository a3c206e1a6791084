package dev.ringspec.bpf;

import static dev.ringspec.uapi.Filter.SKF_AD_OFF;
import static dev.ringspec.uapi.Filter.SKF_NET_OFF;

import java.util.Objects;

/**
 * The skb of an {@code AF_UNIX} {@code SOCK_DGRAM} datagram as the receiver's socket filter sees it
 * ({@code unix_dgram_sendmsg} runs {@code sk_filter(other, skb)} before queueing): the payload from offset 0, no
 * headroom, no device and no metadata.
 *
 * <p>Loads ({@code bpf_skb_load_helper_8/16/32} after {@code bpf_skb_load_helper_convert_offset}, Linux 6.15 and
 * later): an offset at or above 0 reads the payload big-endian and fails past its end. An offset in
 * {@code [SKF_NET_OFF, 0)} is relative to the network header; {@code __alloc_skb} leaves
 * {@code network_header} 0 and {@code sock_alloc_send_pskb} reserves no headroom, so the network offset is 0 and
 * the load reads the payload at {@code offset - SKF_NET_OFF}. An offset in {@code [SKF_LL_OFF, SKF_NET_OFF)} needs a
 * MAC header, which this skb has not had set ({@code mac_header} is ~0): the load fails, as does any offset below
 * {@code SKF_LL_OFF}. Paged data ({@code len > SKB_MAX_ALLOC}) changes nothing: the helper falls back to
 * {@code skb_copy_bits}.
 *
 * <p>Ancillary loads ({@code convert_bpf_extensions}): {@code protocol}, {@code pkt_type} ({@code PACKET_HOST}),
 * {@code mark}, {@code queue_mapping}, {@code hash}, {@code vlan_tci}, {@code vlan_all} and {@code vlan_proto} are
 * never set on this skb and read 0; {@code IFINDEX} and {@code HATYPE} find {@code skb->dev} NULL and exit the
 * program returning A; {@code ALU_XOR_X} is A ^ X. {@code CPU} and {@code RANDOM} are not determined, and
 * {@code NLATTR}, {@code NLATTR_NEST} and {@code PAY_OFFSET} (netlink parsing, the flow dissector) are not modelled:
 * those are outside the model.
 */
public final class UnixDatagram implements BpfData {
    private final byte[] payload;

    private UnixDatagram(byte[] payload) {
        this.payload = payload;
    }

    /** A datagram with a copy of {@code payload} (any length, empty included). */
    public static UnixDatagram of(byte[] payload) {
        return new UnixDatagram(Objects.requireNonNull(payload, "payload").clone());
    }

    /** A datagram of {@code payload} itself, not copied: the caller must not change it while it is used. */
    public static UnixDatagram wrap(byte[] payload) {
        return new UnixDatagram(Objects.requireNonNull(payload, "payload"));
    }

    @Override
    public int length() {
        return payload.length;
    }

    @Override
    public long load(int mode, int offset, int sizeBytes) {
        long at;
        // bpf_skb_load_helper_convert_offset
        if (offset >= 0) {
            at = offset;
        } else if (offset >= SKF_NET_OFF) {
            at = (long) offset - SKF_NET_OFF;
        } else {
            // SKF_LL_OFF needs skb_mac_header_was_set, and below SKF_LL_OFF is INT_MIN: -EFAULT either way
            return LOAD_FAILED;
        }
        // skb_copy_bits: offset > skb->len - len -> -EFAULT
        if (at + sizeBytes > payload.length) {
            return LOAD_FAILED;
        }
        int i = (int) at;
        return switch (sizeBytes) {
            case 1 -> payload[i] & 0xff;
            case 2 -> ((payload[i] & 0xff) << 8) | (payload[i + 1] & 0xff);
            case 4 -> Integer.toUnsignedLong(((payload[i] & 0xff) << 24) | ((payload[i + 1] & 0xff) << 16)
                    | ((payload[i + 2] & 0xff) << 8) | (payload[i + 3] & 0xff));
            default -> throw new IllegalArgumentException("a load has 1, 2 or 4 bytes, not " + sizeBytes);
        };
    }

    @Override
    public long ancillary(int skfAd, int a, int x) {
        Ancillary selector = Ancillary.ofK(skfAd + SKF_AD_OFF);
        if (selector == null) {
            throw new IllegalArgumentException("not an ancillary selector: " + skfAd);
        }
        return switch (selector) {
            case PROTOCOL, PKTTYPE, MARK, QUEUE, RXHASH, VLAN_TAG, VLAN_TAG_PRESENT, VLAN_TPID -> 0;
            case IFINDEX, HATYPE -> EXIT_WITH_A;
            case ALU_XOR_X -> Integer.toUnsignedLong(a ^ x);
            case NLATTR, NLATTR_NEST, PAY_OFFSET, CPU, RANDOM -> OUTSIDE_MODEL;
        };
    }
}
