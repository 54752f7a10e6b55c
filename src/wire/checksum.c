/* RFC 1071 Internet checksum. */
#include "wire/checksum.h"

#include "util/bytes.h"

/* Folds a wide accumulator into 32 bits. Since 2^16 == 1 (mod 0xffff), adding the high part
 * to the low part keeps the ones'-complement sum unchanged (RFC 1071 2(C), deferred carries). */
static uint32_t csum_fold32(uint64_t acc)
{
    while (acc >> 32)
        acc = (acc & 0xffffffffu) + (acc >> 32);
    return (uint32_t)acc;
}

static uint16_t csum_fold16(uint32_t sum)
{
    while (sum >> 16)
        sum = (sum & 0xffffu) + (sum >> 16);
    return (uint16_t)sum;
}

uint32_t wire_csum_add(uint32_t sum, const void *data, size_t len)
{
    const uint8_t *p = data;
    uint64_t acc = sum;
    /* A 32-bit big-endian word is two 16-bit words: hi * 2^16 + lo == hi + lo (mod 0xffff). */
    while (len >= 4) {
        acc += be32_get(p);
        p += 4;
        len -= 4;
    }
    if (len >= 2) {
        acc += be16_get(p);
        p += 2;
        len -= 2;
    }
    if (len == 1)
        acc += (uint32_t)p[0] << 8; /* odd byte padded with a zero byte on the right */
    return csum_fold32(acc);
}

uint32_t wire_csum_add_at(uint32_t sum, const void *data, size_t len, size_t offset)
{
    if ((offset & 1) == 0)
        return wire_csum_add(sum, data, len);
    /* RFC 1071 2(B): summing byte-swapped data gives the byte-swapped sum. */
    uint16_t part = csum_fold16(wire_csum_add(0, data, len));
    uint16_t swapped = (uint16_t)((part << 8) | (part >> 8));
    return csum_fold32((uint64_t)sum + swapped);
}

uint16_t wire_csum_fold(uint32_t sum)
{
    return (uint16_t)~csum_fold16(sum);
}

uint32_t wire_csum_pseudo(const umptcp_addr *src, const umptcp_addr *dst, uint8_t proto,
                          uint32_t len)
{
    uint8_t tail[8];
    if (src->family == UMPTCP_AF_INET6) {
        /* RFC 8200 8.1: src, dst, upper-layer length (32 bits), 3 zero bytes, next header. */
        uint32_t sum = wire_csum_add(0, src->bytes, 16);
        sum = wire_csum_add(sum, dst->bytes, 16);
        be32_put(tail, len);
        tail[4] = tail[5] = tail[6] = 0;
        tail[7] = proto;
        return wire_csum_add(sum, tail, 8);
    }
    /* RFC 9293 3.1: src, dst, zero byte, protocol, TCP length (16 bits). */
    uint32_t sum = wire_csum_add(0, src->bytes, 4);
    sum = wire_csum_add(sum, dst->bytes, 4);
    tail[0] = 0;
    tail[1] = proto;
    be16_put(tail + 2, (uint16_t)len);
    return wire_csum_add(sum, tail, 4);
}
