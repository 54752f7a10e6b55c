/* TCP header codec (RFC 9293 3.1). */
#include "wire/tcp.h"

#include <string.h>

#include "umptcp/error.h"
#include "util/bytes.h"
#include "wire/checksum.h"
#include "wire/ip.h"

#define TCP_CSUM_OFFSET 16

int wire_tcp_parse(const uint8_t *seg, size_t len, struct wire_tcp_hdr *out)
{
    memset(out, 0, sizeof(*out));
    if (seg == NULL || len < WIRE_TCP_HDR_LEN)
        return UMPTCP_ERR_TRUNCATED;
    size_t hdr = (size_t)(seg[12] >> 4) * 4;
    if (hdr < WIRE_TCP_HDR_LEN)
        return UMPTCP_ERR_BAD_LENGTH;
    if (hdr > len)
        return UMPTCP_ERR_TRUNCATED;
    out->sport = be16_get(seg);
    out->dport = be16_get(seg + 2);
    out->seq = be32_get(seg + 4);
    out->ack = be32_get(seg + 8);
    out->hdr_len = (uint8_t)hdr;
    out->reserved = seg[12] & 0x0f;
    out->flags = seg[13];
    out->window = be16_get(seg + 14);
    out->checksum = be16_get(seg + 16);
    out->urg_ptr = be16_get(seg + 18);
    out->options = seg + WIRE_TCP_HDR_LEN;
    out->options_len = hdr - WIRE_TCP_HDR_LEN;
    out->payload = seg + hdr;
    out->payload_len = len - hdr;
    return UMPTCP_OK;
}

int wire_tcp_write(const struct wire_tcp_hdr *h, uint8_t *buf, size_t cap, size_t *len_out)
{
    if (h == NULL || buf == NULL || (h->options_len > 0 && h->options == NULL) ||
        (h->payload_len > 0 && h->payload == NULL))
        return UMPTCP_ERR_INVAL;
    if (h->options_len % 4 != 0 || h->options_len > WIRE_TCP_MAX_HDR_LEN - WIRE_TCP_HDR_LEN)
        return UMPTCP_ERR_BAD_LENGTH;
    size_t hdr = WIRE_TCP_HDR_LEN + h->options_len;
    if (cap < hdr || cap - hdr < h->payload_len)
        return UMPTCP_ERR_NOSPACE;
    /* Payload first: it may sit in buf already, and options may too. */
    if (h->payload_len > 0)
        memmove(buf + hdr, h->payload, h->payload_len);
    if (h->options_len > 0)
        memmove(buf + WIRE_TCP_HDR_LEN, h->options, h->options_len);
    be16_put(buf, h->sport);
    be16_put(buf + 2, h->dport);
    be32_put(buf + 4, h->seq);
    be32_put(buf + 8, h->ack);
    buf[12] = (uint8_t)(((hdr / 4) << 4) | (h->reserved & 0x0f));
    buf[13] = h->flags;
    be16_put(buf + 14, h->window);
    be16_put(buf + 16, h->checksum);
    be16_put(buf + 18, h->urg_ptr);
    if (len_out != NULL)
        *len_out = hdr + h->payload_len;
    return UMPTCP_OK;
}

/* RFC 9293 3.1: sum of pseudo-header and segment; the checksum field is skipped (as zero). */
static uint32_t tcp_sum_without_checksum(const umptcp_addr *src, const umptcp_addr *dst,
                                         const uint8_t *seg, size_t len)
{
    uint32_t sum = wire_csum_pseudo(src, dst, WIRE_IPPROTO_TCP, (uint32_t)len);
    if (len < TCP_CSUM_OFFSET + 2) /* no checksum field: misuse, but never read past len */
        return wire_csum_add(sum, seg, len);
    sum = wire_csum_add(sum, seg, TCP_CSUM_OFFSET);
    return wire_csum_add(sum, seg + TCP_CSUM_OFFSET + 2, len - TCP_CSUM_OFFSET - 2);
}

uint16_t wire_tcp_checksum(const umptcp_addr *src, const umptcp_addr *dst, const uint8_t *seg,
                           size_t len)
{
    return wire_csum_fold(tcp_sum_without_checksum(src, dst, seg, len));
}

void wire_tcp_checksum_set(uint8_t *seg, size_t len, const umptcp_addr *src, const umptcp_addr *dst)
{
    if (len >= TCP_CSUM_OFFSET + 2)
        be16_put(seg + TCP_CSUM_OFFSET, wire_tcp_checksum(src, dst, seg, len));
}

bool wire_tcp_checksum_ok(const umptcp_addr *src, const umptcp_addr *dst, const uint8_t *seg,
                          size_t len)
{
    uint32_t sum = wire_csum_pseudo(src, dst, WIRE_IPPROTO_TCP, (uint32_t)len);
    return wire_csum_fold(wire_csum_add(sum, seg, len)) == 0;
}
