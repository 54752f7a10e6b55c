/* MP_JOIN handshake of one subflow (RFC 8684 3.2); see mptcp_join.c. */
#ifndef UMPTCP_MPTCP_MPTCP_JOIN_H
#define UMPTCP_MPTCP_MPTCP_JOIN_H

#include "mptcp/mptcp_conn.h"
#include "wire/mptcp_opt.h"

enum mptcp_join_verdict {
    MPTCP_JOIN_CONTINUE = 0, /* let TCP process the segment */
    MPTCP_JOIN_RESET = 1,    /* the handshake failed: reset the subflow, drop the segment */
};

/* The MP_JOIN option for an outgoing handshake segment (SYN, SYN/ACK, third ACK). */
size_t mptcp_join_write(struct mptcp_subflow *sf, const struct tcp_seg_info *info, uint8_t *buf,
                        size_t room);
/* Checks an arriving segment of a join subflow during its handshake. */
int mptcp_join_input(struct mptcp_subflow *sf, const struct wire_segment *seg, uint64_t now);

#endif
