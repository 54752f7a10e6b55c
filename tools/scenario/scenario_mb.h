/* Segment surgery shared by the scenario middleboxes and the simulator tests' own ones. */
#ifndef UMPTCP_TOOLS_SCENARIO_MB_H
#define UMPTCP_TOOLS_SCENARIO_MB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/sim_link.h"
#include "wire/segment.h"

/* Rebuilds segment seg (parsed from p->data) in place in p: without its MPTCP options when
 * strip, with four payload bytes in its middle flipped when rewrite (as an application-level
 * gateway would: the TCP checksum is recomputed, so only the DSS checksum can tell). scratch
 * (scratch_len bytes) holds the payload meanwhile. PASS, or DROP when it cannot be rebuilt. */
struct sim_verdict scn_mb_rebuild(struct sim_mb_packet *p, const struct wire_segment *seg,
                                  bool strip, bool rewrite, uint8_t *scratch, size_t scratch_len);

/* Writes seg back into p with other addresses and ports (a NAT's rewrite): src and dst as
 * given, everything else kept, checksums recomputed. PASS, or DROP when it cannot be built. */
struct sim_verdict scn_mb_readdress(struct sim_mb_packet *p, const struct wire_segment *seg,
                                    const umptcp_sockaddr *src, const umptcp_sockaddr *dst,
                                    uint8_t *scratch, size_t scratch_len);

#endif
