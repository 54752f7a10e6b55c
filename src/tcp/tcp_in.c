/* Segment arrives (RFC 9293 3.10.7) for an existing socket, with RFC 7323 (PAWS, RTTM),
 * RFC 5961 (challenge ACKs), SACK/RACK loss detection (tcp_rtx) and congestion control. */
#include "tcp/tcp_seq.h"
#include "tcp/tcp_sock.h"
#include "umptcp/error.h"
#include "wire/tcp.h"
#include "wire/tcp_opt.h"

#define TCP_NS_PER_MS 1000000ull
/* RFC 7323 5.5: a TS.Recent older than 24 days is invalid (PAWS would wrongly reject). */
#define TCP_PAWS_IDLE_NS (24ull * 24 * 3600 * 1000000000ull)
/* Least interval between ACKs answering unacceptable segments (Linux tcp_invalid_ratelimit). */
#define TCP_OOW_ACK_INTERVAL_NS (500 * TCP_NS_PER_MS)

static uint32_t tcp_seg_len(const struct wire_segment *seg)
{
    const struct wire_tcp_hdr *th = &seg->tcp;
    return (uint32_t)th->payload_len + ((th->flags & WIRE_TCP_SYN) ? 1u : 0u) +
           ((th->flags & WIRE_TCP_FIN) ? 1u : 0u);
}

uint32_t tcp_rcv_nxt(const struct tcp_sock *sk)
{
    return tcp_rcvbuf_rcv_nxt(&sk->rcv) + (sk->fin_rcvd ? 1u : 0u);
}

/* Effective MSS for sending data: the peer's MSS (or the RFC 9293 3.7.1 default), never more
 * than our interface allows, less the timestamp option carried on every segment. */
static void tcp_in_set_mss(struct tcp_sock *sk)
{
    const umptcp_config *cfg = sk->env->cfg;
    uint32_t hdrs = sk->local.addr.family == UMPTCP_AF_INET6 ? 60u : 40u;
    uint32_t own = cfg->mss != 0 ? cfg->mss : (uint32_t)cfg->mtu - hdrs;
    uint32_t peer = sk->peer_mss != 0 ? sk->peer_mss
                                      : (sk->local.addr.family == UMPTCP_AF_INET6 ? 1220u : 536u);
    uint32_t mss = peer < own ? peer : own;
    if (sk->ts_ok)
        mss -= 12; /* NOP NOP TS */
    if (mss < 64)
        mss = 64;
    sk->mss = mss;
}

void tcp_in_learn_syn_options(struct tcp_sock *sk, const struct wire_segment *syn)
{
    const umptcp_config *cfg = sk->env->cfg;
    const struct wire_tcp_options *o = &syn->opt;
    bool active = sk->state == UMPTCP_STATE_SYN_SENT;
    sk->peer_mss = (o->present & WIRE_OPT_MSS) ? o->mss : 0;
    /* RFC 7323 2.2: scaling only when both SYNs carry the option; shifts above 14 are
     * treated as 14 (2.3). For an active open we offered iff cfg says so. */
    sk->ws_ok = cfg->window_scaling && (o->present & WIRE_OPT_WSCALE);
    sk->snd_wscale = sk->ws_ok ? (o->wscale > 14 ? 14 : o->wscale) : 0;
    if (!sk->ws_ok)
        sk->rcv_wscale = 0;
    sk->sack_ok = cfg->sack && (o->present & WIRE_OPT_SACK_PERM);
    sk->ts_ok = cfg->timestamps && (o->present & WIRE_OPT_TIMESTAMP);
    if (sk->ts_ok)
        sk->ts_recent = o->ts_val;
    (void)active;
    tcp_in_set_mss(sk);
    tcp_rtx_set_smss(&sk->rtx, sk->mss);
    cc_set_mss(&sk->cc, sk->mss);
    /* RFC 6928: IW is computed from the negotiated MSS. */
    sk->cc.st.cwnd = cc_initial_window(sk->mss);
}

/* The handshake completed: both directions are synchronized. */
static void tcp_in_established(struct tcp_sock *sk, const struct wire_segment *seg, uint64_t now)
{
    tcp_sock_set_state(sk, UMPTCP_STATE_ESTABLISHED);
    sk->snd_una = seg->tcp.ack;
    /* RFC 7323 2.2: the window of a SYN segment (our active open's SYN/ACK) is not scaled. */
    uint8_t shift = (seg->tcp.flags & WIRE_TCP_SYN) ? 0 : sk->snd_wscale;
    sk->snd_wnd = (uint32_t)seg->tcp.window << shift;
    if (sk->snd_wnd > sk->max_snd_wnd)
        sk->max_snd_wnd = sk->snd_wnd;
    sk->snd_wl1 = seg->tcp.seq;
    sk->snd_wl2 = seg->tcp.ack;
    sk->retries = 0;
    if (!sk->syn_retransmitted) {
        tcp_rtt_sample(&sk->rtt, now - sk->syn_sent_at, now, 1);
        tcp_rtx_note_rtt_sample(&sk->rtx); /* RFC 8985 7.3: probes need an RTT sample */
    } else
        tcp_rtt_reset_backoff(&sk->rtt);
    sk->timer[TCP_TIMER_RTO] = 0;
    sk->drs_start = now;
    sk->last_send_at = now;
    tcp_newreno_init(sk);
    if (sk->ops != NULL && sk->ops->established != NULL)
        sk->ops->established(sk, now);
}

/* RFC 9293 3.10.7.3: SYN_SENT. */
static void tcp_in_syn_sent(struct tcp_sock *sk, const struct wire_segment *seg, uint64_t now)
{
    const struct wire_tcp_hdr *th = &seg->tcp;
    bool ack_ok = false;
    if (th->flags & WIRE_TCP_ACK) {
        if (tcp_seq_leq(th->ack, sk->iss) || tcp_seq_gt(th->ack, sk->snd_nxt)) {
            if (!(th->flags & WIRE_TCP_RST))
                tcp_send_control(sk, WIRE_TCP_RST, th->ack, now);
            return;
        }
        ack_ok = true;
    }
    if (th->flags & WIRE_TCP_RST) {
        /* RFC 5961 3.2 note: in SYN_SENT an acceptable ACK validates the RST. */
        if (ack_ok)
            tcp_sock_set_closed(sk, TCP_CLOSE_REFUSED, now);
        return;
    }
    if (!(th->flags & WIRE_TCP_SYN))
        return;
    tcp_in_learn_syn_options(sk, seg);
    sk->irs = th->seq;
    tcp_sock_start_receiving(sk, sk->irs + 1);
    if (ack_ok) {
        /* The third segment of the handshake: data the application writes in the
         * established callback carries the ACK; otherwise a pure ACK goes now. */
        sk->ack_now = true;
        tcp_in_established(sk, seg, now);
        tcp_output(sk, now);
        return;
    }
    /* Simultaneous open: SYN without ACK. */
    tcp_sock_set_state(sk, UMPTCP_STATE_SYN_RECEIVED);
    sk->snd_wnd = th->window;
    tcp_send_syn(sk, now);
}

/* RFC 7323 5.3 PAWS: true when the segment must be dropped as an old duplicate. */
static bool tcp_in_paws_reject(struct tcp_sock *sk, const struct wire_segment *seg, uint64_t now)
{
    const struct wire_tcp_hdr *th = &seg->tcp;
    if (!sk->ts_ok || !(seg->opt.present & WIRE_OPT_TIMESTAMP) || (th->flags & WIRE_TCP_RST))
        return false;
    (void)now;
    if (!tcp_seq_lt(seg->opt.ts_val, sk->ts_recent))
        return false;
    /* A pure ACK overtaken by a later segment is not an old duplicate from a previous
     * connection: accept it when its TSval lags by less than an RTO (in TSval ms ticks). */
    bool pure_ack = th->payload_len == 0 && !(th->flags & (WIRE_TCP_SYN | WIRE_TCP_FIN));
    uint64_t lag_ms = sk->ts_recent - seg->opt.ts_val;
    return !(pure_ack && lag_ms * TCP_NS_PER_MS <= tcp_rtt_rto(&sk->rtt));
}

/* RFC 9293 3.10.7.4 first check: is the segment in the receive window? */
static bool tcp_in_acceptable(const struct tcp_sock *sk, const struct wire_segment *seg)
{
    uint32_t rcv_nxt = tcp_rcv_nxt(sk);
    uint32_t wnd = sk->rcv_adv - rcv_nxt;
    if (tcp_seq_lt(sk->rcv_adv, rcv_nxt))
        wnd = 0;
    uint32_t len = tcp_seg_len(seg), seq = seg->tcp.seq;
    if (len == 0)
        return wnd == 0 ? seq == rcv_nxt : tcp_seq_in_window(seq, rcv_nxt, wnd);
    if (wnd == 0)
        return false;
    return tcp_seq_in_window(seq, rcv_nxt, wnd) || tcp_seq_in_window(seq + len - 1, rcv_nxt, wnd);
}

/* RFC 2883 4.1: data wholly below RCV.NXT was received twice: report it as a D-SACK block in
 * the ACK that answers it, so the sender can tell spurious retransmissions. */
static void tcp_in_note_old_duplicate(struct tcp_sock *sk, const struct wire_segment *seg)
{
    const struct wire_tcp_hdr *th = &seg->tcp;
    if (!sk->sack_ok || th->payload_len == 0 || !tcp_sock_synchronized(sk))
        return;
    uint32_t end = th->seq + (uint32_t)th->payload_len;
    if (!tcp_seq_leq(end, tcp_rcvbuf_rcv_nxt(&sk->rcv)))
        return;
    sk->has_dsack = true;
    sk->dsack.left = th->seq;
    sk->dsack.right = end;
    mib_inc(sk->env->mib, MIB_TCP_DSACK_SENT);
}

/* RFC 5961 7 and its Errata 4772: the ACKs that answer unacceptable segments are throttled,
 * or two ends that disagree about the sequence space (one desynchronized by a forged or stale
 * segment) answer each other's ACKs forever. As Linux: one per 500 ms per connection; a
 * segment with data or FIN (and no SYN) is always answered, its sender needs the ACK. */
static bool tcp_in_oow_ack_throttled(struct tcp_sock *sk, const struct wire_segment *seg,
                                     uint64_t now)
{
    if (tcp_seg_len(seg) > 0 && !(seg->tcp.flags & WIRE_TCP_SYN))
        return false;
    /* A zero-window probe (SEG.SEQ = RCV.NXT - 1, no data: ours and Linux's) learns the
     * window from each answer (RFC 9293 3.8.6.1). */
    if (tcp_seg_len(seg) == 0 && seg->tcp.seq == tcp_rcv_nxt(sk) - 1)
        return false;
    if (sk->oow_ack_sent && now - sk->oow_ack_at < TCP_OOW_ACK_INTERVAL_NS)
        return true;
    sk->oow_ack_sent = true;
    sk->oow_ack_at = now;
    return false;
}

/* RFC 9293 3.10.7.4: an unacceptable segment is answered with <SEQ=SND.NXT><ACK=RCV.NXT>. */
static void tcp_in_oow_ack(struct tcp_sock *sk, const struct wire_segment *seg, uint64_t now)
{
    if (!tcp_in_oow_ack_throttled(sk, seg, now))
        tcp_send_control(sk, WIRE_TCP_ACK, sk->snd_nxt, now);
}

/* RFC 5961 3 and 4: answer a suspicious RST or SYN with an ACK. */
static void tcp_in_challenge_ack(struct tcp_sock *sk, const struct wire_segment *seg, uint64_t now)
{
    if (tcp_in_oow_ack_throttled(sk, seg, now))
        return;
    mib_inc(sk->env->mib, MIB_TCP_CHALLENGE_ACK);
    tcp_send_control(sk, WIRE_TCP_ACK, sk->snd_nxt, now);
}

static void tcp_in_rst(struct tcp_sock *sk, const struct wire_segment *seg, uint64_t now)
{
    /* RFC 1337 (TIME-WAIT assassination hazards): a RST must not cut TIME_WAIT short. */
    if (sk->state == UMPTCP_STATE_TIME_WAIT) {
        mib_inc(sk->env->mib, MIB_TCP_TW_RST_IGNORED);
        return;
    }
    /* RFC 5961 3.2: reset only on an exact match with RCV.NXT, else a challenge ACK. */
    if (seg->tcp.seq != tcp_rcv_nxt(sk)) {
        tcp_in_challenge_ack(sk, seg, now);
        return;
    }
    mib_inc(sk->env->mib, MIB_TCP_IN_RSTS);
    int reason = sk->state == UMPTCP_STATE_SYN_RECEIVED ? TCP_CLOSE_REFUSED : TCP_CLOSE_RESET;
    if (sk->state == UMPTCP_STATE_LAST_ACK || sk->state == UMPTCP_STATE_CLOSING)
        reason = TCP_CLOSE_NORMAL; /* RFC 9293: enter CLOSED; nothing was lost */
    tcp_sock_set_closed(sk, reason, now);
}

/* Cumulative ACK, SACK, RTT, loss detection and congestion control for one ACK. */
static void tcp_in_ack_data(struct tcp_sock *sk, const struct wire_segment *seg, uint64_t now)
{
    const struct wire_tcp_hdr *th = &seg->tcp;
    struct tcp_rtx_ack ack = {.ack = th->ack, .now = now};
    if (sk->sack_ok && (seg->opt.present & WIRE_OPT_SACK)) {
        ack.sack = seg->opt.sack;
        ack.n_sack = seg->opt.sack_count;
    }
    ack.is_dupack = th->ack == sk->snd_una && th->payload_len == 0 &&
                    ((uint32_t)th->window << sk->snd_wscale) == sk->snd_wnd;
    uint32_t flight_before = tcp_rtx_flight(&sk->rtx);
    struct tcp_rtx_ack_result res;
    if (tcp_rtx_on_ack(&sk->rtx, &ack, tcp_rtt_min_rtt(&sk->rtt), &res) != UMPTCP_OK)
        return;
    if (res.has_dsack)
        mib_inc(sk->env->mib, MIB_TCP_DSACK_RECV);

    /* RTT: timestamps give a sample per ACK of new data (RFC 7323 4), else Karn's rule. */
    if (res.acked_bytes > 0 && sk->ts_ok && (seg->opt.present & WIRE_OPT_TIMESTAMP) &&
        seg->opt.ts_ecr != 0) {
        uint32_t ms = tcp_sock_tsval(sk, now) - seg->opt.ts_ecr;
        if (ms < 600000u) {
            tcp_rtt_sample(&sk->rtt, (uint64_t)ms * TCP_NS_PER_MS + TCP_NS_PER_MS / 2, now,
                           tcp_rtt_expected_samples(flight_before, sk->mss));
            tcp_rtx_note_rtt_sample(&sk->rtx);
        }
    } else if (res.has_rtt_sample) {
        tcp_rtt_sample(&sk->rtt, res.rtt_sample_ns, now, 1);
    }

    if (res.acked_bytes > 0) {
        uint32_t data_end = tcp_sock_data_end(sk);
        uint32_t data_ack = tcp_seq_gt(th->ack, data_end) ? data_end : th->ack;
        if (tcp_seq_gt(data_ack, tcp_sndbuf_una(&sk->snd)))
            sk->bytes_acked += (uint64_t)tcp_sndbuf_ack(&sk->snd, data_ack);
        sk->snd_una = th->ack;
        sk->retries = 0;
        sk->dupacks = 0;
        tcp_timer_rearm_rto(sk, now);
    } else if (ack.is_dupack) {
        sk->dupacks++;
    }

    struct tcp_rtx_loss_result loss = {0};
    if (sk->sack_ok)
        tcp_rtx_detect_loss(&sk->rtx, now, tcp_rtt_srtt(&sk->rtt), &loss);
    else /* RACK needs SACK (RFC 8985 2): NewReno (RFC 6582) instead */
        tcp_newreno_on_ack(sk, seg, ack.is_dupack, &res, now);
    tcp_in_congestion(sk, &res, flight_before, now);
    tcp_timer_update_loss_timers(sk, now, loss.reo_timeout);
}

/* Was the sender using its congestion window (RFC 7661 4; Linux's tcp_is_cwnd_limited)? Only
 * then may the window grow: a sender held back by the application or by the peer's receive
 * window would otherwise inflate cwnd without bound. In slow start half the window in flight
 * counts, since the window doubles per round. */
static bool tcp_in_cwnd_limited(const struct tcp_sock *sk, uint32_t flight_before)
{
    uint32_t cwnd = sk->cc.st.cwnd;
    if (cc_in_slow_start(&sk->cc.st))
        return (uint64_t)flight_before * 2 >= cwnd;
    return flight_before + sk->mss >= cwnd;
}

void tcp_in_congestion(struct tcp_sock *sk, const struct tcp_rtx_ack_result *res,
                       uint32_t flight_before, uint64_t now)
{
    struct tcp_rtx *rtx = &sk->rtx;
    if (res != NULL && res->recovery_exited && sk->prr.active) {
        struct cc_exit_event ev = {.now = now, .bytes_in_flight = tcp_rtx_flight(rtx)};
        sk->cc.st.cwnd = tcp_prr_end(&sk->prr);
        cc_on_recovery_exit(&sk->cc, &ev);
    }
    if (!rtx->in_recovery && rtx->need_rtx_bytes > 0) {
        /* RFC 6675 5 / RFC 8985: loss detected: fast recovery with PRR (RFC 6937). */
        /* RFC 5681 eq. 4 halves FlightSize; during SACK recovery FlightSize also counts
         * SACKed and lost bytes, and back-to-back episodes then ratchet ssthresh upwards.
         * Like Linux, reduce from what the window allowed: min(cwnd, FlightSize). */
        uint32_t base = flight_before < sk->cc.st.cwnd ? flight_before : sk->cc.st.cwnd;
        struct cc_loss_event lev = {.now = now, .kind = CC_LOSS_FAST, .bytes_in_flight = base};
        tcp_rtx_enter_recovery(rtx);
        cc_on_loss(&sk->cc, &lev);
        tcp_prr_start(&sk->prr, sk->cc.st.ssthresh, flight_before, sk->mss, TCP_PRR_SSRB);
        mib_inc(sk->env->mib, sk->sack_ok ? MIB_TCP_SACK_RECOVERY : MIB_TCP_RENO_RECOVERY);
    }
    if (res == NULL)
        return;
    if (sk->prr.active && rtx->in_recovery && !rtx->rto_recovery) {
        uint32_t pipe = tcp_sock_pipe(sk);
        uint32_t sndcnt = tcp_prr_on_ack(&sk->prr, res->delivered_bytes, pipe);
        sk->cc.st.cwnd = pipe + sndcnt > sk->mss ? pipe + sndcnt : sk->mss;
        return;
    }
    if (res->delivered_bytes > 0) {
        struct cc_ack_event ev = {
            .now = now,
            .acked_bytes = res->delivered_bytes,
            .bytes_in_flight = flight_before,
            .rtt_ns = res->has_rtt_sample ? res->rtt_sample_ns : 0,
            .min_rtt_ns = tcp_rtt_min_rtt(&sk->rtt),
            .srtt_ns = tcp_rtt_srtt(&sk->rtt),
            .app_limited = !tcp_in_cwnd_limited(sk, flight_before),
            /* After an RTO the window slow-starts again; only PRR's fast recovery owns it. */
            .in_recovery = sk->prr.active,
            /* RFC 9406: rounds end when SND.UNA passes the SND.NXT of their start. */
            .hystart = sk->env->cfg->hystart,
            .snd_una = sk->snd_una,
            .snd_nxt = sk->snd_nxt,
        };
        cc_on_ack(&sk->cc, &ev);
    }
}

/* RFC 9293 3.10.7.4 fifth check, SND.WL1/WL2 rule: take the window of newer segments only. */
static void tcp_in_window_update(struct tcp_sock *sk, const struct wire_tcp_hdr *th, uint64_t now)
{
    if (tcp_seq_lt(sk->snd_wl1, th->seq) ||
        (sk->snd_wl1 == th->seq && tcp_seq_leq(sk->snd_wl2, th->ack))) {
        uint32_t old = sk->snd_wnd;
        sk->snd_wnd = (uint32_t)th->window << sk->snd_wscale;
        sk->snd_wl1 = th->seq;
        sk->snd_wl2 = th->ack;
        if (sk->snd_wnd > sk->max_snd_wnd)
            sk->max_snd_wnd = sk->snd_wnd;
        if (old == 0 && sk->snd_wnd > 0) {
            sk->timer[TCP_TIMER_PERSIST] = 0;
            sk->persist_backoff = 0;
        }
    }
    (void)now;
}

/* Our FIN is acknowledged when the ACK covers its sequence number. */
static bool tcp_in_fin_acked(const struct tcp_sock *sk)
{
    return sk->fin_sent && tcp_seq_gt(sk->snd_una, sk->fin_seq);
}

/* RFC 9293 3.10.7.4 fifth check: the ACK field. Returns false when the segment is dropped. */
static bool tcp_in_ack(struct tcp_sock *sk, const struct wire_segment *seg, uint64_t now)
{
    const struct wire_tcp_hdr *th = &seg->tcp;
    if (sk->state == UMPTCP_STATE_SYN_RECEIVED) {
        if (!tcp_seq_lt(sk->snd_una, th->ack) || tcp_seq_gt(th->ack, sk->snd_nxt)) {
            tcp_send_control(sk, WIRE_TCP_RST, th->ack, now);
            return false;
        }
        tcp_in_established(sk, seg, now);
    }
    /* RFC 5961 5.2: acceptable ACKs lie in [SND.UNA - MAX.SND.WND, SND.NXT]. */
    if (tcp_seq_gt(th->ack, sk->snd_nxt)) {
        tcp_in_oow_ack(sk, seg, now);
        return false;
    }
    if (tcp_seq_lt(th->ack, sk->snd_una - sk->max_snd_wnd)) {
        tcp_in_challenge_ack(sk, seg, now);
        return false;
    }
    if (tcp_seq_geq(th->ack, sk->snd_una)) {
        uint32_t una_before = sk->snd_una;
        tcp_in_ack_data(sk, seg, now);
        tcp_in_window_update(sk, th, now);
        /* Only now tell the upper layer there is room: a write from its handler must be
         * sent against the window this ACK carries, not the old one. */
        if (sk->snd_una != una_before && sk->ops != NULL && sk->ops->writable != NULL &&
            tcp_sndbuf_free_space(&sk->snd) > 0)
            sk->ops->writable(sk, now);
    }
    switch (sk->state) {
    case UMPTCP_STATE_FIN_WAIT_1:
        if (tcp_in_fin_acked(sk)) {
            tcp_sock_set_state(sk, UMPTCP_STATE_FIN_WAIT_2);
            /* RFC 9293 3.6: FIN_WAIT_2 waits for the peer's FIN as long as it takes (a
             * half-closed connection keeps receiving); only an orphan is limited. */
            if (sk->orphan)
                sk->timer[TCP_TIMER_TIMEWAIT] = now + sk->env->cfg->time_wait_ns;
        }
        break;
    case UMPTCP_STATE_CLOSING:
        if (tcp_in_fin_acked(sk))
            tcp_sock_enter_time_wait(sk, now);
        break;
    case UMPTCP_STATE_LAST_ACK:
        if (tcp_in_fin_acked(sk)) {
            tcp_sock_set_closed(sk, TCP_CLOSE_NORMAL, now);
            return false;
        }
        break;
    default:
        break;
    }
    return true;
}

/* RFC 9293 3.10.7.4 seventh check: segment text. */
static void tcp_in_data(struct tcp_sock *sk, const struct wire_segment *seg, uint64_t now)
{
    const struct wire_tcp_hdr *th = &seg->tcp;
    if (th->payload_len == 0)
        return;
    if (sk->state != UMPTCP_STATE_ESTABLISHED && sk->state != UMPTCP_STATE_FIN_WAIT_1 &&
        sk->state != UMPTCP_STATE_FIN_WAIT_2)
        return; /* the peer already sent its FIN: ignore */
    struct tcp_rcvbuf_insert_result r;
    if (tcp_rcvbuf_insert(&sk->rcv, th->seq, th->payload, th->payload_len, &r) != UMPTCP_OK)
        return;
    sk->bytes_received += r.in_order;
    if (r.dropped > 0)
        mib_inc(sk->env->mib, MIB_TCP_OFO_DROP);
    if (r.out_of_order)
        mib_inc(sk->env->mib, MIB_TCP_OFO_QUEUE);
    if (r.has_dsack && sk->sack_ok) {
        sk->has_dsack = true;
        sk->dsack = r.dsack;
        mib_inc(sk->env->mib, MIB_TCP_DSACK_SENT);
    }
    /* RFC 5681 4.2 / RFC 9293 3.8.6.3: ACK out-of-order data, gap fills and duplicates at
     * once; otherwise at least every second full-sized segment, else after the delay. */
    sk->unacked_segs++;
    if (r.out_of_order || r.filled_gap || r.duplicate > 0 || r.dropped > 0 ||
        sk->unacked_segs >= 2 || tcp_rcvbuf_ooo_count(&sk->rcv) > 0)
        sk->ack_now = true;
    else if (sk->timer[TCP_TIMER_DELACK] == 0)
        sk->timer[TCP_TIMER_DELACK] = now + sk->env->cfg->delack_ns;
    if (r.in_order > 0) {
        tcp_sock_autotune_rcvbuf(sk, r.in_order, now);
        if (sk->ops != NULL && sk->ops->readable != NULL)
            sk->ops->readable(sk, now);
    }
}

/* RFC 9293 3.10.7.4 eighth check: FIN. Only once every byte before it has arrived. */
static void tcp_in_fin(struct tcp_sock *sk, const struct wire_segment *seg, uint64_t now)
{
    const struct wire_tcp_hdr *th = &seg->tcp;
    if (!(th->flags & WIRE_TCP_FIN) || sk->fin_rcvd)
        return;
    if (th->seq + (uint32_t)th->payload_len != tcp_rcvbuf_rcv_nxt(&sk->rcv))
        return; /* data before the FIN is missing: the peer will retransmit the FIN */
    sk->fin_rcvd = true;
    sk->ack_now = true;
    switch (sk->state) {
    case UMPTCP_STATE_SYN_RECEIVED:
    case UMPTCP_STATE_ESTABLISHED:
        tcp_sock_set_state(sk, UMPTCP_STATE_CLOSE_WAIT);
        break;
    case UMPTCP_STATE_FIN_WAIT_1:
        if (tcp_in_fin_acked(sk))
            tcp_sock_enter_time_wait(sk, now);
        else
            tcp_sock_set_state(sk, UMPTCP_STATE_CLOSING);
        break;
    case UMPTCP_STATE_FIN_WAIT_2:
        tcp_sock_enter_time_wait(sk, now);
        break;
    default:
        break;
    }
    if (sk->ops != NULL && sk->ops->peer_fin != NULL)
        sk->ops->peer_fin(sk, now);
}

/* RFC 7323 4.3: remember the timestamp to echo. */
static void tcp_in_update_ts_recent(struct tcp_sock *sk, const struct wire_segment *seg)
{
    if (sk->ts_ok && (seg->opt.present & WIRE_OPT_TIMESTAMP) &&
        tcp_seq_geq(seg->opt.ts_val, sk->ts_recent) && tcp_seq_leq(seg->tcp.seq, sk->last_ack_sent))
        sk->ts_recent = seg->opt.ts_val;
}

void tcp_input(struct tcp_sock *sk, const struct wire_segment *seg, uint64_t now)
{
    const struct wire_tcp_hdr *th = &seg->tcp;
    sk->segs_in++;
    if (sk->state == UMPTCP_STATE_CLOSED)
        return;
    if (sk->ops != NULL && sk->ops->opt_input != NULL && !sk->ops->opt_input(sk, seg, now))
        return;
    if (sk->state == UMPTCP_STATE_CLOSED)
        return; /* the upper layer closed it on these options (e.g. an MPTCP reset) */
    if (sk->state == UMPTCP_STATE_SYN_SENT) {
        tcp_in_syn_sent(sk, seg, now);
        return;
    }
    if (sk->state == UMPTCP_STATE_SYN_RECEIVED && (th->flags & WIRE_TCP_SYN) &&
        !(th->flags & WIRE_TCP_ACK) && th->seq == sk->irs) {
        tcp_send_syn(sk, now); /* the peer did not get our SYN/ACK */
        return;
    }
    if (tcp_in_paws_reject(sk, seg, now)) {
        mib_inc(sk->env->mib, MIB_TCP_PAWS_ESTAB);
        tcp_in_oow_ack(sk, seg, now);
        return;
    }
    if (!tcp_in_acceptable(sk, seg)) {
        mib_inc(sk->env->mib, MIB_TCP_OUT_OF_WINDOW);
        tcp_in_note_old_duplicate(sk, seg);
        if (!(th->flags & WIRE_TCP_RST)) {
            if (sk->state == UMPTCP_STATE_TIME_WAIT && (th->flags & WIRE_TCP_FIN))
                sk->timer[TCP_TIMER_TIMEWAIT] = now + sk->env->cfg->time_wait_ns;
            tcp_in_oow_ack(sk, seg, now);
        }
        return;
    }
    if (th->flags & WIRE_TCP_RST) {
        tcp_in_rst(sk, seg, now);
        return;
    }
    if (th->flags & WIRE_TCP_SYN) { /* RFC 5961 4.2: any SYN here gets a challenge ACK */
        tcp_in_challenge_ack(sk, seg, now);
        return;
    }
    if (!(th->flags & WIRE_TCP_ACK))
        return;
    tcp_in_update_ts_recent(sk, seg);
    if (!tcp_in_ack(sk, seg, now))
        return;
    tcp_in_data(sk, seg, now);
    tcp_in_fin(sk, seg, now);
    if (sk->state != UMPTCP_STATE_CLOSED)
        tcp_output(sk, now);
}
