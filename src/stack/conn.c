/* Connections and listeners of a stack: the public connection API, demultiplexing, events to
 * the application, and deferred freeing (the MPTCP parts are in conn_mptcp.c).
 * The tables are lists scanned linearly: fine for the tens of connections the tools and
 * tests use; a hash table comes when a benchmark asks for it. */
#include "stack/stack_internal.h"

#include "mptcp/mptcp_conn.h"
#include "mptcp/mptcp_join.h"
#include "stack/conn_opts.h"
#include "tcp/tcp_seq.h"
#include "umptcp/error.h"
#include "wire/tcp.h"

#include <stdlib.h>
#include <string.h>

#define STACK_EPHEMERAL_LO 49152
#define STACK_EPHEMERAL_HI 65535

void stack_event(umptcp_stack *s, umptcp_conn *c, umptcp_event_type type, int error,
                 umptcp_listener *l)
{
    if (s->event_cb == NULL)
        return;
    umptcp_event ev = {.type = type, .error = error, .listener = l};
    s->event_cb(s->event_user, c, &ev);
}

void umptcp_stack_set_event_cb(umptcp_stack *s, umptcp_event_cb cb, void *user)
{
    s->event_cb = cb;
    s->event_user = user;
}

/* ---- the connection list ---------------------------------------------------------------- */

static void conn_link(umptcp_stack *s, umptcp_conn *c)
{
    c->next = s->conns;
    if (s->conns != NULL)
        s->conns->prev = c;
    s->conns = c;
    s->nconns++;
}

static void conn_unlink(umptcp_stack *s, umptcp_conn *c)
{
    if (c->prev != NULL)
        c->prev->next = c->next;
    else
        s->conns = c->next;
    if (c->next != NULL)
        c->next->prev = c->prev;
    s->nconns--;
}

static void conn_queue_remove(umptcp_conn *c)
{
    umptcp_listener *l = c->listener;
    if (l == NULL)
        return;
    if (c->in_accept_queue) {
        umptcp_conn **pp = &l->queue_head;
        while (*pp != NULL && *pp != c)
            pp = &(*pp)->accept_next;
        if (*pp == c)
            *pp = c->accept_next;
        l->queue_tail = NULL;
        for (umptcp_conn *q = l->queue_head; q != NULL; q = q->accept_next)
            l->queue_tail = q;
        l->queued--;
        c->in_accept_queue = false;
    } else {
        l->pending--;
    }
    c->listener = NULL;
}

static void conn_mark_dead(umptcp_conn *c)
{
    conn_queue_remove(c);
    c->dead = true;
}

static void conn_free_socks(umptcp_conn *c);

void stack_enter(umptcp_stack *s)
{
    s->depth++;
}

void stack_leave(umptcp_stack *s)
{
    if (--s->depth > 0)
        return;
    umptcp_conn *c = s->conns;
    while (c != NULL) {
        umptcp_conn *next = c->next;
        if (c->dead) {
            conn_unlink(s, c);
            conn_free_socks(c);
            free(c);
        } else {
            conn_mptcp_reap_subflows(c);
        }
        c = next;
    }
}

void stack_conn_free_all(umptcp_stack *s)
{
    while (s->conns != NULL) {
        umptcp_conn *c = s->conns;
        conn_unlink(s, c);
        conn_free_socks(c);
        free(c);
    }
    while (s->listeners != NULL) {
        umptcp_listener *l = s->listeners;
        s->listeners = l->next;
        free(l);
    }
}

/* ---- what the socket tells the connection -------------------------------------------------- */

void conn_ev_established(umptcp_conn *c)
{
    umptcp_listener *l = c->listener;
    if (l == NULL) {
        /* A connection closed while its SYN was out is the stack's now: no event (the
         * handle is invalid for the application). */
        if (c->app_owned && !c->app_closed)
            stack_event(c->stack, c, UMPTCP_EV_CONNECTED, 0, NULL);
        return;
    }
    l->pending--;
    l->queued++;
    c->in_accept_queue = true;
    if (l->queue_tail != NULL)
        l->queue_tail->accept_next = c;
    else
        l->queue_head = c;
    l->queue_tail = c;
    stack_event(c->stack, NULL, UMPTCP_EV_ACCEPTABLE, 0, l);
}

void conn_ev_readable(umptcp_conn *c)
{
    if (c->app_owned && !c->app_closed)
        stack_event(c->stack, c, UMPTCP_EV_READABLE, 0, NULL);
}

void conn_ev_writable(umptcp_conn *c)
{
    if (c->want_write && c->app_owned && !c->app_closed) {
        c->want_write = false;
        stack_event(c->stack, c, UMPTCP_EV_WRITABLE, 0, NULL);
    }
}

void conn_ev_peer_closed(umptcp_conn *c)
{
    if (c->app_owned && !c->app_closed) {
        stack_event(c->stack, c, UMPTCP_EV_PEER_CLOSED, 0, NULL);
        stack_event(c->stack, c, UMPTCP_EV_READABLE, 0, NULL);
    }
}

void conn_ev_closed(umptcp_conn *c, int reason)
{
    if (!c->app_owned || c->app_closed) {
        conn_mark_dead(c);
        return;
    }
    stack_event(c->stack, c, UMPTCP_EV_CLOSED, reason, NULL);
}

static void conn_on_established(struct tcp_sock *sk, uint64_t now)
{
    (void)now;
    conn_ev_established(sk->upper);
}

static void conn_on_readable(struct tcp_sock *sk, uint64_t now)
{
    (void)now;
    conn_ev_readable(sk->upper);
}

static void conn_on_writable(struct tcp_sock *sk, uint64_t now)
{
    (void)now;
    conn_ev_writable(sk->upper);
}

static void conn_on_peer_fin(struct tcp_sock *sk, uint64_t now)
{
    (void)now;
    conn_ev_peer_closed(sk->upper);
}

static void conn_on_closed(struct tcp_sock *sk, int reason, uint64_t now)
{
    (void)now;
    conn_ev_closed(sk->upper, reason);
}

static const struct tcp_sock_ops conn_tcp_ops = {
    .established = conn_on_established,
    .readable = conn_on_readable,
    .writable = conn_on_writable,
    .peer_fin = conn_on_peer_fin,
    .closed = conn_on_closed,
};

/* ---- creating connections ------------------------------------------------------------------ */

/* The sockets of a connection: its one socket, or every subflow of an MPTCP connection
 * (index 0 is the initial subflow, the same as c->sk). */
static unsigned conn_nsocks(const umptcp_conn *c)
{
    return c->mp != NULL ? c->mp->nsub : 1;
}

static struct tcp_sock *conn_sock(const umptcp_conn *c, unsigned i)
{
    return c->mp != NULL ? c->mp->sub[i]->sk : c->sk;
}

static bool conn_sock_matches(const struct tcp_sock *sk, const umptcp_sockaddr *local,
                              const umptcp_sockaddr *remote)
{
    /* A CLOSED socket the application still holds is not a connection any more: its
     * segments meet the no-socket answer (RFC 9293 3.10.7.1), a RST. */
    return sk != NULL && sk->state != UMPTCP_STATE_CLOSED && sk->local.port == local->port &&
           sk->remote.port == remote->port && umptcp_addr_equal(&sk->local.addr, &local->addr) &&
           umptcp_addr_equal(&sk->remote.addr, &remote->addr);
}

/* The socket of any connection (any subflow) with this 4-tuple. */
static struct tcp_sock *conn_find_sock(const umptcp_stack *s, const umptcp_sockaddr *local,
                                       const umptcp_sockaddr *remote)
{
    for (umptcp_conn *c = s->conns; c != NULL; c = c->next) {
        if (c->dead)
            continue;
        for (unsigned i = 0; i < conn_nsocks(c); i++)
            if (conn_sock_matches(conn_sock(c, i), local, remote))
                return conn_sock(c, i);
    }
    return NULL;
}

static umptcp_conn *conn_find(const umptcp_stack *s, const umptcp_sockaddr *local,
                              const umptcp_sockaddr *remote)
{
    struct tcp_sock *sk = conn_find_sock(s, local, remote);
    if (sk == NULL)
        return NULL;
    for (umptcp_conn *c = s->conns; c != NULL; c = c->next)
        for (unsigned i = 0; !c->dead && i < conn_nsocks(c); i++)
            if (conn_sock(c, i) == sk)
                return c;
    return NULL;
}

/* Frees a connection's sockets and MPTCP state (the connection object itself stays). */
static void conn_free_socks(umptcp_conn *c)
{
    if (c->mp != NULL) {
        for (unsigned i = 1; i < c->mp->nsub; i++)
            tcp_sock_free(c->mp->sub[i]->sk);
    }
    tcp_sock_free(c->sk);
    mptcp_conn_free(c->mp);
}

static umptcp_conn *conn_new(umptcp_stack *s, const umptcp_sockaddr *local,
                             const umptcp_sockaddr *remote, int ifindex,
                             const umptcp_conn_opts *opts, bool passive, uint64_t now, int *err)
{
    if (s->nconns >= s->cfg.max_conns) {
        *err = UMPTCP_ERR_NOMEM;
        return NULL;
    }
    const char *cc_name = opts != NULL && opts->cc != NULL ? opts->cc : s->cfg.cc;
    const struct cc_ops *cc = cc_registry_find(&s->cc, cc_name);
    if (cc == NULL || !stack_conn_opts_known(s, opts)) {
        *err = UMPTCP_ERR_INVAL;
        return NULL;
    }
    umptcp_conn *c = calloc(1, sizeof(*c));
    if (c == NULL) {
        *err = UMPTCP_ERR_NOMEM;
        return NULL;
    }
    struct tcp_sock_params p = {
        .local = *local,
        .remote = *remote,
        .ifindex = ifindex,
        .cc = cc,
        .sndbuf = opts != NULL ? opts->sndbuf : 0,
        .rcvbuf = opts != NULL ? opts->rcvbuf : 0,
        .nodelay = opts != NULL && opts->nodelay,
        .isn_secret = s->isn_secret,
        .isn_secret_len = sizeof(s->isn_secret),
    };
    c->stack = s;
    c->user = opts != NULL ? opts->user : NULL;
    c->mptcp_requested = opts != NULL && opts->mptcp;
    if (opts != NULL && opts->mptcp) {
        c->sk = conn_mptcp_new(s, c, &p, opts, passive, now);
    } else {
        c->sk = tcp_sock_new(&s->env, &p, &conn_tcp_ops, c, now);
    }
    if (c->sk == NULL) {
        mptcp_conn_free(c->mp);
        free(c);
        *err = UMPTCP_ERR_NOMEM;
        return NULL;
    }
    conn_link(s, c);
    return c;
}

/* The first local address of the family (the one the application did not choose). */
static bool conn_pick_local(const umptcp_stack *s, uint8_t family, umptcp_addr *out)
{
    for (size_t i = 0; i < UMPTCP_MAX_INTERFACES; i++)
        for (size_t j = 0; j < s->ifaces[i].naddrs; j++)
            if (s->ifaces[i].addrs[j].family == family) {
                *out = s->ifaces[i].addrs[j];
                return true;
            }
    return false;
}

/* An ephemeral port that makes the 4-tuple unique, starting at a random place. */
int conn_pick_port(umptcp_stack *s, umptcp_sockaddr *local, const umptcp_sockaddr *remote)
{
    uint16_t r;
    s->cb.random(s->user, (uint8_t *)&r, sizeof(r));
    const unsigned span = STACK_EPHEMERAL_HI - STACK_EPHEMERAL_LO + 1;
    for (unsigned i = 0; i < span; i++) {
        local->port = (uint16_t)(STACK_EPHEMERAL_LO + (r + i) % span);
        if (conn_find(s, local, remote) == NULL)
            return UMPTCP_OK;
    }
    return UMPTCP_ERR_ADDRINUSE;
}

int umptcp_connect(umptcp_stack *s, const umptcp_sockaddr *remote, const umptcp_conn_opts *opts,
                   uint64_t now, umptcp_conn **out)
{
    if (s == NULL || remote == NULL || out == NULL || remote->port == 0 ||
        umptcp_addr_len(&remote->addr) == 0)
        return UMPTCP_ERR_INVAL;
    *out = NULL;
    stack_clock(s, now);
    umptcp_sockaddr local = {0};
    if (opts != NULL && opts->local_addr.family != UMPTCP_AF_NONE) {
        if (opts->local_addr.family != remote->addr.family)
            return UMPTCP_ERR_INVAL;
        local.addr = opts->local_addr;
    } else if (!conn_pick_local(s, remote->addr.family, &local.addr)) {
        return UMPTCP_ERR_NOROUTE;
    }
    int ifindex = stack_addr_ifindex(s, &local.addr);
    if (ifindex == 0)
        return UMPTCP_ERR_NOROUTE;
    int err = UMPTCP_OK;
    if (opts != NULL && opts->local_port != 0) {
        local.port = opts->local_port;
        if (conn_find(s, &local, remote) != NULL)
            return UMPTCP_ERR_ADDRINUSE;
    } else if ((err = conn_pick_port(s, &local, remote)) != UMPTCP_OK) {
        return err;
    }
    stack_enter(s);
    umptcp_conn *c = conn_new(s, &local, remote, ifindex, opts, false, now, &err);
    if (c != NULL) {
        c->app_owned = true;
        tcp_sock_connect(c->sk, now);
        *out = c;
    }
    stack_leave(s);
    return c != NULL ? UMPTCP_OK : err;
}

/* ---- listeners ---------------------------------------------------------------------------------
 */

static bool listener_matches(const umptcp_listener *l, const umptcp_sockaddr *local)
{
    if (l->local.port != local->port)
        return false;
    return l->local.addr.family == UMPTCP_AF_NONE ||
           umptcp_addr_equal(&l->local.addr, &local->addr);
}

int umptcp_listen(umptcp_stack *s, const umptcp_sockaddr *local, const umptcp_conn_opts *opts,
                  umptcp_listener **out)
{
    if (s == NULL || local == NULL || out == NULL || local->port == 0)
        return UMPTCP_ERR_INVAL;
    *out = NULL;
    for (umptcp_listener *l = s->listeners; l != NULL; l = l->next)
        if (l->local.port == local->port &&
            (l->local.addr.family == UMPTCP_AF_NONE || local->addr.family == UMPTCP_AF_NONE ||
             umptcp_addr_equal(&l->local.addr, &local->addr)))
            return UMPTCP_ERR_ADDRINUSE;
    if (opts != NULL && opts->cc != NULL && cc_registry_find(&s->cc, opts->cc) == NULL)
        return UMPTCP_ERR_INVAL;
    if (!stack_conn_opts_known(s, opts))
        return UMPTCP_ERR_INVAL;
    umptcp_listener *l = calloc(1, sizeof(*l));
    if (l == NULL)
        return UMPTCP_ERR_NOMEM;
    l->stack = s;
    l->local = *local;
    if (opts != NULL)
        l->opts = *opts;
    l->next = s->listeners;
    s->listeners = l;
    *out = l;
    return UMPTCP_OK;
}

umptcp_conn *umptcp_accept(umptcp_listener *l, int *err)
{
    umptcp_conn *c = l != NULL ? l->queue_head : NULL;
    if (c == NULL) {
        if (err != NULL)
            *err = l == NULL ? UMPTCP_ERR_INVAL : UMPTCP_ERR_AGAIN;
        return NULL;
    }
    l->queue_head = c->accept_next;
    if (l->queue_head == NULL)
        l->queue_tail = NULL;
    l->queued--;
    c->accept_next = NULL;
    c->in_accept_queue = false;
    c->listener = NULL;
    c->app_owned = true;
    if (err != NULL)
        *err = UMPTCP_OK;
    return c;
}

void umptcp_listener_close(umptcp_listener *l, uint64_t now)
{
    if (l == NULL)
        return;
    umptcp_stack *s = l->stack;
    stack_enter(s);
    for (umptcp_conn *c = s->conns; c != NULL; c = c->next) {
        if (c->listener == l) {
            tcp_sock_abort(c->sk, now);
            conn_mark_dead(c);
        }
    }
    umptcp_listener **pp = &s->listeners;
    while (*pp != l)
        pp = &(*pp)->next;
    *pp = l->next;
    free(l);
    stack_leave(s);
}

static bool conn_syn_has_mp_capable(const struct wire_segment *seg)
{
    for (unsigned i = 0; i < seg->opt.mptcp_count; i++)
        if (seg->opt.mptcp[i].len >= 3 && (seg->opt.mptcp[i].data[2] >> 4) == 0)
            return true;
    return false;
}

/* RFC 9293 3.10.7.2: a SYN for a listener becomes a connection in SYN_RECEIVED. */
static bool conn_listen_input(umptcp_stack *s, int ifindex, const struct wire_segment *seg,
                              uint64_t now)
{
    const struct wire_tcp_hdr *th = &seg->tcp;
    umptcp_sockaddr local = {.addr = seg->ip.dst, .port = th->dport};
    umptcp_sockaddr remote = {.addr = seg->ip.src, .port = th->sport};
    umptcp_listener *l = s->listeners;
    while (l != NULL && !listener_matches(l, &local))
        l = l->next;
    if (l == NULL)
        return false;
    if ((th->flags & (WIRE_TCP_SYN | WIRE_TCP_ACK | WIRE_TCP_RST)) != WIRE_TCP_SYN)
        return false; /* RST: ignore (counted by the caller); ACK: answered with RST */
    if (l->queued + l->pending >= s->cfg.backlog) {
        mib_inc(&s->mib, MIB_TCP_LISTEN_OVERFLOWS);
        return true; /* dropped silently: the peer retries (as Linux does) */
    }
    int err;
    /* An MPTCP listener answers MP_CAPABLE SYNs with MPTCP and other SYNs with TCP. */
    umptcp_conn_opts opts = l->opts;
    opts.mptcp = opts.mptcp && conn_syn_has_mp_capable(seg);
    umptcp_conn *c = conn_new(s, &local, &remote, ifindex, &opts, true, now, &err);
    if (c == NULL) {
        mib_inc(&s->mib, MIB_TCP_LISTEN_DROPS);
        return true;
    }
    c->listener = l;
    c->user = l->opts.user;
    c->mptcp_requested = l->opts.mptcp;
    l->pending++;
    if (c->mp != NULL && !mptcp_conn_accept_syn(c->mp, seg))
        mptcp_conn_fallback(c->mp, "unusable MP_CAPABLE on the SYN");
    tcp_sock_accept_syn(c->sk, seg, now);
    return true;
}

bool stack_conn_input(umptcp_stack *s, int ifindex, const struct wire_segment *seg, uint64_t now)
{
    umptcp_sockaddr local = {.addr = seg->ip.dst, .port = seg->tcp.dport};
    umptcp_sockaddr remote = {.addr = seg->ip.src, .port = seg->tcp.sport};
    struct tcp_sock *sk = conn_find_sock(s, &local, &remote);
    if (sk != NULL) {
        /* A new SYN on a finished TIME_WAIT pair could reopen it (RFC 9293 3.10.7.4 note);
         * we answer it as a segment for the old connection (challenge ACK). */
        tcp_input(sk, seg, now);
        return true;
    }
    bool handled;
    if (conn_mptcp_join_input(s, ifindex, seg, now, &handled))
        return handled;
    return conn_listen_input(s, ifindex, seg, now);
}

uint64_t stack_conn_next_timeout(const umptcp_stack *s)
{
    uint64_t next = UMPTCP_TIME_NEVER;
    for (const umptcp_conn *c = s->conns; c != NULL; c = c->next) {
        for (unsigned i = 0; !c->dead && i < conn_nsocks(c); i++) {
            uint64_t t = tcp_sock_next_timeout(conn_sock(c, i));
            if (t < next)
                next = t;
        }
        uint64_t t = c->dead || c->mp == NULL ? UMPTCP_TIME_NEVER : mptcp_conn_next_timeout(c->mp);
        if (t < next)
            next = t;
    }
    return next;
}

void stack_conn_on_timeout(umptcp_stack *s, uint64_t now)
{
    for (umptcp_conn *c = s->conns; c != NULL; c = c->next) {
        for (unsigned i = 0; !c->dead && i < conn_nsocks(c); i++)
            if (tcp_sock_next_timeout(conn_sock(c, i)) <= now)
                tcp_sock_on_timeout(conn_sock(c, i), now);
        if (!c->dead && c->mp != NULL)
            mptcp_conn_on_timeout(c->mp, now);
    }
}

/* ---- the application's calls ------------------------------------------------------------------
 */

ssize_t umptcp_conn_write(umptcp_conn *c, const void *buf, size_t n, uint64_t now)
{
    if (c == NULL || (buf == NULL && n > 0))
        return UMPTCP_ERR_INVAL;
    stack_enter(c->stack);
    ssize_t rc =
        c->mp != NULL ? mptcp_conn_write(c->mp, buf, n, now) : tcp_sock_write(c->sk, buf, n, now);
    if (rc == UMPTCP_ERR_AGAIN || (rc >= 0 && (size_t)rc < n))
        c->want_write = true;
    stack_leave(c->stack);
    return rc;
}

ssize_t umptcp_conn_read(umptcp_conn *c, void *buf, size_t n, uint64_t now)
{
    if (c == NULL || (buf == NULL && n > 0))
        return UMPTCP_ERR_INVAL;
    stack_enter(c->stack);
    ssize_t rc =
        c->mp != NULL ? mptcp_conn_read(c->mp, buf, n, now) : tcp_sock_read(c->sk, buf, n, now);
    stack_leave(c->stack);
    return rc;
}

int umptcp_conn_shutdown(umptcp_conn *c, uint64_t now)
{
    if (c == NULL)
        return UMPTCP_ERR_INVAL;
    stack_enter(c->stack);
    int rc = c->mp != NULL ? mptcp_conn_shutdown(c->mp, now) : tcp_sock_shutdown(c->sk, now);
    stack_leave(c->stack);
    return rc;
}

/* The MPTCP counterpart of the close below: DATA_FIN after the data, subflows close after. */
static int conn_close_mptcp(umptcp_conn *c, uint64_t now)
{
    if (mptcp_conn_is_closed(c->mp)) {
        conn_mark_dead(c);
        return UMPTCP_OK;
    }
    if (mptcp_conn_readable(c->mp) > 0) {
        mptcp_conn_abort(c->mp, now);
        conn_mark_dead(c);
        return UMPTCP_OK;
    }
    /* As for plain TCP: once nobody holds the connection, a subflow waiting in FIN_WAIT_2 for
     * a peer that never closes is given up after time_wait_ns, so the connection ends. */
    for (unsigned i = 0; i < conn_nsocks(c); i++)
        tcp_sock_orphan(conn_sock(c, i), now);
    return mptcp_conn_shutdown(c->mp, now);
}

int umptcp_conn_close(umptcp_conn *c, uint64_t now)
{
    if (c == NULL)
        return UMPTCP_ERR_INVAL;
    umptcp_stack *s = c->stack;
    stack_enter(s);
    c->app_closed = true;
    int rc = UMPTCP_OK;
    if (c->mp != NULL) {
        rc = conn_close_mptcp(c, now);
    } else if (c->sk->state == UMPTCP_STATE_CLOSED) {
        conn_mark_dead(c);
    } else if (tcp_rcvbuf_readable(&c->sk->rcv) > 0) {
        /* RFC 9293 3.10.4 / RFC 2525 2.17: closing with unread data resets. */
        tcp_sock_abort(c->sk, now);
        conn_mark_dead(c);
    } else {
        tcp_sock_orphan(c->sk, now);
        rc = tcp_sock_shutdown(c->sk, now);
        if (c->sk->state == UMPTCP_STATE_CLOSED)
            conn_mark_dead(c);
    }
    stack_leave(s);
    return rc == UMPTCP_ERR_STATE ? UMPTCP_OK : rc;
}

void umptcp_conn_abort(umptcp_conn *c, uint64_t now)
{
    if (c == NULL)
        return;
    umptcp_stack *s = c->stack;
    stack_enter(s);
    c->app_closed = true;
    if (c->mp != NULL)
        mptcp_conn_abort(c->mp, now);
    else
        tcp_sock_abort(c->sk, now);
    conn_mark_dead(c);
    stack_leave(s);
}

void *umptcp_conn_user(const umptcp_conn *c)
{
    return c != NULL ? c->user : NULL;
}

void umptcp_conn_set_user(umptcp_conn *c, void *user)
{
    if (c != NULL)
        c->user = user;
}

const char *umptcp_conn_state_name(umptcp_conn_state st)
{
    static const char *const names[] = {
        "CLOSED",     "LISTEN",     "SYN_SENT", "SYN_RECEIVED", "ESTABLISHED", "FIN_WAIT_1",
        "FIN_WAIT_2", "CLOSE_WAIT", "CLOSING",  "LAST_ACK",     "TIME_WAIT",
    };
    return (unsigned)st < sizeof(names) / sizeof(names[0]) ? names[st] : "?";
}
