/* NewReno window arithmetic: RFC 5681 slow start and congestion avoidance with Appropriate
 * Byte Counting (RFC 3465), RFC 5681 eq. 4 on loss. The fast recovery window itself
 * (RFC 6582's inflate/deflate) is replaced by PRR in the engine (src/tcp/tcp_prr.h);
 * recovery exit uses the framework default, cwnd = ssthresh (RFC 6582 3.2 step 6). The
 * initial slow start runs HyStart++ (RFC 9406) when the engine asks for it. */
#include "cc/cc.h"
#include "cc/cc_hystart.h"

#include <stddef.h>

struct cc_reno {
    struct cc_hystart hystart; /* RFC 9406 initial slow start; first: cc_hystart_of() */
    uint32_t bytes_acked;      /* RFC 3465 2.1 congestion avoidance byte counter */
};
_Static_assert(sizeof(struct cc_reno) <= CC_PRIV_MAX, "reno state fits in cc_sock");
_Static_assert(offsetof(struct cc_reno, hystart) == 0, "HyStart++ state comes first");

static struct cc_reno *cc_reno_of(struct cc_sock *sk)
{
    return cc_priv(sk);
}

static void cc_reno_on_ack(struct cc_sock *sk, const struct cc_ack_event *ev)
{
    /* No growth while PRR owns cwnd, nor when the sender did not use the window. */
    if (ev->in_recovery || ev->app_limited || ev->acked_bytes == 0)
        return;
    uint32_t acked = cc_hystart_slow_start(&cc_reno_of(sk)->hystart, &sk->st, ev);
    if (acked == 0)
        return;
    cc_cong_avoid(&sk->st, &cc_reno_of(sk)->bytes_acked, acked);
}

static void cc_reno_on_loss(struct cc_sock *sk, const struct cc_loss_event *ev)
{
    struct cc_reno *r = cc_reno_of(sk);
    r->bytes_acked = 0; /* RFC 3465 2.1: the count restarts after a reduction */
    cc_hystart_on_loss(&r->hystart);
    if (ev->kind == CC_LOSS_RTO) {
        /* RFC 5681 3.1: ssthresh from eq. 4 unless the segment was already retransmitted
         * by the timer; cwnd = loss window = 1 SMSS. */
        if (!ev->rto_repeat)
            sk->st.ssthresh = cc_reno_ssthresh(ev->bytes_in_flight, sk->st.mss);
        sk->st.cwnd = cc_clamp_cwnd(&sk->st, sk->st.mss);
        return;
    }
    /* RFC 5681 3.2 step 2 (RFC 3168 6.1.2 for ECN): ssthresh = max(FlightSize/2, 2*SMSS).
     * cwnd is then walked down to ssthresh by PRR. */
    sk->st.ssthresh = cc_reno_ssthresh(ev->bytes_in_flight, sk->st.mss);
}

static void cc_reno_init(struct cc_sock *sk, uint64_t now)
{
    (void)now;
    cc_hystart_init(&cc_reno_of(sk)->hystart);
}

static void cc_reno_on_idle_restart(struct cc_sock *sk, const struct cc_idle_event *ev)
{
    /* RFC 5681 4.1: after idle longer than the RTO, cwnd = RW = min(IW, cwnd). */
    if (ev->idle_ns > ev->rto_ns) {
        sk->st.cwnd = cc_restart_window(&sk->st);
        cc_reno_of(sk)->bytes_acked = 0;
    }
}

const struct cc_ops cc_reno_ops = {
    .name = "reno",
    .priv_size = sizeof(struct cc_reno),
    .coupled = false,
    .init = cc_reno_init,
    .on_ack = cc_reno_on_ack,
    .on_loss = cc_reno_on_loss,
    .on_idle_restart = cc_reno_on_idle_restart,
};
