/* MP_TCPRST (RFC 8684 3.6): every RST we send on an MPTCP subflow says why, with a reason
 * code and the T (transient) flag; the reason the peer gave for resetting a subflow is kept
 * on it. Also the one way the connection layer resets a single subflow. */
#include "mptcp/mptcp_conn.h"

#include "umptcp/error.h"
#include "wire/mptcp_opt.h"
#include "wire/tcp.h"

size_t mptcp_rst_write(struct mptcp_subflow *sf, uint8_t *buf, size_t room)
{
    struct wire_mptcp_opt o = {.subtype = WIRE_MPTCP_MP_TCPRST};
    o.u.tcprst.reason = sf->rst_reason;
    o.u.tcprst.flags = sf->rst_transient ? WIRE_TCPRST_FLAG_T : 0;
    int n = wire_mptcp_write(&o, buf, room);
    if (n <= 0)
        return 0;
    sf->rst_sent = true;
    mib_inc(sf->mc->mib, MIB_MPTCP_RST_TX);
    return (size_t)n;
}

void mptcp_rst_input(struct mptcp_subflow *sf, const struct wire_segment *seg)
{
    /* Kept until the RST is accepted (mptcp_rst_accepted): a RST out of the window, which TCP
     * ignores, is not a reset of the subflow. */
    struct wire_mptcp_opt o;
    sf->peer_rst_pending = wire_mptcp_find(seg, WIRE_MPTCP_MP_TCPRST, &o);
    if (sf->peer_rst_pending) {
        sf->pending_reason = o.u.tcprst.reason;
        sf->pending_flags = o.u.tcprst.flags;
    }
}

void mptcp_rst_accepted(struct mptcp_subflow *sf)
{
    if (!sf->peer_rst_pending)
        return;
    sf->peer_rst_pending = false;
    sf->peer_rst = true;
    sf->peer_rst_reason = sf->pending_reason;
    sf->peer_rst_flags = sf->pending_flags;
    mib_inc(sf->mc->mib, MIB_MPTCP_RST_RX);
}

void mptcp_subflow_reset(struct mptcp_subflow *sf, uint8_t reason, bool transient, uint64_t now)
{
    struct tcp_sock *sk = sf->sk;
    if (sk == NULL || sf->closed || sk->state == UMPTCP_STATE_CLOSED)
        return;
    sf->rst_reason = reason;
    sf->rst_transient = transient;
    tcp_send_control(sk, WIRE_TCP_RST, sk->snd_nxt, now);
    tcp_sock_set_closed(sk, TCP_CLOSE_RESET, now);
}
