/* The stack object, shared by the files of src/stack. */
#ifndef UMPTCP_STACK_INTERNAL_H
#define UMPTCP_STACK_INTERNAL_H

#include "cc/cc.h"
#include "mptcp/mptcp_token.h"
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
    void *user;
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

/* Interface that holds a local address, 0 when none. */
int stack_addr_ifindex(const umptcp_stack *s, const umptcp_addr *addr);

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

#endif
