/* Bounds-checked peeks into IPv4 (RFC 791) and IPv6 (RFC 8200) headers. */
#include "sim/sim_ip.h"
#include "umptcp/error.h"
#include "util/bytes.h"

#include <string.h>

#define SIM_IP4_MIN_HDR 20
#define SIM_IP6_HDR 40

/* Checks the fixed header; returns the IP version (4 or 6) or a negative error. */
static int sim_ip_check_header(const uint8_t *pkt, size_t len)
{
    if (pkt == NULL || len < 1)
        return UMPTCP_ERR_TRUNCATED;
    int version = pkt[0] >> 4;
    if (version == 4) {
        if (len < SIM_IP4_MIN_HDR)
            return UMPTCP_ERR_TRUNCATED;
        size_t ihl = (size_t)(pkt[0] & 0x0f) * 4;
        if (ihl < SIM_IP4_MIN_HDR || ihl > len)
            return UMPTCP_ERR_BAD_LENGTH;
        return 4;
    }
    if (version == 6)
        return len < SIM_IP6_HDR ? UMPTCP_ERR_TRUNCATED : 6;
    return UMPTCP_ERR_BAD_VERSION;
}

static void sim_ip_set_addr(umptcp_addr *out, uint8_t family, const uint8_t *bytes, size_t n)
{
    if (out == NULL)
        return;
    memset(out, 0, sizeof(*out));
    out->family = family;
    memcpy(out->bytes, bytes, n);
}

int sim_ip_addresses(const uint8_t *pkt, size_t len, umptcp_addr *src, umptcp_addr *dst)
{
    int version = sim_ip_check_header(pkt, len);
    if (version < 0)
        return version;
    if (version == 4) {
        sim_ip_set_addr(src, UMPTCP_AF_INET, pkt + 12, 4);
        sim_ip_set_addr(dst, UMPTCP_AF_INET, pkt + 16, 4);
    } else {
        sim_ip_set_addr(src, UMPTCP_AF_INET6, pkt + 8, 16);
        sim_ip_set_addr(dst, UMPTCP_AF_INET6, pkt + 24, 16);
    }
    return UMPTCP_OK;
}

/* One's complement sum of 16-bit words, folded. */
static uint32_t sim_ip_sum(uint32_t sum, const uint8_t *data, size_t len)
{
    size_t i = 0;
    for (; i + 1 < len; i += 2)
        sum += be16_get(data + i);
    if (i < len)
        sum += (uint32_t)data[i] << 8;
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return sum;
}

uint16_t sim_ip_checksum(const uint8_t *data, size_t len)
{
    return (uint16_t)~sim_ip_sum(0, data, len);
}

int sim_ip_decrement_ttl(uint8_t *pkt, size_t len)
{
    int version = sim_ip_check_header(pkt, len);
    if (version < 0)
        return version;
    if (version == 6) {
        if (pkt[7] > 0)
            pkt[7]--; /* RFC 8200 3: hop limit, decremented by each forwarding node */
        return pkt[7];
    }
    if (pkt[8] == 0)
        return 0;
    /* RFC 1624 3 (eqn. 3): HC' = ~(~HC + ~m + m'), m = the 16-bit word holding TTL. */
    uint16_t old_word = be16_get(pkt + 8);
    pkt[8]--;
    uint16_t new_word = be16_get(pkt + 8);
    uint32_t sum = (uint16_t)~be16_get(pkt + 10);
    sum += (uint16_t)~old_word;
    sum += new_word;
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    be16_put(pkt + 10, (uint16_t)~sum);
    return pkt[8];
}

bool sim_ip_prefix_match(const umptcp_addr *addr, const umptcp_addr *prefix, unsigned prefix_len)
{
    if (addr->family != prefix->family)
        return false;
    unsigned max_bits = (unsigned)umptcp_addr_len(addr) * 8;
    if (max_bits == 0 || prefix_len > max_bits)
        return false;
    unsigned full = prefix_len / 8, rest = prefix_len % 8;
    if (memcmp(addr->bytes, prefix->bytes, full) != 0)
        return false;
    if (rest == 0)
        return true;
    uint8_t mask = (uint8_t)(0xff << (8 - rest));
    return (addr->bytes[full] & mask) == (prefix->bytes[full] & mask);
}
