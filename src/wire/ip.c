/* IPv4 (RFC 791) and IPv6 (RFC 8200) header codec. */
#include "wire/ip.h"

#include <string.h>

#include "umptcp/error.h"
#include "util/bytes.h"
#include "wire/checksum.h"

#define IPV4_FLAG_DF 0x4000u
#define IPV4_FLAG_MF 0x2000u
#define IPV4_FRAG_OFFSET_MASK 0x1fffu

static int ip_parse_v4(const uint8_t *pkt, size_t len, struct wire_ip_hdr *out)
{
    if (len < WIRE_IPV4_HDR_LEN)
        return UMPTCP_ERR_TRUNCATED;
    size_t ihl = (size_t)(pkt[0] & 0x0f) * 4;
    if (ihl < WIRE_IPV4_HDR_LEN)
        return UMPTCP_ERR_BAD_LENGTH;
    if (ihl > len)
        return UMPTCP_ERR_TRUNCATED;
    size_t total = be16_get(pkt + 2);
    if (total < ihl)
        return UMPTCP_ERR_BAD_LENGTH;
    if (total > len)
        return UMPTCP_ERR_TRUNCATED;
    /* RFC 791 3.1: the checksum over the header, checksum field included, folds to zero. */
    if (wire_csum_fold(wire_csum_add(0, pkt, ihl)) != 0)
        return UMPTCP_ERR_BAD_CHECKSUM;
    uint16_t frag = be16_get(pkt + 6);
    out->hdr_len = (uint8_t)ihl;
    out->tos = pkt[1];
    out->id = be16_get(pkt + 4);
    out->dont_fragment = (frag & IPV4_FLAG_DF) != 0;
    out->ttl = pkt[8];
    out->proto = pkt[9];
    out->src.family = UMPTCP_AF_INET;
    memcpy(out->src.bytes, pkt + 12, 4);
    out->dst.family = UMPTCP_AF_INET;
    memcpy(out->dst.bytes, pkt + 16, 4);
    /* We do not reassemble: a first fragment (MF) or a later one (offset) is refused. */
    if ((frag & (IPV4_FLAG_MF | IPV4_FRAG_OFFSET_MASK)) != 0)
        return UMPTCP_ERR_UNSUPPORTED;
    out->payload = pkt + ihl; /* bytes past total length are link padding */
    out->payload_len = total - ihl;
    return UMPTCP_OK;
}

/* RFC 8200 4.1-4.6: walks the extension headers we can skip; stops at the first other next
 * header (the upper layer, or one we do not know, which the caller reports as proto). */
static int ip_skip_v6_extensions(struct wire_ip_hdr *out, uint8_t nh)
{
    const uint8_t *p = out->payload;
    size_t left = out->payload_len;
    size_t skipped = 0;
    for (;;) {
        if (nh == WIRE_IPV6_NH_FRAGMENT)
            return UMPTCP_ERR_UNSUPPORTED;
        if (nh != WIRE_IPV6_NH_HOPOPTS && nh != WIRE_IPV6_NH_ROUTING && nh != WIRE_IPV6_NH_DSTOPTS)
            break;
        /* RFC 8200 4.3: hop-by-hop options may only follow the IPv6 header directly. */
        if (nh == WIRE_IPV6_NH_HOPOPTS && skipped != 0)
            return UMPTCP_ERR_UNSUPPORTED;
        if (left < 2)
            return UMPTCP_ERR_TRUNCATED;
        size_t ext = ((size_t)p[1] + 1) * 8; /* length in 8-octet units, first 8 not counted */
        if (ext > left)
            return UMPTCP_ERR_TRUNCATED;
        /* RFC 8200 4.4: with segments left, we are not the final destination. */
        if (nh == WIRE_IPV6_NH_ROUTING && p[3] != 0)
            return UMPTCP_ERR_UNSUPPORTED;
        nh = p[0];
        p += ext;
        left -= ext;
        skipped += ext;
    }
    out->proto = nh;
    out->payload = p;
    out->payload_len = left;
    out->ext_len = (uint16_t)skipped; /* <= payload length, a 16-bit field */
    return UMPTCP_OK;
}

static int ip_parse_v6(const uint8_t *pkt, size_t len, struct wire_ip_hdr *out)
{
    if (len < WIRE_IPV6_HDR_LEN)
        return UMPTCP_ERR_TRUNCATED;
    size_t plen = be16_get(pkt + 4);
    /* A zero payload length with a jumbo option (RFC 2675) is caught below as truncated
     * hop-by-hop options; we do not support jumbograms. */
    if (plen > len - WIRE_IPV6_HDR_LEN)
        return UMPTCP_ERR_TRUNCATED;
    uint32_t first = be32_get(pkt);
    out->hdr_len = WIRE_IPV6_HDR_LEN;
    out->tos = (uint8_t)(first >> 20);
    out->flow_label = first & 0xfffffu;
    out->ttl = pkt[7];
    out->proto = pkt[6];
    out->src.family = UMPTCP_AF_INET6;
    memcpy(out->src.bytes, pkt + 8, 16);
    out->dst.family = UMPTCP_AF_INET6;
    memcpy(out->dst.bytes, pkt + 24, 16);
    out->payload = pkt + WIRE_IPV6_HDR_LEN;
    out->payload_len = plen;
    return ip_skip_v6_extensions(out, pkt[6]);
}

int wire_ip_parse(const uint8_t *pkt, size_t len, struct wire_ip_hdr *out)
{
    memset(out, 0, sizeof(*out));
    if (pkt == NULL || len < 1)
        return UMPTCP_ERR_TRUNCATED;
    out->version = pkt[0] >> 4;
    switch (out->version) {
    case 4:
        return ip_parse_v4(pkt, len, out);
    case 6:
        return ip_parse_v6(pkt, len, out);
    default:
        return UMPTCP_ERR_BAD_VERSION;
    }
}

static int ip_write_v4(const struct wire_ip_hdr *h, size_t payload_len, uint8_t *buf, size_t cap)
{
    if (payload_len > 0xffffu - WIRE_IPV4_HDR_LEN)
        return UMPTCP_ERR_BAD_LENGTH;
    if (cap < WIRE_IPV4_HDR_LEN)
        return UMPTCP_ERR_NOSPACE;
    buf[0] = 0x45; /* version 4, IHL 5 */
    buf[1] = h->tos;
    be16_put(buf + 2, (uint16_t)(WIRE_IPV4_HDR_LEN + payload_len));
    be16_put(buf + 4, h->id);
    be16_put(buf + 6, h->dont_fragment ? IPV4_FLAG_DF : 0);
    buf[8] = h->ttl;
    buf[9] = h->proto;
    be16_put(buf + 10, 0);
    memcpy(buf + 12, h->src.bytes, 4);
    memcpy(buf + 16, h->dst.bytes, 4);
    be16_put(buf + 10, wire_csum_fold(wire_csum_add(0, buf, WIRE_IPV4_HDR_LEN)));
    return UMPTCP_OK;
}

static int ip_write_v6(const struct wire_ip_hdr *h, size_t payload_len, uint8_t *buf, size_t cap)
{
    if (payload_len > 0xffffu)
        return UMPTCP_ERR_BAD_LENGTH;
    if (cap < WIRE_IPV6_HDR_LEN)
        return UMPTCP_ERR_NOSPACE;
    be32_put(buf, (6u << 28) | ((uint32_t)h->tos << 20) | (h->flow_label & 0xfffffu));
    be16_put(buf + 4, (uint16_t)payload_len);
    buf[6] = h->proto;
    buf[7] = h->ttl;
    memcpy(buf + 8, h->src.bytes, 16);
    memcpy(buf + 24, h->dst.bytes, 16);
    return UMPTCP_OK;
}

int wire_ip_write(const struct wire_ip_hdr *h, size_t payload_len, uint8_t *buf, size_t cap,
                  size_t *hdr_len_out)
{
    if (h == NULL || buf == NULL || h->src.family != h->version || h->dst.family != h->version)
        return UMPTCP_ERR_INVAL;
    int rc;
    if (h->version == UMPTCP_AF_INET)
        rc = ip_write_v4(h, payload_len, buf, cap);
    else if (h->version == UMPTCP_AF_INET6)
        rc = ip_write_v6(h, payload_len, buf, cap);
    else
        return UMPTCP_ERR_INVAL;
    if (rc == UMPTCP_OK && hdr_len_out != NULL)
        *hdr_len_out = h->version == UMPTCP_AF_INET ? WIRE_IPV4_HDR_LEN : WIRE_IPV6_HDR_LEN;
    return rc;
}
