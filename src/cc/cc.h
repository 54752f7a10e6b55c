/* Congestion control framework: a named ops table per algorithm, a per-stack registry,
 * and the event wrappers the TCP subflow engine calls. Pure and sans-IO: time arrives as
 * `now` (nanoseconds) inside every event, windows are in bytes, nothing here allocates.
 *
 * Ownership and call protocol (the engine's side):
 *  - Each subflow embeds a `struct cc_sock` and calls cc_sock_init() once the MSS is known.
 *    The engine reads sock->st.cwnd / st.ssthresh to decide what may be sent.
 *  - cc_on_ack() for every ACK that delivers data (cumulatively or by SACK). Outside
 *    recovery this grows cwnd (slow start or congestion avoidance).
 *  - cc_on_loss() once when a loss episode starts: CC_LOSS_FAST when fast retransmit /
 *    RFC 6675 loss recovery begins, CC_LOSS_ECN on an ECN-Echo that starts a window reduction
 *    (RFC 3168 6.1.2), CC_LOSS_RTO on every retransmission timeout. It sets ssthresh; for
 *    FAST/ECN cwnd is left alone (the engine drives it with PRR, src/tcp/tcp_prr.h, setting
 *    st.cwnd = pipe + sndcnt on each ACK; RFC 6937), for RTO cwnd becomes the loss window.
 *  - cc_on_recovery_exit() when a FAST/ECN episode ends (RFC 6582: an ACK covers `recover`).
 *    Default: cwnd = ssthresh (RFC 6937 3, RFC 6582 3.2 step 6). Not called after an RTO.
 *  - cc_on_idle_restart() when the sender starts transmitting again after a period with
 *    nothing in flight, whatever its length; the algorithm decides what to do (RFC 5681 4.1
 *    restart window when idle > RTO; CUBIC also shifts its epoch, RFC 9438 5.8).
 *  - cc_undo() when a reduction is found spurious (RFC 5682 F-RTO, RFC 3522 Eifel, DSACK):
 *    restores the cwnd/ssthresh saved by the last cc_on_loss() (plus algorithm state). The
 *    engine then leaves recovery without calling cc_on_recovery_exit().
 *  - cc_sock_release() when the subflow goes away.
 *
 * Coupled algorithms (LIA/OLIA/BALIA, RFC 6356) set ops->coupled and read the whole MPTCP
 * connection through sock->group: every member's st.cwnd, st.mss and srtt_ns. The MPTCP
 * layer maintains the group (members array and count). With group == NULL a coupled
 * algorithm must behave as if the subflow were alone in its connection.
 */
#ifndef UMPTCP_CC_H
#define UMPTCP_CC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "umptcp/error.h"
#include "util/ops_registry.h"

/* Per-algorithm private state, in 64-bit words, inside every cc_sock. */
#define CC_PRIV_WORDS 32
#define CC_PRIV_MAX (CC_PRIV_WORDS * sizeof(uint64_t))
/* Entries of a cc_registry (built-ins included). */
#define CC_REGISTRY_MAX OPS_REGISTRY_MAX
/* Longest algorithm name, without the terminating NUL; names are [a-z0-9_-]+. */
#define CC_NAME_MAX 15
/* "Arbitrarily high" initial ssthresh (RFC 5681 3.1). */
#define CC_SSTHRESH_INFINITE UINT32_MAX
/* Upper bound on cwnd so that byte arithmetic never wraps a uint32_t. */
#define CC_CWND_MAX (UINT32_C(1) << 30)
/* RFC 3465 2.2: Appropriate Byte Counting limit L, in MSS, during slow start. */
#define CC_ABC_L 2

struct cc_sock;

/* Window state the engine reads. Bytes throughout. */
struct cc_state {
    uint32_t cwnd;     /* congestion window */
    uint32_t ssthresh; /* slow start threshold; CC_SSTHRESH_INFINITE until the first loss */
    uint32_t mss;      /* sender MSS (SMSS) used for window arithmetic */
    /* Saved by cc_on_loss() before the algorithm reduces, for cc_undo(). */
    uint32_t prior_cwnd;
    uint32_t prior_ssthresh;
    /* Count of loss events (any kind) since init; lets observers see reductions. */
    uint32_t loss_events;
};

/* The connection-level set of subflows a coupled algorithm sees (maintained by MPTCP). */
struct cc_group {
    struct cc_sock **members;
    size_t count;
};

/* One subflow's congestion controller. Embedded in the subflow; no allocation. */
struct cc_sock {
    struct cc_state st;
    const struct cc_ops *ops;
    struct cc_group *group;       /* NULL when uncoupled or when the subflow is alone */
    uint64_t srtt_ns;             /* smoothed RTT (RFC 6298), kept current by cc_on_ack() */
    uint64_t min_rtt_ns;          /* minimum RTT seen, kept current by cc_on_ack() */
    uint64_t priv[CC_PRIV_WORDS]; /* the algorithm's state; reach it through cc_priv() */
};

/* The algorithm's private area (ops->priv_size bytes, zeroed by cc_sock_init()). An
 * algorithm only ever accesses it through its own struct type. */
static inline void *cc_priv(struct cc_sock *sk)
{
    return sk->priv;
}

/* An ACK that delivered data. */
struct cc_ack_event {
    uint64_t now;
    uint32_t acked_bytes;     /* newly delivered: cumulative advance + newly SACKed bytes */
    uint32_t bytes_in_flight; /* FlightSize before this ACK's delivered bytes were removed */
    uint64_t rtt_ns;          /* RTT sample from this ACK, 0 when none */
    uint64_t min_rtt_ns;      /* the engine's min RTT, 0 when unknown */
    uint64_t srtt_ns;         /* the engine's smoothed RTT after this sample, 0 when unknown */
    bool app_limited;         /* the sender did not fill cwnd: do not grow (RFC 7661, 9438 5.8) */
    bool in_recovery;         /* inside a FAST/ECN episode: cwnd is PRR's, do not grow */
    /* HyStart++ (RFC 9406, src/cc/cc_hystart.h) in the initial slow start: the engine sets
     * it from umptcp_config.hystart. It needs snd_una/snd_nxt to tell the rounds apart; with
     * hystart false those two are ignored and slow start is plain RFC 5681. */
    bool hystart;
    uint32_t snd_una; /* SND.UNA after this ACK */
    uint32_t snd_nxt; /* SND.NXT when the ACK arrived (before what it lets out) */
};

enum cc_loss_kind {
    CC_LOSS_FAST, /* fast retransmit / SACK loss recovery (RFC 5681 3.2, RFC 6675) */
    CC_LOSS_RTO,  /* retransmission timeout (RFC 5681 3.1, RFC 6298 5) */
    CC_LOSS_ECN,  /* ECN-Echo congestion signal, no loss (RFC 3168 6.1.2) */
};

struct cc_loss_event {
    uint64_t now;
    enum cc_loss_kind kind;
    uint32_t bytes_in_flight; /* FlightSize when the loss was detected (RFC 5681 eq. 4) */
    /* CC_LOSS_RTO only: the timed-out segment had already been retransmitted by the timer;
     * RFC 5681 3.1 then holds ssthresh constant. */
    bool rto_repeat;
};

struct cc_exit_event {
    uint64_t now;
    uint32_t bytes_in_flight; /* FlightSize after the ACK that ended recovery */
};

struct cc_idle_event {
    uint64_t now;
    uint64_t idle_ns; /* time since the last transmission with nothing in flight */
    uint64_t rto_ns;  /* the current RTO (RFC 5681 4.1 compares idle time against it) */
};

struct cc_undo_event {
    uint64_t now;
};

/* An algorithm. Mandatory: name, on_ack, on_loss. Optional hooks may be NULL; cc.c then
 * applies the default described beside each one. */
struct cc_ops {
    const char *name; /* [a-z0-9_-]{1,CC_NAME_MAX}, unique in a registry */
    size_t priv_size; /* bytes of sock->priv used, <= CC_PRIV_MAX */
    bool coupled;     /* reads sock->group (RFC 6356 style) */
    /* After cc_sock_init() has set cwnd = IW, ssthresh = infinite. Default: nothing. */
    void (*init)(struct cc_sock *sk, uint64_t now);
    /* Before the subflow goes away. Default: nothing. */
    void (*release)(struct cc_sock *sk);
    void (*on_ack)(struct cc_sock *sk, const struct cc_ack_event *ev);
    void (*on_loss)(struct cc_sock *sk, const struct cc_loss_event *ev);
    /* Default: cwnd = ssthresh. */
    void (*on_recovery_exit)(struct cc_sock *sk, const struct cc_exit_event *ev);
    /* Default: cc_restart_window() when idle_ns > rto_ns (RFC 5681 4.1). */
    void (*on_idle_restart)(struct cc_sock *sk, const struct cc_idle_event *ev);
    /* The last reduction was spurious. Default: cc_undo_default(). */
    void (*undo)(struct cc_sock *sk, const struct cc_undo_event *ev);
};

/* ---- the engine's entry points ------------------------------------------------------- */

/* Zeroes sk, sets ops/group/mss, cwnd = cc_initial_window(mss), ssthresh = infinite, then
 * calls ops->init. UMPTCP_ERR_INVAL for NULL sk/ops, mss == 0 or mss > CC_CWND_MAX / 16. */
int cc_sock_init(struct cc_sock *sk, const struct cc_ops *ops, struct cc_group *group, uint32_t mss,
                 uint64_t now);
void cc_sock_release(struct cc_sock *sk);
void cc_on_ack(struct cc_sock *sk, const struct cc_ack_event *ev);
void cc_on_loss(struct cc_sock *sk, const struct cc_loss_event *ev);
void cc_on_recovery_exit(struct cc_sock *sk, const struct cc_exit_event *ev);
void cc_on_idle_restart(struct cc_sock *sk, const struct cc_idle_event *ev);
void cc_undo(struct cc_sock *sk, const struct cc_undo_event *ev);
/* New sender MSS (PMTU change). Windows stay in bytes; cwnd is kept >= 1 MSS. */
void cc_set_mss(struct cc_sock *sk, uint32_t mss);

static inline bool cc_in_slow_start(const struct cc_state *st)
{
    /* RFC 5681 3.1: slow start while cwnd < ssthresh (at equality we use CA). */
    return st->cwnd < st->ssthresh;
}

/* ---- helpers shared by algorithms ---------------------------------------------------- */

/* Undo without algorithm state: cwnd = max(cwnd, prior_cwnd),
 * ssthresh = max(ssthresh, prior_ssthresh) (RFC 4015 2.2 style restore). */
void cc_undo_default(struct cc_state *st);
/* RFC 6928 2: IW = min(10*MSS, max(2*MSS, 14600)), as Linux uses. */
uint32_t cc_initial_window(uint32_t mss);
/* RFC 5681 4.1: restart window RW = min(IW, cwnd). */
uint32_t cc_restart_window(const struct cc_state *st);
/* RFC 5681 eq. 4: max(FlightSize / 2, 2*SMSS). */
uint32_t cc_reno_ssthresh(uint32_t flight_size, uint32_t mss);
/* RFC 5681 3.1 + RFC 3465 2.2 (ABC, L = 2): grows cwnd by min(acked, L*MSS), not beyond
 * ssthresh. Returns the acked bytes left over once cwnd reached ssthresh (to be counted in
 * congestion avoidance), 0 otherwise. */
uint32_t cc_slow_start(struct cc_state *st, uint32_t acked);
/* RFC 3465 2.1 / RFC 5681 3.1 byte counting: *accum += acked; each time *accum >= cwnd,
 * subtract cwnd and add one MSS. Exactly +1 MSS per cwnd of acked bytes, integer only. */
void cc_cong_avoid(struct cc_state *st, uint32_t *accum, uint32_t acked);
/* cwnd clamped to [mss, CC_CWND_MAX]. */
uint32_t cc_clamp_cwnd(const struct cc_state *st, uint64_t cwnd);

/* ---- CUBIC introspection and math (RFC 9438), for tests, tools and statistics ------- */

struct cc_cubic_info {
    uint32_t w_max;       /* W_max, bytes */
    uint32_t cwnd_prior;  /* cwnd_prior, bytes */
    uint32_t cwnd_epoch;  /* cwnd at the start of the current CA stage, bytes */
    uint32_t w_est;       /* Reno-friendly estimate W_est, bytes (rounded down) */
    uint64_t k_us;        /* K, microseconds */
    uint64_t epoch_start; /* t_epoch, ns; meaningful when in_epoch */
    bool in_epoch;        /* a congestion avoidance stage is running */
};
/* UMPTCP_ERR_INVAL unless sk runs cc_cubic_ops. */
int cc_cubic_get_info(const struct cc_sock *sk, struct cc_cubic_info *out);
/* RFC 9438 eq. 2: K = cbrt((W_max - cwnd_epoch) / C), C = 0.4 segments/s^3, windows in
 * bytes of mss; microseconds, rounded down; 0 when cwnd_epoch >= w_max. */
uint64_t cc_cubic_k_us(uint32_t w_max, uint32_t cwnd_epoch, uint32_t mss);
/* RFC 9438 eq. 1: W_cubic(t) = C*(t-K)^3 + W_max in bytes (C scaled by mss), t and K in
 * microseconds; rounded toward W_max, clamped to [0, CC_CWND_MAX]. */
uint32_t cc_cubic_window(uint32_t w_max, uint64_t k_us, uint64_t t_us, uint32_t mss);

/* ---- registry ------------------------------------------------------------------------- */

/* Built-in algorithms (immutable). */
extern const struct cc_ops cc_reno_ops;  /* "reno": NewReno, RFC 5681 + RFC 6582 */
extern const struct cc_ops cc_cubic_ops; /* "cubic": RFC 9438 */
#define CC_DEFAULT_NAME "cubic"

/* One per stack; no global mutable state. */
struct cc_registry {
    struct ops_registry r; /* the shared registry (src/util/ops_registry.h) */
};

/* Empties reg and adds the built-ins ("reno", "cubic"). UMPTCP_ERR_INVAL for NULL. */
int cc_registry_init(struct cc_registry *reg);
/* Registers ops (the table must outlive reg). UMPTCP_ERR_INVAL: NULL, bad name, NULL
 * on_ack/on_loss, priv_size > CC_PRIV_MAX. UMPTCP_ERR_EXISTS: the name is taken.
 * UMPTCP_ERR_NOMEM: CC_REGISTRY_MAX entries already. */
int cc_registry_add(struct cc_registry *reg, const struct cc_ops *ops);
/* NULL when no algorithm has that name (or name/reg is NULL). */
const struct cc_ops *cc_registry_find(const struct cc_registry *reg, const char *name);
size_t cc_registry_count(const struct cc_registry *reg);
/* The i-th registered name in registration order, NULL past the end. */
const char *cc_registry_name_at(const struct cc_registry *reg, size_t i);
/* Writes the names separated by ", " into buf (always NUL-terminated when len > 0). Returns
 * the length the full list needs (without NUL), like snprintf, or UMPTCP_ERR_INVAL. */
int cc_registry_list(const struct cc_registry *reg, char *buf, size_t len);
/* Checks a table as cc_registry_add() would, without a registry. */
int cc_ops_validate(const struct cc_ops *ops);

#endif
