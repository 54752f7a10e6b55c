/* The stack object, shared by the files of src/stack. */
#ifndef UMPTCP_STACK_INTERNAL_H
#define UMPTCP_STACK_INTERNAL_H

#include "cc/cc.h"
#include "mptcp/mptcp_sched.h"
#include "mptcp/mptcp_token.h"
#include "pm/pm.h"
#include "stack/mib.h"
#include "tcp/tcp_sock.h"
#include "umptcp/conn.h"
#include "umptcp/stack.h"
#include "wire/segment.h"

#include <stdbool.h>

/* Largest IP packet the stack builds (IPv4 total length / IPv6 header + payload length). */
#define UMPTCP_MAX_PACKET 65535

struct stack_iface {
    int ifindex; /* 0 = free slot */
    uint8_t naddrs;
    umptcp_addr addrs[UMPTCP_MAX_IFACE_ADDRS];
    uint8_t ids[UMPTCP_MAX_IFACE_ADDRS]; /* MPTCP address IDs, stable while the address is */
    bool backup[UMPTCP_MAX_IFACE_ADDRS]; /* subflows from it ask for backup priority */
};

struct mptcp_conn;

/* A connection as the application sees it (plain TCP: one socket). */
struct umptcp_conn {
    umptcp_stack *stack;
    struct tcp_sock *sk;
    umptcp_listener *listener; /* passive open, until accepted */
    umptcp_conn *next, *prev;  /* the stack's list */
    umptcp_conn *accept_next;  /* the listener's accept queue */
    struct mptcp_conn *mp;     /* MPTCP: the data level; sk is then its initial subflow */
    struct mptcp_pm pm;        /* MPTCP: its path manager */
    void *user;
    bool mptcp_requested; /* opened or accepted with opts.mptcp (mp is NULL when the peer's
                             SYN had no MP_CAPABLE) */
    bool in_accept_queue;
    bool app_owned;  /* the application holds the handle */
    bool app_closed; /* the application let go: the stack finishes and frees */
    bool dead;       /* to be freed when the outermost stack call returns */
    bool want_write; /* a write was short: send WRITABLE when room appears */
};

struct umptcp_listener {
    umptcp_stack *stack;
    umptcp_sockaddr local; /* family NONE: every local address */
    umptcp_conn_opts opts;
    umptcp_conn *queue_head, *queue_tail; /* established, not yet accepted */
    size_t queued;                        /* in the accept queue */
    size_t pending;                       /* handshakes in progress */
    umptcp_listener *next;
};

#define STACK_ISN_SECRET_LEN 32

struct umptcp_stack {
    umptcp_config cfg;
    umptcp_callbacks cb;
    void *user;
    umptcp_event_cb event_cb;
    void *event_user;
    struct stack_iface ifaces[UMPTCP_MAX_INTERFACES];
    struct mib mib;
    struct cc_registry cc;
    struct mptcp_pm_registry pm;
    struct mptcp_sched_registry sched;
    uint8_t next_addr_id; /* the last MPTCP address ID given to a local address */
    uint64_t now;         /* the latest time the stack was given (for address changes) */
    struct mptcp_token_table tokens;
    struct tcp_env env;
    uint8_t isn_secret[STACK_ISN_SECRET_LEN];
    umptcp_conn *conns; /* every connection, accepted or not, open or finishing */
    size_t nconns;
    umptcp_listener *listeners;
    unsigned depth; /* nesting of stack calls (events may call back in) */
    uint8_t scratch[UMPTCP_MAX_PACKET];
    uint8_t txbuf[UMPTCP_MAX_PACKET]; /* where stack_emit builds each outgoing packet */
};

/* True when addr is one of the stack's local addresses (weak host model: on any interface). */
bool stack_addr_is_local(const umptcp_stack *s, const umptcp_addr *addr);

/* Builds a segment from spec and hands it to the send callback on ifindex. Counts
 * TcpOutSegs (and TcpOutRsts for RST) or IpOutDiscards. Returns 0 or the error. */
int stack_emit(umptcp_stack *s, int ifindex, const struct wire_segment_spec *spec);

/* RFC 9293 3.10.7.1: the answer to a segment for which there is no connection. */
void stack_reply_no_socket(umptcp_stack *s, int ifindex, const struct wire_segment *seg);
/* The same RST, with these options (NULL: none). */
void stack_reply_rst(umptcp_stack *s, int ifindex, const struct wire_segment *seg,
                     const struct wire_tcp_options *opt);

/* Moves s->now forward to now (never back). */
void stack_clock(umptcp_stack *s, uint64_t now);

/* Interface that holds a local address, 0 when none. */
int stack_addr_ifindex(const umptcp_stack *s, const umptcp_addr *addr);
/* Is the local address marked backup (umptcp_stack_set_backup)? */
bool stack_addr_is_backup(const umptcp_stack *s, const umptcp_addr *addr);

/* conn.c: the connection table. */
void stack_enter(umptcp_stack *s);
void stack_leave(umptcp_stack *s); /* frees dead connections at the outermost level */
/* Delivers a parsed segment to its connection or listener; false when none took it. */
bool stack_conn_input(umptcp_stack *s, int ifindex, const struct wire_segment *seg, uint64_t now);
uint64_t stack_conn_next_timeout(const umptcp_stack *s);
void stack_conn_on_timeout(umptcp_stack *s, uint64_t now);
void stack_conn_free_all(umptcp_stack *s);
void stack_event(umptcp_stack *s, umptcp_conn *c, umptcp_event_type type, int error,
                 umptcp_listener *l);
/* The application's events (conn.c), raised by the MPTCP side too. */
void conn_ev_established(umptcp_conn *c);
void conn_ev_readable(umptcp_conn *c);
void conn_ev_writable(umptcp_conn *c);
void conn_ev_peer_closed(umptcp_conn *c);
void conn_ev_closed(umptcp_conn *c, int reason);
/* An ephemeral port that makes local:port -> remote unique. */
int conn_pick_port(umptcp_stack *s, umptcp_sockaddr *local, const umptcp_sockaddr *remote);

/* conn_mptcp.c: the MPTCP side of connections. */
/* The path manager opts asks for (NULL opts or name: the default); NULL when unknown. */
const struct mptcp_pm_ops *conn_pm_find(const umptcp_stack *s, const umptcp_conn_opts *opts);
/* The data level and the initial subflow's socket of a new MPTCP connection (NULL: no memory
 * or an unknown path manager). */
struct tcp_sock *conn_mptcp_new(umptcp_stack *s, umptcp_conn *c, struct tcp_sock_params *p,
                                const umptcp_conn_opts *opts, bool passive, uint64_t now);
/* A local address came or went: every MPTCP connection's path manager hears of it; one that
 * went is removed from each connection (REMOVE_ADDR, 3.4.2). Timed at s->now. */
void conn_mptcp_local_addr_added(umptcp_stack *s, const struct pm_local_addr *a);
void conn_mptcp_local_addr_removed(umptcp_stack *s, const struct pm_local_addr *a);
/* When c's subflow array is full, frees the sockets and records of the subflows done with
 * (mptcp_conn_subflow_done), so that paths that come and go never use up the connection's
 * subflows. Only outside callbacks (stack_leave), where no caller holds those sockets. */
void conn_mptcp_reap_subflows(umptcp_conn *c);
/* A peer's MP_JOIN SYN (3.2); false when seg is not one. */
bool conn_mptcp_join_input(umptcp_stack *s, int ifindex, const struct wire_segment *seg,
                           uint64_t now, bool *handled);

#endif
