/* Connections of a umptcp stack: listen/accept, connect, read/write, shutdown, close, abort,
 * and what an application can learn about a connection. Every call takes `now` (ns) because
 * the stack is sans-IO: calls change state and may send packets through the stack's send
 * callback at once.
 *
 * Lifetime: a umptcp_conn handle belongs to the application from umptcp_connect() or
 * umptcp_accept() until umptcp_conn_close() or umptcp_conn_abort(); after that the stack keeps
 * whatever protocol state is still needed (FIN exchange, TIME_WAIT) on its own and frees it. */
#ifndef UMPTCP_CONN_H
#define UMPTCP_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "umptcp/addr.h"
#include "umptcp/export.h"
#include "umptcp/stack.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct umptcp_conn umptcp_conn;
typedef struct umptcp_listener umptcp_listener;

/* Per-connection choices; zero-initialised means "the stack's defaults". */
typedef struct umptcp_conn_opts {
    const char *cc;         /* congestion control by name (reno, cubic, ...); NULL = default */
    bool nodelay;           /* disable Nagle's algorithm (RFC 9293 3.7.4) */
    umptcp_addr local_addr; /* connect: source address; family NONE = chosen by the stack */
    uint16_t local_port;    /* connect: source port; 0 = an ephemeral port */
    uint32_t sndbuf;        /* send buffer bytes; 0 = stack default */
    uint32_t rcvbuf;        /* initial receive buffer bytes; 0 = stack default */
    void *user;             /* returned by umptcp_conn_user() and in events */
    /* MPTCP (RFC 8684; experimental). connect: try MPTCP (plain TCP when the peer does not
     * answer with MP_CAPABLE); listen: answer MP_CAPABLE SYNs with MPTCP, others with TCP.
     * umptcp_conn_get_mptcp_info() (umptcp/mptcp.h) tells what came of it. With mptcp set, an
     * unknown pm or sched name makes connect/listen fail with UMPTCP_ERR_INVAL. */
    bool mptcp;
    bool mptcp_checksum;  /* ask for DSS checksums (the A flag) */
    const char *pm;       /* path manager by name ("fullmesh", "ndiffports"); NULL = "fullmesh" */
    const char *sched;    /* packet scheduler by name ("minrtt", "rr"); NULL = "minrtt" */
    uint8_t max_subflows; /* subflows open at once, the first included; 0 = 8 (the most) */
} umptcp_conn_opts;

/* The most subflows an MPTCP connection can have. */
#define UMPTCP_MPTCP_MAX_SUBFLOWS 8

/* Connection states as RFC 9293 names them. For an MPTCP connection umptcp_conn_get_info()
 * gives the data level's (RFC 8684 3.3.3: the DATA_FINs play the part of the FINs; TIME_WAIT
 * once both are acknowledged, while subflows finish); before the handshake completes and
 * after a fallback to TCP, the initial subflow's. */
typedef enum umptcp_conn_state {
    UMPTCP_STATE_CLOSED,
    UMPTCP_STATE_LISTEN,
    UMPTCP_STATE_SYN_SENT,
    UMPTCP_STATE_SYN_RECEIVED,
    UMPTCP_STATE_ESTABLISHED,
    UMPTCP_STATE_FIN_WAIT_1,
    UMPTCP_STATE_FIN_WAIT_2,
    UMPTCP_STATE_CLOSE_WAIT,
    UMPTCP_STATE_CLOSING,
    UMPTCP_STATE_LAST_ACK,
    UMPTCP_STATE_TIME_WAIT,
} umptcp_conn_state;

UMPTCP_API const char *umptcp_conn_state_name(umptcp_conn_state st);

/* ---- events (the stack's event callback, umptcp_stack_set_event_cb) ------------------- */

typedef enum umptcp_event_type {
    UMPTCP_EV_CONNECTED,   /* the handshake completed (active open) */
    UMPTCP_EV_ACCEPTABLE,  /* a listener has an established connection for umptcp_accept() */
    UMPTCP_EV_READABLE,    /* data or end of stream can be read */
    UMPTCP_EV_WRITABLE,    /* room in the send buffer again after a short write */
    UMPTCP_EV_PEER_CLOSED, /* the peer finished sending (FIN); reads return 0 after the data */
    UMPTCP_EV_CLOSED,      /* the connection is over; `error` says how (0 = orderly) */
} umptcp_event_type;

typedef struct umptcp_event {
    umptcp_event_type type;
    int error;                 /* CLOSED: 0, UMPTCP_ERR_RESET, _TIMEOUT, _REFUSED, _ABORTED */
    umptcp_listener *listener; /* ACCEPTABLE */
} umptcp_event;

/* c is NULL for ACCEPTABLE. Called from inside stack calls: the handler may call read, write
 * and shutdown on c, but must not free the stack. */
typedef void (*umptcp_event_cb)(void *user, umptcp_conn *c, const umptcp_event *ev);
UMPTCP_API void umptcp_stack_set_event_cb(umptcp_stack *s, umptcp_event_cb cb, void *user);

/* ---- passive open ------------------------------------------------------------------------- */

/* Listens on local->port, on local->addr or on every local address when its family is NONE.
 * Errors: UMPTCP_ERR_INVAL, UMPTCP_ERR_ADDRINUSE, UMPTCP_ERR_NOMEM. */
UMPTCP_API int umptcp_listen(umptcp_stack *s, const umptcp_sockaddr *local,
                             const umptcp_conn_opts *opts, umptcp_listener **out);
/* The next established connection, or NULL (UMPTCP_ERR_AGAIN in *err when err != NULL). */
UMPTCP_API umptcp_conn *umptcp_accept(umptcp_listener *l, int *err);
/* Stops listening; connections not yet accepted are reset. */
UMPTCP_API void umptcp_listener_close(umptcp_listener *l, uint64_t now);

/* ---- active open -------------------------------------------------------------------------- */

/* Starts the handshake to remote (the SYN leaves before this returns). The connection is
 * usable for writes at once (data waits for the handshake). Errors: UMPTCP_ERR_INVAL,
 * UMPTCP_ERR_NOROUTE (no local address of the family), UMPTCP_ERR_ADDRINUSE, _NOMEM. */
UMPTCP_API int umptcp_connect(umptcp_stack *s, const umptcp_sockaddr *remote,
                              const umptcp_conn_opts *opts, uint64_t now, umptcp_conn **out);

/* ---- data ----------------------------------------------------------------------------------- */

/* Queues up to n bytes; returns how many were taken (a short count when the send buffer is
 * full), UMPTCP_ERR_AGAIN when none fit, UMPTCP_ERR_STATE after shutdown, or the error that
 * closed the connection (UMPTCP_ERR_RESET, ...). */
UMPTCP_API ssize_t umptcp_conn_write(umptcp_conn *c, const void *buf, size_t n, uint64_t now);
/* Copies up to n received bytes; 0 means the peer finished sending and everything was read;
 * UMPTCP_ERR_AGAIN when nothing is there yet; or the error that closed the connection. */
UMPTCP_API ssize_t umptcp_conn_read(umptcp_conn *c, void *buf, size_t n, uint64_t now);
/* Ends the sending direction once the queued data is sent (FIN). */
UMPTCP_API int umptcp_conn_shutdown(umptcp_conn *c, uint64_t now);
/* Shuts down if not done yet and hands the connection over to the stack; c is invalid after. */
UMPTCP_API int umptcp_conn_close(umptcp_conn *c, uint64_t now);
/* Resets the connection (RST) and frees it; c is invalid after. */
UMPTCP_API void umptcp_conn_abort(umptcp_conn *c, uint64_t now);

/* ---- information ---------------------------------------------------------------------------- */

/* A plain TCP connection's view of its socket. For an MPTCP connection: the data level's
 * state, bytes (sent = handed to subflows, acked = DATA_ACKed, received = in order at the
 * data level), windows and error; segments and retransmissions summed over the subflows;
 * RTT, RTO, cwnd, ssthresh, MSS and cc of the initial subflow (per subflow:
 * umptcp_conn_get_subflow_info() in umptcp/mptcp.h). */
typedef struct umptcp_conn_info {
    umptcp_conn_state state;
    umptcp_sockaddr local, remote;
    uint64_t bytes_sent;     /* bytes given to the network, retransmissions excluded */
    uint64_t bytes_acked;    /* bytes the peer acknowledged */
    uint64_t bytes_received; /* bytes delivered in order (readable or read) */
    uint64_t segs_out, segs_in;
    uint64_t retrans_segs; /* segments retransmitted */
    uint64_t srtt_us;      /* smoothed RTT; 0 before the first sample */
    uint64_t rttvar_us;
    uint64_t rto_us;
    uint32_t cwnd;     /* bytes */
    uint32_t ssthresh; /* bytes */
    uint32_t mss;      /* sender MSS */
    uint32_t snd_wnd;  /* peer's advertised window, bytes */
    uint32_t rcv_wnd;  /* our advertised window, bytes */
    const char *cc;    /* congestion control name */
    int error;         /* why it closed, 0 while open or after an orderly close */
} umptcp_conn_info;

UMPTCP_API int umptcp_conn_get_info(const umptcp_conn *c, umptcp_conn_info *out);
UMPTCP_API void *umptcp_conn_user(const umptcp_conn *c);
UMPTCP_API void umptcp_conn_set_user(umptcp_conn *c, void *user);

#ifdef __cplusplus
}
#endif
#endif
