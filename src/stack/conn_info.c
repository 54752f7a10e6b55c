/* What the application can learn about a connection: umptcp_conn_get_info() (the connection
 * as one byte stream), umptcp_conn_get_mptcp_info() and umptcp_conn_get_subflow_info() (the
 * MPTCP level and each subflow; umptcp/mptcp.h). */
#include "stack/stack_internal.h"

#include "mptcp/mptcp_conn.h"
#include "mptcp/mptcp_fail.h"
#include "umptcp/error.h"
#include "umptcp/mptcp.h"

#include <string.h>

/* Why a connection of an MPTCP listener is plain TCP from its first segment (RFC 8684 3.1:
 * a SYN without MP_CAPABLE is answered as TCP). */
#define CONN_INFO_NO_MPC_SYN "no MP_CAPABLE on the SYN"

/* RFC 8684 3.3.3: the data level closes as TCP does, with DATA_FIN for FIN; there is no
 * TIME_WAIT of its own, so TIME_WAIT here means both DATA_FINs are acknowledged while
 * subflows still finish. */
static umptcp_conn_state conn_info_data_state(const struct mptcp_conn *mc)
{
    if (mc->closed)
        return UMPTCP_STATE_CLOSED;
    if (!mc->fin_queued)
        return mc->peer_fin ? UMPTCP_STATE_CLOSE_WAIT : UMPTCP_STATE_ESTABLISHED;
    if (mc->fin_acked)
        return mc->peer_fin ? UMPTCP_STATE_TIME_WAIT : UMPTCP_STATE_FIN_WAIT_2;
    return mc->peer_fin ? UMPTCP_STATE_LAST_ACK : UMPTCP_STATE_FIN_WAIT_1;
}

/* The data level's view of an MPTCP connection over the initial subflow's (already in out). */
/* The application's byte counts from the data level (also after a fallback, where the
 * subflow may carry bytes twice: 3.7's rewind after MP_FAIL sends them again as new subflow
 * bytes). The first data DSN is IDSN + 1 (RFC 8684 3.1). */
static void conn_info_data_bytes(const struct mptcp_conn *mc, umptcp_conn_info *out)
{
    out->bytes_sent = mc->snd_nxt - (mc->local_idsn + 1);
    out->bytes_acked = mc->snd_una - (mc->local_idsn + 1);
    out->bytes_received = mc->rcv_ready ? mc->rcv_nxt - (mc->remote_idsn + 1) : 0;
}

static void conn_info_data_level(const struct mptcp_conn *mc, umptcp_conn_info *out)
{
    uint64_t segs_out = 0, segs_in = 0, retrans = 0;
    for (unsigned i = 0; i < mc->nsub; i++) {
        const struct tcp_sock *sk = mc->sub[i]->sk;
        if (sk == NULL)
            continue;
        segs_out += sk->segs_out;
        segs_in += sk->segs_in;
        retrans += sk->retrans_segs;
    }
    out->segs_out = segs_out;
    out->segs_in = segs_in;
    out->retrans_segs = retrans;
    out->state = conn_info_data_state(mc);
    conn_info_data_bytes(mc, out);
    uint64_t wnd = mc->snd_right - mc->snd_una;
    out->snd_wnd = wnd > UINT32_MAX ? UINT32_MAX : (uint32_t)wnd;
    out->rcv_wnd = (uint32_t)mptcp_conn_rcv_window(mc);
    out->error = mc->error;
}

int umptcp_conn_get_info(const umptcp_conn *c, umptcp_conn_info *out)
{
    if (c == NULL || out == NULL)
        return UMPTCP_ERR_INVAL;
    tcp_sock_get_info(c->sk, out);
    /* Before the handshake completes and after a fallback, the initial subflow is the
     * connection. */
    if (c->mp != NULL && c->mp->established && !c->mp->fallback)
        conn_info_data_level(c->mp, out);
    else if (c->mp != NULL && c->mp->established)
        conn_info_data_bytes(c->mp, out);
    return UMPTCP_OK;
}

int umptcp_conn_get_mptcp_info(const umptcp_conn *c, umptcp_mptcp_info *out)
{
    if (c == NULL || out == NULL)
        return UMPTCP_ERR_INVAL;
    memset(out, 0, sizeof(*out));
    out->requested = c->mptcp_requested;
    out->subflows = c->mp != NULL ? c->mp->nsub : 1;
    out->max_subflows = 1;
    const struct mptcp_conn *mc = c->mp;
    if (mc == NULL) {
        out->fallback = c->mptcp_requested ? CONN_INFO_NO_MPC_SYN : NULL;
        return UMPTCP_OK;
    }
    out->mptcp = !mc->fallback;
    out->fallback = mptcp_conn_fallback_reason(mc); /* NULL while MPTCP */
    out->checksum = mc->csum && !mc->fallback;
    out->local_token = mc->local_token;
    out->remote_token = mc->remote_key_known ? mc->remote_token : 0;
    out->max_subflows = mc->max_subflows;
    out->remote_addrs = mc->nraddr;
    out->announced = mc->nann;
    out->sched = mc->sched.ops != NULL ? mc->sched.ops->name : NULL;
    out->pm = c->pm.ops != NULL ? c->pm.ops->name : NULL;
    return UMPTCP_OK;
}

int umptcp_conn_get_subflow_info(const umptcp_conn *c, unsigned index, umptcp_subflow_info *out)
{
    if (c == NULL || out == NULL)
        return UMPTCP_ERR_INVAL;
    memset(out, 0, sizeof(*out));
    if (c->mp == NULL) {
        if (index != 0)
            return UMPTCP_ERR_NOTFOUND;
        tcp_sock_get_info(c->sk, &out->tcp);
        out->ifindex = c->sk->ifindex;
        out->initial = true;
        out->usable = tcp_sock_synchronized(c->sk) && !c->sk->fin_queued;
        return UMPTCP_OK;
    }
    /* The index is the place in the connection's subflow array, as umptcp_conn_subflow_rst's. */
    if (index >= c->mp->nsub)
        return UMPTCP_ERR_NOTFOUND;
    const struct mptcp_subflow *sf = c->mp->sub[index];
    if (sf->sk != NULL) { /* else a join whose socket could not be made: never used */
        tcp_sock_get_info(sf->sk, &out->tcp);
        out->ifindex = sf->sk->ifindex;
    }
    out->initial = sf->initial;
    out->join = sf->join;
    out->usable = mptcp_conn_usable(sf);
    out->backup = sf->backup;
    out->peer_backup = sf->peer_backup;
    out->local_id = sf->local_id;
    out->remote_id = sf->remote_id;
    out->id = sf->id;
    return UMPTCP_OK;
}
