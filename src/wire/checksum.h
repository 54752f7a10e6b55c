/* RFC 1071 Internet checksum: ones'-complement sum of 16-bit big-endian words. */
#ifndef UMPTCP_WIRE_CHECKSUM_H
#define UMPTCP_WIRE_CHECKSUM_H

#include <stddef.h>
#include <stdint.h>

#include "umptcp/addr.h"

/* Adds len bytes to the running partial sum `sum` (start with 0) and returns the new partial
 * sum. The bytes are read as 16-bit big-endian words; an odd trailing byte is padded with a
 * zero byte. Several calls on successive chunks give the same result as one call on the whole
 * buffer ONLY if every chunk but the last has an even length (use wire_csum_add_at otherwise).
 * The partial sum never overflows, whatever the total length. */
uint32_t wire_csum_add(uint32_t sum, const void *data, size_t len);

/* Like wire_csum_add, for a chunk that starts at byte `offset` of the checksummed stream:
 * an odd offset is handled by the RFC 1071 2(B) byte-swap property, so chunks of any length
 * can be summed one after the other. */
uint32_t wire_csum_add_at(uint32_t sum, const void *data, size_t len, size_t offset);

/* Folds the carries of a partial sum into 16 bits and returns its ones' complement: the
 * value to put on the wire. Over data that includes a correct checksum it returns 0. */
uint16_t wire_csum_fold(uint32_t sum);

/* Partial sum of the TCP/UDP pseudo-header: RFC 9293 3.1 for IPv4 (src, dst, zero, proto,
 * 16-bit length) and RFC 8200 8.1 for IPv6 (src, dst, 32-bit length, zeros, next header).
 * The family of src decides the layout; len is the TCP header + data length. */
uint32_t wire_csum_pseudo(const umptcp_addr *src, const umptcp_addr *dst, uint8_t proto,
                          uint32_t len);

#endif
