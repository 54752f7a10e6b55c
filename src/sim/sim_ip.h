/* The little of IPv4/IPv6 the simulator needs: source and destination addresses, the
 * TTL / hop limit a router decrements, prefix matching and the Internet checksum.
 * Local to src/sim so that the simulator does not depend on src/wire; every read is
 * bounds-checked. */
#ifndef UMPTCP_SIM_IP_H
#define UMPTCP_SIM_IP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "umptcp/addr.h"

/* Reads the addresses of a raw IPv4 or IPv6 packet (either pointer may be NULL).
 * Returns 0, UMPTCP_ERR_TRUNCATED, UMPTCP_ERR_BAD_VERSION or UMPTCP_ERR_BAD_LENGTH
 * (IPv4 header length below 20 or beyond the packet). */
int sim_ip_addresses(const uint8_t *pkt, size_t len, umptcp_addr *src, umptcp_addr *dst);
/* Decrements the IPv4 TTL (fixing the header checksum) or the IPv6 hop limit in place and
 * returns the new value (0..254); a packet whose TTL is already 0 is left alone and 0 is
 * returned. Negative error as sim_ip_addresses for a malformed header. */
int sim_ip_decrement_ttl(uint8_t *pkt, size_t len);
/* True when the first prefix_len bits of addr equal those of prefix (same family). */
bool sim_ip_prefix_match(const umptcp_addr *addr, const umptcp_addr *prefix, unsigned prefix_len);
/* Internet checksum (RFC 1071) of data: the value to store in a header checksum field. */
uint16_t sim_ip_checksum(const uint8_t *data, size_t len);

#endif
