/* Proportional Rate Reduction (RFC 6937 section 3): how many bytes fast recovery may send on
 * each ACK so that, by the end of recovery, cwnd lands on ssthresh without bursts or stalls.
 * Pure arithmetic, bytes throughout; the engine supplies DeliveredData and pipe (RFC 6675).
 *
 * The RFCs' pseudo-code counts whole segments. In bytes, sndcnt is kept to whole MSS: the
 * proportional part rounds the cumulative allowance CEIL(prr_delivered * ssthresh /
 * RecoverFS) up to a whole segment, the reduction bounds round down. With segment-sized
 * deliveries and sends this gives exactly the RFC's per-segment numbers; an allowance not
 * used on one ACK stays banked for the next (both parts are cumulative).
 *
 * Use:  tcp_prr_start() when recovery begins (after cc_on_loss() set ssthresh), with
 *       RecoverFS = snd.nxt - snd.una (RFC 6937) or as RFC 9937 6.1 refines it;
 *       on every ACK in recovery: sndcnt = tcp_prr_on_ack(); cwnd = pipe + sndcnt;
 *       tcp_prr_on_send() for every byte (re)transmitted during recovery;
 *       on exit: cwnd = tcp_prr_end() (== ssthresh), or cc_on_recovery_exit().
 */
#ifndef UMPTCP_TCP_PRR_H
#define UMPTCP_TCP_PRR_H

#include <stdbool.h>
#include <stdint.h>

/* The reduction bound applied once pipe <= ssthresh. */
enum tcp_prr_bound {
    TCP_PRR_SSRB = 0, /* RFC 6937 3: slow start reduction bound (default, recommended there) */
    TCP_PRR_CRB = 1,  /* RFC 6937 3: conservative reduction bound, strict packet conservation */
    /* RFC 9937 6.2 (obsoletes 6937): CRB unless the ACK is a SafeACK (snd.una advanced, no
     * new loss), then SSRB; no send on DeliveredData == 0; the first ACK of the episode
     * always allows one MSS (forced fast retransmit). Needs tcp_prr_on_ack_progress(). */
    TCP_PRR_SAFEACK = 2,
};

struct tcp_prr {
    uint64_t prr_delivered; /* bytes delivered to the receiver since recovery began */
    uint64_t prr_out;       /* bytes sent since recovery began */
    uint32_t ssthresh;      /* target window */
    uint32_t recover_fs;    /* RecoverFS: FlightSize (snd.nxt - snd.una) at recovery start */
    uint32_t mss;
    enum tcp_prr_bound bound;
    bool active;
};

void tcp_prr_start(struct tcp_prr *prr, uint32_t ssthresh, uint32_t recover_fs, uint32_t mss,
                   enum tcp_prr_bound bound);
/* One ACK in recovery: delivered = DeliveredData of this ACK (change in snd.una plus change
 * in SACKed bytes), pipe = RFC 6675 pipe after processing it. Returns sndcnt (>= 0). */
uint32_t tcp_prr_on_ack(struct tcp_prr *prr, uint32_t delivered, uint32_t pipe);
/* Same, saying whether this ACK is a SafeACK (RFC 9937 6.2); only TCP_PRR_SAFEACK uses it
 * (tcp_prr_on_ack() passes false). */
uint32_t tcp_prr_on_ack_progress(struct tcp_prr *prr, uint32_t delivered, uint32_t pipe,
                                 bool safe_ack);
/* Bytes transmitted or retransmitted during recovery. */
void tcp_prr_on_send(struct tcp_prr *prr, uint32_t bytes);
/* Recovery over: returns the cwnd to use (ssthresh, RFC 6937 3) and deactivates prr. */
uint32_t tcp_prr_end(struct tcp_prr *prr);

#endif
