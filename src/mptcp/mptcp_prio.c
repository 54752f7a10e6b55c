/* MP_PRIO (RFC 8684 3.3.8): the B flag of a subflow after its handshake. "The MP_PRIO option
 * ... can be used to change the 'B' flag of the subflow on which it is sent", so it goes on a
 * pure ACK of that very subflow. B is a request from a data receiver to a data sender; we also
 * stop sending on a subflow we marked backup ourselves (as Linux does), and the scheduler sees
 * either flag at its next choice.
 *
 * Nothing acknowledges an MP_PRIO, and the pure ACK carrying it can be lost or dropped (the
 * peer discards a segment outside its window, options and all): it goes on the next
 * MPTCP_PRIO_SENDS pure ACKs of the subflow, which the peer takes as the same request, at
 * least MPTCP_PRIO_SPACING_NS (or a smoothed RTT) apart: a burst that overflows a queue on the
 * way (a TUN device's backlog under load) must not take every copy with it. */
#include "mptcp/mptcp_conn.h"

#include "wire/mptcp_opt.h"
#include "wire/tcp.h"

#define MPTCP_PRIO_SENDS 3
#define MPTCP_PRIO_SPACING_NS (20ull * 1000000ull)

size_t mptcp_prio_write(struct mptcp_subflow *sf, uint8_t *buf, size_t room, uint64_t now)
{
    if (!sf->prio_pending || now < sf->prio_next_at)
        return 0;
    struct wire_mptcp_opt o = {.subtype = WIRE_MPTCP_MP_PRIO};
    o.u.prio.backup = sf->backup;
    int n = wire_mptcp_write(&o, buf, room);
    if (n <= 0)
        return 0;
    sf->prio_pending--;
    uint64_t srtt = sf->sk != NULL ? tcp_rtt_srtt(&sf->sk->rtt) : 0;
    sf->prio_next_at = now + (srtt > MPTCP_PRIO_SPACING_NS ? srtt : MPTCP_PRIO_SPACING_NS);
    mib_inc(sf->mc->mib, MIB_MPTCP_PRIO_TX);
    return (size_t)n;
}

static bool mptcp_prio_matches(const struct mptcp_subflow *sf, const umptcp_addr *local)
{
    return sf->sk != NULL && !sf->closed && sf->sk->state != UMPTCP_STATE_CLOSED &&
           (local == NULL || umptcp_addr_equal(&sf->sk->local.addr, local));
}

unsigned mptcp_conn_set_backup(struct mptcp_conn *mc, const umptcp_addr *local, bool backup,
                               uint64_t now)
{
    unsigned changed = 0;
    if (mc->fallback || mc->closed)
        return 0;
    for (unsigned i = 0; i < mc->nsub; i++) {
        struct mptcp_subflow *sf = mc->sub[i];
        if (!mptcp_prio_matches(sf, local) || sf->backup == backup)
            continue;
        sf->backup = backup;
        sf->prio_pending = MPTCP_PRIO_SENDS;
        sf->prio_next_at = 0;
        changed++;
        /* A pure ACK carries it now; a subflow still in its handshake sends it on its first
         * pure ACK after the handshake. */
        if (tcp_sock_synchronized(sf->sk) && (!sf->join || sf->join_ok))
            tcp_send_control(sf->sk, WIRE_TCP_ACK, sf->sk->snd_nxt, now);
    }
    if (changed > 0)
        mptcp_conn_push(mc, now);
    return changed;
}

void mptcp_prio_input(struct mptcp_subflow *sf, const struct wire_mp_prio *p, uint64_t now)
{
    mib_inc(sf->mc->mib, MIB_MPTCP_PRIO_RX);
    if (sf->peer_backup == p->backup)
        return;
    sf->peer_backup = p->backup;
    /* The scheduler honours it from the next chunk (a subflow leaving backup takes data now). */
    mptcp_conn_push(sf->mc, now);
}
