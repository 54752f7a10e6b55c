/* One whole IP + TCP packet. */
#include "wire/segment.h"

#include <string.h>

#include "umptcp/error.h"
#include "wire/checksum.h"

#define WIRE_DEFAULT_TTL 64

int wire_segment_parse(const uint8_t *pkt, size_t len, struct wire_segment *out)
{
    memset(out, 0, sizeof(*out));
    int rc = wire_ip_parse(pkt, len, &out->ip);
    if (rc != UMPTCP_OK)
        return rc;
    if (out->ip.proto != WIRE_IPPROTO_TCP)
        return UMPTCP_ERR_PROTO;
    rc = wire_tcp_parse(out->ip.payload, out->ip.payload_len, &out->tcp);
    if (rc != UMPTCP_OK)
        return rc;
    if (!wire_tcp_checksum_ok(&out->ip.src, &out->ip.dst, out->ip.payload, out->ip.payload_len))
        return UMPTCP_ERR_BAD_CHECKSUM;
    return wire_tcp_options_parse(out->tcp.options, out->tcp.options_len, &out->opt);
}

static int segment_check_spec(const struct wire_segment_spec *s)
{
    uint8_t fam = s->src.addr.family;
    if (fam != UMPTCP_AF_INET && fam != UMPTCP_AF_INET6)
        return UMPTCP_ERR_INVAL;
    if (s->dst.addr.family != fam)
        return UMPTCP_ERR_INVAL;
    if (s->payload_len > 0 && s->payload == NULL)
        return UMPTCP_ERR_INVAL;
    return UMPTCP_OK;
}

static void segment_ip_from_spec(const struct wire_segment_spec *s, struct wire_ip_hdr *ip)
{
    memset(ip, 0, sizeof(*ip));
    ip->version = s->src.addr.family;
    ip->tos = s->tos;
    ip->ttl = s->ttl != 0 ? s->ttl : WIRE_DEFAULT_TTL;
    ip->proto = WIRE_IPPROTO_TCP;
    ip->id = s->ip_id;
    ip->dont_fragment = true; /* TCP relies on path MTU discovery (RFC 1191) */
    ip->src = s->src.addr;
    ip->dst = s->dst.addr;
    ip->flow_label = s->flow_label;
}

int wire_segment_build(const struct wire_segment_spec *s, uint8_t *buf, size_t cap, size_t *len_out)
{
    if (s == NULL)
        return UMPTCP_ERR_INVAL;
    int rc = segment_check_spec(s);
    if (rc != UMPTCP_OK)
        return rc;
    int opt_len = s->opt != NULL ? wire_tcp_options_size(s->opt) : 0;
    if (opt_len < 0)
        return opt_len;
    size_t ip_len = s->src.addr.family == UMPTCP_AF_INET ? WIRE_IPV4_HDR_LEN : WIRE_IPV6_HDR_LEN;
    size_t tcp_hdr = WIRE_TCP_HDR_LEN + (size_t)opt_len;
    if (s->payload_len > 0xffffu - tcp_hdr)
        return UMPTCP_ERR_BAD_LENGTH;
    size_t tcp_len = tcp_hdr + s->payload_len;
    struct wire_ip_hdr ip;
    segment_ip_from_spec(s, &ip);
    if (cap < ip_len || cap - ip_len < tcp_len) {
        if (len_out != NULL)
            *len_out = ip_len + tcp_len;
        return UMPTCP_ERR_NOSPACE;
    }
    rc = wire_ip_write(&ip, tcp_len, buf, cap, &ip_len);
    if (rc != UMPTCP_OK)
        return rc;
    uint8_t *seg = buf + ip_len;
    if (opt_len > 0 &&
        wire_tcp_options_write(s->opt, seg + WIRE_TCP_HDR_LEN, (size_t)opt_len) != opt_len)
        return UMPTCP_ERR_INVAL; /* unreachable: size and write agree */
    struct wire_tcp_hdr tcp = {
        .sport = s->src.port,
        .dport = s->dst.port,
        .seq = s->seq,
        .ack = s->ack,
        .flags = s->flags,
        .window = s->window,
        .options = seg + WIRE_TCP_HDR_LEN,
        .options_len = (size_t)opt_len,
        .payload = s->payload,
        .payload_len = s->payload_len,
    };
    rc = wire_tcp_write(&tcp, seg, cap - ip_len, NULL);
    if (rc != UMPTCP_OK)
        return rc;
    wire_tcp_checksum_set(seg, tcp_len, &ip.src, &ip.dst);
    if (len_out != NULL)
        *len_out = ip_len + tcp_len;
    return UMPTCP_OK;
}
