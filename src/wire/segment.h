/* One whole IP + TCP packet: parse everything at once, or build one from a spec. */
#ifndef UMPTCP_WIRE_SEGMENT_H
#define UMPTCP_WIRE_SEGMENT_H

#include <stddef.h>
#include <stdint.h>

#include "umptcp/addr.h"
#include "wire/ip.h"
#include "wire/tcp.h"
#include "wire/tcp_opt.h"

struct wire_segment {
    struct wire_ip_hdr ip;
    struct wire_tcp_hdr tcp;
    struct wire_tcp_options opt;
};

/* Parses IP (wire_ip_parse), checks the protocol is TCP (else UMPTCP_ERR_PROTO), parses the
 * TCP header, verifies the TCP checksum over the pseudo-header (UMPTCP_ERR_BAD_CHECKSUM) and
 * parses the options. Returns 0 or the first error; pointers in *out point into pkt. */
int wire_segment_parse(const uint8_t *pkt, size_t len, struct wire_segment *out);

struct wire_segment_spec {
    umptcp_sockaddr src, dst;
    uint32_t seq, ack;
    uint8_t flags; /* WIRE_TCP_* */
    uint16_t window;
    uint8_t ttl; /* 0 = 64 */
    uint8_t tos; /* IPv4 TOS / IPv6 traffic class */
    uint16_t ip_id;
    const struct wire_tcp_options *opt; /* may be NULL */
    const uint8_t *payload;
    size_t payload_len;
    uint32_t flow_label; /* IPv6 only */
};

/* Builds an IPv4 (DF set) or IPv6 packet, by s->src.addr.family, with correct IP and TCP
 * checksums. src and dst families must match (UMPTCP_ERR_INVAL). Returns 0 and sets *len_out,
 * or UMPTCP_ERR_NOSPACE (options over 40 bytes, or cap too small: then *len_out is set to the
 * length needed), UMPTCP_ERR_BAD_LENGTH (packet too long for the IP length field) or the
 * option errors of wire_tcp_options_size. */
int wire_segment_build(const struct wire_segment_spec *s, uint8_t *buf, size_t cap,
                       size_t *len_out);

#endif
