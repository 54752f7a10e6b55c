/* An MPTCP connection (RFC 8684): the data-level byte stream over one or more TCP subflows.
 *
 * Layout: the connection owns a data-level send buffer (indexed by the low 32 bits of the
 * DSN; the data window is far below 2^31) and a data-level reassembly buffer, and a small
 * array of subflows. Each subflow is a tcp_sock whose upper layer is this module
 * (mptcp_subflow.c): it writes MP_CAPABLE / DSS options on every segment through the TCP
 * engine's option hook, reads them on every arriving segment, advertises the shared window,
 * and cuts segments at mapping boundaries. Data moves down in chunks chosen by the scheduler
 * (one DSS mapping per chunk) and up through the per-subflow receive mappings.
 *
 * State today: the initial subflow in both roles (MP_CAPABLE v1 with keys, checksum
 * negotiation, first data on MP_CAPABLE), DSS mappings and 64-bit DATA_ACKs, the shared
 * receive window (3.3.4), DATA_FIN (3.3.3), and fallback to TCP (3.7) at the handshake and
 * after it, with the infinite mapping and MP_FAIL (mptcp_fail.c). */
#ifndef UMPTCP_MPTCP_MPTCP_CONN_H
#define UMPTCP_MPTCP_MPTCP_CONN_H

#include "mptcp/mptcp_fail.h"
#include "mptcp/mptcp_map.h"
#include "mptcp/mptcp_sched.h"
#include "mptcp/mptcp_token.h"
#include "wire/mptcp_opt.h"
#include "tcp/tcp_rcvbuf.h"
#include "tcp/tcp_sndbuf.h"
#include "tcp/tcp_sock.h"

#include <stdbool.h>
#include <stdint.h>

#define MPTCP_MAX_SUBFLOWS 8
/* Addresses remembered per connection: the peer's announced ones, and our announcements. */
#define MPTCP_MAX_ADDRS 8
/* Largest chunk one DSS mapping carries (the Data-Level Length field is 16 bits). */
#define MPTCP_MAX_CHUNK 65535u

struct mptcp_conn;

/* What the connection tells its owner (the stack's connection object). */
struct mptcp_conn_ops {
    void (*established)(struct mptcp_conn *mc, uint64_t now);
    void (*readable)(struct mptcp_conn *mc, uint64_t now);
    void (*writable)(struct mptcp_conn *mc, uint64_t now);
    void (*peer_closed)(struct mptcp_conn *mc, uint64_t now); /* DATA_FIN (or FIN in fallback) */
    void (*closed)(struct mptcp_conn *mc, int reason, uint64_t now);
    /* The peer has our key (a DSS arrived, 3.1): new subflows may be opened (initiator). */
    void (*join_ready)(struct mptcp_conn *mc, uint64_t now);
    /* The peer announced an address (ADD_ADDR with a valid HMAC, 3.4.1). */
    void (*addr_announced)(struct mptcp_conn *mc, uint8_t id, const umptcp_addr *addr,
                           uint16_t port, uint64_t now);
    /* The peer removed an address (REMOVE_ADDR, 3.4.2); its subflows are closed already. */
    void (*addr_removed)(struct mptcp_conn *mc, uint8_t id, uint64_t now);
};

/* An address the peer announced. */
struct mptcp_remote_addr {
    uint8_t id;
    umptcp_addr addr;
    uint16_t port; /* 0: the port of the subflow that carried it */
};

/* One of our addresses we announce (3.4.1: repeated until the peer echoes it). */
struct mptcp_announce {
    uint8_t id;
    umptcp_addr addr;
    bool echoed;
    unsigned sent;
    uint64_t next_tx;
};

struct mptcp_subflow {
    struct mptcp_conn *mc;
    struct tcp_sock *sk;
    struct mptcp_smap smap; /* DSNs placed on this subflow */
    struct mptcp_rmap rmap; /* mappings the peer sent on it */
    uint32_t id;            /* unique within the connection (scheduler tie-break) */
    bool initial;           /* the MP_CAPABLE subflow */
    bool closed;            /* its socket reached CLOSED */
    bool stalled;           /* consecutive RTOs: not used, its data was reinjected (3.3.6) */
    /* Reinjection of what it holds (3.3.6): its mappings from subflow SSN reinject_ssn on are
     * still to be sent again on other subflows. */
    bool reinject_pending;
    uint32_t reinject_ssn;
    uint64_t penalized_at; /* its window was last cut for holding the head of line (push_hol) */
    /* MP_JOIN subflows (3.2). */
    bool join;
    bool join_ok;          /* HMACs verified and the handshake's last ACK seen: may carry data */
    bool backup;           /* we asked the peer to use it only as a backup */
    bool peer_backup;      /* the peer asked us to */
    uint8_t prio_pending;  /* MP_PRIOs with `backup` still to send on it (3.3.8) */
    uint64_t prio_next_at; /* ... not before then (repeats spread out in time) */
    uint8_t local_id, remote_id;
    uint32_t local_nonce, remote_nonce;
    /* MP_TCPRST (3.6): the reason our RSTs on it carry, and the peer's when it reset it. */
    uint8_t rst_reason; /* enum wire_tcprst_reason; 0 = unspecified */
    bool rst_transient;
    bool rst_sent;
    bool peer_rst; /* the peer's accepted RST carried MP_TCPRST */
    uint8_t peer_rst_reason, peer_rst_flags;
    bool peer_rst_pending; /* on a RST not yet accepted by TCP */
    uint8_t pending_reason, pending_flags;
};

struct mptcp_conn {
    const struct mptcp_conn_ops *ops;
    void *owner;
    struct mptcp_token_table *tokens; /* the stack's (to release the token) */
    const umptcp_config *cfg;
    struct mib *mib;

    bool initiator;
    bool csum;      /* DSS checksums in use (RFC 8684 3.3.1) */
    bool want_csum; /* we asked for them (A flag) */
    bool fallback;  /* plain TCP now (RFC 8684 3.7) */
    bool remote_key_known;
    bool peer_sent_dss; /* a DSS arrived: the peer has our key (3.1) */
    /* 3.1, flag C: the peer accepts no further subflows to the address and port of its
     * MP_CAPABLE segment (only to addresses it announces). */
    bool peer_no_join_initial;
    bool established; /* the application was told */
    uint64_t local_key, remote_key;
    uint32_t local_token, remote_token;
    uint64_t local_idsn, remote_idsn;

    /* Data-level send (DSNs are 64-bit; the buffer is addressed by their low 32 bits). */
    struct tcp_sndbuf snd;
    uint64_t snd_una;   /* oldest DSN not DATA_ACKed */
    uint64_t snd_nxt;   /* next DSN to hand to a subflow */
    uint64_t snd_right; /* peer's window right edge: DATA_ACK + window (3.3.4) */
    /* Data-level retransmission (mptcp_rtx.c): when DATA_ACK last moved, and the backoff. */
    uint64_t rtx_stamp;
    unsigned rtx_backoff;
    uint64_t hol_dsn; /* head-of-line bytes below it were sent again already (push_hol) */
    bool fin_queued, fin_mapped, fin_acked;
    uint64_t fin_dsn; /* our DATA_FIN's DSN (valid when fin_mapped) */

    /* Data-level receive. */
    struct tcp_rcvbuf rcv;
    bool rcv_ready;   /* the remote IDSN is known and rcv initialised */
    uint64_t rcv_nxt; /* next DSN expected in order (64-bit view of rcv.rcv_nxt) */
    uint64_t rcv_adv; /* the farthest data-level right edge announced (DATA_ACK + window) */
    bool peer_fin;    /* the peer's DATA_FIN was received in order */
    bool peer_fin_seen;
    bool in_read; /* inside mptcp_conn_read: no callback to the application */
    uint64_t peer_fin_dsn;

    struct mptcp_subflow *sub[MPTCP_MAX_SUBFLOWS];
    unsigned nsub;
    unsigned max_subflows; /* <= MPTCP_MAX_SUBFLOWS */
    uint32_t next_sf_id;
    struct mptcp_sched sched;

    /* Address signalling (3.4). */
    struct mptcp_remote_addr raddr[MPTCP_MAX_ADDRS];
    unsigned nraddr;
    struct mptcp_announce ann[MPTCP_MAX_ADDRS];
    unsigned nann;
    /* Our REMOVE_ADDRs (3.4.2): sent on pure ACKs, repeated (bounded) while a subflow on the
     * address is still open. */
    struct {
        uint8_t id;
        uint8_t sent;
        uint64_t next_tx;
    } rm[MPTCP_MAX_ADDRS];
    unsigned nrm;
    bool echo_pending; /* echo the peer's last ADD_ADDR on the next pure ACK */
    uint8_t echo_id;
    umptcp_addr echo_addr;
    int error;
    bool closed;
    bool fastclose;     /* we are aborting: our RSTs carry MP_FASTCLOSE (3.5) */
    struct mptcp_fb fb; /* fallback, infinite mapping, MP_FAIL (3.7, mptcp_fail.c) */
};

/* Creates a connection with a fresh unique key (the token table lends uniqueness). The
 * initial subflow is attached with mptcp_conn_attach_initial(). NULL when out of memory or
 * no unique key could be found. */
struct mptcp_conn *mptcp_conn_new(const umptcp_config *cfg, struct mib *mib,
                                  struct mptcp_token_table *tokens,
                                  void (*random)(void *user, uint8_t *buf, size_t n),
                                  void *random_user, bool initiator, bool want_csum,
                                  const struct mptcp_conn_ops *ops, void *owner);
void mptcp_conn_free(struct mptcp_conn *mc);

/* The tcp_sock_ops an MPTCP subflow's socket must be created with (upper = the subflow). */
extern const struct tcp_sock_ops mptcp_subflow_tcp_ops;

/* Adds the initial subflow object for sk (created by the caller with mptcp_subflow_tcp_ops and
 * upper = the returned subflow... see mptcp_conn_new_subflow). */
struct mptcp_subflow *mptcp_conn_new_subflow(struct mptcp_conn *mc, bool initial);
void mptcp_conn_set_subflow_sock(struct mptcp_subflow *sf, struct tcp_sock *sk);
/* Subflows not closed yet: what max_subflows limits. Closed ones keep their place in sub[]
 * (their figures stay readable) until the array is full; then the owner of the sockets drops
 * those that are done with (mptcp_conn_subflow_done) to make room. */
unsigned mptcp_conn_live_subflows(const struct mptcp_conn *mc);
/* Closed, its socket CLOSED (or never made), nothing of it left to reinject, nothing received
 * on it waiting to move up, and not the initial subflow (index 0: the connection's own
 * socket, and the one fallback uses). */
bool mptcp_conn_subflow_done(const struct mptcp_conn *mc, unsigned i);
/* Frees subflow i (after the caller freed its socket); later subflows move down one place. */
void mptcp_conn_drop_subflow(struct mptcp_conn *mc, unsigned i);

/* The peer's SYN (passive open): learns its MP_CAPABLE (key-less in v1, flags). Returns false
 * when the SYN carries no usable MP_CAPABLE (the caller then uses plain TCP). */
bool mptcp_conn_accept_syn(struct mptcp_conn *mc, const struct wire_segment *syn);

ssize_t mptcp_conn_write(struct mptcp_conn *mc, const void *buf, size_t n, uint64_t now);
ssize_t mptcp_conn_read(struct mptcp_conn *mc, void *buf, size_t n, uint64_t now);
int mptcp_conn_shutdown(struct mptcp_conn *mc, uint64_t now);
void mptcp_conn_abort(struct mptcp_conn *mc, uint64_t now);
size_t mptcp_conn_readable(const struct mptcp_conn *mc);
bool mptcp_conn_is_closed(const struct mptcp_conn *mc);

/* ---- inside the module (mptcp_conn.c <-> mptcp_subflow.c) --------------------------------- */

/* Learns the peer's key (MP_CAPABLE SYN/ACK or third ACK): tokens, IDSNs, data-level buffers. */
void mptcp_conn_set_remote_key(struct mptcp_conn *mc, uint64_t key);
/* A DATA_ACK arrived (64-bit, expanded) with the segment's window (already scaled). */
void mptcp_conn_data_ack(struct mptcp_conn *mc, uint64_t data_ack, uint32_t wnd, uint64_t now);
/* A DATA_FIN at dsn was announced by a mapping. */
void mptcp_conn_peer_data_fin(struct mptcp_conn *mc, uint64_t dsn, uint64_t now);
/* Moves the subflow's in-order, mapped bytes to the data level. */
void mptcp_conn_pull(struct mptcp_conn *mc, struct mptcp_subflow *sf, uint64_t now);
/* May this subflow carry data now (established, join complete, not stalled or closing)? */
bool mptcp_conn_usable(const struct mptcp_subflow *sf);
/* Hands data to subflows as the windows allow (the scheduler's turn). */
void mptcp_conn_push(struct mptcp_conn *mc, uint64_t now);
/* The shared receive window from rcv_nxt (3.3.4). */
size_t mptcp_conn_rcv_window(const struct mptcp_conn *mc);
/* A subflow announced win bytes from the current DATA_ACK. */
void mptcp_conn_window_sent(struct mptcp_conn *mc, uint32_t win);
/* DATA_ACK to send: the next DSN expected (counting the peer's DATA_FIN once received). */
uint64_t mptcp_conn_data_ack_value(const struct mptcp_conn *mc);
/* Every subflow finished or the connection failed: tell the owner once. */
void mptcp_conn_check_closed(struct mptcp_conn *mc, uint64_t now);
/* A subflow's ACK advanced: frees its mappings, and (fallback) the data level; pushes more. */
void mptcp_conn_subflow_acked(struct mptcp_conn *mc, struct mptcp_subflow *sf, uint64_t now);
/* An MP_JOIN subflow: active (we send the SYN) or passive (answering the peer's SYN, whose
 * option is applied with mptcp_join_accept_syn). NULL when the subflow limit is reached. */
struct mptcp_subflow *mptcp_conn_new_join_subflow(struct mptcp_conn *mc, uint8_t local_id,
                                                  uint32_t local_nonce, bool backup);
/* Passive join: takes the peer's address ID, nonce and backup flag from its MP_JOIN SYN.
 * False when the SYN carries no MP_JOIN. */
bool mptcp_join_accept_syn(struct mptcp_subflow *sf, const struct wire_segment *syn);
/* The token an MP_JOIN SYN is for, if it carries one. */
bool mptcp_join_syn_token(const struct wire_segment *syn, uint32_t *token);
/* Joins may be opened: the initial handshake is complete on both sides (3.1). */
bool mptcp_conn_join_ready(const struct mptcp_conn *mc);
/* A peer's join may be accepted: the connection is MPTCP, knows the peer's key, not closing. */
bool mptcp_conn_join_ready_passive(const struct mptcp_conn *mc);
/* Queues an ADD_ADDR for one of our addresses (3.4.1); it goes on the next pure ACKs. */
int mptcp_conn_announce(struct mptcp_conn *mc, uint8_t id, const umptcp_addr *addr, uint64_t now);
/* A signal (ADD_ADDR, REMOVE_ADDR, MP_PRIO) was queued: the next output of a working subflow
 * sends a segment without data to carry it (soon), or one goes out at once (now). */
void mptcp_conn_signal_soon(struct mptcp_conn *mc);
void mptcp_conn_signal_now(struct mptcp_conn *mc, uint64_t now);
/* The ADD_ADDR options due on a segment without data (an echo, or an announcement). */
size_t mptcp_addr_write(struct mptcp_conn *mc, uint8_t *buf, size_t room, uint64_t now);
/* An ADD_ADDR arrived (echo or announcement). */
void mptcp_addr_input(struct mptcp_conn *mc, struct mptcp_subflow *sf,
                      const struct wire_add_addr *a, uint64_t now);
/* A subflow closed with an error: its data not yet DATA_ACKed goes on others (3.3.6). */
void mptcp_conn_subflow_failed(struct mptcp_conn *mc, struct mptcp_subflow *sf, uint64_t now);
/* The peer sent MP_FASTCLOSE with our key (3.5): reset every subflow. */
void mptcp_conn_fastclosed(struct mptcp_conn *mc, uint64_t now);
/* REMOVE_ADDR (3.4.2, mptcp_addr.c). One of our addresses went away: its subflows are reset
 * (their data goes on the others), and the peer is told with REMOVE_ADDR when it knows the
 * address (a subflow used it or we announced it). */
void mptcp_conn_remove_local(struct mptcp_conn *mc, const umptcp_addr *addr, uint8_t id,
                             uint64_t now);
/* The REMOVE_ADDR due on a segment without data (0 when none or no room). */
size_t mptcp_rmaddr_write(struct mptcp_conn *mc, uint8_t *buf, size_t room, uint64_t now);
/* The peer's REMOVE_ADDR: closes our subflows to those IDs (never the last working one). */
void mptcp_rmaddr_input(struct mptcp_conn *mc, const struct wire_remove_addr *rm, uint64_t now);
/* MP_PRIO (3.3.8, mptcp_prio.c): changes the backup flag of our subflows from local (every
 * subflow when local is NULL) and tells the peer on each; the scheduler follows at once.
 * Returns how many subflows changed. */
unsigned mptcp_conn_set_backup(struct mptcp_conn *mc, const umptcp_addr *local, bool backup,
                               uint64_t now);
/* The MP_PRIO due on sf's next segment without data (0 when none or no room). */
size_t mptcp_prio_write(struct mptcp_subflow *sf, uint8_t *buf, size_t room, uint64_t now);
/* The peer's MP_PRIO on sf. */
void mptcp_prio_input(struct mptcp_subflow *sf, const struct wire_mp_prio *p, uint64_t now);
/* Data-level retransmission (mptcp_rtx.c): when the connection's timer is due (UINT64_MAX:
 * none), and its expiry. */
uint64_t mptcp_conn_next_timeout(const struct mptcp_conn *mc);
void mptcp_conn_on_timeout(struct mptcp_conn *mc, uint64_t now);
/* Sends data-level bytes [dsn, dsn + len) again now, on a working subflow other than except
 * when one can take them (else any); returns the bytes placed (0: none could). */
size_t mptcp_conn_resend(struct mptcp_conn *mc, uint64_t dsn, size_t len,
                         const struct mptcp_subflow *except, uint64_t now);
/* MP_TCPRST (3.6, mptcp_rst.c): the option for a RST of sf (counted MPRstTx), the peer's on
 * an arriving RST, its acceptance (counted MPRstRx, kept on sf), and resetting one subflow with
 * a reason (a RST carrying it, the socket closed with UMPTCP_ERR_RESET). */
size_t mptcp_rst_write(struct mptcp_subflow *sf, uint8_t *buf, size_t room);
void mptcp_rst_input(struct mptcp_subflow *sf, const struct wire_segment *seg);
void mptcp_rst_accepted(struct mptcp_subflow *sf);
void mptcp_subflow_reset(struct mptcp_subflow *sf, uint8_t reason, bool transient, uint64_t now);
/* The connection's scheduler (default: "minrtt"). UMPTCP_ERR_INVAL for an invalid table. */
int mptcp_conn_set_sched(struct mptcp_conn *mc, const struct mptcp_sched_ops *ops);

#endif
