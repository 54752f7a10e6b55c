/* IPv4 (RFC 791) and IPv6 (RFC 8200) header codec. */
#ifndef UMPTCP_WIRE_IP_H
#define UMPTCP_WIRE_IP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "umptcp/addr.h"

#define WIRE_IPV4_HDR_LEN 20
#define WIRE_IPV6_HDR_LEN 40
#define WIRE_IPPROTO_TCP 6

/* IPv6 next-header values the parser knows (RFC 8200 4). */
#define WIRE_IPV6_NH_HOPOPTS 0
#define WIRE_IPV6_NH_ROUTING 43
#define WIRE_IPV6_NH_FRAGMENT 44
#define WIRE_IPV6_NH_DSTOPTS 60

struct wire_ip_hdr {
    uint8_t version;    /* 4 or 6 */
    uint8_t hdr_len;    /* IPv4: IHL * 4 (20..60); IPv6: 40 (the fixed header) */
    uint8_t tos;        /* IPv4 TOS byte / IPv6 traffic class (DSCP + ECN) */
    uint8_t ttl;        /* IPv4 TTL / IPv6 hop limit */
    uint8_t proto;      /* IPv4 protocol / IPv6 final next header after extension headers */
    uint16_t id;        /* IPv4 identification (0 for IPv6) */
    bool dont_fragment; /* IPv4 DF bit (false for IPv6) */
    umptcp_addr src, dst;
    const uint8_t *payload; /* points into the parsed packet, after all headers */
    size_t payload_len;
    uint32_t flow_label; /* IPv6 flow label (20 bits), 0 for IPv4 */
    uint16_t ext_len;    /* IPv6: bytes of extension headers skipped (0 for IPv4) */
};

/* Parses an IPv4 or IPv6 packet. Returns 0 and fills *out, or:
 * UMPTCP_ERR_TRUNCATED (packet shorter than a header or a length field says),
 * UMPTCP_ERR_BAD_VERSION, UMPTCP_ERR_BAD_LENGTH (IHL < 5, total length < IHL),
 * UMPTCP_ERR_BAD_CHECKSUM (IPv4 header), UMPTCP_ERR_UNSUPPORTED (fragments, IPv6 routing
 * header with segments left, misplaced hop-by-hop header). Bytes beyond the IP total/payload
 * length (link padding) are ignored. IPv6 hop-by-hop, routing and destination-options headers
 * are skipped; any other next header is reported in proto. On error *out is partial. */
int wire_ip_parse(const uint8_t *pkt, size_t len, struct wire_ip_hdr *out);

/* Writes a 20-byte IPv4 header (DF from h->dont_fragment, header checksum computed) or a
 * 40-byte IPv6 header, chosen by h->version, for a payload of payload_len bytes. Uses
 * version, tos, ttl (written as given), proto, id, dont_fragment, flow_label, src, dst;
 * ignores hdr_len, ext_len and payload. src and dst must have the family of h->version
 * (UMPTCP_ERR_INVAL). Returns 0 and sets *hdr_len_out, or UMPTCP_ERR_NOSPACE (cap too small)
 * or UMPTCP_ERR_BAD_LENGTH (payload too long for the length field). */
int wire_ip_write(const struct wire_ip_hdr *h, size_t payload_len, uint8_t *buf, size_t cap,
                  size_t *hdr_len_out);

#endif
