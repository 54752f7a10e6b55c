/* One MPTCP subflow seen from its TCP socket: the options it writes on every segment
 * (MP_CAPABLE during the handshake, then DSS with DATA_ACK and mappings), the options it reads
 * on every arriving segment, the shared receive window, segments cut at mapping boundaries, and
 * the socket's life-cycle events passed up to the data level. RFC 8684 3.1 and 3.3. */
#include "mptcp/mptcp_conn.h"

#include "crypto/mptcp_crypto.h"
#include "mptcp/mptcp_dsn.h"
#include "mptcp/mptcp_join.h"
#include "umptcp/error.h"
#include "wire/mptcp_opt.h"
#include "wire/tcp.h"

#include <string.h>

static uint8_t mptcp_sf_mpc_flags(const struct mptcp_conn *mc)
{
    /* RFC 8684 3.1: H = HMAC-SHA256 (the only algorithm); A asks for DSS checksums. */
    return WIRE_MPC_FLAG_H | (mc->want_csum || mc->csum ? WIRE_MPC_FLAG_A : 0);
}

/* MP_CAPABLE on the SYN, the SYN/ACK, the third ACK and the first data (3.1). */
static size_t mptcp_sf_write_mpc(struct mptcp_subflow *sf, const struct tcp_seg_info *info,
                                 uint8_t *buf, size_t room)
{
    struct mptcp_conn *mc = sf->mc;
    struct wire_mptcp_opt o = {.subtype = WIRE_MPTCP_MP_CAPABLE};
    struct wire_mp_capable *m = &o.u.mpc;
    m->version = 1;
    m->flags = mptcp_sf_mpc_flags(mc);
    if ((info->flags & WIRE_TCP_SYN) && !(info->flags & WIRE_TCP_ACK)) {
        m->form = WIRE_MPC_SYN;
    } else if (info->flags & WIRE_TCP_SYN) {
        m->form = WIRE_MPC_SYNACK;
        m->snd_key = mc->local_key;
    } else {
        m->snd_key = mc->local_key;
        m->rcv_key = mc->remote_key;
        m->form = WIRE_MPC_ACK;
        struct mptcp_smap_lookup l;
        uint32_t ssn = info->seq - sf->sk->iss;
        if (info->len > 0 && mptcp_smap_lookup(&sf->smap, ssn, &l) == UMPTCP_OK) {
            /* The first data: this option stands in for the DSS mapping (DSN = IDSN + 1). */
            m->form = WIRE_MPC_ACK_DATA;
            m->dll = l.map_dll;
            m->csum_present = mc->csum;
            m->csum = l.csum;
        }
    }
    return wire_mptcp_put(&o, buf, room);
}

/* DSS: a 64-bit DATA_ACK on every segment, the mapping of the segment's data, and the
 * DATA_FIN on segments without data until it is acknowledged (3.3, 3.3.3). */
static size_t mptcp_sf_write_dss(struct mptcp_subflow *sf, const struct tcp_seg_info *info,
                                 bool may_fin, uint8_t *buf, size_t room)
{
    struct mptcp_conn *mc = sf->mc;
    struct wire_mptcp_opt o = {.subtype = WIRE_MPTCP_DSS};
    struct wire_dss *d = &o.u.dss;
    if (mc->rcv_ready) {
        d->has_ack = d->ack64 = true;
        d->data_ack = mptcp_conn_data_ack_value(mc);
    }
    struct mptcp_smap_lookup l;
    uint32_t ssn = info->seq - sf->sk->iss;
    if (info->len > 0 && mptcp_smap_lookup(&sf->smap, ssn, &l) == UMPTCP_OK) {
        d->has_map = d->dsn64 = true;
        d->dsn = l.map_dsn;
        d->ssn = l.map_ssn;
        d->dll = l.map_dll;
        d->csum_present = mc->csum;
        d->csum = l.csum;
    } else if (info->len == 0 && may_fin && mc->fin_mapped && !mc->fin_acked) {
        /* A DATA_FIN alone: SSN 0 and Data-Level Length 1 (3.3.3). */
        d->has_map = d->dsn64 = d->data_fin = true;
        d->dsn = mc->fin_dsn;
        d->ssn = 0;
        d->dll = 1;
        d->csum_present = mc->csum;
        d->csum = mc->csum ? mptcp_crypto_dss_csum(mc->fin_dsn, 0, 1, NULL, 0) : 0;
    }
    if (!d->has_ack && !d->has_map)
        return 0;
    return wire_mptcp_put(&o, buf, room);
}

static size_t mptcp_sf_opt_write(struct tcp_sock *sk, const struct tcp_seg_info *info, uint8_t *buf,
                                 size_t room, uint64_t now)
{
    struct mptcp_subflow *sf = sk->upper;
    struct mptcp_conn *mc = sf->mc;
    (void)now;
    if (mc->fallback)
        return mptcp_fail_opt_write(sf, info, buf, room); /* 3.7: infinite mapping, MP_FAIL */
    if (info->flags & WIRE_TCP_RST) {
        /* 3.5: an abort's RSTs carry MP_FASTCLOSE; 3.7: a checksum failure's MP_FAIL; 3.6:
         * every RST carries MP_TCPRST (a checksum failure: middlebox interference, as Linux). */
        size_t n = 0;
        if (mc->fastclose) {
            struct wire_mptcp_opt o = {.subtype = WIRE_MPTCP_MP_FASTCLOSE};
            o.u.fastclose.rcv_key = mc->remote_key;
            n = wire_mptcp_put(&o, buf, room);
        } else if ((n = mptcp_fail_rst_write(sf, buf, room)) > 0 && sf->rst_reason == 0) {
            sf->rst_reason = WIRE_TCPRST_MIDDLEBOX;
        }
        return n + mptcp_rst_write(sf, buf + n, room - n);
    }
    /* A join subflow carries MP_JOIN until its handshake is complete (3.2). */
    if (sf->join && ((info->flags & WIRE_TCP_SYN) || !sf->join_ok))
        return mptcp_join_write(sf, info, buf, room);
    if (info->flags & WIRE_TCP_SYN)
        return mptcp_sf_write_mpc(sf, info, buf, room);
    /* 3.1: the initiator repeats MP_CAPABLE (keys) until the peer shows, with a DSS, that it
     * has them; the first data carries them with its mapping. */
    if (mc->initiator && sf->initial && !mc->peer_sent_dss) {
        struct mptcp_smap_lookup l;
        bool first_data = info->len > 0 &&
                          mptcp_smap_lookup(&sf->smap, info->seq - sk->iss, &l) == UMPTCP_OK &&
                          l.map_dsn == mc->local_idsn + 1;
        if (info->len == 0 || first_data)
            return mptcp_sf_write_mpc(sf, info, buf, room);
    }
    /* Signals ride on segments without data, beside a DATA_ACK (12 bytes). An ADD_ADDR that
     * does not fit beside it goes alone (an IPv6 ADD_ADDR with its HMAC takes 28 bytes, all
     * that timestamps leave): the DATA_ACK is on the next segment again. A FIN keeps its room
     * for the DATA_FIN, which then waits on other pure ACKs for the signals: the FIN's
     * retransmissions carry it (a peer stuck on a removed path needs the REMOVE_ADDR to let
     * the connection finish). What else does not fit waits for the next such segment. */
    size_t n = 0;
    bool fin_first = (info->flags & WIRE_TCP_FIN) && mc->fin_mapped && !mc->fin_acked;
    if (info->len == 0 && mc->rcv_ready && !fin_first) {
        n = room > 12 ? mptcp_addr_write(mc, buf, room - 12, now) : 0;
        if (n == 0 && (n = mptcp_addr_write(mc, buf, room, now)) > 0)
            return n;
        if (room > 12 + n) {
            n += mptcp_rmaddr_write(mc, buf + n, room - 12 - n, now);
            n += mptcp_prio_write(sf, buf + n, room - 12 - n, now);
        }
    }
    return n + mptcp_sf_write_dss(sf, info, n == 0, buf + n, room - n);
}

/* ---- input --------------------------------------------------------------------------------- */

/* An MP_CAPABLE we can use: version 1, HMAC-SHA256 offered or chosen. */
static bool mptcp_sf_mpc_ok(const struct wire_mptcp_opt *o)
{
    return o->u.mpc.version == 1 && (o->u.mpc.flags & WIRE_MPC_FLAG_H) &&
           !(o->u.mpc.flags & WIRE_MPC_FLAG_B);
}

/* SYN_SENT, SYN/ACK: the responder's key, or fallback when it answered as plain TCP. */
static void mptcp_sf_input_synack(struct mptcp_subflow *sf, const struct wire_segment *seg)
{
    struct mptcp_conn *mc = sf->mc;
    struct wire_mptcp_opt o;
    if (!wire_mptcp_find(seg, WIRE_MPTCP_MP_CAPABLE, &o) || !mptcp_sf_mpc_ok(&o) ||
        o.u.mpc.form != WIRE_MPC_SYNACK) {
        mib_inc(mc->mib, MIB_MPTCP_CAPABLE_FALLBACK_SYNACK);
        mptcp_conn_fallback(mc, "no MP_CAPABLE on the SYN/ACK");
        return;
    }
    mib_inc(mc->mib, MIB_MPTCP_CAPABLE_SYNACK_RX);
    /* 3.1: checksums are used when either side sets A. */
    mc->csum = mc->want_csum || (o.u.mpc.flags & WIRE_MPC_FLAG_A);
    mc->peer_no_join_initial = (o.u.mpc.flags & WIRE_MPC_FLAG_C) != 0;
    mptcp_conn_set_remote_key(mc, o.u.mpc.snd_key);
}

/* A mapping received in a DSS or an MP_CAPABLE with data. */
static bool mptcp_sf_add_mapping(struct mptcp_subflow *sf, const struct mptcp_map_dss *map,
                                 uint64_t now)
{
    struct mptcp_conn *mc = sf->mc;
    int rc = mptcp_rmap_add(&sf->rmap, map);
    if (rc == UMPTCP_ERR_PROTO) {
        mib_inc(mc->mib, MIB_MPTCP_DSS_NO_MATCH);
        return false;
    }
    if (rc < 0)
        return false;  /* full: drop the segment so it comes again */
    if (map->data_fin) /* only from a mapping that was accepted */
        mptcp_conn_peer_data_fin(mc, map->dsn + map->dll - 1, now);
    return true;
}

static bool mptcp_sf_input_dss(struct mptcp_subflow *sf, const struct wire_segment *seg,
                               const struct wire_dss *d, uint64_t now)
{
    struct mptcp_conn *mc = sf->mc;
    struct tcp_sock *sk = sf->sk;
    if (!mc->peer_sent_dss) {
        mc->peer_sent_dss = true;
        /* Not when the application closed before this first DSS: the DATA_FIN is mapped. */
        if (mc->initiator && mc->ops->join_ready != NULL && mptcp_conn_join_ready(mc))
            mc->ops->join_ready(mc, now);
    }
    if (d->has_map && d->dll == 0)
        return mptcp_fail_infinite_rx(sf, d, now); /* 3.7: the peer fell back */
    if (d->has_map) {
        if (d->csum_present != mc->csum) {
            mib_inc(mc->mib, MIB_MPTCP_DSS_CSUM_MISMATCH);
            return false; /* 3.3: a reset with MP_TCPRST 0x01 comes with issue 4 */
        }
        struct mptcp_map_dss map = {
            .dsn = d->dsn64 ? d->dsn : mptcp_dsn_expand(mc->rcv_nxt, (uint32_t)d->dsn),
            .ssn = d->ssn,
            .dll = d->dll,
            .data_fin = d->data_fin,
            .has_csum = d->csum_present,
            .csum = d->csum,
        };
        if (!mptcp_sf_add_mapping(sf, &map, now))
            return false;
    }
    if (d->has_ack) {
        uint64_t ack =
            d->ack64 ? d->data_ack : mptcp_dsn_expand(mc->snd_nxt, (uint32_t)d->data_ack);
        uint32_t wnd = (uint32_t)seg->tcp.window << sk->snd_wscale;
        mptcp_conn_data_ack(mc, ack, wnd, now);
    }
    return true;
}

/* The responder learns the initiator's key from the third ACK or the first data (3.1). */
static bool mptcp_sf_input_mpc_ack(struct mptcp_subflow *sf, const struct wire_mp_capable *m,
                                   uint64_t now)
{
    struct mptcp_conn *mc = sf->mc;
    if (m->rcv_key != mc->local_key)
        return false; /* not our handshake: ignore the segment */
    if (!mc->remote_key_known) {
        mib_inc(mc->mib, MIB_MPTCP_CAPABLE_ACK_RX);
        mptcp_conn_set_remote_key(mc, m->snd_key);
    }
    if (m->form == WIRE_MPC_ACK_DATA) {
        struct mptcp_map_dss map = {.dsn = mc->remote_idsn + 1,
                                    .ssn = 1,
                                    .dll = m->dll,
                                    .has_csum = m->csum_present,
                                    .csum = m->csum};
        return mptcp_sf_add_mapping(sf, &map, now);
    }
    return true;
}

static bool mptcp_sf_opt_input(struct tcp_sock *sk, const struct wire_segment *seg, uint64_t now)
{
    struct mptcp_subflow *sf = sk->upper;
    struct mptcp_conn *mc = sf->mc;
    if (mc->fallback)
        return mptcp_fail_input_fallback(sf, seg, now);
    if (seg->tcp.flags & WIRE_TCP_RST)
        mptcp_rst_input(sf, seg);
    if (sf->join) {
        if (mptcp_join_input(sf, seg, now) == MPTCP_JOIN_RESET) {
            /* 3.2: a failed HMAC resets the subflow; the connection goes on without it.
             * 3.6: reason 0x01, MPTCP-specific error. */
            sf->rst_reason = WIRE_TCPRST_MPTCP_ERROR;
            tcp_send_control(sk, WIRE_TCP_RST, seg->tcp.ack, now);
            tcp_sock_set_closed(sk, TCP_CLOSE_RESET, now);
            return false;
        }
        if (seg->tcp.flags & WIRE_TCP_SYN)
            return true;
    } else if (sk->state == UMPTCP_STATE_SYN_SENT) {
        if ((seg->tcp.flags & (WIRE_TCP_SYN | WIRE_TCP_ACK)) == (WIRE_TCP_SYN | WIRE_TCP_ACK))
            mptcp_sf_input_synack(sf, seg);
        return true;
    }
    /* 3.7: MP_FAIL (on a RST, or asking the only subflow to fall back). */
    if (!mptcp_fail_input(sf, seg, now))
        return false;
    if (mc->fallback)
        return mptcp_fail_input_fallback(sf, seg, now);
    struct wire_mptcp_opt o;
    /* 3.5: MP_FASTCLOSE with our key (on an ACK or a RST) ends the whole connection. */
    if (wire_mptcp_find(seg, WIRE_MPTCP_MP_FASTCLOSE, &o) &&
        o.u.fastclose.rcv_key == mc->local_key) {
        mptcp_conn_fastclosed(mc, now);
        return false;
    }
    if (seg->tcp.flags & (WIRE_TCP_SYN | WIRE_TCP_RST))
        return true;
    if (!sf->join && wire_mptcp_find(seg, WIRE_MPTCP_MP_CAPABLE, &o) &&
        o.u.mpc.form >= WIRE_MPC_ACK && !mc->initiator)
        return mptcp_sf_input_mpc_ack(sf, &o.u.mpc, now);
    if (mc->remote_key_known && wire_mptcp_find(seg, WIRE_MPTCP_ADD_ADDR, &o))
        mptcp_addr_input(mc, sf, &o.u.add_addr, now);
    if (mc->remote_key_known && wire_mptcp_find(seg, WIRE_MPTCP_MP_PRIO, &o))
        mptcp_prio_input(sf, &o.u.prio, now);
    if (mc->remote_key_known && wire_mptcp_find(seg, WIRE_MPTCP_REMOVE_ADDR, &o)) {
        mptcp_rmaddr_input(mc, &o.u.rm_addr, now);
        if (sf->closed || sk->state == UMPTCP_STATE_CLOSED)
            return false; /* it named this very subflow */
    }
    if (wire_mptcp_find(seg, WIRE_MPTCP_DSS, &o))
        return mptcp_sf_input_dss(sf, seg, &o.u.dss, now);
    /* 3.7: the responder's handshake ends without the initiator's key: fall back. */
    if (sf->initial && !mc->initiator && !mc->remote_key_known) {
        mib_inc(mc->mib, MIB_MPTCP_CAPABLE_FALLBACK_ACK);
        mptcp_conn_fallback(mc, "no MP_CAPABLE on the third ACK");
        return true;
    }
    /* 3.7: options lost after the handshake. */
    return mptcp_fail_no_dss(sf, seg, now);
}

/* ---- the shared window and segment boundaries ------------------------------------------------ */

static size_t mptcp_sf_rcv_window(struct tcp_sock *sk)
{
    struct mptcp_subflow *sf = sk->upper;
    if (sf->mc->fallback || !sf->mc->rcv_ready)
        return tcp_rcvbuf_window(&sk->rcv);
    return mptcp_conn_rcv_window(sf->mc);
}

static void mptcp_sf_window_sent(struct tcp_sock *sk, uint32_t win)
{
    struct mptcp_subflow *sf = sk->upper;
    if (!sf->mc->fallback && sf->mc->rcv_ready)
        mptcp_conn_window_sent(sf->mc, win);
}

static uint32_t mptcp_sf_seg_limit(struct tcp_sock *sk, uint32_t seq)
{
    struct mptcp_subflow *sf = sk->upper;
    struct mptcp_smap_lookup l;
    if (sf->mc->fallback)
        return mptcp_fail_seg_limit(sf, seq);
    if (mptcp_smap_lookup(&sf->smap, seq - sk->iss, &l) != UMPTCP_OK)
        return UINT32_MAX;
    return l.left;
}

/* ---- life cycle ------------------------------------------------------------------------------ */

static void mptcp_sf_established(struct tcp_sock *sk, uint64_t now)
{
    struct mptcp_subflow *sf = sk->upper;
    struct mptcp_conn *mc = sf->mc;
    if (!sf->initial) {
        /* A join that completes after our DATA_FIN was mapped (its handshake was under way
         * then) has nothing to carry: mptcp_conn_push_fin shuts it down like the others. */
        if (mc->fin_mapped)
            mptcp_conn_push(mc, now);
        return;
    }
    if (mc->established)
        return;
    mc->established = true;
    /* Until the first DATA_ACK, the handshake's window is the data-level window too
     * (RFC 8684 3.3.5: it is relative to the first DSN, IDSN + 1). */
    if (mc->snd_right == mc->snd_una)
        mc->snd_right = mc->snd_una + sk->snd_wnd;
    if (mc->fallback)
        mib_inc(mc->mib, MIB_MPTCP_FALLBACK_ESTAB);
    if (mc->ops->established != NULL)
        mc->ops->established(mc, now);
    mptcp_conn_push(mc, now);
}

static void mptcp_sf_readable(struct tcp_sock *sk, uint64_t now)
{
    struct mptcp_subflow *sf = sk->upper;
    mptcp_conn_pull(sf->mc, sf, now);
}

static void mptcp_sf_writable(struct tcp_sock *sk, uint64_t now)
{
    struct mptcp_subflow *sf = sk->upper;
    mptcp_conn_subflow_acked(sf->mc, sf, now);
}

static void mptcp_sf_peer_fin(struct tcp_sock *sk, uint64_t now)
{
    struct mptcp_subflow *sf = sk->upper;
    struct mptcp_conn *mc = sf->mc;
    /* In fallback the subflow's FIN ends the data stream; otherwise the DATA_FIN does. Not
     * while our MP_FAIL waits for its answer: what we dropped meanwhile is lost (3.7). */
    if (mptcp_fail_peer_fin(mc))
        return;
    if (mc->fallback && !mc->peer_fin) {
        mc->peer_fin = true;
        if (mc->ops->peer_closed != NULL)
            mc->ops->peer_closed(mc, now);
    }
    /* The peer closed this subflow: close ours too once our data is out (3.3.3). */
    mptcp_conn_push(mc, now);
}

static void mptcp_sf_closed(struct tcp_sock *sk, int reason, uint64_t now)
{
    struct mptcp_subflow *sf = sk->upper;
    if (reason == TCP_CLOSE_RESET || reason == TCP_CLOSE_REFUSED)
        mptcp_rst_accepted(sf); /* the peer's RST took effect: its MP_TCPRST counts */
    /* 3.3.6: what a failed subflow was given goes again on the others. */
    if (reason != 0 && !sf->mc->fallback && !sf->mc->closed)
        mptcp_conn_subflow_failed(sf->mc, sf, now);
    sf->closed = true;
    if (sf->mc->fallback && sf->sk != NULL)
        mptcp_conn_subflow_acked(sf->mc, sf, now);
    mptcp_conn_check_closed(sf->mc, now);
}

/* Two RTOs in a row make the subflow stalled: push() notices it and reinjects (3.3.6). */
static void mptcp_sf_rto(struct tcp_sock *sk, uint64_t now)
{
    struct mptcp_subflow *sf = sk->upper;
    mptcp_conn_push(sf->mc, now);
}

const struct tcp_sock_ops mptcp_subflow_tcp_ops = {
    .opt_write = mptcp_sf_opt_write,
    .opt_input = mptcp_sf_opt_input,
    .rcv_window = mptcp_sf_rcv_window,
    .window_sent = mptcp_sf_window_sent,
    .seg_limit = mptcp_sf_seg_limit,
    .established = mptcp_sf_established,
    .readable = mptcp_sf_readable,
    .writable = mptcp_sf_writable,
    .peer_fin = mptcp_sf_peer_fin,
    .rto = mptcp_sf_rto,
    .closed = mptcp_sf_closed,
};

bool mptcp_conn_accept_syn(struct mptcp_conn *mc, const struct wire_segment *syn)
{
    struct wire_mptcp_opt o;
    if (!wire_mptcp_find(syn, WIRE_MPTCP_MP_CAPABLE, &o) || !mptcp_sf_mpc_ok(&o) ||
        o.u.mpc.form != WIRE_MPC_SYN)
        return false;
    mib_inc(mc->mib, MIB_MPTCP_CAPABLE_SYN_RX);
    mc->csum = mc->want_csum || (o.u.mpc.flags & WIRE_MPC_FLAG_A);
    mc->peer_no_join_initial = (o.u.mpc.flags & WIRE_MPC_FLAG_C) != 0;
    return true;
}
