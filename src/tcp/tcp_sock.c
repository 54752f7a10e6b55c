/* Life cycle of a TCP socket and the calls the connection layer makes on it. */
#include "tcp/tcp_sock.h"

#include "tcp/tcp_isn.h"
#include "tcp/tcp_seq.h"
#include "umptcp/error.h"
#include "wire/ip.h"
#include "wire/tcp.h"

#include <stdlib.h>
#include <string.h>

#define TCP_NS_PER_MS 1000000ull
#define TCP_MIN_MSS 88 /* RFC 9293 3.7.1 smallest IPv4 MSS worth using (Linux's floor) */

static void tcp_rtt_config_from(const umptcp_config *cfg, struct tcp_rtt_config *rc)
{
    tcp_rtt_config_default(rc);
    if (cfg->rto_min_ns != 0)
        rc->min_rto_ns = cfg->rto_min_ns;
    if (cfg->rto_max_ns != 0)
        rc->max_rto_ns = cfg->rto_max_ns;
    if (cfg->rto_initial_ns != 0)
        rc->initial_rto_ns = cfg->rto_initial_ns;
}

/* RFC 7323 2.2: the smallest shift that lets the largest buffer we may grow to fit in the
 * 16-bit window field, at most 14. */
static uint8_t tcp_choose_rcv_wscale(size_t rcvbuf_max)
{
    uint8_t ws = 0;
    while (ws < 14 && (rcvbuf_max >> ws) > 65535)
        ws++;
    return ws;
}

struct tcp_sock *tcp_sock_new(const struct tcp_env *env, const struct tcp_sock_params *p,
                              const struct tcp_sock_ops *ops, void *upper, uint64_t now)
{
    struct tcp_sock *sk = calloc(1, sizeof(*sk));
    if (sk == NULL)
        return NULL;
    const umptcp_config *cfg = env->cfg;
    sk->state = UMPTCP_STATE_CLOSED;
    sk->local = p->local;
    sk->remote = p->remote;
    sk->ifindex = p->ifindex;
    sk->env = env;
    sk->ops = ops;
    sk->upper = upper;
    sk->nagle = cfg->nagle && !p->nodelay;
    if (tcp_isn_generate(p->isn_secret, p->isn_secret_len, &p->local, &p->remote, now, &sk->iss) !=
            UMPTCP_OK ||
        tcp_isn_ts_offset(p->isn_secret, p->isn_secret_len, &p->local, &p->remote,
                          &sk->ts_offset) != UMPTCP_OK)
        goto fail;
    sk->snd_una = sk->iss;
    sk->snd_nxt = sk->iss;
    sk->mss = p->local.addr.family == UMPTCP_AF_INET6 ? 1220 : 536; /* RFC 9293 3.7.1 */
    if (tcp_sndbuf_init(&sk->snd, sk->iss + 1, p->sndbuf ? p->sndbuf : cfg->sndbuf) != 0)
        goto fail;
    /* RACK-TLP alone detects loss (RFC 8985 replaces DupThresh; Linux does the same): a
     * 3-segment DupThresh mistakes reordering beyond 3 packets for loss. */
    struct tcp_rtx_config rc = {.smss = sk->mss, .rfc6675_islost = false};
    if (tcp_rtx_init(&sk->rtx, sk->iss + 1, &rc) != 0)
        goto fail_snd;
    struct tcp_rtt_config rttc;
    tcp_rtt_config_from(cfg, &rttc);
    if (tcp_rtt_init(&sk->rtt, &rttc) != 0)
        goto fail_rtx;
    uint32_t rcvbuf = p->rcvbuf ? p->rcvbuf : cfg->rcvbuf;
    uint32_t rcvmax = cfg->rcvbuf_max > rcvbuf ? cfg->rcvbuf_max : rcvbuf;
    struct tcp_rcvbuf_config rbc = {
        .capacity = rcvbuf, .max_capacity = rcvmax, .max_intervals = cfg->max_ooo_ranges};
    sk->rcv_cfg = rbc;
    if (tcp_rcvbuf_init(&sk->rcv, 0, &rbc) != 0) /* restarted when the SYN arrives */
        goto fail_rtx;
    sk->rcv_wscale = cfg->window_scaling ? tcp_choose_rcv_wscale(rcvmax) : 0;
    if (cc_sock_init(&sk->cc, p->cc, NULL, sk->mss, now) != 0)
        goto fail_rcv;
    return sk;
fail_rcv:
    tcp_rcvbuf_destroy(&sk->rcv);
fail_rtx:
    tcp_rtx_destroy(&sk->rtx);
fail_snd:
    tcp_sndbuf_destroy(&sk->snd);
fail:
    free(sk);
    return NULL;
}

void tcp_sock_free(struct tcp_sock *sk)
{
    if (sk == NULL)
        return;
    cc_sock_release(&sk->cc);
    tcp_rcvbuf_destroy(&sk->rcv);
    tcp_rtx_destroy(&sk->rtx);
    tcp_sndbuf_destroy(&sk->snd);
    free(sk);
}

void tcp_sock_set_state(struct tcp_sock *sk, umptcp_conn_state st)
{
    sk->state = st;
}

void tcp_sock_set_closed(struct tcp_sock *sk, int reason, uint64_t now)
{
    if (sk->state == UMPTCP_STATE_CLOSED)
        return;
    sk->state = UMPTCP_STATE_CLOSED;
    memset(sk->timer, 0, sizeof(sk->timer));
    sk->error = reason;
    if (reason == TCP_CLOSE_RESET || reason == TCP_CLOSE_REFUSED)
        mib_inc(sk->env->mib, MIB_TCP_ESTAB_RESETS);
    if (sk->ops != NULL && sk->ops->closed != NULL)
        sk->ops->closed(sk, reason, now);
}

void tcp_sock_start_receiving(struct tcp_sock *sk, uint32_t rcv_nxt)
{
    /* Nothing was stored yet, so re-initialising loses nothing; init allocates nothing. */
    tcp_rcvbuf_destroy(&sk->rcv);
    tcp_rcvbuf_init(&sk->rcv, rcv_nxt, &sk->rcv_cfg);
    sk->rcv_adv = rcv_nxt;
}

void tcp_sock_enter_time_wait(struct tcp_sock *sk, uint64_t now)
{
    tcp_sock_set_state(sk, UMPTCP_STATE_TIME_WAIT);
    memset(sk->timer, 0, sizeof(sk->timer));
    sk->timer[TCP_TIMER_TIMEWAIT] = now + sk->env->cfg->time_wait_ns;
}

/* Dynamic right-sizing (as Linux's tcp_rcv_space_adjust): once per RTT, make the buffer at
 * least four times what arrived in that RTT, so the sender's window is never limited by ours
 * while it can still double (slow start). Bounded by rcvbuf_max. */
void tcp_sock_autotune_rcvbuf(struct tcp_sock *sk, size_t in_order, uint64_t now)
{
    uint64_t rtt = tcp_rtt_srtt(&sk->rtt);
    sk->drs_bytes += in_order;
    if (rtt == 0)
        rtt = 100 * TCP_NS_PER_MS;
    if (now - sk->drs_start < rtt)
        return;
    uint64_t want = 4 * sk->drs_bytes;
    size_t cap = tcp_rcvbuf_capacity(&sk->rcv);
    size_t max = sk->rcv_cfg.max_capacity;
    if (want > cap && cap < max)
        tcp_rcvbuf_set_capacity(&sk->rcv, want < max ? (size_t)want : max);
    sk->drs_start = now;
    sk->drs_bytes = 0;
}

uint32_t tcp_sock_tsval(const struct tcp_sock *sk, uint64_t now)
{
    /* RFC 7323 5.4: a clock between 1 ms and 1 s per tick; 1 ms like Linux. */
    return (uint32_t)(now / TCP_NS_PER_MS) + sk->ts_offset;
}

int tcp_sock_connect(struct tcp_sock *sk, uint64_t now)
{
    if (sk->state != UMPTCP_STATE_CLOSED)
        return UMPTCP_ERR_STATE;
    tcp_sock_set_state(sk, UMPTCP_STATE_SYN_SENT);
    sk->snd_nxt = sk->iss + 1;
    sk->syn_sent_at = now;
    mib_inc(sk->env->mib, MIB_TCP_ACTIVE_OPENS);
    tcp_send_syn(sk, now);
    tcp_timer_rearm_rto(sk, now);
    return UMPTCP_OK;
}

/* RFC 9293 3.10.7.2 (LISTEN, SYN): record the peer's sequence number and options, answer
 * with SYN/ACK and enter SYN_RECEIVED. Options were negotiated by the caller (tcp_in.c). */
int tcp_sock_accept_syn(struct tcp_sock *sk, const struct wire_segment *syn, uint64_t now)
{
    if (sk->state != UMPTCP_STATE_CLOSED)
        return UMPTCP_ERR_STATE;
    tcp_in_learn_syn_options(sk, syn);
    sk->irs = syn->tcp.seq;
    tcp_sock_start_receiving(sk, sk->irs + 1);
    sk->rcv_adv = sk->irs + 1;
    sk->snd_wnd = syn->tcp.window; /* never scaled in a SYN (RFC 7323 2.2) */
    sk->snd_wl1 = syn->tcp.seq;
    sk->snd_wl2 = sk->iss;
    tcp_sock_set_state(sk, UMPTCP_STATE_SYN_RECEIVED);
    sk->snd_nxt = sk->iss + 1;
    sk->syn_sent_at = now;
    mib_inc(sk->env->mib, MIB_TCP_PASSIVE_OPENS);
    tcp_send_syn(sk, now);
    tcp_timer_rearm_rto(sk, now);
    return UMPTCP_OK;
}

ssize_t tcp_sock_write(struct tcp_sock *sk, const void *buf, size_t n, uint64_t now)
{
    if (sk->state == UMPTCP_STATE_CLOSED)
        return sk->error != 0 ? sk->error : UMPTCP_ERR_STATE;
    if (sk->fin_queued)
        return UMPTCP_ERR_STATE;
    if (n == 0)
        return 0;
    ssize_t taken = tcp_sndbuf_write(&sk->snd, buf, n);
    if (taken == 0)
        return UMPTCP_ERR_AGAIN;
    if (taken > 0 && tcp_sock_synchronized(sk))
        tcp_output(sk, now);
    return taken;
}

ssize_t tcp_sock_read(struct tcp_sock *sk, void *buf, size_t n, uint64_t now)
{
    /* A reset or timeout discards what was not read (as Linux does): report it first. */
    if (sk->state == UMPTCP_STATE_CLOSED && sk->error != 0 && sk->error != UMPTCP_ERR_ABORTED)
        return sk->error;
    size_t got = tcp_rcvbuf_read(&sk->rcv, buf, n);
    if (got > 0) {
        /* Reading opened the window: tell the peer if it grew enough (tcp_out.c decides). */
        if (tcp_sock_synchronized(sk))
            tcp_output(sk, now);
        return (ssize_t)got;
    }
    if (n == 0 || sk->fin_rcvd || sk->state == UMPTCP_STATE_CLOSED)
        return 0;
    return UMPTCP_ERR_AGAIN;
}

int tcp_sock_shutdown(struct tcp_sock *sk, uint64_t now)
{
    if (sk->fin_queued)
        return UMPTCP_OK;
    switch (sk->state) {
    case UMPTCP_STATE_CLOSED:
        return sk->error != 0 ? sk->error : UMPTCP_ERR_STATE;
    case UMPTCP_STATE_SYN_SENT:
    case UMPTCP_STATE_SYN_RECEIVED:
    case UMPTCP_STATE_ESTABLISHED:
    case UMPTCP_STATE_CLOSE_WAIT:
        sk->fin_queued = true;
        /* RFC 9293 3.10.4: the FIN goes after the queued data; the state moves when it is
         * sent (tcp_out.c). In SYN states it waits for the handshake. */
        if (tcp_sock_synchronized(sk))
            tcp_output(sk, now);
        return UMPTCP_OK;
    default:
        return UMPTCP_OK; /* already closing */
    }
}

void tcp_sock_orphan(struct tcp_sock *sk, uint64_t now)
{
    sk->orphan = true;
    if (sk->state == UMPTCP_STATE_FIN_WAIT_2 && sk->timer[TCP_TIMER_TIMEWAIT] == 0)
        sk->timer[TCP_TIMER_TIMEWAIT] = now + sk->env->cfg->time_wait_ns;
}

void tcp_sock_abort(struct tcp_sock *sk, uint64_t now)
{
    /* RFC 9293 3.10.5: a RST in SYN_RECEIVED, ESTABLISHED, FIN_WAIT, CLOSE_WAIT. */
    if (sk->state >= UMPTCP_STATE_SYN_RECEIVED && sk->state != UMPTCP_STATE_TIME_WAIT)
        tcp_send_control(sk, WIRE_TCP_RST, sk->snd_nxt, now);
    sk->state = UMPTCP_STATE_CLOSED;
    memset(sk->timer, 0, sizeof(sk->timer));
    sk->error = UMPTCP_ERR_ABORTED;
}

void tcp_sock_get_info(const struct tcp_sock *sk, umptcp_conn_info *out)
{
    memset(out, 0, sizeof(*out));
    out->state = sk->state;
    out->local = sk->local;
    out->remote = sk->remote;
    out->bytes_sent = sk->bytes_sent;
    out->bytes_acked = sk->bytes_acked;
    out->bytes_received = sk->bytes_received;
    out->segs_out = sk->segs_out;
    out->segs_in = sk->segs_in;
    out->retrans_segs = sk->retrans_segs;
    out->srtt_us = tcp_rtt_srtt(&sk->rtt) / 1000;
    out->rttvar_us = tcp_rtt_rttvar(&sk->rtt) / 1000;
    out->rto_us = tcp_rtt_rto(&sk->rtt) / 1000;
    out->cwnd = sk->cc.st.cwnd;
    out->ssthresh = sk->cc.st.ssthresh;
    out->mss = sk->mss;
    out->snd_wnd = sk->snd_wnd;
    out->rcv_wnd = (uint32_t)tcp_rcvbuf_window(&sk->rcv);
    out->cc = sk->cc.ops != NULL ? sk->cc.ops->name : "";
    out->error = sk->error;
}
