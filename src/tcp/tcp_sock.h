/* One TCP connection (one MPTCP subflow): the RFC 9293 state machine with SACK, RACK-TLP,
 * RFC 6298 RTO, window scaling, timestamps, PRR and pluggable congestion control. Sans-IO:
 * segments leave through env->output, time arrives as `now`. See docs/TCP-ENGINE.md.
 *
 * Files: tcp_sock.c (life cycle, application calls, info), tcp_in.c (segment arrives),
 * tcp_out.c (what to send), tcp_timer.c (timers), tcp_opts.c (option planning). */
#ifndef UMPTCP_TCP_TCP_SOCK_H
#define UMPTCP_TCP_TCP_SOCK_H

#include "cc/cc.h"
#include "stack/mib.h"
#include "tcp/tcp_prr.h"
#include "tcp/tcp_rcvbuf.h"
#include "tcp/tcp_rtt.h"
#include "tcp/tcp_rtx.h"
#include "tcp/tcp_sndbuf.h"
#include "umptcp/conn.h"
#include "wire/segment.h"

#include <stdbool.h>
#include <stdint.h>

struct tcp_sock;

/* What a socket needs from its stack. */
struct tcp_env {
    /* Builds and sends one segment out of ifindex; returns 0 or an error (already counted). */
    int (*output)(void *ctx, int ifindex, const struct wire_segment_spec *spec);
    void *ctx;
    const umptcp_config *cfg;
    struct mib *mib;
    uint8_t *scratch; /* at least 65535 bytes, for payloads that wrap the send ring */
};

/* Why a socket closed, as the upper layer hears it. */
enum tcp_close_reason {
    TCP_CLOSE_NORMAL = 0,
    TCP_CLOSE_RESET = UMPTCP_ERR_RESET,
    TCP_CLOSE_TIMEOUT = UMPTCP_ERR_TIMEOUT,
    TCP_CLOSE_REFUSED = UMPTCP_ERR_REFUSED,
    TCP_CLOSE_ABORTED = UMPTCP_ERR_ABORTED,
};

/* What the upper layer learns about a segment it may add options to. */
struct tcp_seg_info {
    uint8_t flags;   /* WIRE_TCP_* of the segment */
    uint32_t seq;    /* first sequence number */
    uint32_t len;    /* payload bytes */
    bool retransmit; /* the range was sent before */
};

/* The upper layer (plain TCP connection, or an MPTCP subflow's connection). All optional. */
struct tcp_sock_ops {
    /* Writes the upper layer's options (whole TCP options, back to back) for one outgoing
     * segment into buf, at most room bytes; returns the bytes written (0: none). TCP's own
     * timestamps are already counted in room; SACK blocks get what is left afterwards. */
    size_t (*opt_write)(struct tcp_sock *sk, const struct tcp_seg_info *seg, uint8_t *buf,
                        size_t room, uint64_t now);
    /* Sees every arriving segment of the connection before TCP processes it (options are in
     * seg->opt.mptcp); returns false to drop it (the upper layer may have reset the socket). */
    bool (*opt_input)(struct tcp_sock *sk, const struct wire_segment *seg, uint64_t now);
    /* The receive window to advertise, in bytes (a shared, connection-level window); when NULL
     * the socket's own receive buffer decides. */
    size_t (*rcv_window)(struct tcp_sock *sk);
    /* Optional: a segment announces `win` bytes of window (the field times the scale) from its
     * acknowledgment; an upper layer with a shared window keeps its own advertised edge. */
    void (*window_sent)(struct tcp_sock *sk, uint32_t win);
    /* How many bytes from seq may go in one segment (one DSS mapping must cover a segment);
     * when NULL, no limit beyond the MSS. Must return at least 1 for buffered data. */
    uint32_t (*seg_limit)(struct tcp_sock *sk, uint32_t seq);
    void (*established)(struct tcp_sock *sk, uint64_t now);
    void (*readable)(struct tcp_sock *sk, uint64_t now);
    void (*writable)(struct tcp_sock *sk, uint64_t now);
    void (*peer_fin)(struct tcp_sock *sk, uint64_t now);
    /* A retransmission timeout fired on data (sk->retries counts them in a row): an MPTCP
     * connection moves the data elsewhere (RFC 8684 3.3.6). */
    void (*rto)(struct tcp_sock *sk, uint64_t now);
    /* The socket reached CLOSED (or TIME_WAIT's end); it may be freed from here. */
    void (*closed)(struct tcp_sock *sk, int reason, uint64_t now);
};

/* Timers: absolute deadlines in ns, 0 = disarmed. */
enum tcp_timer_id {
    TCP_TIMER_RTO,      /* retransmission (also SYN, SYN/ACK, FIN) */
    TCP_TIMER_DELACK,   /* delayed ACK */
    TCP_TIMER_PERSIST,  /* zero-window probe */
    TCP_TIMER_TLP,      /* tail loss probe (RFC 8985 7) */
    TCP_TIMER_REO,      /* RACK reordering timer (RFC 8985 6.2 step 5) */
    TCP_TIMER_TIMEWAIT, /* TIME_WAIT and FIN_WAIT_2 limit */
    TCP_TIMER_COUNT
};

struct tcp_sock {
    umptcp_conn_state state;
    umptcp_sockaddr local, remote;
    int ifindex;
    const struct tcp_env *env;
    const struct tcp_sock_ops *ops;
    void *upper; /* the upper layer's object */

    /* Send sequence space (RFC 9293 3.3.1). Data starts at iss + 1; SYN and FIN take one. */
    uint32_t iss, snd_una, snd_nxt;
    uint32_t snd_wnd; /* peer's window, bytes (scaled) */
    uint32_t snd_wl1, snd_wl2;
    uint32_t max_snd_wnd;
    /* Receive sequence space. rcv_adv is the right edge we advertised (never retracted). */
    uint32_t irs, rcv_adv;
    /* Negotiated options. */
    bool sack_ok, ts_ok, ws_ok;
    uint8_t snd_wscale, rcv_wscale;
    uint16_t peer_mss;
    uint32_t mss; /* sender MSS (SMSS) for data, options excluded */
    uint32_t ts_offset, ts_recent;
    uint32_t last_ack_sent;
    bool nagle;

    struct tcp_sndbuf snd;
    struct tcp_rcvbuf rcv;
    struct tcp_rcvbuf_config rcv_cfg; /* to (re)start the receive buffer at the SYN */
    struct tcp_rtx rtx;
    struct tcp_rtt rtt;
    struct cc_sock cc;
    struct tcp_prr prr;

    /* Closing. */
    bool fin_queued;  /* the application shut down sending: FIN after the data */
    bool fin_sent;    /* the FIN went out (it is in the scoreboard) */
    bool fin_rcvd;    /* the peer's FIN was received in order */
    bool orphan;      /* the application let go: FIN_WAIT_2 is limited (tcp_sock_orphan) */
    uint32_t fin_seq; /* sequence number of our FIN (valid when fin_sent) */

    /* ACK state. */
    bool ack_now;          /* send an ACK at the next output */
    unsigned unacked_segs; /* data segments received since the last ACK we sent */
    bool has_dsack;        /* a DSACK block to report (RFC 2883) */
    struct wire_sack_block dsack;
    uint32_t dupacks; /* consecutive duplicate ACKs (for statistics/limited xmit) */
    /* Loss recovery without SACK (RFC 6582 NewReno, tcp_newreno.c). recover is kept as the
     * scoreboard's RecoveryPoint: SND.NXT (one past the RFC's "highest sequence number
     * transmitted") at the last fast retransmit or RTO. */
    uint32_t recover;
    uint32_t highest_ack, prev_highest_ack; /* RFC 6582 4.1 ACK heuristic */
    /* Bytes above SND.UNA that duplicate ACKs reported delivered and no cumulative ACK has
     * covered yet (RFC 6937 3's DeliveredData estimate); pipe leaves them out. */
    uint32_t dupack_credit;
    bool oow_ack_sent; /* an ACK answered an unacceptable segment, at oow_ack_at (throttle) */
    uint64_t oow_ack_at;

    /* Timers and retries. */
    uint64_t timer[TCP_TIMER_COUNT];
    unsigned retries; /* consecutive RTO expirations without progress */
    unsigned persist_backoff;
    uint64_t syn_sent_at; /* for the handshake RTT sample (Karn: only if never resent) */
    bool syn_retransmitted;
    uint64_t last_send_at; /* for idle restart */
    uint64_t last_xmit_ts; /* timestamp given to the scoreboard for the last transmission */

    /* Receive-buffer auto-tuning (Dynamic Right-Sizing). */
    uint64_t drs_start;
    uint64_t drs_bytes;

    /* Statistics. */
    uint64_t bytes_sent, bytes_acked, bytes_received;
    uint64_t segs_out, segs_in, retrans_segs;
    int error; /* why it closed */
};

/* ---- tcp_sock.c ------------------------------------------------------------------------ */

/* Parameters of a new socket. */
struct tcp_sock_params {
    umptcp_sockaddr local, remote;
    int ifindex;
    const struct cc_ops *cc;
    uint32_t sndbuf, rcvbuf;
    bool nodelay;
    const uint8_t *isn_secret;
    size_t isn_secret_len;
};

/* Allocates and initialises a socket in CLOSED; returns NULL when out of memory. */
struct tcp_sock *tcp_sock_new(const struct tcp_env *env, const struct tcp_sock_params *p,
                              const struct tcp_sock_ops *ops, void *upper, uint64_t now);
void tcp_sock_free(struct tcp_sock *sk);

/* Active open: sends the SYN (SYN_SENT). */
int tcp_sock_connect(struct tcp_sock *sk, uint64_t now);
/* Passive open: sk was created for a SYN that arrived on a listener; sends the SYN/ACK. */
int tcp_sock_accept_syn(struct tcp_sock *sk, const struct wire_segment *syn, uint64_t now);

ssize_t tcp_sock_write(struct tcp_sock *sk, const void *buf, size_t n, uint64_t now);
ssize_t tcp_sock_read(struct tcp_sock *sk, void *buf, size_t n, uint64_t now);
int tcp_sock_shutdown(struct tcp_sock *sk, uint64_t now);
/* Sends a RST (when synchronized) and moves to CLOSED without calling ops->closed. */
void tcp_sock_abort(struct tcp_sock *sk, uint64_t now);
/* The application closed the connection: nobody reads any more, so FIN_WAIT_2 ends after
 * time_wait_ns instead of waiting for the peer's FIN forever (as Linux's tcp_fin_timeout). */
void tcp_sock_orphan(struct tcp_sock *sk, uint64_t now);
void tcp_sock_get_info(const struct tcp_sock *sk, umptcp_conn_info *out);

/* Enters CLOSED with a reason: disarms timers and tells the upper layer. */
void tcp_sock_set_closed(struct tcp_sock *sk, int reason, uint64_t now);
void tcp_sock_set_state(struct tcp_sock *sk, umptcp_conn_state st);
/* The socket's current TSval clock (ms granularity plus the per-connection offset). */
uint32_t tcp_sock_tsval(const struct tcp_sock *sk, uint64_t now);

/* The peer's SYN told us its first sequence number: the receive buffer starts there. */
void tcp_sock_start_receiving(struct tcp_sock *sk, uint32_t rcv_nxt);
void tcp_sock_enter_time_wait(struct tcp_sock *sk, uint64_t now);
/* Dynamic right-sizing of the receive buffer: called with each in-order delivery. */
void tcp_sock_autotune_rcvbuf(struct tcp_sock *sk, size_t in_order, uint64_t now);

/* ---- tcp_in.c ---------------------------------------------------------------------------- */

/* A segment of this connection arrived (demultiplexed by the stack). */
void tcp_input(struct tcp_sock *sk, const struct wire_segment *seg, uint64_t now);
/* Takes the peer's MSS, window scale, SACK-permitted and timestamps from its SYN. */
void tcp_in_learn_syn_options(struct tcp_sock *sk, const struct wire_segment *syn);
/* RCV.NXT including the peer's FIN. */
uint32_t tcp_rcv_nxt(const struct tcp_sock *sk);
/* Recovery entry/exit and the congestion-control update after an ACK (res may be NULL
 * when loss was detected by a timer). */
void tcp_in_congestion(struct tcp_sock *sk, const struct tcp_rtx_ack_result *res,
                       uint32_t flight_before, uint64_t now);

/* ---- tcp_out.c --------------------------------------------------------------------------- */

/* Sends whatever the windows, the scoreboard and Nagle allow, and an ACK when one is due. */
void tcp_output(struct tcp_sock *sk, uint64_t now);
/* A segment with no data: flags (ACK added when synchronized), current options. */
int tcp_send_control(struct tcp_sock *sk, uint8_t flags, uint32_t seq, uint64_t now);
/* The SYN or SYN/ACK (by state), with MSS, window scale, SACK-permitted and timestamps. */
int tcp_send_syn(struct tcp_sock *sk, uint64_t now);
/* A tail loss probe the scoreboard chose (RFC 8985 7.3), sent regardless of cwnd. */
void tcp_out_probe(struct tcp_sock *sk, const struct tcp_rtx_next *next, uint64_t now);
/* The persist timer's override of sender SWS avoidance (RFC 9293 3.8.6.2.1, RFC 1122
 * 4.2.3.4): with nothing in flight, sends the new data a non-zero window below one segment
 * takes. Returns false when nothing went. */
bool tcp_out_persist_send(struct tcp_sock *sk, uint64_t now);
/* Window to advertise in the segment we are about to send (already scaled down), updating
 * rcv_adv. */
uint16_t tcp_window_to_advertise(struct tcp_sock *sk, bool syn);
/* RFC 9293 3.8.6.2.2 receiver SWS avoidance: is a window update worth a segment, when the
 * right edge would move by `gain` bytes and `left` bytes of the announced window remain, for
 * a buffer of `capacity` bytes? (gain >= min(capacity / 2, 2 * MSS), or left below one MSS.)
 * Shared by the subflow and the MPTCP data level (in DSN space). */
bool tcp_window_update_worth(uint64_t gain, uint64_t left, size_t capacity, uint32_t mss);

/* ---- tcp_newreno.c ----------------------------------------------------------------------- */

/* RFC 6582 1): recover starts at the ISS (the handshake completed). */
void tcp_newreno_init(struct tcp_sock *sk);
/* Without SACK, after the scoreboard took an ACK (res) and sk->dupacks counted it (is_dupack
 * as in tcp_rtx_ack): duplicate ACK accounting, fast retransmit on the third (RFC 5681 3.2,
 * RFC 6582 3.2 2), the partial ACK's retransmission (3.2 3) and DeliveredData for PRR
 * (RFC 6937 3: res->delivered_bytes adjusted). Marks segments lost; tcp_in_congestion() then
 * enters recovery. No-op with SACK. */
void tcp_newreno_on_ack(struct tcp_sock *sk, const struct wire_segment *seg, bool is_dupack,
                        struct tcp_rtx_ack_result *res, uint64_t now);
/* RFC 6582 3.2 4): the RTO fired (after the scoreboard's tcp_rtx_on_rto). No-op with SACK. */
void tcp_newreno_on_rto(struct tcp_sock *sk);

/* ---- tcp_timer.c ------------------------------------------------------------------------- */

uint64_t tcp_sock_next_timeout(const struct tcp_sock *sk);
void tcp_sock_on_timeout(struct tcp_sock *sk, uint64_t now);
/* (Re)arms the retransmission timer from the current RTO, or disarms it when nothing is
 * outstanding. */
void tcp_timer_rearm_rto(struct tcp_sock *sk, uint64_t now);
/* Arms the loss-detection timers (TLP or RTO, RACK reordering) after a send or an ACK. */
void tcp_timer_update_loss_timers(struct tcp_sock *sk, uint64_t now, uint64_t reo_timeout);
void tcp_timer_arm_persist(struct tcp_sock *sk, uint64_t now);

static inline bool tcp_sock_synchronized(const struct tcp_sock *sk)
{
    return sk->state >= UMPTCP_STATE_ESTABLISHED;
}

/* RFC 6675 pipe, less what duplicate ACKs said left the network when there is no SACK: it
 * gives limited transmit (RFC 3042) and PRR's pipe (RFC 6937 3) without SACK. */
static inline uint32_t tcp_sock_pipe(const struct tcp_sock *sk)
{
    uint32_t pipe = tcp_rtx_pipe(&sk->rtx);
    return pipe > sk->dupack_credit ? pipe - sk->dupack_credit : 0;
}

/* The sequence number just past the last byte the application wrote. */
static inline uint32_t tcp_sock_data_end(const struct tcp_sock *sk)
{
    return tcp_sndbuf_end_seq(&sk->snd);
}

#endif
