/* The sender's scoreboard / retransmission queue of one subflow, for SACK-based loss recovery:
 * RFC 6675 (Update, IsLost, pipe, NextSeg, RecoveryPoint, RescueRxt) and RACK-TLP (RFC 8985:
 * time-based loss detection with an adaptive reordering window, and tail loss probes), with
 * RFC 2883 DSACK detection and Karn's rule (RFC 6298 3) for RTT samples.
 *
 * One entry per transmitted segment: [seq, end), the time of its latest (re)transmission and
 * its state. Entries are kept in an array sorted by sequence number (a deque: cumulative ACKs
 * pop from the front in O(1) amortised, new data appends at the back; partial SACKs or
 * retransmissions of part of an entry split it, which shifts the array but is rare). SACK
 * blocks are located by binary search. Byte counters (SACKed, lost, retransmitted-in-flight)
 * are maintained incrementally, so pipe is O(1). Memory is bounded by the bytes in flight
 * (an entry holds at least one sequence number) and optionally by max_segs.
 *
 * Sequence numbers only: the engine keeps the bytes (tcp_sndbuf) and accounts for SYN; a FIN
 * may be registered as a 1-byte segment at the end, like data.
 *
 * Flags (Linux-like; RFC 8985 "Segment.lost" = LOST && !RETRANS):
 *   SACKED        covered by a SACK block (stays until cumulatively acknowledged).
 *   LOST          the original transmission is deemed lost (RFC 6675 IsLost, RACK, or RTO);
 *                 it stays set once the segment is retransmitted.
 *   RETRANS       a retransmission is in flight (cleared when that one is deemed lost too).
 *   EVER_RETRANS  retransmitted at least once (Karn, RFC 8985 Segment.retransmitted).
 * A segment needs (re)transmission when LOST && !RETRANS && !SACKED.
 *
 * Pipe (RFC 6675 SetPipe with per-segment state, as RFC 8985 9.3 allows):
 *   pipe = (SND.NXT - SND.UNA) - sacked - lost + retrans
 * where lost/retrans count un-SACKed LOST / RETRANS bytes: a segment neither SACKed nor lost is
 * in the network once, a retransmission is in the network, a segment retransmitted without
 * being lost counts twice (RFC 6675 SetPipe note).
 *
 * HighRxt (RFC 6675) is replaced by the per-segment RETRANS flag: "S2 > HighRxt" becomes "S2 is
 * not RETRANS". It is the same while nothing is re-marked lost, and also lets RACK re-send a
 * lost retransmission.
 *
 * Use per ACK:  tcp_rtx_on_ack(); feed res.rtt_sample_ns to tcp_rtt; tcp_rtx_detect_loss()
 *               (RACK, and RFC 6675 IsLost when enabled); enter recovery if lost bytes appear
 *               (tcp_rtx_enter_recovery); while cwnd - pipe >= SMSS: tcp_rtx_next_seg(), send,
 *               tcp_rtx_on_send(). Arm the timer from tcp_rtx_detect_loss()'s reo timeout,
 *               tcp_rtx_tlp_pto() or the RTO. On RTO expiry: tcp_rtx_on_rto(). On PTO expiry:
 *               tcp_rtx_tlp_probe(), send, tcp_rtx_on_send(..., TCP_RTX_SEND_TLP...). */
#ifndef UMPTCP_TCP_TCP_RTX_H
#define UMPTCP_TCP_TCP_RTX_H

#include "wire/tcp_opt.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TCP_RTX_SACKED 0x01u
#define TCP_RTX_LOST 0x02u
#define TCP_RTX_RETRANS 0x04u
#define TCP_RTX_EVER_RETRANS 0x08u

#define TCP_RTX_DUPTHRESH 3                           /* RFC 6675 DupThresh (RFC 5681) */
#define TCP_RTX_DEFAULT_MAX_ACK_DELAY_NS 200000000ull /* TLP.max_ack_delay, RFC 8985 7.2 */
#define TCP_RTX_PTO_NO_SRTT_NS 1000000000ull          /* RFC 8985 7.2: 1 s without SRTT */
#define TCP_RTX_REO_WND_PERSIST 16                    /* RFC 8985 6.2 step 4 */

/* Flags of tcp_rtx_on_send(). */
#define TCP_RTX_SEND_NEW 0x00u
#define TCP_RTX_SEND_RETRANSMIT 0x01u /* seq range already sent before */
#define TCP_RTX_SEND_RESCUE 0x02u     /* RFC 6675 NextSeg rule (4) (implies RETRANSMIT) */
#define TCP_RTX_SEND_TLP 0x04u        /* a loss probe (new data or a retransmission) */

struct tcp_rtx_seg {
    uint32_t seq, end;   /* [seq, end) */
    uint64_t xmit_ts;    /* time of the latest (re)transmission */
    uint32_t xmit_count; /* 1 + retransmissions */
    uint8_t flags;       /* TCP_RTX_* */
};

struct tcp_rtx_config {
    uint32_t smss;             /* sender MSS, for IsLost and NextSeg; > 0 */
    bool rfc6675_islost;       /* also mark loss with RFC 6675 IsLost (DupThresh) besides RACK */
    uint64_t max_ack_delay_ns; /* TLP.max_ack_delay; 0 -> default 200 ms */
    size_t max_segs;           /* bound on entries (on_send -> UMPTCP_ERR_NOMEM); 0 = none */
    bool no_rescue;            /* no NextSeg rule (4) (without SACK it resends delivered data) */
};

/* One incoming ACK, as the engine parsed it. */
struct tcp_rtx_ack {
    uint32_t ack;                       /* SEG.ACK (cumulative) */
    const struct wire_sack_block *sack; /* as received, in order; may be NULL when n_sack = 0 */
    size_t n_sack;
    uint64_t now;
    /* RFC 8985 6.2 step 2 check 1: when the ACK echoes a timestamp, the latest time (ns) at
     * which a segment carrying the echoed TSval could have been sent (the end of the echoed
     * TSval tick). A retransmitted segment sent after it is not credited to this ACK. */
    bool has_tsecr;
    uint64_t tsecr_ns;
    /* Pure duplicate ACK in the RFC 5681 sense (no data, same window, ack == SND.UNA), for
     * TLP 7.4.2 case 2. */
    bool is_dupack;
};

/* What one ACK did. */
struct tcp_rtx_ack_result {
    uint32_t acked_bytes;     /* newly cumulatively acknowledged (SND.UNA advance) */
    uint32_t sacked_bytes;    /* newly SACKed bytes (below the new SND.UNA not included) */
    uint32_t delivered_bytes; /* RFC 6937 DeliveredData: acked + change in SACKed bytes */
    uint32_t acked_segs;      /* entries fully removed by the cumulative ACK */
    /* Karn (RFC 6298 3): RTT of the most recently sent segment newly (S)ACKed by this ACK that
     * was never retransmitted. */
    bool has_rtt_sample;
    uint64_t rtt_sample_ns;
    /* RFC 2883 4: the first block lies below SEG.ACK or inside the second block. */
    bool has_dsack;
    struct wire_sack_block dsack;
    bool new_sack_info;           /* RFC 6675 2 "duplicate acknowledgment": SACKed new bytes */
    bool has_high_sacked;         /* any SACKed byte remains above SND.UNA */
    uint32_t high_sacked;         /* end of the highest SACKed range (valid if has_high_sacked) */
    uint32_t invalid_sack_blocks; /* ignored: empty or reversed, or ending above SND.NXT */
    bool recovery_exited;         /* RFC 6675 5 (A): the ACK covered RecoveryPoint */
    bool tlp_loss_repaired;       /* RFC 8985 7.4.2: a TLP repaired a loss; respond as a recovery */
    /* Retransmitted segments were among those newly (S)ACKed; retrans_xmit_ts is the latest
     * (re)transmission time among them, to tell an ACK for a retransmission from one for the
     * original (as RFC 8985 6.2 step 2 does). */
    bool acked_retrans;
    uint64_t retrans_xmit_ts;
};

/* What a loss detection pass did. */
struct tcp_rtx_loss_result {
    uint32_t lost_bytes; /* bytes newly marked lost */
    uint32_t lost_segs;
    uint64_t reo_timeout; /* absolute time to run detection again (RACK reordering timer);
                             0 = no timer needed */
};

enum tcp_rtx_next_kind {
    TCP_RTX_NEXT_NONE = 0,     /* RFC 6675 NextSeg rule (5): nothing to send */
    TCP_RTX_NEXT_RETRANSMIT,   /* rule (1): a lost segment */
    TCP_RTX_NEXT_NEW,          /* rule (2): new data from SND.NXT (the engine sizes it) */
    TCP_RTX_NEXT_RETRANSMIT_3, /* rule (3): an un-SACKed segment below the highest SACK */
    TCP_RTX_NEXT_RESCUE,       /* rule (4): rescue retransmission (send with SEND_RESCUE) */
};

struct tcp_rtx_next {
    enum tcp_rtx_next_kind kind;
    uint32_t seq; /* first sequence number to send */
    uint32_t len; /* up to SMSS (0 for NEW: the engine decides) */
};

struct tcp_rtx {
    struct tcp_rtx_seg *segs; /* segs[head .. head + count) in use, sorted by seq */
    size_t head, count, alloc;
    struct tcp_rtx_config cfg;
    uint32_t snd_una, snd_nxt;
    /* Incremental byte counters over the entries. */
    uint32_t sacked_bytes;   /* SACKED */
    uint32_t lost_bytes;     /* LOST && !SACKED */
    uint32_t retrans_bytes;  /* RETRANS && !SACKED */
    uint32_t sacked_segs;    /* RACK.segs_sacked */
    uint32_t need_rtx_bytes; /* LOST && !RETRANS && !SACKED */
    bool has_high_sacked;
    uint32_t high_sacked;
    uint32_t lost_hint; /* everything below is SACKED or LOST (IsLost scan stops here) */
    /* RFC 6675 loss recovery. */
    bool in_recovery, rto_recovery;
    uint32_t recovery_point; /* HighData + 1 at entry: exit when SEG.ACK >= this */
    bool rescue_valid;
    uint32_t rescue_rxt; /* RescueRxt (inclusive, as in RFC 6675) */
    /* RACK (RFC 8985 5.3). */
    bool rack_valid;
    uint64_t rack_xmit_ts;
    uint32_t rack_end_seq;
    uint64_t rack_rtt;
    uint64_t rack_min_rtt; /* as last given by the engine */
    uint32_t rack_fack;
    bool rack_reordering_seen;
    bool rack_dsack_round_valid;
    uint32_t rack_dsack_round;
    uint32_t rack_reo_wnd_mult;
    int rack_reo_wnd_persist;
    uint64_t rack_reo_wnd; /* last computed */
    /* TLP (RFC 8985 7). */
    bool tlp_active; /* TLP.end_seq is not None */
    uint32_t tlp_end_seq;
    bool tlp_is_retrans;
    bool rtt_since_probe; /* an RTT sample was taken since the last probe */
    /* Lifetime counters. */
    uint64_t dsacks, invalid_sack_blocks, retransmits, rescues, tlps;
};

/* Initialises an empty scoreboard with SND.UNA = SND.NXT = snd_una. cfg NULL is invalid
 * (smss is needed). Allocates nothing. Bad config -> UMPTCP_ERR_INVAL.
 * RFC 8985 7.3 allows a loss probe only after an RTT sample "since the start of the
 * connection": call tcp_rtx_note_rtt_sample() when the handshake gives one. */
int tcp_rtx_init(struct tcp_rtx *rtx, uint32_t snd_una, const struct tcp_rtx_config *cfg);
void tcp_rtx_destroy(struct tcp_rtx *rtx);
/* The MSS changed (PMTU). */
void tcp_rtx_set_smss(struct tcp_rtx *rtx, uint32_t smss);

/* RFC 8985 6.1: record a transmission at `now`. New data (flags without RETRANSMIT/RESCUE)
 * must start at SND.NXT and advances it. A retransmission must lie within [SND.UNA, SND.NXT);
 * entries are split at its edges; every covered entry gets xmit_ts = now, RETRANS and
 * EVER_RETRANS. RESCUE sets RescueRxt = RecoveryPoint (RFC 6675 rule 4); TLP records
 * TLP.end_seq = SND.NXT (RFC 8985 7.3). len 0 or len >= 2^31 or a range outside those bounds
 * -> UMPTCP_ERR_INVAL; no room for entries -> UMPTCP_ERR_NOMEM. On error nothing changed. */
int tcp_rtx_on_send(struct tcp_rtx *rtx, uint32_t seq, uint32_t len, uint64_t now, unsigned flags);

/* RFC 6675 Update() + RFC 8985 6.2 steps 2-4 (DSACK part) + TLP_process_ack (7.4.2).
 * min_rtt_ns is the engine's current windowed min RTT (RACK.min_RTT, step 1), 0 if unknown.
 * SEG.ACK outside [SND.UNA, SND.NXT] -> UMPTCP_ERR_INVAL (nothing changed; the engine
 * handles old and too-new ACKs per RFC 9293). UMPTCP_ERR_NOMEM when splitting an entry at a
 * SACK edge needs memory that cannot be had: checked before anything changes. */
int tcp_rtx_on_ack(struct tcp_rtx *rtx, const struct tcp_rtx_ack *ack, uint64_t min_rtt_ns,
                   struct tcp_rtx_ack_result *res);

/* RFC 8985 6.2 step 4 (window value) and step 5: marks segments lost by time and computes
 * the reordering timer; with cfg.rfc6675_islost also marks per RFC 6675 IsLost. Call after
 * each ACK and when the reordering timer fires. srtt_ns caps the reordering window. */
void tcp_rtx_detect_loss(struct tcp_rtx *rtx, uint64_t now, uint64_t srtt_ns,
                         struct tcp_rtx_loss_result *res);
/* RFC 6675 IsLost(seq) with DupThresh = 3: at least 3 SACKed entries above seq, or more than
 * 2 * SMSS SACKed bytes above it. */
bool tcp_rtx_is_lost(const struct tcp_rtx *rtx, uint32_t seq);
/* Marks every un-SACKed, not-yet-lost segment for which IsLost holds; returns bytes marked. */
uint32_t tcp_rtx_mark_lost_rfc6675(struct tcp_rtx *rtx);

/* Marks the un-SACKed entry holding seq lost (its original transmission; a retransmission in
 * flight stays in flight), for loss detection without SACK (RFC 5681 3.2 fast retransmit,
 * RFC 6582 partial ACKs): NextSeg rule (1) then resends it. Returns the bytes newly marked
 * (0 when seq is not outstanding or the entry was SACKed or already lost). */
uint32_t tcp_rtx_mark_lost_at(struct tcp_rtx *rtx, uint32_t seq);

/* RFC 6675 5 (4.1): enter fast recovery: RecoveryPoint = SND.NXT, RescueRxt undefined, and
 * RFC 8985 7.1 TLP_init. */
void tcp_rtx_enter_recovery(struct tcp_rtx *rtx);
/* The RTO fired: RFC 8985 6.3 marks SND.UNA's segment and every segment older than
 * RACK.rtt + reo_wnd lost (their retransmissions in flight too), and RTO recovery begins
 * (RecoveryPoint = SND.NXT, RFC 6675 5.1). Returns the bytes newly marked lost. */
uint32_t tcp_rtx_on_rto(struct tcp_rtx *rtx, uint64_t now);

/* RFC 6675 NextSeg() (see the top of the file for HighRxt): rule (1) returns the lowest
 * segment needing retransmission (LOST && !RETRANS && !SACKED) — loss may come from IsLost,
 * RACK or RTO, so (1.b) is not required; (2) NEW when can_send_new (unsent data and receive
 * window room, the engine knows); (3) the lowest un-SACKed, not lost, not retransmitted segment
 * below the highest SACK; (4) in recovery, once per recovery when HighACK > RescueRxt, the
 * last SMSS bytes of the highest un-SACKed segment. len <= SMSS and stays within one entry. */
void tcp_rtx_next_seg(const struct tcp_rtx *rtx, bool can_send_new, struct tcp_rtx_next *out);

/* RFC 8985 7.2: when a PTO should be armed (flight > 0, not in recovery, nothing SACKed),
 * returns its absolute expiry: now + 2*SRTT (+ max_ack_delay when one segment is in flight),
 * or now + 1 s without SRTT (has_srtt false), capped at rto_expiry (the absolute time the RTO
 * would fire). Returns 0 when no PTO should be armed. */
uint64_t tcp_rtx_tlp_pto(const struct tcp_rtx *rtx, uint64_t now, bool has_srtt, uint64_t srtt_ns,
                         uint64_t rto_expiry);
/* RFC 8985 7.3: the PTO fired. When no probe is outstanding and an RTT sample was taken since
 * the last one: NEW if can_send_new, else a retransmission of the last SMSS bytes before
 * SND.NXT; send it with TCP_RTX_SEND_TLP. Otherwise NONE (re-arm the RTO). */
void tcp_rtx_tlp_probe(const struct tcp_rtx *rtx, bool can_send_new, struct tcp_rtx_next *out);
/* An RTT sample was taken outside tcp_rtx_on_ack (e.g. from timestamps), for 7.3 condition 2. */
static inline void tcp_rtx_note_rtt_sample(struct tcp_rtx *rtx)
{
    rtx->rtt_since_probe = true;
}

/* RFC 6675 pipe (see above), in bytes. */
static inline uint32_t tcp_rtx_pipe(const struct tcp_rtx *rtx)
{
    return (rtx->snd_nxt - rtx->snd_una) - rtx->sacked_bytes - rtx->lost_bytes + rtx->retrans_bytes;
}
/* FlightSize (RFC 5681): SND.NXT - SND.UNA. */
static inline uint32_t tcp_rtx_flight(const struct tcp_rtx *rtx)
{
    return rtx->snd_nxt - rtx->snd_una;
}
static inline uint32_t tcp_rtx_snd_una(const struct tcp_rtx *rtx)
{
    return rtx->snd_una;
}
static inline uint32_t tcp_rtx_snd_nxt(const struct tcp_rtx *rtx)
{
    return rtx->snd_nxt;
}
static inline uint32_t tcp_rtx_sacked_bytes(const struct tcp_rtx *rtx)
{
    return rtx->sacked_bytes;
}
static inline uint32_t tcp_rtx_sacked_segs(const struct tcp_rtx *rtx)
{
    return rtx->sacked_segs;
}
/* Un-SACKed bytes whose original transmission is deemed lost. */
static inline uint32_t tcp_rtx_lost_bytes(const struct tcp_rtx *rtx)
{
    return rtx->lost_bytes;
}
/* Lost bytes still waiting for a retransmission. */
static inline uint32_t tcp_rtx_need_rtx_bytes(const struct tcp_rtx *rtx)
{
    return rtx->need_rtx_bytes;
}
static inline bool tcp_rtx_in_recovery(const struct tcp_rtx *rtx)
{
    return rtx->in_recovery;
}
/* RACK.reo_wnd as last computed by tcp_rtx_detect_loss. */
static inline uint64_t tcp_rtx_reo_wnd(const struct tcp_rtx *rtx)
{
    return rtx->rack_reo_wnd;
}
static inline uint64_t tcp_rtx_rack_rtt(const struct tcp_rtx *rtx)
{
    return rtx->rack_rtt;
}
/* Entries, for iteration and tests: i in [0, count). */
static inline size_t tcp_rtx_seg_count(const struct tcp_rtx *rtx)
{
    return rtx->count;
}
static inline const struct tcp_rtx_seg *tcp_rtx_seg_at(const struct tcp_rtx *rtx, size_t i)
{
    return &rtx->segs[rtx->head + i];
}
/* The entry holding seq, or NULL. O(log n). */
const struct tcp_rtx_seg *tcp_rtx_find(const struct tcp_rtx *rtx, uint32_t seq);

#endif
