/* What an application can see of an MPTCP connection (RFC 8684; the read side of RFC 6897's
 * extended API): whether MPTCP is in use or why the connection fell back to TCP, the tokens,
 * and each subflow with its addresses, address IDs, backup flags and TCP counters.
 *
 * A plain TCP connection answers too: MPTCP not in use, and one subflow (the connection). */
#ifndef UMPTCP_MPTCP_H
#define UMPTCP_MPTCP_H

#include <stdbool.h>
#include <stdint.h>

#include "umptcp/conn.h"
#include "umptcp/export.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct umptcp_mptcp_info {
    bool requested;        /* opened or accepted with umptcp_conn_opts.mptcp */
    bool mptcp;            /* MPTCP in use: requested, and not (yet) fallen back to TCP */
    const char *fallback;  /* NULL, or why the connection is plain TCP although MPTCP was
                              requested (a short static string, e.g. "no MP_CAPABLE on the
                              SYN/ACK") */
    bool checksum;         /* DSS checksums in use (RFC 8684 3.3.1) */
    uint32_t local_token;  /* ours (RFC 8684 3.1), 0 for a plain TCP connection */
    uint32_t remote_token; /* the peer's, 0 until its key is known */
    unsigned subflows;     /* umptcp_conn_get_subflow_info() takes indexes 0..subflows-1 */
    unsigned max_subflows; /* the limit of this connection (umptcp_conn_opts.max_subflows) */
    unsigned remote_addrs; /* addresses the peer announced (ADD_ADDR) */
    unsigned announced;    /* our addresses we announced */
    const char *sched;     /* scheduler name, NULL for a plain TCP connection */
    const char *pm;        /* path manager name, NULL for a plain TCP connection */
} umptcp_mptcp_info;

typedef struct umptcp_subflow_info {
    /* The subflow as a TCP connection: addresses, state, bytes sent/acked/received,
     * retransmissions, srtt, cwnd, ... (bytes here count this subflow's sequence space). */
    umptcp_conn_info tcp;
    int ifindex;      /* the interface it uses */
    bool initial;     /* the MP_CAPABLE subflow (for plain TCP: the connection itself) */
    bool join;        /* added with MP_JOIN (RFC 8684 3.2) */
    bool usable;      /* may carry data now: established, join handshake complete, not
                         failed or closing */
    bool backup;      /* we asked for backup use: B=1 in our MP_JOIN, or marked locally for
                         an initial subflow on a backup interface */
    bool peer_backup; /* the peer asked us to use it as a backup (its B flag) */
    uint8_t local_id; /* address IDs (RFC 8684 3.2): 0 for the initial subflow's addresses */
    uint8_t remote_id;
    uint32_t id; /* this subflow's number, unique for the connection's lifetime (0 = the
                    initial one, then 1, 2, ... in the order they were created) */
} umptcp_subflow_info;

/* Errors: UMPTCP_ERR_INVAL (NULL argument). */
UMPTCP_API int umptcp_conn_get_mptcp_info(const umptcp_conn *c, umptcp_mptcp_info *out);
/* Subflow index (0 = the initial one, then in the order they were created; the same indexes
 * as umptcp_conn_subflow_rst() in umptcp/pm.h). Closed subflows keep their place, with their
 * last figures, until the connection has UMPTCP_MPTCP_MAX_SUBFLOWS of them at once; then
 * those closed and done with are freed (paths that come and go never use up a connection)
 * and the later ones move down: `id` names a subflow for good. Errors: UMPTCP_ERR_INVAL,
 * UMPTCP_ERR_NOTFOUND (index >= subflows). */
UMPTCP_API int umptcp_conn_get_subflow_info(const umptcp_conn *c, unsigned index,
                                            umptcp_subflow_info *out);

#ifdef __cplusplus
}
#endif
#endif
