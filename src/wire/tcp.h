/* TCP header codec (RFC 9293 3.1). Options are handled by wire/tcp_opt.h. */
#ifndef UMPTCP_WIRE_TCP_H
#define UMPTCP_WIRE_TCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "umptcp/addr.h"

#define WIRE_TCP_FIN 0x01
#define WIRE_TCP_SYN 0x02
#define WIRE_TCP_RST 0x04
#define WIRE_TCP_PSH 0x08
#define WIRE_TCP_ACK 0x10
#define WIRE_TCP_URG 0x20
#define WIRE_TCP_ECE 0x40
#define WIRE_TCP_CWR 0x80

#define WIRE_TCP_HDR_LEN 20     /* without options */
#define WIRE_TCP_MAX_HDR_LEN 60 /* data offset 15 */

struct wire_tcp_hdr {
    uint16_t sport, dport;
    uint32_t seq, ack;
    uint8_t hdr_len; /* data offset * 4 (20..60) */
    uint8_t flags;   /* WIRE_TCP_* */
    uint16_t window;
    uint16_t checksum;
    uint16_t urg_ptr;
    const uint8_t *options; /* points into the segment; options_len = hdr_len - 20 */
    size_t options_len;
    const uint8_t *payload;
    size_t payload_len;
    uint8_t reserved; /* the 4 bits between data offset and flags (incl. AccECN AE bit) */
};

/* Parses a TCP header. Returns 0, UMPTCP_ERR_TRUNCATED (fewer than 20 bytes or fewer than
 * data offset * 4) or UMPTCP_ERR_BAD_LENGTH (data offset < 5). Does not check the checksum
 * (see wire_tcp_checksum_ok) nor parse options. */
int wire_tcp_parse(const uint8_t *seg, size_t len, struct wire_tcp_hdr *out);

/* Writes header, options (h->options, options_len must be a multiple of 4 and <= 40, else
 * UMPTCP_ERR_BAD_LENGTH) and payload (h->payload/payload_len; may already be in place at
 * buf + header length, memmove is used) into buf. The data offset is derived from
 * options_len (h->hdr_len is ignored) and the checksum field is written from h->checksum:
 * call wire_tcp_checksum_set afterwards. Returns 0 and sets *len_out (header + payload), or
 * UMPTCP_ERR_NOSPACE. */
int wire_tcp_write(const struct wire_tcp_hdr *h, uint8_t *buf, size_t cap, size_t *len_out);

/* The checksum of a whole segment (header + data) with its pseudo-header, computed as if the
 * checksum field were zero: the value to put on the wire. len >= 20. */
uint16_t wire_tcp_checksum(const umptcp_addr *src, const umptcp_addr *dst, const uint8_t *seg,
                           size_t len);

/* Computes and stores the checksum of seg (len >= 20). */
void wire_tcp_checksum_set(uint8_t *seg, size_t len, const umptcp_addr *src,
                           const umptcp_addr *dst);

/* True when the checksum stored in seg is correct. len >= 20. */
bool wire_tcp_checksum_ok(const umptcp_addr *src, const umptcp_addr *dst, const uint8_t *seg,
                          size_t len);

#endif
