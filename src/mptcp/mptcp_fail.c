/* Fallback to TCP after the handshake, the infinite mapping, DSS checksum failures and
 * MP_FAIL (RFC 8684 3.7). See mptcp_fail.h for the model. */
#include "mptcp/mptcp_fail.h"

#include "mptcp/mptcp_conn.h"
#include "mptcp/mptcp_dsn.h"
#include "tcp/tcp_seq.h"
#include "umptcp/error.h"
#include "wire/mptcp_opt.h"
#include "wire/tcp.h"

/* ---- helpers ---------------------------------------------------------------------------- */

/* Relative SSN of our next byte to queue on the subflow. */
static uint32_t fb_data_end(const struct tcp_sock *sk)
{
    return tcp_sock_data_end(sk) - sk->iss;
}

static bool fb_subflow_open(const struct mptcp_subflow *sf)
{
    return sf->sk != NULL && !sf->closed && sf->sk->state != UMPTCP_STATE_CLOSED;
}

/* 3.7: an infinite mapping needs every byte in flight to be contiguous, so only the initial
 * subflow falls back, and only when no other subflow is open. */
static bool fb_allowed(const struct mptcp_conn *mc, const struct mptcp_subflow *sf)
{
    if (sf->join || !sf->initial || mc->nsub == 0 || mc->sub[0] != sf || sf->sk == NULL)
        return false;
    for (unsigned i = 1; i < mc->nsub; i++)
        if (fb_subflow_open(mc->sub[i]))
            return false;
    return true;
}

/* Resets a subflow (3.7: "closed with a RST"), with MP_FAIL(dsn) on the RST when asked. Its
 * data not DATA_ACKed goes again on the other subflows (3.3.6, the closed callback). */
static void fb_reset_subflow(struct mptcp_conn *mc, struct mptcp_subflow *sf, bool with_fail,
                             uint64_t dsn, uint64_t now)
{
    struct tcp_sock *sk = sf->sk;
    if (!fb_subflow_open(sf))
        return;
    if (with_fail) {
        mc->fb.rst_sf = sf;
        mc->fb.rst_dsn = dsn;
        mib_inc(mc->mib, MIB_MPTCP_MP_FAIL_TX);
    }
    if (tcp_sock_synchronized(sk))
        tcp_send_control(sk, WIRE_TCP_RST, sk->snd_nxt, now);
    mc->fb.rst_sf = NULL;
    tcp_sock_set_closed(sk, TCP_CLOSE_RESET, now);
}

/* ---- the bases ---------------------------------------------------------------------------- */

/* 3.7 "retroactively": the send base continues the mappings in use from the last DATA_ACKed
 * byte. Possible when the subflow's mappings from snd_una to snd_nxt are contiguous in DSN (no
 * reinjected data among them) and cover every byte queued on the subflow. */
static bool fb_tx_retro(const struct mptcp_conn *mc, const struct mptcp_subflow *sf, uint32_t *ssn,
                        uint64_t *dsn)
{
    uint32_t end = fb_data_end(sf->sk);
    size_t n = mptcp_smap_count(&sf->smap);
    if (mc->snd_una == mc->snd_nxt && (n == 0 || sf->smap.end == end)) {
        *ssn = end;
        *dsn = mc->snd_nxt;
        return true;
    }
    if (n == 0 || sf->smap.end != end)
        return false;
    uint64_t want_end = mc->snd_nxt;
    for (size_t i = n; i-- > 0;) {
        const struct mptcp_smap_entry *e = mptcp_smap_at(&sf->smap, i);
        if (e->dsn + e->len != want_end)
            return false;
        if (mptcp_dsn_leq(e->dsn, mc->snd_una)) {
            *ssn = e->ssn + (uint32_t)(mc->snd_una - e->dsn);
            *dsn = mc->snd_una;
            return true;
        }
        want_end = e->dsn;
    }
    return false;
}

/* The other way (3.7, after MP_FAIL): the data from dsn goes again as new subflow bytes; the
 * infinite mapping starts at them and the peer drops what it holds before. */
static void fb_tx_rewind(struct mptcp_conn *mc, const struct mptcp_subflow *sf, uint64_t dsn)
{
    if (mptcp_dsn_lt(dsn, mc->snd_una))
        dsn = mc->snd_una;
    if (mptcp_dsn_gt(dsn, mc->snd_nxt))
        dsn = mc->snd_nxt;
    mc->fb.tx_ssn = fb_data_end(sf->sk);
    mc->fb.tx_dsn = dsn;
    mc->snd_nxt = dsn;
}

void mptcp_conn_fallback(struct mptcp_conn *mc, const char *why)
{
    if (mc->fallback)
        return;
    mc->fallback = true;
    mc->fb.why = why;
    mib_inc(mc->mib, MIB_MPTCP_FALLBACK);
    if (!mc->rcv_ready) {
        /* No remote IDSN: number the peer's bytes from 1 (nothing else sees these DSNs). As
         * in MPTCP, the data level offers the configured maximum (its ring grows as data
         * waits): the subflow's own window, which the peer now follows, is that large too. */
        struct tcp_rcvbuf_config rc = {.capacity = mc->cfg->rcvbuf_max,
                                       .max_capacity = mc->cfg->rcvbuf_max,
                                       .max_intervals = mc->cfg->max_ooo_ranges};
        mc->rcv_nxt = 1;
        mc->rcv_ready = tcp_rcvbuf_init(&mc->rcv, 1, &rc) == UMPTCP_OK;
    }
    /* The peer's window now comes from the subflow alone; nothing is reinjected any more. */
    mc->snd_right = UINT64_MAX;
    for (unsigned i = 0; i < mc->nsub; i++)
        mc->sub[i]->reinject_pending = false;
    /* Both directions continue where the data level stands: the next byte the subflow moves
     * up is rcv_nxt, the next byte queued on it is snd_nxt (at the handshake: the first). */
    struct mptcp_subflow *sf = mc->nsub > 0 ? mc->sub[0] : NULL;
    mc->fb.rx_next = sf != NULL ? mptcp_rmap_consumed(&sf->rmap) : 1;
    mc->fb.rx_ssn = mc->fb.rx_next;
    mc->fb.rx_dsn = mc->rcv_nxt;
    mc->fb.tx_ssn = sf != NULL && sf->sk != NULL ? fb_data_end(sf->sk) : 1;
    mc->fb.tx_dsn = mc->snd_nxt;
}

const char *mptcp_conn_fallback_reason(const struct mptcp_conn *mc)
{
    return mc != NULL && mc->fallback ? mc->fb.why : NULL;
}

/* 3.7: falls back after the handshake on sf, sending an infinite mapping from the base chosen
 * (rewind to rewind_dsn when asked, else retroactive when possible). False when the
 * connection cannot (a join, other subflows open, or our FIN already queued after data that
 * would have to go again): the caller resets the subflow. */
static bool fb_start(struct mptcp_conn *mc, struct mptcp_subflow *sf, const char *why,
                     enum mib_counter counter, bool rewind, uint64_t rewind_dsn)
{
    if (mc->fallback)
        return true;
    if (!fb_allowed(mc, sf)) {
        mib_inc(mc->mib, MIB_MPTCP_FALLBACK_FAILED);
        return false;
    }
    uint32_t ssn = 0;
    uint64_t dsn = 0;
    bool retro = !rewind && fb_tx_retro(mc, sf, &ssn, &dsn);
    if (!retro && sf->sk->fin_queued) {
        mib_inc(mc->mib, MIB_MPTCP_FALLBACK_FAILED);
        return false;
    }
    mptcp_conn_fallback(mc, why);
    mc->fb.late = true;
    if (counter != MIB_COUNT)
        mib_inc(mc->mib, counter);
    if (retro) {
        mc->fb.tx_ssn = ssn;
        mc->fb.tx_dsn = dsn;
    } else {
        fb_tx_rewind(mc, sf, rewind ? rewind_dsn : mc->snd_una);
    }
    /* 3.7: "one final Data Sequence Mapping, with the Data-Level Length value of 0", on the
     * data segments until the peer acknowledged one sent from now on. */
    struct tcp_sock *sk = sf->sk;
    uint32_t unsent = sk->snd_nxt - sk->iss;
    mc->fb.inf_tx = true;
    mc->fb.inf_until = tcp_seq_max(mc->fb.tx_ssn, unsent);
    return true;
}

/* The peer's infinite mapping: the receive base from now on (3.7). After our MP_FAIL the peer
 * rewound: what we hold before its SSN is dropped (the failed data and what followed it). */
static void fb_apply_infinite(struct mptcp_conn *mc, const struct wire_dss *d)
{
    struct mptcp_fb *fb = &mc->fb;
    uint64_t dsn = d->dsn64 ? d->dsn : mptcp_dsn_expand(mc->rcv_nxt, (uint32_t)d->dsn);
    mib_inc(mc->mib, MIB_MPTCP_INFINITE_MAP_RX);
    fb->rx_inf_seen = true;
    fb->rx_ssn = d->ssn;
    fb->rx_dsn = dsn;
    fb->rx_drop_below = fb->rx_discard;
    fb->rx_discard = false;
    fb->fail_tx = false;
}

/* ---- input ------------------------------------------------------------------------------------
 */

bool mptcp_fail_input(struct mptcp_subflow *sf, const struct wire_segment *seg, uint64_t now)
{
    struct mptcp_conn *mc = sf->mc;
    struct wire_mptcp_opt o;
    if (!wire_mptcp_find(seg, WIRE_MPTCP_MP_FAIL, &o))
        return true;
    mib_inc(mc->mib, MIB_MPTCP_MP_FAIL_RX);
    mc->fb.fail_rx = true;
    /* 3.7: on a RST the subflow is gone; what it carried goes again on the others. */
    if (seg->tcp.flags & (WIRE_TCP_RST | WIRE_TCP_SYN))
        return true;
    /* 3.7: the only subflow: fall back, the data from the failed mapping's DSN going again
     * behind an infinite mapping, and answer with MP_FAIL. */
    if (!fb_start(mc, sf, "MP_FAIL received", MIB_COUNT, true, o.u.fail.dsn)) {
        fb_reset_subflow(mc, sf, true, o.u.fail.dsn, now);
        return false;
    }
    if (!mc->fb.fail_tx) {
        mc->fb.fail_echo = true;
        mc->fb.fail_dsn = mptcp_conn_data_ack_value(mc);
        mib_inc(mc->mib, MIB_MPTCP_MP_FAIL_TX);
    }
    mptcp_conn_push(mc, now);
    return true;
}

bool mptcp_fail_input_fallback(struct mptcp_subflow *sf, const struct wire_segment *seg,
                               uint64_t now)
{
    struct mptcp_conn *mc = sf->mc;
    struct wire_mptcp_opt o;
    (void)now;
    /* A fallback at the handshake is plain TCP for good: the peer's options mean nothing. */
    if (!mc->fb.late || sf != mc->sub[0] || (seg->tcp.flags & (WIRE_TCP_SYN | WIRE_TCP_RST)))
        return true;
    /* The peer's answer to our MP_FAIL (or its repeats): we fell back already. */
    if (!mc->fb.fail_rx && wire_mptcp_find(seg, WIRE_MPTCP_MP_FAIL, &o)) {
        mc->fb.fail_rx = true;
        mib_inc(mc->mib, MIB_MPTCP_MP_FAIL_RX);
    }
    if (!mc->fb.rx_inf_seen && wire_mptcp_find(seg, WIRE_MPTCP_DSS, &o) && o.u.dss.has_map &&
        o.u.dss.dll == 0)
        fb_apply_infinite(mc, &o.u.dss);
    return true;
}

bool mptcp_fail_infinite_rx(struct mptcp_subflow *sf, const struct wire_dss *d, uint64_t now)
{
    struct mptcp_conn *mc = sf->mc;
    /* 3.7: the peer fell back; with one subflow we follow, a join is reset instead. */
    if (!fb_start(mc, sf, "infinite mapping received", MIB_COUNT, false, 0)) {
        fb_reset_subflow(mc, sf, false, 0, now);
        return false;
    }
    fb_apply_infinite(mc, d);
    mptcp_conn_push(mc, now);
    return true;
}

/* In-order data that no mapping covers (3.3.1: every data byte needs one). */
static bool fb_unmapped_data(const struct mptcp_subflow *sf, const struct wire_segment *seg)
{
    const struct tcp_sock *sk = sf->sk;
    struct mptcp_rmap_chunk c;
    if (seg->tcp.payload_len == 0 || seg->tcp.seq != tcp_rcv_nxt(sk))
        return false;
    uint32_t ssn = seg->tcp.seq - sk->irs;
    return tcp_seq_geq(ssn, mptcp_rmap_consumed(&sf->rmap)) &&
           mptcp_rmap_lookup(&sf->rmap, ssn, 1, &c) != UMPTCP_OK;
}

/* 3.7: our data was acknowledged without a DSS carrying a DATA_ACK, before any DSS came. */
static bool fb_acked_without_dss(const struct mptcp_subflow *sf, const struct wire_segment *seg)
{
    const struct tcp_sock *sk = sf->sk;
    return !sf->mc->peer_sent_dss && (seg->tcp.flags & WIRE_TCP_ACK) &&
           tcp_seq_gt(seg->tcp.ack, sk->iss + 1) && tcp_seq_leq(seg->tcp.ack, sk->snd_nxt) &&
           tcp_sock_synchronized(sk);
}

bool mptcp_fail_no_dss(struct mptcp_subflow *sf, const struct wire_segment *seg, uint64_t now)
{
    struct mptcp_conn *mc = sf->mc;
    if (mc->fallback || !mc->remote_key_known || sf->sk == NULL)
        return true;
    bool unmapped = fb_unmapped_data(sf, seg);
    if (sf->join) {
        /* 3.7: a join whose options are lost is closed with a RST; the others carry on. */
        if (unmapped && sf->join_ok) {
            mib_inc(mc->mib, MIB_MPTCP_FALLBACK_FAILED);
            fb_reset_subflow(mc, sf, false, 0, now);
            return false;
        }
        return true;
    }
    const char *why;
    enum mib_counter counter;
    if (unmapped) {
        why = "no DSS after the handshake";
        counter = mc->peer_sent_dss ? MIB_MPTCP_DSS_FALLBACK : MIB_MPTCP_CAPABLE_DATA_FALLBACK;
    } else if (seg->opt.mptcp_count == 0 && fb_acked_without_dss(sf, seg)) {
        /* Only a segment without any MPTCP option: one that carries another (an ADD_ADDR
         * echo taking the room) shows the path passes them. Falling back on it alone, while
         * the peer did not, made its data-level retransmissions arrive as new bytes. */
        why = "data acknowledged without a DATA_ACK";
        counter = MIB_MPTCP_DSS_FALLBACK;
    } else {
        return true;
    }
    if (!fb_start(mc, sf, why, counter, false, 0)) {
        fb_reset_subflow(mc, sf, false, 0, now);
        return false;
    }
    mptcp_conn_push(mc, now);
    return true;
}

/* ---- the data level ------------------------------------------------------------------------ */

/* Inserts len bytes at dsn; *kept is how many of them the data level holds now (the rest,
 * beyond what it can store, stays in the subflow: a subflow-acknowledged byte is never lost). */
static size_t fb_insert(struct mptcp_conn *mc, uint64_t dsn, const uint8_t *data, size_t len,
                        size_t *kept)
{
    struct tcp_rcvbuf_insert_result r;
    *kept = 0;
    if (tcp_rcvbuf_insert(&mc->rcv, mptcp_dsn_low32(dsn), data, len, &r) != UMPTCP_OK)
        return 0;
    mc->rcv_nxt += r.in_order;
    *kept = len - r.dropped;
    return r.in_order;
}

/* How many of the len bytes at the subflow's read point are dropped, not moved up. */
static size_t fb_rx_drop(const struct mptcp_fb *fb, size_t len)
{
    if (fb->rx_discard)
        return len;
    int32_t below = fb->rx_drop_below ? tcp_seq_diff(fb->rx_ssn, fb->rx_next) : 0;
    if (below <= 0)
        return 0;
    return (size_t)below < len ? (size_t)below : len;
}

size_t mptcp_fail_pull(struct mptcp_conn *mc, struct mptcp_subflow *sf)
{
    struct mptcp_fb *fb = &mc->fb;
    struct tcp_sock *sk = sf->sk;
    size_t moved = 0;
    if (sf != mc->sub[0])
        return 0;
    for (unsigned guard = 0; guard < 16; guard++) {
        struct tcp_rcvbuf_span spans[2];
        if (tcp_rcvbuf_peek(&sk->rcv, spans) == 0)
            break;
        size_t take = fb_rx_drop(fb, spans[0].len);
        if (take == 0) {
            uint64_t dsn = fb->rx_dsn + (uint64_t)(int64_t)tcp_seq_diff(fb->rx_next, fb->rx_ssn);
            uint64_t right = mc->rcv_nxt + tcp_rcvbuf_window(&mc->rcv);
            if (mptcp_dsn_geq(dsn, right))
                break;
            take = spans[0].len;
            if (mptcp_dsn_gt(dsn + take, right))
                take = (size_t)(right - dsn);
            size_t kept;
            moved += fb_insert(mc, dsn, spans[0].data, take, &kept);
            if (kept < take) {
                tcp_rcvbuf_consume(&sk->rcv, kept);
                fb->rx_next += (uint32_t)kept;
                break;
            }
        }
        tcp_rcvbuf_consume(&sk->rcv, take);
        fb->rx_next += (uint32_t)take;
    }
    return moved;
}

bool mptcp_fail_tx_una(const struct mptcp_conn *mc, const struct mptcp_subflow *sf, uint64_t *una)
{
    if (sf != mc->sub[0] || sf->sk == NULL)
        return false;
    uint32_t acked = tcp_sndbuf_una(&sf->sk->snd) - sf->sk->iss;
    int32_t d = tcp_seq_diff(acked, mc->fb.tx_ssn);
    if (d <= 0)
        return false;
    *una = mc->fb.tx_dsn + (uint32_t)d;
    return true;
}

void mptcp_fail_csum(struct mptcp_conn *mc, struct mptcp_subflow *sf,
                     const struct mptcp_rmap_chunk *c, uint64_t now)
{
    if (!fb_subflow_open(sf))
        return; /* reset for this mapping already: its bytes wait to be freed with it */
    mib_inc(mc->mib, MIB_MPTCP_DATA_CSUM_ERR);
    /* 3.7: with other subflows the failed one is reset with MP_FAIL; its data, never
     * DATA_ACKed, goes again on the others. */
    if (!fb_allowed(mc, sf)) {
        fb_reset_subflow(mc, sf, true, c->map_dsn, now);
        return;
    }
    /* 3.7, one subflow: MP_FAIL with the failed mapping's DSN on every segment until the
     * peer's infinite mapping; its bytes from there on are dropped meanwhile. We fall back
     * ourselves at once (our direction was not damaged: a retroactive infinite mapping). */
    if (!fb_start(mc, sf, "DSS checksum failed (MP_FAIL)", MIB_COUNT, false, 0)) {
        fb_reset_subflow(mc, sf, true, c->map_dsn, now);
        return;
    }
    mc->fb.fail_tx = true;
    mc->fb.fail_at = now;
    mc->fb.fail_dsn = c->map_dsn;
    mc->fb.rx_discard = true;
    mib_inc(mc->mib, MIB_MPTCP_MP_FAIL_TX);
    sf->sk->ack_now = true;
}

uint64_t mptcp_fail_deadline(const struct mptcp_conn *mc)
{
    if (!mc->fallback || !mc->fb.fail_tx)
        return UINT64_MAX;
    return mc->fb.fail_give_up ? 0 : mc->fb.fail_at + MPTCP_FAIL_TIMEOUT_NS;
}

bool mptcp_fail_peer_fin(struct mptcp_conn *mc)
{
    if (!mc->fallback || !mc->fb.fail_tx)
        return false;
    mc->fb.fail_give_up = true;
    return true;
}

bool mptcp_fail_check_timeout(struct mptcp_conn *mc, uint64_t now)
{
    if (now < mptcp_fail_deadline(mc))
        return false;
    /* 3.7 leaves it open; as Linux: the connection cannot go on, reset it (middlebox). */
    mc->fb.fail_tx = false;
    mc->fb.rx_discard = false;
    struct mptcp_subflow *sf = mc->nsub > 0 ? mc->sub[0] : NULL;
    if (sf != NULL) {
        sf->rst_reason = WIRE_TCPRST_MIDDLEBOX;
        fb_reset_subflow(mc, sf, false, 0, now);
    }
    return true;
}

/* ---- output -----------------------------------------------------------------------------------
 */

size_t mptcp_fail_opt_write(struct mptcp_subflow *sf, const struct tcp_seg_info *info, uint8_t *buf,
                            size_t room)
{
    struct mptcp_conn *mc = sf->mc;
    struct mptcp_fb *fb = &mc->fb;
    struct tcp_sock *sk = sf->sk;
    if (sf != mc->sub[0] || (info->flags & (WIRE_TCP_SYN | WIRE_TCP_RST)))
        return 0;
    if (fb->inf_tx && tcp_seq_gt(sk->snd_una - sk->iss, fb->inf_until)) {
        fb->inf_tx = false; /* the peer has it: plain TCP from now on */
        fb->fail_echo = false;
    }
    size_t n = 0;
    if (fb->fail_tx || fb->fail_echo) {
        struct wire_mptcp_opt o = {.subtype = WIRE_MPTCP_MP_FAIL};
        o.u.fail.dsn = fb->fail_dsn;
        n += wire_mptcp_put(&o, buf, room);
    }
    uint32_t ssn = info->seq - sk->iss;
    if (fb->inf_tx && info->len > 0 && tcp_seq_geq(ssn, fb->tx_ssn)) {
        /* 3.3.1/3.7: DLL 0; a 32-bit DSN so that MP_FAIL fits beside it with timestamps. The
         * checksum field is present (0) when checksums were negotiated. */
        struct wire_mptcp_opt o = {.subtype = WIRE_MPTCP_DSS};
        o.u.dss.has_map = true;
        o.u.dss.dsn = mptcp_dsn_low32(fb->tx_dsn);
        o.u.dss.ssn = fb->tx_ssn;
        o.u.dss.dll = 0;
        o.u.dss.csum_present = mc->csum;
        size_t w = wire_mptcp_put(&o, buf + n, room - n);
        if (w > 0 && !fb->inf_counted) {
            fb->inf_counted = true;
            mib_inc(mc->mib, MIB_MPTCP_INFINITE_MAP_TX);
        }
        n += w;
    }
    return n;
}

size_t mptcp_fail_rst_write(struct mptcp_subflow *sf, uint8_t *buf, size_t room)
{
    struct mptcp_conn *mc = sf->mc;
    if (mc->fb.rst_sf != sf)
        return 0;
    struct wire_mptcp_opt o = {.subtype = WIRE_MPTCP_MP_FAIL};
    o.u.fail.dsn = mc->fb.rst_dsn;
    return wire_mptcp_put(&o, buf, room);
}

uint32_t mptcp_fail_seg_limit(const struct mptcp_subflow *sf, uint32_t seq)
{
    const struct mptcp_fb *fb = &sf->mc->fb;
    uint32_t ssn = seq - sf->sk->iss;
    if (!fb->inf_tx || sf != sf->mc->sub[0] || !tcp_seq_lt(ssn, fb->tx_ssn))
        return UINT32_MAX;
    return fb->tx_ssn - ssn;
}
