/* Proportional Rate Reduction (RFC 6937 section 3): how many bytes fast recovery may send on
 * each ACK so that, by the end of recovery, cwnd lands on ssthresh without bursts or stalls.
 * Pure arithmetic, bytes throughout; the engine supplies DeliveredData and pipe (RFC 6675).
 *
 * Use:  tcp_prr_start() when recovery begins (after cc_on_loss() set ssthresh);
 *       on every ACK in recovery: sndcnt = tcp_prr_on_ack(); cwnd = pipe + sndcnt;
 *       tcp_prr_on_send() for every byte (re)transmitted during recovery;
 *       on exit: cwnd = tcp_prr_end() (== ssthresh), or cc_on_recovery_exit().
 */
#ifndef UMPTCP_TCP_PRR_H
#define UMPTCP_TCP_PRR_H

#include <stdbool.h>
#include <stdint.h>

/* RFC 6937 3: reduction bound applied once pipe <= ssthresh. */
enum tcp_prr_bound {
    TCP_PRR_SSRB = 0, /* slow start reduction bound (default, RFC 6937 recommends it) */
    TCP_PRR_CRB = 1,  /* conservative reduction bound: strict packet conservation */
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
/* Bytes transmitted or retransmitted during recovery. */
void tcp_prr_on_send(struct tcp_prr *prr, uint32_t bytes);
/* Recovery over: returns the cwnd to use (ssthresh, RFC 6937 3) and deactivates prr. */
uint32_t tcp_prr_end(struct tcp_prr *prr);

#endif
