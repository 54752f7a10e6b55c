/* What a socket sends: SYN and SYN/ACK, data (new and retransmitted, as the scoreboard's
 * NextSeg, the congestion window, the peer's window and Nagle allow), FIN, and ACKs. */
#include "tcp/tcp_sock.h"

#include "tcp/tcp_seq.h"
#include "umptcp/error.h"
#include "wire/tcp.h"
#include "wire/tcp_opt.h"

#include <string.h>

/* Upper bound on segments one tcp_output() call emits; the next ACK or timer continues. */
#define TCP_OUT_BURST_MAX 256
/* tcp_out_new flag (beside TCP_RTX_SEND_*): ignore Nagle and sender SWS avoidance. */
#define TCP_OUT_FORCE 0x100u

/* The window the receive side offers: the socket's buffer, or the upper layer's shared one. */
static size_t tcp_out_rcv_window(struct tcp_sock *sk)
{
    if (sk->ops != NULL && sk->ops->rcv_window != NULL)
        return sk->ops->rcv_window(sk);
    return tcp_rcvbuf_window(&sk->rcv);
}

uint16_t tcp_window_to_advertise(struct tcp_sock *sk, bool syn)
{
    size_t win = tcp_out_rcv_window(sk);
    uint32_t rcv_nxt = tcp_rcv_nxt(sk);
    if (syn) { /* RFC 7323 2.2: the window in a SYN is never scaled */
        uint16_t w = (uint16_t)(win > 65535 ? 65535 : win);
        if (sk->state == UMPTCP_STATE_SYN_RECEIVED && tcp_seq_gt(rcv_nxt + w, sk->rcv_adv))
            sk->rcv_adv = rcv_nxt + w;
        return w;
    }
    uint8_t ws = sk->rcv_wscale;
    uint64_t field = win >> ws;
    if (field > 65535)
        field = 65535;
    /* Rounded down, so every edge we announce lies inside the buffer, whose right edge never
     * moves left. Scaling can then retract the announced edge by less than 2^ws (RFC 7323
     * 2.4 allows it); rcv_adv keeps the farthest edge ever announced, which the buffer holds
     * and the acceptance test honours (RFC 7323 2.4 rule 1). Rounding up instead would
     * announce bytes past the buffer that it then has to drop. */
    uint32_t edge = rcv_nxt + (uint32_t)(field << ws);
    if (tcp_seq_gt(edge, sk->rcv_adv))
        sk->rcv_adv = edge;
    if (sk->ops != NULL && sk->ops->window_sent != NULL)
        sk->ops->window_sent(sk, (uint32_t)(field << ws));
    return (uint16_t)field;
}

/* Timestamps on every segment once negotiated; SACK blocks (DSACK first) when there is
 * something to report (RFC 2018 4: up to 3 blocks beside timestamps). */
static void tcp_out_options(struct tcp_sock *sk, struct wire_tcp_options *o, uint64_t now,
                            bool with_sack)
{
    memset(o, 0, sizeof(*o));
    if (sk->ts_ok) {
        o->present |= WIRE_OPT_TIMESTAMP;
        o->ts_val = tcp_sock_tsval(sk, now);
        o->ts_ecr = sk->ts_recent;
    }
    if (!with_sack || !sk->sack_ok)
        return;
    size_t max = sk->ts_ok ? 3 : 4;
    size_t n = tcp_rcvbuf_sack_blocks(&sk->rcv, sk->has_dsack ? &sk->dsack : NULL, o->sack, max);
    if (n > 0) {
        o->present |= WIRE_OPT_SACK;
        o->sack_count = (uint8_t)n;
    }
}

/* Adds the upper layer's options (MPTCP) to o: they come before SACK blocks, which keep
 * whatever space is left (RFC 8684 App. A: DSS and timestamps fill 40 bytes). */
static void tcp_out_upper_options(struct tcp_sock *sk, struct wire_tcp_options *o, uint8_t *buf,
                                  const struct tcp_seg_info *info, uint64_t now)
{
    if (sk->ops == NULL || sk->ops->opt_write == NULL)
        return;
    uint8_t sack_count = o->sack_count;
    uint32_t present = o->present;
    o->present &= ~WIRE_OPT_SACK;
    o->sack_count = 0;
    int base = wire_tcp_options_size(o);
    size_t room = base >= 0 && base <= WIRE_TCPOPT_SPACE ? WIRE_TCPOPT_SPACE - (size_t)base : 0;
    size_t n = sk->ops->opt_write(sk, info, buf, room, now);
    for (size_t off = 0; off + 2 <= n && o->mptcp_count < WIRE_MAX_MPTCP_OPTS;) {
        uint8_t len = buf[off + 1];
        if (len < 2 || off + len > n)
            break;
        o->mptcp[o->mptcp_count].data = buf + off;
        o->mptcp[o->mptcp_count].len = len;
        o->mptcp_count++;
        off += len;
    }
    /* Put back as many SACK blocks as still fit. */
    o->present = present;
    for (o->sack_count = sack_count; o->sack_count > 0; o->sack_count--)
        if (wire_tcp_options_size(o) > 0 && wire_tcp_options_size(o) <= WIRE_TCPOPT_SPACE)
            break;
    if (o->sack_count == 0)
        o->present &= ~WIRE_OPT_SACK;
}

/* Builds and sends one segment of the connection; ACK bookkeeping for every ACK sent. */
static int tcp_out_emit(struct tcp_sock *sk, uint8_t flags, uint32_t seq, const uint8_t *payload,
                        size_t len, const struct wire_tcp_options *opt_in, bool retransmit,
                        uint64_t now)
{
    struct wire_tcp_options opt = *opt_in;
    uint8_t upper_buf[WIRE_TCPOPT_SPACE];
    struct tcp_seg_info info = {
        .flags = flags, .seq = seq, .len = (uint32_t)len, .retransmit = retransmit};
    tcp_out_upper_options(sk, &opt, upper_buf, &info, now);
    struct wire_segment_spec spec = {
        .src = sk->local,
        .dst = sk->remote,
        .seq = seq,
        .flags = flags,
        .opt = &opt,
        .payload = payload,
        .payload_len = len,
    };
    if (!(flags & WIRE_TCP_RST))
        spec.window = tcp_window_to_advertise(sk, (flags & WIRE_TCP_SYN) != 0);
    if (flags & WIRE_TCP_ACK)
        spec.ack = tcp_rcv_nxt(sk);
    int rc = sk->env->output(sk->env->ctx, sk->ifindex, &spec);
    sk->segs_out++;
    if ((flags & WIRE_TCP_ACK) && !(flags & WIRE_TCP_RST)) {
        sk->last_ack_sent = spec.ack;
        sk->ack_now = false;
        sk->unacked_segs = 0;
        sk->has_dsack = false;
        sk->timer[TCP_TIMER_DELACK] = 0;
    }
    sk->last_send_at = now;
    return rc;
}

/* The sequence number of a segment without data (RFC 9293 3.10.7.4 acceptability at the
 * peer): SND.NXT, unless data went past the peer's window (a window probe); then the window's
 * end, which the peer accepts (Linux's tcp_acceptable_seq does the same). */
static uint32_t tcp_out_acceptable_seq(const struct tcp_sock *sk, uint32_t seq)
{
    uint32_t wnd_end = sk->snd_una + sk->snd_wnd;
    if (seq == sk->snd_nxt && tcp_seq_lt(wnd_end, seq) && tcp_seq_geq(wnd_end, sk->snd_una))
        return wnd_end;
    return seq;
}

int tcp_send_control(struct tcp_sock *sk, uint8_t flags, uint32_t seq, uint64_t now)
{
    struct wire_tcp_options o;
    if (!(flags & (WIRE_TCP_SYN | WIRE_TCP_RST)) && tcp_sock_synchronized(sk))
        seq = tcp_out_acceptable_seq(sk, seq);
    bool synced = sk->state != UMPTCP_STATE_SYN_SENT && sk->state != UMPTCP_STATE_CLOSED;
    if (synced && !(flags & WIRE_TCP_RST))
        flags |= WIRE_TCP_ACK;
    tcp_out_options(sk, &o, now, (flags & WIRE_TCP_ACK) != 0);
    if ((flags & WIRE_TCP_RST) && !synced)
        o.present = 0;
    return tcp_out_emit(sk, flags, seq, NULL, 0, &o, false, now);
}

int tcp_send_syn(struct tcp_sock *sk, uint64_t now)
{
    const umptcp_config *cfg = sk->env->cfg;
    bool active = sk->state == UMPTCP_STATE_SYN_SENT;
    struct wire_tcp_options o;
    memset(&o, 0, sizeof(o));
    uint32_t hdrs = sk->local.addr.family == UMPTCP_AF_INET6 ? 60u : 40u;
    o.present = WIRE_OPT_MSS;
    o.mss = (uint16_t)(cfg->mss != 0 ? cfg->mss : cfg->mtu - hdrs);
    /* A SYN/ACK offers an option only when the SYN did (RFC 7323 2.2, 3.2; RFC 2018 2). */
    if (active ? cfg->window_scaling : sk->ws_ok) {
        o.present |= WIRE_OPT_WSCALE;
        o.wscale = sk->rcv_wscale;
    }
    if (active ? cfg->sack : sk->sack_ok)
        o.present |= WIRE_OPT_SACK_PERM;
    if (active ? cfg->timestamps : sk->ts_ok) {
        o.present |= WIRE_OPT_TIMESTAMP;
        o.ts_val = tcp_sock_tsval(sk, now);
        o.ts_ecr = active ? 0 : sk->ts_recent;
    }
    uint8_t flags = WIRE_TCP_SYN | (active ? 0 : WIRE_TCP_ACK);
    return tcp_out_emit(sk, flags, sk->iss, NULL, 0, &o, sk->syn_retransmitted, now);
}

/* Sends [seq, seq + len) of the send buffer, with FIN when fin is set (the FIN follows the
 * data in sequence space). */
static int tcp_out_data(struct tcp_sock *sk, uint32_t seq, uint32_t len, bool fin, bool retransmit,
                        uint64_t now)
{
    struct tcp_sndbuf_span spans[2];
    const uint8_t *payload = NULL;
    if (len > 0) {
        int n = tcp_sndbuf_peek(&sk->snd, seq, len, spans);
        if (n < 1)
            return UMPTCP_ERR_STATE;
        if (n == 1 || spans[0].len >= len) {
            payload = spans[0].data;
        } else {
            if (tcp_sndbuf_copy(&sk->snd, seq, len, sk->env->scratch) != (ssize_t)len)
                return UMPTCP_ERR_STATE;
            payload = sk->env->scratch;
        }
    }
    uint8_t flags = WIRE_TCP_ACK;
    if (fin)
        flags |= WIRE_TCP_FIN;
    if (len > 0 && seq + len == tcp_sock_data_end(sk))
        flags |= WIRE_TCP_PSH;
    struct wire_tcp_options o;
    tcp_out_options(sk, &o, now, true);
    return tcp_out_emit(sk, flags, seq, payload, len, &o, retransmit, now);
}

/* Is [seq, seq+len) (len counting the FIN) to be sent with a FIN at its end? */
static bool tcp_out_carries_fin(const struct tcp_sock *sk, uint32_t seq, uint32_t len)
{
    return sk->fin_sent && len > 0 && seq + len - 1 == sk->fin_seq;
}

/* RACK (RFC 8985) orders transmissions by time, breaking ties by sequence number, which is
 * wrong for a retransmission followed by new data at the same instant (virtual time makes
 * that common). Strictly increasing timestamps per socket keep the true send order. */
static uint64_t tcp_out_xmit_ts(struct tcp_sock *sk, uint64_t now)
{
    uint64_t ts = now > sk->last_xmit_ts ? now : sk->last_xmit_ts + 1;
    sk->last_xmit_ts = ts;
    return ts;
}

/* Sends a range the scoreboard chose for retransmission. */
static void tcp_out_retransmit(struct tcp_sock *sk, const struct tcp_rtx_next *next, unsigned flags,
                               uint64_t now)
{
    bool fin = tcp_out_carries_fin(sk, next->seq, next->len);
    uint32_t data_len = next->len - (fin ? 1u : 0u);
    if (tcp_out_data(sk, next->seq, data_len, fin, true, now) != UMPTCP_OK)
        return;
    tcp_rtx_on_send(&sk->rtx, next->seq, next->len, tcp_out_xmit_ts(sk, now),
                    flags | TCP_RTX_SEND_RETRANSMIT);
    sk->retrans_segs++;
    mib_inc(sk->env->mib, MIB_TCP_RETRANS_SEGS);
    if (sk->prr.active)
        tcp_prr_on_send(&sk->prr, next->len);
    /* The head of the window sent again gets a full RTO to be acknowledged, as Linux does
     * (tcp_xmit_retransmit_queue): RFC 6298 5.3 restarts the timer only on new ACKs, so after
     * a fast retransmission that a full queue dropped, RACK's second try (RFC 8985 6.2: one
     * RTT after the first) would otherwise be cut short by an RTO armed before the first,
     * collapsing cwnd to one segment for a loss recovery that was working. */
    if (next->seq == sk->snd_una && sk->timer[TCP_TIMER_RTO] != 0)
        sk->timer[TCP_TIMER_RTO] = now + tcp_rtt_rto(&sk->rtt);
}

/* How many new bytes may go now (0 = none): data available, the peer's window, the
 * congestion window and Nagle (RFC 9293 3.7.4). *fin says whether the FIN can go with them. */
static uint32_t tcp_out_new_len(struct tcp_sock *sk, uint32_t cwnd_room, bool force, bool *fin)
{
    uint32_t avail = tcp_sock_data_end(sk) - sk->snd_nxt;
    uint32_t wnd_end = sk->snd_una + sk->snd_wnd;
    uint32_t wnd_room = tcp_seq_gt(wnd_end, sk->snd_nxt) ? wnd_end - sk->snd_nxt : 0;
    /* A segment must not cross the upper layer's boundary (one DSS mapping per segment);
     * reaching the boundary counts as "all the data there is" for the small-segment rules. */
    uint32_t sendable = avail;
    if (avail > 0 && sk->ops != NULL && sk->ops->seg_limit != NULL) {
        uint32_t lim = sk->ops->seg_limit(sk, sk->snd_nxt);
        if (lim < sendable)
            sendable = lim;
    }
    uint32_t len = sendable;
    if (len > sk->mss)
        len = sk->mss;
    if (len > wnd_room)
        len = wnd_room;
    if (len > cwnd_room)
        len = cwnd_room;
    *fin = sk->fin_queued && !sk->fin_sent && len == avail && cwnd_room > len;
    if (len == 0 || force)
        return len;
    if (len < sk->mss && len < sendable)
        return 0; /* sender-side silly window avoidance: wait for a full segment's room */
    bool in_flight = sk->snd_nxt != sk->snd_una;
    if (len < sk->mss && sk->nagle && in_flight && !*fin && len == avail)
        return 0; /* Nagle: one small segment in flight at a time */
    return len;
}

/* Sends new data (or a bare FIN) at SND.NXT; returns false when nothing could go. */
static bool tcp_out_new(struct tcp_sock *sk, uint32_t cwnd_room, unsigned flags, uint64_t now)
{
    bool fin;
    bool force = (flags & (TCP_RTX_SEND_TLP | TCP_OUT_FORCE)) != 0;
    flags &= ~TCP_OUT_FORCE;
    uint32_t len = tcp_out_new_len(sk, cwnd_room, force, &fin);
    if (len == 0 && !fin)
        return false;
    uint32_t seq = sk->snd_nxt;
    if (fin) {
        sk->fin_sent = true;
        sk->fin_seq = seq + len;
    }
    if (tcp_out_data(sk, seq, len, fin, false, now) != UMPTCP_OK)
        return false;
    uint32_t seq_len = len + (fin ? 1u : 0u);
    if (tcp_rtx_on_send(&sk->rtx, seq, seq_len, tcp_out_xmit_ts(sk, now), flags) != UMPTCP_OK)
        return false;
    sk->snd_nxt = seq + seq_len;
    sk->bytes_sent += len;
    if (sk->prr.active)
        tcp_prr_on_send(&sk->prr, seq_len);
    if (fin) {
        if (sk->state == UMPTCP_STATE_ESTABLISHED)
            tcp_sock_set_state(sk, UMPTCP_STATE_FIN_WAIT_1);
        else if (sk->state == UMPTCP_STATE_CLOSE_WAIT)
            tcp_sock_set_state(sk, UMPTCP_STATE_LAST_ACK);
    }
    return true;
}

static bool tcp_out_can_send_new(const struct tcp_sock *sk)
{
    uint32_t wnd_end = sk->snd_una + sk->snd_wnd;
    bool data = tcp_seq_lt(sk->snd_nxt, tcp_sock_data_end(sk)) && tcp_seq_lt(sk->snd_nxt, wnd_end);
    return data || (sk->fin_queued && !sk->fin_sent);
}

/* RFC 5681 4.1 / RFC 7661: restart after idle. */
static void tcp_out_idle_check(struct tcp_sock *sk, uint64_t now)
{
    if (sk->snd_nxt != sk->snd_una || sk->last_send_at == 0)
        return;
    struct cc_idle_event ev = {
        .now = now, .idle_ns = now - sk->last_send_at, .rto_ns = tcp_rtt_rto(&sk->rtt)};
    /* Every idle period is reported; the algorithm compares it with the RTO itself (CUBIC
     * also keeps idle time out of its clock, RFC 9438 5.8). */
    if (ev.idle_ns > 0 && tcp_sock_data_end(sk) != sk->snd_nxt)
        cc_on_idle_restart(&sk->cc, &ev);
}

/* Sends segments while the scoreboard has something and the windows allow. */
static unsigned tcp_out_segments(struct tcp_sock *sk, uint64_t now)
{
    unsigned sent = 0;
    tcp_out_idle_check(sk, now);
    while (sent < TCP_OUT_BURST_MAX) {
        uint32_t pipe = tcp_sock_pipe(sk);
        uint32_t cwnd = sk->cc.st.cwnd;
        uint32_t room = cwnd > pipe ? cwnd - pipe : 0;
        if (room == 0)
            break;
        struct tcp_rtx_next next;
        tcp_rtx_next_seg(&sk->rtx, tcp_out_can_send_new(sk), &next);
        if (next.kind == TCP_RTX_NEXT_NONE)
            break;
        if (next.kind == TCP_RTX_NEXT_NEW) {
            if (!tcp_out_new(sk, room, TCP_RTX_SEND_NEW, now))
                break;
        } else {
            if (next.len > room && room < sk->mss)
                break;
            tcp_out_retransmit(sk, &next,
                               next.kind == TCP_RTX_NEXT_RESCUE ? TCP_RTX_SEND_RESCUE : 0, now);
        }
        sent++;
    }
    return sent;
}

void tcp_out_probe(struct tcp_sock *sk, const struct tcp_rtx_next *next, uint64_t now)
{
    if (next->kind == TCP_RTX_NEXT_NEW)
        tcp_out_new(sk, sk->mss + 1, TCP_RTX_SEND_TLP, now);
    else
        tcp_out_retransmit(sk, next, TCP_RTX_SEND_TLP, now);
}

bool tcp_out_persist_send(struct tcp_sock *sk, uint64_t now)
{
    uint32_t wnd_end = sk->snd_una + sk->snd_wnd;
    if (sk->snd_wnd == 0 || !tcp_seq_lt(sk->snd_nxt, wnd_end))
        return false;
    if (!tcp_out_new(sk, sk->mss + 1, TCP_RTX_SEND_NEW | TCP_OUT_FORCE, now))
        return false;
    tcp_timer_update_loss_timers(sk, now, 0);
    return true;
}

/* RFC 9293 3.8.6.2.2 receiver SWS avoidance: a window update is worth a segment when the
 * right edge moved by at least min(half the buffer, 2 * MSS). */
static bool tcp_out_window_update_due(struct tcp_sock *sk)
{
    uint32_t rcv_nxt = tcp_rcv_nxt(sk);
    size_t win = tcp_out_rcv_window(sk);
    /* Only what the window field can say: a window beyond 65535 << rcv_wscale (an MPTCP
     * subflow offers the connection's shared window, which its scale may not reach) can never
     * be announced, and counting it would make every segment that arrives due an update. */
    size_t max_win = (size_t)65535 << sk->rcv_wscale;
    if (win > max_win)
        win = max_win;
    uint32_t edge = rcv_nxt + (uint32_t)win;
    if (!tcp_seq_gt(edge, sk->rcv_adv))
        return false;
    return tcp_window_update_worth(edge - sk->rcv_adv, sk->rcv_adv - rcv_nxt,
                                   tcp_rcvbuf_capacity(&sk->rcv), sk->mss);
}

bool tcp_window_update_worth(uint64_t gain, uint64_t left, size_t capacity, uint32_t mss)
{
    uint64_t thresh = 2ull * mss, half = capacity / 2;
    if (half < thresh)
        thresh = half;
    /* A window that was (nearly) closed always gets an update once it opens. */
    return gain >= thresh || left < mss;
}

void tcp_output(struct tcp_sock *sk, uint64_t now)
{
    switch (sk->state) {
    case UMPTCP_STATE_ESTABLISHED:
    case UMPTCP_STATE_CLOSE_WAIT:
    case UMPTCP_STATE_FIN_WAIT_1:
    case UMPTCP_STATE_CLOSING:
    case UMPTCP_STATE_LAST_ACK:
        break;
    case UMPTCP_STATE_FIN_WAIT_2:
        /* Our side is done sending but still receives (RFC 9293 3.10.7.4): a read that
         * opens the window must still be announced (3.8.6.2.2), or a peer whose sender SWS
         * avoidance waits for a full segment's room never sends the rest. */
        if (sk->ack_now || tcp_out_window_update_due(sk))
            tcp_send_control(sk, WIRE_TCP_ACK, sk->snd_nxt, now);
        return;
    case UMPTCP_STATE_TIME_WAIT:
        if (sk->ack_now)
            tcp_send_control(sk, WIRE_TCP_ACK, sk->snd_nxt, now);
        return;
    default:
        return;
    }
    unsigned sent = tcp_out_segments(sk, now);
    if (sent == 0 && (sk->ack_now || tcp_out_window_update_due(sk)))
        tcp_send_control(sk, WIRE_TCP_ACK, sk->snd_nxt, now);
    /* Data waiting, nothing in flight, nothing sent: the peer's window holds it back (zero,
     * or below one segment so that sender SWS avoidance waits). The persist timer probes a
     * zero window (RFC 9293 3.8.6.1) or sends what a small one takes (3.8.6.2.1). */
    if (sent == 0 && sk->snd_nxt == sk->snd_una && tcp_seq_lt(sk->snd_nxt, tcp_sock_data_end(sk)) &&
        sk->timer[TCP_TIMER_PERSIST] == 0)
        tcp_timer_arm_persist(sk, now);
    if (sent > 0)
        tcp_timer_update_loss_timers(sk, now, 0);
}
