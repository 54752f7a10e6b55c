/* The timers of a socket: retransmission (RFC 6298, also for SYN, SYN/ACK and FIN), delayed
 * ACK, zero-window probe, tail loss probe and RACK reordering (RFC 8985), TIME_WAIT. Each is
 * an absolute deadline in the socket; the stack asks for the earliest. */
#include "tcp/tcp_sock.h"

#include "tcp/tcp_seq.h"
#include "umptcp/error.h"
#include "wire/tcp.h"

uint64_t tcp_sock_next_timeout(const struct tcp_sock *sk)
{
    /* A closed socket has nothing left to time, even if an upper layer closed it from inside
     * the processing of one of its own segments and a timer was armed after that. */
    if (sk->state == UMPTCP_STATE_CLOSED)
        return UMPTCP_TIME_NEVER;
    uint64_t next = UMPTCP_TIME_NEVER;
    for (int i = 0; i < TCP_TIMER_COUNT; i++)
        if (sk->timer[i] != 0 && sk->timer[i] < next)
            next = sk->timer[i];
    return next;
}

void tcp_timer_rearm_rto(struct tcp_sock *sk, uint64_t now)
{
    bool outstanding = sk->snd_nxt != sk->snd_una;
    sk->timer[TCP_TIMER_RTO] = outstanding ? now + tcp_rtt_rto(&sk->rtt) : 0;
    if (!outstanding)
        sk->timer[TCP_TIMER_TLP] = 0;
}

void tcp_timer_update_loss_timers(struct tcp_sock *sk, uint64_t now, uint64_t reo_timeout)
{
    if (sk->snd_nxt == sk->snd_una) {
        sk->timer[TCP_TIMER_RTO] = 0;
        sk->timer[TCP_TIMER_TLP] = 0;
        sk->timer[TCP_TIMER_REO] = 0;
        return;
    }
    /* RFC 6298 5.1: the RTO runs whenever data is outstanding. */
    if (sk->timer[TCP_TIMER_RTO] == 0)
        sk->timer[TCP_TIMER_RTO] = now + tcp_rtt_rto(&sk->rtt);
    sk->timer[TCP_TIMER_REO] = reo_timeout;
    if (!sk->sack_ok) {
        sk->timer[TCP_TIMER_TLP] = 0;
        return;
    }
    /* RFC 8985 7.2: a probe timeout earlier than the RTO when the tail may be lost. */
    sk->timer[TCP_TIMER_TLP] = tcp_rtx_tlp_pto(&sk->rtx, now, tcp_rtt_has_sample(&sk->rtt),
                                               tcp_rtt_srtt(&sk->rtt), sk->timer[TCP_TIMER_RTO]);
}

void tcp_timer_arm_persist(struct tcp_sock *sk, uint64_t now)
{
    uint64_t t = tcp_rtt_rto(&sk->rtt);
    for (unsigned i = 0; i < sk->persist_backoff && t < sk->env->cfg->rto_max_ns; i++)
        t *= 2;
    if (t > sk->env->cfg->rto_max_ns)
        t = sk->env->cfg->rto_max_ns;
    sk->timer[TCP_TIMER_PERSIST] = now + t;
}

/* The SYN or SYN/ACK was not answered: resend with backoff, or give up. */
static void tcp_timer_syn_rto(struct tcp_sock *sk, uint64_t now)
{
    if (++sk->retries > sk->env->cfg->syn_retries) {
        mib_inc(sk->env->mib, MIB_TCP_ATTEMPT_FAILS);
        tcp_sock_set_closed(sk, TCP_CLOSE_TIMEOUT, now);
        return;
    }
    sk->syn_retransmitted = true;
    tcp_rtt_backoff(&sk->rtt);
    sk->retrans_segs++;
    mib_inc(sk->env->mib, MIB_TCP_RETRANS_SEGS);
    tcp_send_syn(sk, now);
    sk->timer[TCP_TIMER_RTO] = now + tcp_rtt_rto(&sk->rtt);
}

/* RFC 6298 5.4-5.7 with RFC 5681 3.1 and RFC 8985 6.3: retransmit the earliest lost data. */
static void tcp_timer_data_rto(struct tcp_sock *sk, uint64_t now)
{
    if (sk->snd_nxt == sk->snd_una)
        return;
    if (++sk->retries > sk->env->cfg->data_retries) {
        tcp_sock_set_closed(sk, TCP_CLOSE_TIMEOUT, now);
        return;
    }
    mib_inc(sk->env->mib, MIB_TCP_TIMEOUTS);
    struct cc_loss_event ev = {.now = now,
                               .kind = CC_LOSS_RTO,
                               .bytes_in_flight = tcp_rtx_flight(&sk->rtx) < sk->cc.st.cwnd
                                                      ? tcp_rtx_flight(&sk->rtx)
                                                      : sk->cc.st.cwnd,
                               .rto_repeat = sk->retries > 1};
    cc_on_loss(&sk->cc, &ev);
    sk->prr.active = false;
    tcp_rtx_on_rto(&sk->rtx, now);
    tcp_newreno_on_rto(sk);
    tcp_rtt_backoff(&sk->rtt);
    sk->timer[TCP_TIMER_TLP] = 0;
    sk->timer[TCP_TIMER_RTO] = now + tcp_rtt_rto(&sk->rtt);
    tcp_output(sk, now);
    if (sk->ops != NULL && sk->ops->rto != NULL)
        sk->ops->rto(sk, now);
}

/* RFC 8985 7.3: send one probe segment, new data if possible, else the last segment. */
static void tcp_timer_tlp(struct tcp_sock *sk, uint64_t now)
{
    struct tcp_rtx_next next;
    uint32_t wnd_end = sk->snd_una + sk->snd_wnd;
    bool can_new =
        tcp_seq_lt(sk->snd_nxt, tcp_sock_data_end(sk)) && tcp_seq_lt(sk->snd_nxt, wnd_end);
    tcp_rtx_tlp_probe(&sk->rtx, can_new, &next);
    if (next.kind == TCP_RTX_NEXT_NONE)
        return;
    mib_inc(sk->env->mib, MIB_TCP_LOSS_PROBES);
    tcp_out_probe(sk, &next, now);
    sk->timer[TCP_TIMER_RTO] = now + tcp_rtt_rto(&sk->rtt);
}

/* RFC 9293 3.8.6.1: probe a zero window with a segment the peer must acknowledge. We send an
 * ACK below SND.UNA (as Linux does), which the peer answers with its current window. A
 * window below one segment gets what it takes instead (3.8.6.2.1: else it never closes, and
 * the data waits for a window update that may never come). */
static void tcp_timer_persist(struct tcp_sock *sk, uint64_t now)
{
    if (sk->snd_nxt != sk->snd_una)
        return;
    if (sk->snd_wnd != 0) {
        tcp_out_persist_send(sk, now);
        return;
    }
    mib_inc(sk->env->mib, MIB_TCP_WINDOW_PROBES);
    tcp_send_control(sk, WIRE_TCP_ACK, sk->snd_una - 1, now);
    sk->persist_backoff++;
    tcp_timer_arm_persist(sk, now);
}

static void tcp_timer_reo(struct tcp_sock *sk, uint64_t now)
{
    struct tcp_rtx_loss_result loss;
    tcp_rtx_detect_loss(&sk->rtx, now, tcp_rtt_srtt(&sk->rtt), &loss);
    tcp_in_congestion(sk, NULL, tcp_rtx_flight(&sk->rtx), now);
    sk->timer[TCP_TIMER_REO] = loss.reo_timeout;
    tcp_output(sk, now);
}

static void tcp_timer_fire(struct tcp_sock *sk, enum tcp_timer_id id, uint64_t now)
{
    switch (id) {
    case TCP_TIMER_RTO:
        if (sk->state == UMPTCP_STATE_SYN_SENT || sk->state == UMPTCP_STATE_SYN_RECEIVED)
            tcp_timer_syn_rto(sk, now);
        else
            tcp_timer_data_rto(sk, now);
        break;
    case TCP_TIMER_DELACK:
        sk->ack_now = true;
        tcp_output(sk, now);
        break;
    case TCP_TIMER_PERSIST:
        tcp_timer_persist(sk, now);
        break;
    case TCP_TIMER_TLP:
        tcp_timer_tlp(sk, now);
        break;
    case TCP_TIMER_REO:
        tcp_timer_reo(sk, now);
        break;
    case TCP_TIMER_TIMEWAIT:
        tcp_sock_set_closed(sk, TCP_CLOSE_NORMAL, now);
        break;
    case TCP_TIMER_COUNT:
        break;
    }
}

void tcp_sock_on_timeout(struct tcp_sock *sk, uint64_t now)
{
    for (int i = 0; i < TCP_TIMER_COUNT && sk->state != UMPTCP_STATE_CLOSED; i++) {
        if (sk->timer[i] != 0 && sk->timer[i] <= now) {
            sk->timer[i] = 0;
            tcp_timer_fire(sk, (enum tcp_timer_id)i, now);
        }
    }
}
