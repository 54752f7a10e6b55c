/* Fallback to TCP after the handshake, the infinite mapping, DSS checksum failures and MP_FAIL
 * (RFC 8684 3.7, 3.3.1). The connection keeps one struct mptcp_fb; the functions here are
 * called by the subflow glue (mptcp_subflow.c) and the data level (mptcp_conn.c).
 *
 * Once fallen back, the initial subflow carries the byte stream as plain TCP and each
 * direction relates subflow bytes to data-level bytes by one linear map (a "base"):
 *   send:    DSN = tx_dsn + (SSN - tx_ssn)   for our subflow bytes at SSN >= tx_ssn
 *   receive: DSN = rx_dsn + (SSN - rx_ssn)   for the peer's bytes at SSN >= rx_ssn
 * (SSNs relative to the ISN, as in DSS). Normally the base continues the mappings already in
 * use ("retroactive", 3.7: from the last DATA_ACKed byte), which is also what a Linux peer
 * assumes. After a checksum failure on the only subflow the sender instead rewinds: the data
 * from the MP_FAIL's DSN goes again as new subflow bytes, and its infinite mapping tells the
 * receiver where they start; everything the receiver holds before that SSN is dropped, so no
 * corrupted byte reaches the application. */
#ifndef UMPTCP_MPTCP_MPTCP_FAIL_H
#define UMPTCP_MPTCP_MPTCP_FAIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mptcp_conn;
struct mptcp_subflow;
struct mptcp_rmap_chunk;
struct tcp_seg_info;
struct tcp_sock;
struct wire_dss;
struct wire_segment;

/* How long we wait for the peer's answer to our MP_FAIL (its infinite mapping) before we
 * reset the connection: a peer or middlebox that never answers would otherwise have us drop
 * its bytes for good. Linux gives up after TCP_RTO_MAX, the same 120 s. */
#define MPTCP_FAIL_TIMEOUT_NS (120ull * 1000000000ull)

struct mptcp_fb {
    const char *why; /* the fallback reason (static text), NULL while MPTCP */
    bool late;       /* after the handshake (3.7): the peer may still send MP_FAIL, DSS */
    /* Send direction (valid in fallback). */
    uint64_t tx_dsn;
    uint32_t tx_ssn;
    bool inf_tx;        /* our infinite mapping rides on data segments from tx_ssn ... */
    uint32_t inf_until; /* ... until the peer acknowledged a byte sent after the fallback */
    bool inf_counted;
    /* Receive direction (valid in fallback). */
    uint64_t rx_dsn;
    uint32_t rx_ssn;
    uint32_t rx_next;   /* SSN of the next subflow byte to move up */
    bool rx_discard;    /* we sent MP_FAIL: drop the peer's bytes until its infinite mapping */
    bool rx_drop_below; /* ... then drop those before rx_ssn (the peer rewound) */
    bool rx_inf_seen;   /* the peer's infinite mapping arrived (InfiniteMapRx) */
    /* MP_FAIL (3.7). */
    bool fail_tx;   /* MP_FAIL(fail_dsn) on every segment until the peer's infinite mapping */
    bool fail_echo; /* MP_FAIL(fail_dsn) answering the peer's, until ours is acknowledged */
    uint64_t fail_dsn;
    bool fail_rx;      /* the peer's MP_FAIL arrived */
    uint64_t fail_at;  /* when fail_tx began: the peer has MPTCP_FAIL_TIMEOUT_NS to answer */
    bool fail_give_up; /* the peer ended its stream without answering: reset at once */
    /* The RST being sent now on this subflow carries MP_FAIL(rst_dsn). */
    const struct mptcp_subflow *rst_sf;
    uint64_t rst_dsn;
};

/* Falls back to plain TCP (3.7) for the reason given (a short static text). Safe at the
 * handshake (nothing sent yet) and after it: the caller made sure it is allowed (see
 * mptcp_fail_after_handshake). */
void mptcp_conn_fallback(struct mptcp_conn *mc, const char *why);
/* The reason the connection fell back to TCP, or NULL while it speaks MPTCP. */
const char *mptcp_conn_fallback_reason(const struct mptcp_conn *mc);

/* ---- input (mptcp_subflow.c) -------------------------------------------------------------- */

/* Any segment of an MPTCP subflow (not yet fallen back), before the RST/SYN checks: MP_FAIL.
 * False when the segment must be dropped (the subflow was reset). */
bool mptcp_fail_input(struct mptcp_subflow *sf, const struct wire_segment *seg, uint64_t now);
/* A segment of the fallen-back connection: MP_FAIL and the peer's infinite mapping. */
bool mptcp_fail_input_fallback(struct mptcp_subflow *sf, const struct wire_segment *seg,
                               uint64_t now);
/* A DSS mapping with Data-Level Length 0 (the infinite mapping, 3.3.1/3.7). */
bool mptcp_fail_infinite_rx(struct mptcp_subflow *sf, const struct wire_dss *d, uint64_t now);
/* A segment (established, not RST/SYN) that carries no DSS: 3.7's rules for options lost after
 * the handshake. False when the segment must be dropped. */
bool mptcp_fail_no_dss(struct mptcp_subflow *sf, const struct wire_segment *seg, uint64_t now);

/* ---- the data level (mptcp_conn.c) ---------------------------------------------------------- */

/* Fallback receive: moves the subflow's in-order bytes up through the receive base. */
size_t mptcp_fail_pull(struct mptcp_conn *mc, struct mptcp_subflow *sf);
/* Fallback send: the data-level una the subflow's cumulative ACK gives; false when none. */
bool mptcp_fail_tx_una(const struct mptcp_conn *mc, const struct mptcp_subflow *sf, uint64_t *una);
/* A mapping failed its DSS checksum (3.3.1, 3.7): MP_FAIL and fallback, or a reset. */
void mptcp_fail_csum(struct mptcp_conn *mc, struct mptcp_subflow *sf,
                     const struct mptcp_rmap_chunk *c, uint64_t now);

/* ---- our MP_FAIL unanswered (the timer in mptcp_rtx.c, the FIN in mptcp_subflow.c) ---------- */

/* Our MP_FAIL unanswered (no infinite mapping from the peer): when we give up and reset the
 * connection, or UINT64_MAX when not waiting. */
uint64_t mptcp_fail_deadline(const struct mptcp_conn *mc);
/* The peer's FIN came while we wait for that answer: the bytes we dropped will never come
 * again, so the stream cannot end in order; true when so (the reset follows from the timer,
 * outside segment processing). */
bool mptcp_fail_peer_fin(struct mptcp_conn *mc);
/* Resets the subflow (so the connection) once that deadline passed; true when it did. */
bool mptcp_fail_check_timeout(struct mptcp_conn *mc, uint64_t now);

/* ---- output (mptcp_subflow.c) --------------------------------------------------------------- */

/* Options of a segment in fallback: the infinite mapping and MP_FAIL, while due. */
size_t mptcp_fail_opt_write(struct mptcp_subflow *sf, const struct tcp_seg_info *info, uint8_t *buf,
                            size_t room);
/* MP_FAIL on the RST being sent on sf, if any (0 otherwise). */
size_t mptcp_fail_rst_write(struct mptcp_subflow *sf, uint8_t *buf, size_t room);
/* In fallback: no segment crosses the start of the infinite mapping. */
uint32_t mptcp_fail_seg_limit(const struct mptcp_subflow *sf, uint32_t seq);

#endif
