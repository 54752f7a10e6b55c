/* The stack script interpreter (see stack_script.h for the input layout and the checks). */
#include "stack_script.h"
#include "stack_mptcp.h"

#include "stack/stack_internal.h"
#include "tcp/tcp_seq.h"
#include "umptcp/conn.h"
#include "umptcp/error.h"
#include "umptcp/stack.h"
#include "util/bytes.h"
#include "wire/checksum.h"
#include "wire/ip.h"
#include "wire/segment.h"
#include "wire/tcp.h"
#include "wire/tcp_opt.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The interpreter's own branches are not what the fuzzer should explore: without coverage
 * instrumentation here, libFuzzer's features are the stack's alone (and runs are faster). */
#if defined(__clang__) && __clang_major__ >= 13
#pragma clang attribute push(__attribute__((no_sanitize("coverage"))), apply_to = function)
#define SS_NO_COVERAGE_END _Pragma("clang attribute pop")
#else
#define SS_NO_COVERAGE_END
#endif

#define SS_MS 1000000ull
#define SS_START_NS (1000000ull * SS_MS) /* 1000 s: no timer deadline is ever 0 */
#define SS_MAX_VTIME_NS (30ull * 60 * 1000 * SS_MS)
#define SS_OP_BUDGET 2000    /* events (packets, timer runs) per op */
#define SS_DRAIN_BUDGET 4000 /* events per second of draining */
#define SS_DRAIN_SECONDS 600 /* at most 10 virtual minutes of draining */
/* Without any loss, nothing may wait for a retransmission or probe timer: the window
 * updates and ACKs that move data all arrive, so the drain ends within delayed-ACK times. */
#define SS_DRAIN_LOSSLESS_SECONDS 5
#define SS_QUIET_NS (600000ull * SS_MS) /* the final quiet period: 10 virtual minutes */
#define SS_QUIET_BUDGET 20000           /* events it may take */
#define SS_SETUP_NS (10000ull * SS_MS)
#define SS_WIRE_MAX_PKTS 512 /* packets in flight; more are dropped (a full queue) */
#define SS_MAX_ENDS 8        /* connections one application holds */
#define SS_IO_MAX 16384      /* bytes per write/read call */
#define SS_SUT_PORT 80
#define SS_PEER_PORT 8080
#define SS_IFINDEX 1
#define SS_SECOND_ADDR 10 /* MPTCP runs: host h also has 10.0.0.(h + 10) or fd00::(h + 10) */

#define SS_CHECK(cond, what)                                                                       \
    do {                                                                                           \
        if (!(cond))                                                                               \
            ss_fail(what, __LINE__);                                                               \
    } while (0)

static void ss_fail(const char *what, int line)
{
    fprintf(stderr, "stack_script: invariant violated (stack_script.c:%d): %s\n", line, what);
    abort();
}

struct ss_pkt {
    struct ss_pkt *next;
    uint64_t at;
    struct ss_side *to;
    size_t len;
    uint8_t data[];
};

/* One connection an application holds. */
struct ss_end {
    umptcp_conn *c;  /* NULL: free slot */
    uint64_t tx, rx; /* pattern bytes written / read */
    int err;         /* from the CLOSED event */
    bool closed_ev, eof;
};

struct ss_world;

/* One stack and its application. */
struct ss_side {
    struct ss_world *w;
    struct ss_side *other;
    umptcp_stack *st;
    umptcp_listener *lis;
    struct ss_end ends[SS_MAX_ENDS];
    umptcp_addr addr4, addr6;
    struct ss_mp_path path; /* MPTCP runs: the second address */
    uint64_t rng;
    uint64_t counters[MIB_COUNT];
    uint8_t drop_mask; /* of the packets this side sends */
    bool is_sut;
    bool reading; /* the peer reads everything at once */
    bool acceptable;
    uint8_t pattern_salt; /* of the bytes this side's application writes */
};

struct ss_world {
    struct ss_side sut, peer;
    struct ss_pkt *head, *tail;
    size_t in_flight;
    uint64_t now, end_time, delay;
    bool ipv6, nodelay;
    bool mptcp, mptcp_csum; /* SS_S_MPTCP, SS_S_MPTCP_CSUM */
    bool dirty;             /* a packet was injected: byte checks no longer apply */
    bool no_drop;           /* setup and drain: the wire loses nothing */
    bool lost;              /* the wire lost a packet at some point */
    bool sut_reading;       /* drain: the SUT's application also accepts and reads at once */
    bool trace;             /* STACK_SCRIPT_TRACE set: print each op and the final state */
    bool trace_pkts;        /* STACK_SCRIPT_TRACE=2: and every packet delivered */
    uint8_t io[SS_IO_MAX];
    uint8_t pkt[WIRE_IPV6_HDR_LEN + 65536];
};

static uint8_t ss_pattern(uint64_t off, uint8_t salt)
{
    return (uint8_t)((off * 7u) ^ (off >> 8) ^ salt);
}

/* ---- small input reader ----------------------------------------------------------------- */

struct ss_reader {
    const uint8_t *p;
    size_t n;
};

static uint8_t ss_u8(struct ss_reader *r)
{
    if (r->n == 0)
        return 0;
    r->n--;
    return *r->p++;
}

static uint16_t ss_u16(struct ss_reader *r)
{
    uint16_t hi = ss_u8(r);
    return (uint16_t)((hi << 8) | ss_u8(r));
}

/* ---- callbacks ----------------------------------------------------------------------------- */

static void ss_random(void *user, uint8_t *buf, size_t n)
{
    struct ss_side *s = user;
    for (size_t i = 0; i < n; i++) {
        s->rng ^= s->rng << 13;
        s->rng ^= s->rng >> 7;
        s->rng ^= s->rng << 17;
        buf[i] = (uint8_t)s->rng;
    }
}

/* Every packet a stack sends must be well formed and come from one of its addresses. */
static void ss_check_output(const struct ss_side *s, const uint8_t *pkt, size_t len)
{
    struct wire_segment seg;
    SS_CHECK(wire_segment_parse(pkt, len, &seg) == UMPTCP_OK, "sent packet does not parse");
    SS_CHECK(stack_addr_is_local(s->st, &seg.ip.src), "sent packet from a foreign address");
    SS_CHECK((seg.tcp.flags & (WIRE_TCP_SYN | WIRE_TCP_RST)) != (WIRE_TCP_SYN | WIRE_TCP_RST),
             "sent SYN+RST");
}

static int ss_send(void *user, int ifindex, const uint8_t *pkt, size_t len)
{
    struct ss_side *s = user;
    struct ss_world *w = s->w;
    SS_CHECK(ifindex == SS_IFINDEX, "sent on an unknown interface");
    ss_check_output(s, pkt, len);
    bool drop = !w->no_drop && (s->drop_mask & 1);
    s->drop_mask >>= 1;
    if (drop || w->in_flight >= SS_WIRE_MAX_PKTS) {
        w->lost = true;
        return UMPTCP_OK; /* lost on the wire */
    }
    struct ss_pkt *p = malloc(sizeof(*p) + len);
    SS_CHECK(p != NULL, "out of memory");
    p->next = NULL;
    p->at = w->now + w->delay;
    p->to = s->other;
    p->len = len;
    memcpy(p->data, pkt, len);
    if (w->tail != NULL)
        w->tail->next = p;
    else
        w->head = p;
    w->tail = p;
    w->in_flight++;
    return UMPTCP_OK;
}

static struct ss_end *ss_end_of(struct ss_side *s, const umptcp_conn *c)
{
    for (size_t i = 0; i < SS_MAX_ENDS; i++)
        if (s->ends[i].c == c && c != NULL)
            return &s->ends[i];
    return NULL;
}

static void ss_event(void *user, umptcp_conn *c, const umptcp_event *ev)
{
    struct ss_side *s = user;
    SS_CHECK(ev->type <= UMPTCP_EV_CLOSED, "unknown event");
    if (ev->type == UMPTCP_EV_ACCEPTABLE) {
        SS_CHECK(ev->listener == s->lis && s->lis != NULL, "ACCEPTABLE for an unknown listener");
        s->acceptable = true;
        return;
    }
    struct ss_end *e = ss_end_of(s, c);
    SS_CHECK(e != NULL, "event for a connection the application does not hold");
    if (ev->type == UMPTCP_EV_CLOSED) {
        SS_CHECK(!e->closed_ev, "second CLOSED event");
        SS_CHECK(ev->error <= 0 && ev->error >= UMPTCP_ERR_LAST, "CLOSED error out of range");
        e->closed_ev = true;
        e->err = ev->error;
    }
}

/* ---- invariants ------------------------------------------------------------------------------ */

static void ss_check_counters(struct ss_side *s)
{
    umptcp_counter now[MIB_COUNT];
    SS_CHECK(umptcp_stack_counters(s->st, now, MIB_COUNT) == MIB_COUNT, "counter count");
    for (size_t i = 0; i < MIB_COUNT; i++) {
        SS_CHECK(now[i].value >= s->counters[i], "a counter decreased");
        s->counters[i] = now[i].value;
    }
}

static void ss_check_sock(const umptcp_stack *st, const struct tcp_sock *sk)
{
    SS_CHECK(sk->state <= UMPTCP_STATE_TIME_WAIT, "state out of range");
    SS_CHECK(tcp_seq_leq(sk->snd_una, sk->snd_nxt), "SND.UNA beyond SND.NXT");
    SS_CHECK(sk->snd_nxt - sk->snd_una <= tcp_sndbuf_capacity(&sk->snd) + 2,
             "more in flight than the send buffer holds");
    SS_CHECK(tcp_rcvbuf_ooo_count(&sk->rcv) <= st->cfg.max_ooo_ranges,
             "out-of-order ranges beyond max_ooo_ranges");
    SS_CHECK(tcp_rcvbuf_capacity(&sk->rcv) <= sk->rcv_cfg.max_capacity,
             "receive buffer beyond its limit");
    SS_CHECK(tcp_rcvbuf_readable(&sk->rcv) + tcp_rcvbuf_ooo_bytes(&sk->rcv) <=
                 tcp_rcvbuf_capacity(&sk->rcv),
             "receive buffer holds more than its capacity");
}

static void ss_check_conn(const umptcp_stack *st, const umptcp_conn *c)
{
    SS_CHECK(!c->dead, "dead connection outlived the stack call");
    const char *mp_why = ss_mp_check(st, c);
    SS_CHECK(mp_why == NULL, mp_why);
    for (unsigned i = 0; i < ss_mp_nsocks(c); i++)
        ss_check_sock(st, ss_mp_sock(c, i));
    bool app_has_it = c->app_owned && !c->app_closed;
    if (!c->app_owned)
        SS_CHECK(c->listener != NULL, "connection owned by nobody");
    SS_CHECK(app_has_it || !ss_mp_all_closed(c), "CLOSED connection nobody holds was not freed");
    /* A connection only the stack holds must have a timer that eventually ends it (or be
     * waiting in an accept queue, which the backlog bounds). */
    if (!app_has_it && !c->in_accept_queue)
        SS_CHECK(ss_mp_next_timeout(c) != UMPTCP_TIME_NEVER,
                 "orphan connection without a timer lives forever");
}

static void ss_check_stack(struct ss_side *s)
{
    const umptcp_stack *st = s->st;
    size_t n = 0;
    for (const umptcp_conn *c = st->conns; c != NULL; c = c->next) {
        n++;
        SS_CHECK(n <= st->nconns, "connection list longer than its count");
        ss_check_conn(st, c);
    }
    SS_CHECK(n == st->nconns, "connection count disagrees with the list");
    SS_CHECK(n <= st->cfg.max_conns, "more connections than max_conns");
    for (const umptcp_listener *l = st->listeners; l != NULL; l = l->next) {
        size_t queued = 0, pending = 0;
        for (const umptcp_conn *c = st->conns; c != NULL; c = c->next)
            if (c->listener == l && c->in_accept_queue)
                queued++;
            else if (c->listener == l)
                pending++;
        SS_CHECK(queued == l->queued && pending == l->pending, "listener counts disagree");
        SS_CHECK(queued + pending <= st->cfg.backlog, "listener beyond its backlog");
    }
    ss_check_counters(s);
}

static void ss_check_rc(long rc, long max)
{
    SS_CHECK(rc >= UMPTCP_ERR_LAST && rc <= max, "return value out of range");
}

/* ---- the applications --------------------------------------------------------------------------
 */

static struct ss_end *ss_free_end(struct ss_side *s)
{
    for (size_t i = 0; i < SS_MAX_ENDS; i++)
        if (s->ends[i].c == NULL)
            return &s->ends[i];
    return NULL;
}

/* The sel-th connection the application holds (cycling), or NULL. */
static struct ss_end *ss_pick_end(struct ss_side *s, uint8_t sel)
{
    size_t held = 0;
    for (size_t i = 0; i < SS_MAX_ENDS; i++)
        held += s->ends[i].c != NULL;
    if (held == 0)
        return NULL;
    size_t k = sel % held;
    for (size_t i = 0; i < SS_MAX_ENDS; i++)
        if (s->ends[i].c != NULL && k-- == 0)
            return &s->ends[i];
    return NULL;
}

static void ss_accept_all(struct ss_side *s)
{
    if (s->lis == NULL)
        return;
    s->acceptable = false;
    for (;;) {
        struct ss_end *e = ss_free_end(s);
        if (e == NULL)
            return; /* the rest waits in the accept queue */
        int err = 0;
        umptcp_conn *c = umptcp_accept(s->lis, &err);
        if (c == NULL) {
            SS_CHECK(err == UMPTCP_ERR_AGAIN, "accept error");
            return;
        }
        memset(e, 0, sizeof(*e));
        e->c = c;
    }
}

static void ss_write(struct ss_side *s, struct ss_end *e, size_t n)
{
    struct ss_world *w = s->w;
    if (n > SS_IO_MAX)
        n = SS_IO_MAX;
    for (size_t i = 0; i < n; i++)
        w->io[i] = ss_pattern(e->tx + i, s->pattern_salt);
    ssize_t rc = umptcp_conn_write(e->c, w->io, n, w->now);
    ss_check_rc(rc, (long)n);
    if (rc > 0)
        e->tx += (uint64_t)rc;
}

/* Reads up to n bytes (loops while data comes); checks them against the writer's pattern. */
static void ss_read(struct ss_side *s, struct ss_end *e, size_t n)
{
    struct ss_world *w = s->w;
    while (n > 0) {
        size_t want = n < SS_IO_MAX ? n : SS_IO_MAX;
        ssize_t rc = umptcp_conn_read(e->c, w->io, want, w->now);
        ss_check_rc(rc, (long)want);
        if (rc <= 0) {
            if (rc == 0 && want > 0)
                e->eof = true;
            return;
        }
        SS_CHECK(!e->eof, "data after end of stream");
        if (!w->dirty)
            for (ssize_t i = 0; i < rc; i++)
                SS_CHECK(w->io[i] == ss_pattern(e->rx + (uint64_t)i, s->other->pattern_salt),
                         "received bytes differ from the bytes written");
        e->rx += (uint64_t)rc;
        n -= (size_t)rc;
    }
}

static void ss_let_go(struct ss_end *e)
{
    memset(e, 0, sizeof(*e));
}

static umptcp_conn_opts ss_opts(const struct ss_world *w)
{
    return (umptcp_conn_opts){
        .nodelay = w->nodelay, .mptcp = w->mptcp, .mptcp_checksum = w->mptcp_csum};
}

static void ss_connect(struct ss_side *s, bool other_family)
{
    struct ss_world *w = s->w;
    struct ss_end *e = ss_free_end(s);
    if (e == NULL)
        return;
    bool v6 = w->ipv6 != other_family;
    umptcp_sockaddr to = {.addr = v6 ? s->other->addr6 : s->other->addr4,
                          .port = s->is_sut ? SS_PEER_PORT : SS_SUT_PORT};
    umptcp_conn_opts o = ss_opts(w);
    umptcp_conn *c = NULL;
    int rc = umptcp_connect(s->st, &to, &o, w->now, &c);
    ss_check_rc(rc, 0);
    if (rc == UMPTCP_OK) {
        SS_CHECK(c != NULL, "connect gave no connection");
        memset(e, 0, sizeof(*e));
        e->c = c;
    }
}

static void ss_info(const struct ss_end *e)
{
    umptcp_conn_info info;
    SS_CHECK(umptcp_conn_get_info(e->c, &info) == UMPTCP_OK, "get_info failed");
    SS_CHECK(info.state <= UMPTCP_STATE_TIME_WAIT, "info state out of range");
    SS_CHECK(info.bytes_acked <= e->tx, "more bytes acknowledged than written");
    SS_CHECK(info.bytes_sent <= e->tx, "more bytes sent than written");
    SS_CHECK(info.bytes_received >= e->rx, "read more than received");
}

static void ss_sut_app(struct ss_world *w, struct ss_reader *r)
{
    struct ss_side *s = &w->sut;
    uint8_t action = ss_u8(r) % SS_SUT_COUNT, sel = ss_u8(r);
    size_t n = ss_u16(r);
    struct ss_end *e = ss_pick_end(s, sel);
    switch (action) {
    case SS_SUT_ACCEPT:
        ss_accept_all(s);
        return;
    case SS_SUT_CONNECT:
        ss_connect(s, (sel & 0x80) != 0);
        return;
    case SS_SUT_LISTENER_CLOSE:
        if (s->lis != NULL)
            umptcp_listener_close(s->lis, w->now);
        s->lis = NULL;
        return;
    default:
        break;
    }
    if (e == NULL)
        return;
    switch (action) {
    case SS_SUT_WRITE:
        ss_write(s, e, n);
        break;
    case SS_SUT_READ:
        ss_read(s, e, n);
        break;
    case SS_SUT_SHUTDOWN:
        ss_check_rc(umptcp_conn_shutdown(e->c, w->now), 0);
        break;
    case SS_SUT_CLOSE:
        ss_check_rc(umptcp_conn_close(e->c, w->now), 0);
        ss_let_go(e);
        break;
    case SS_SUT_ABORT:
        umptcp_conn_abort(e->c, w->now);
        ss_let_go(e);
        break;
    case SS_SUT_INFO:
        ss_info(e);
        break;
    default:
        break;
    }
}

static void ss_peer_app(struct ss_world *w, struct ss_reader *r)
{
    struct ss_side *s = &w->peer;
    uint8_t action = ss_u8(r) % SS_PEER_COUNT, sel = ss_u8(r);
    size_t n = ss_u16(r);
    if (action == SS_PEER_CONNECT) {
        ss_connect(s, (sel & 0x80) != 0);
        return;
    }
    if (action == SS_PEER_READ_TOGGLE) {
        s->reading = !s->reading;
        return;
    }
    struct ss_end *e = ss_pick_end(s, sel);
    if (e == NULL)
        return;
    switch (action) {
    case SS_PEER_WRITE:
        ss_write(s, e, n);
        break;
    case SS_PEER_SHUTDOWN:
        ss_check_rc(umptcp_conn_shutdown(e->c, w->now), 0);
        break;
    case SS_PEER_CLOSE:
        ss_check_rc(umptcp_conn_close(e->c, w->now), 0);
        ss_let_go(e);
        break;
    case SS_PEER_ABORT:
        umptcp_conn_abort(e->c, w->now);
        ss_let_go(e);
        break;
    default:
        break;
    }
}

/* Reads everything every connection of the side's application has. */
static void ss_read_all(struct ss_side *s)
{
    for (size_t i = 0; i < SS_MAX_ENDS; i++)
        if (s->ends[i].c != NULL)
            ss_read(s, &s->ends[i], SIZE_MAX);
}

/* The peer is well behaved: it accepts everything and reads everything at once. So does the
 * SUT's application while draining. */
static void ss_app_pump(struct ss_world *w)
{
    struct ss_side *s = &w->peer;
    if (s->acceptable)
        ss_accept_all(s);
    /* Connections beyond what the application holds are closed at once. */
    umptcp_conn *extra;
    while (s->lis != NULL && (extra = umptcp_accept(s->lis, NULL)) != NULL)
        ss_check_rc(umptcp_conn_close(extra, w->now), 0);
    if (s->reading)
        ss_read_all(s);
    if (w->sut_reading) {
        ss_accept_all(&w->sut);
        ss_read_all(&w->sut);
    }
}

/* ---- time and the wire ------------------------------------------------------------------------
 */

static uint64_t ss_min(uint64_t a, uint64_t b)
{
    return a < b ? a : b;
}

static uint64_t ss_next_event(const struct ss_world *w)
{
    uint64_t t = w->head != NULL ? w->head->at : UMPTCP_TIME_NEVER;
    t = ss_min(t, umptcp_stack_next_timeout(w->sut.st));
    return ss_min(t, umptcp_stack_next_timeout(w->peer.st));
}

static void ss_deliver_one(struct ss_world *w)
{
    struct ss_pkt *p = w->head;
    w->head = p->next;
    if (w->head == NULL)
        w->tail = NULL;
    w->in_flight--;
    if (w->trace_pkts)
        ss_mp_trace_pkt(p->to->is_sut ? "->sut " : "->peer", p->data, p->len, w->now);
    int rc = umptcp_stack_input(p->to->st, SS_IFINDEX, p->data, p->len, w->now);
    ss_check_rc(rc, 0);
    ss_check_stack(p->to);
    free(p);
}

static void ss_run_timers(struct ss_world *w, struct ss_side *s)
{
    if (umptcp_stack_next_timeout(s->st) > w->now)
        return;
    umptcp_stack_on_timeout(s->st, w->now);
    SS_CHECK(umptcp_stack_next_timeout(s->st) > w->now, "a timer is still due after on_timeout");
    ss_check_stack(s);
}

/* Runs packets and timers of both stacks in time order up to `until`, at most budget events.
 * Returns false when the budget ran out first. */
static bool ss_run_until(struct ss_world *w, uint64_t until, unsigned budget)
{
    ss_app_pump(w); /* the peer's application acts on what earlier calls changed */
    while (budget-- > 0) {
        uint64_t t = ss_next_event(w);
        if (t > until)
            break;
        if (t > w->now)
            w->now = t;
        if (w->head != NULL && w->head->at <= w->now) {
            ss_deliver_one(w);
        } else {
            ss_run_timers(w, &w->sut);
            ss_run_timers(w, &w->peer);
        }
        ss_app_pump(w);
        ss_check_stack(&w->peer);
    }
    bool in_time = ss_next_event(w) > until;
    if (until > w->now)
        w->now = until;
    return in_time;
}

/* ---- injected packets ---------------------------------------------------------------------------
 */

static void ss_add32(uint8_t *p, uint32_t base)
{
    be32_put(p, be32_get(p) + base);
}

struct ss_rebase_ctx {
    const struct tcp_sock *sk;
    uint8_t mode;
    uint64_t now;
};

static void ss_rebase_opt(uint8_t *opt, uint8_t len, void *user)
{
    const struct ss_rebase_ctx *x = user;
    if (opt[0] == WIRE_TCPOPT_SACK && (x->mode & SS_M_REL_SACK))
        for (size_t b = 2; b + 4 <= len; b += 4)
            ss_add32(opt + b, x->sk->snd_una);
    if (opt[0] == WIRE_TCPOPT_TIMESTAMP && len == WIRE_TCPOLEN_TIMESTAMP &&
        (x->mode & SS_M_REL_TS)) {
        ss_add32(opt + 2, x->sk->ts_recent);
        ss_add32(opt + 6, tcp_sock_tsval(x->sk, x->now));
    }
}

/* Makes the SACK blocks and timestamps of the options relative to the connection's state. */
static void ss_rebase_options(uint8_t *tcp, size_t len, const struct tcp_sock *sk, uint8_t mode,
                              uint64_t now)
{
    struct ss_rebase_ctx x = {sk, mode, now};
    ss_tcp_options_each(tcp, len, ss_rebase_opt, &x);
}

static void ss_inject_tcp(struct ss_world *w, struct ss_reader *r)
{
    struct ss_side *s = &w->sut;
    uint8_t mode = ss_u8(r), sel = ss_u8(r);
    size_t len = r->n < WIRE_TCP_HDR_LEN ? WIRE_TCP_HDR_LEN : r->n;
    uint8_t *tcp = w->pkt + WIRE_IPV6_HDR_LEN;
    memset(tcp, 0, WIRE_TCP_HDR_LEN);
    memcpy(tcp, r->p, r->n);
    if (r->n < WIRE_TCP_HDR_LEN)
        tcp[12] = 0x50; /* a bare header */
    r->n = 0;

    umptcp_sockaddr local, remote;
    struct ss_target t = {NULL, NULL};
    bool found = false;
    if ((mode & SS_M_SUBST) && (found = ss_nth_sock(s->st, sel, &t))) {
        local = t.sk->local;
        remote = t.sk->remote;
        be16_put(tcp, remote.port);
        be16_put(tcp + 2, local.port);
    } else {
        bool v6 = w->ipv6 != ((mode & SS_M_OTHER_FAM) != 0);
        const struct ss_side *from = &w->peer;
        local.addr = v6 ? s->addr6 : s->addr4;
        remote.addr = v6 ? from->addr6 : from->addr4;
        if (mode & SS_M_ALT_SRC)
            remote.addr.bytes[v6 ? 15 : 3] = 3; /* a host that is nobody on the wire */
        remote.port = be16_get(tcp);
        local.port = be16_get(tcp + 2);
        found = ss_find_sock(s->st, &local, &remote, &t);
    }
    if (found) {
        const struct tcp_sock *sk = t.sk;
        if (mode & SS_M_REL_SEQ)
            ss_add32(tcp + 4, tcp_rcv_nxt(sk));
        if (mode & SS_M_REL_ACK)
            ss_add32(tcp + 8, sk->snd_una);
        ss_rebase_options(tcp, len, sk, mode, w->now);
    }
    if (w->mptcp)
        ss_mp_rebase_options(tcp, len, found ? t.c->mp : ss_nth_mptcp(s->st, sel), t.sk,
                             !(mode & SS_M_BAD_CSUM));
    struct wire_ip_hdr ip = {.version = local.addr.family == UMPTCP_AF_INET6 ? 6 : 4,
                             .ttl = 64,
                             .proto = WIRE_IPPROTO_TCP,
                             .dont_fragment = true,
                             .src = remote.addr,
                             .dst = local.addr};
    size_t hdr_len = 0;
    uint8_t hdr[WIRE_IPV6_HDR_LEN];
    if (wire_ip_write(&ip, len, hdr, sizeof(hdr), &hdr_len) != UMPTCP_OK)
        return; /* too long for the IP length field */
    if (!(mode & SS_M_BAD_CSUM))
        wire_tcp_checksum_set(tcp, len, &remote.addr, &local.addr);
    uint8_t *pkt = tcp - hdr_len;
    memcpy(pkt, hdr, hdr_len);
    w->dirty = true;
    ss_check_rc(umptcp_stack_input(s->st, SS_IFINDEX, pkt, hdr_len + len, w->now), 0);
    ss_check_stack(s);
}

static void ss_inject_ip(struct ss_world *w, struct ss_reader *r)
{
    struct ss_side *s = &w->sut;
    uint8_t mode = ss_u8(r);
    size_t len = r->n;
    uint8_t *pkt = w->pkt;
    memcpy(pkt, r->p, len);
    r->n = 0;
    uint8_t version = len > 0 ? pkt[0] >> 4 : 0;
    if ((mode & 2) && version == 4 && len >= WIRE_IPV4_HDR_LEN) {
        memcpy(pkt + 12, w->peer.addr4.bytes, 4);
        memcpy(pkt + 16, s->addr4.bytes, 4);
    } else if ((mode & 2) && version == 6 && len >= WIRE_IPV6_HDR_LEN) {
        memcpy(pkt + 8, w->peer.addr6.bytes, 16);
        memcpy(pkt + 24, s->addr6.bytes, 16);
    }
    size_t ihl = len > 0 ? (size_t)(pkt[0] & 0x0f) * 4 : 0;
    if ((mode & 1) && version == 4 && ihl >= WIRE_IPV4_HDR_LEN && ihl <= len) {
        be16_put(pkt + 10, 0);
        be16_put(pkt + 10, wire_csum_fold(wire_csum_add(0, pkt, ihl)));
    }
    struct wire_ip_hdr ip;
    if ((mode & 1) && wire_ip_parse(pkt, len, &ip) == UMPTCP_OK && ip.proto == WIRE_IPPROTO_TCP &&
        ip.payload_len >= WIRE_TCP_HDR_LEN)
        wire_tcp_checksum_set(pkt + (ip.payload - pkt), ip.payload_len, &ip.src, &ip.dst);
    w->dirty = true;
    ss_check_rc(umptcp_stack_input(s->st, SS_IFINDEX, pkt, len, w->now), 0);
    ss_check_stack(s);
}

/* ---- set-up, the script, the drain -------------------------------------------------------------
 */

static void ss_config(umptcp_config *cfg, uint8_t flags, uint8_t sizes)
{
    static const uint32_t ooo[4] = {1, 4, 16, 64};
    umptcp_config_init(cfg);
    cfg->sndbuf = 4096u << (sizes & 3);
    cfg->rcvbuf = 2048u << ((sizes >> 2) & 3);
    cfg->rcvbuf_max = cfg->rcvbuf << ((sizes >> 4) & 3);
    cfg->max_ooo_ranges = ooo[sizes >> 6];
    cfg->max_conns = 6;
    cfg->backlog = 3;
    cfg->sack = !(flags & SS_F_NO_SACK);
    cfg->timestamps = !(flags & SS_F_NO_TS);
    cfg->window_scaling = !(flags & SS_F_NO_WSCALE);
    cfg->nagle = !(flags & SS_F_NODELAY);
    cfg->cc = (flags & SS_F_RENO) ? "reno" : "cubic";
    if (flags & SS_F_SMALL_MSS)
        cfg->mss = 536;
}

static void ss_side_init(struct ss_world *w, struct ss_side *s, const umptcp_config *cfg,
                         uint8_t host, uint8_t seed)
{
    static const umptcp_callbacks cb = {.send = ss_send, .random = ss_random};
    s->w = w;
    s->is_sut = host == 2;
    s->pattern_salt = s->is_sut ? 0xa5 : 0x3c;
    s->reading = true;
    s->rng = 0x9e3779b97f4a7c15ull ^ ((uint64_t)seed << 8) ^ host;
    SS_CHECK(umptcp_stack_new(&s->st, cfg, &cb, s) == UMPTCP_OK, "stack_new");
    umptcp_stack_set_event_cb(s->st, ss_event, s);
    s->addr4 = (umptcp_addr){.family = UMPTCP_AF_INET, .bytes = {10, 0, 0, host}};
    s->addr6 = (umptcp_addr){.family = UMPTCP_AF_INET6, .bytes = {0xfd, [15] = host}};
    SS_CHECK(umptcp_stack_add_address(s->st, SS_IFINDEX, &s->addr4) == UMPTCP_OK, "address");
    SS_CHECK(umptcp_stack_add_address(s->st, SS_IFINDEX, &s->addr6) == UMPTCP_OK, "address");
    if (w->mptcp) { /* a second address each: ADD_ADDR and joins */
        umptcp_addr a4 = s->addr4, a6 = s->addr6;
        a4.bytes[3] = a6.bytes[15] = (uint8_t)(host + SS_SECOND_ADDR);
        s->path.addr = w->ipv6 ? a6 : a4;
        SS_CHECK(umptcp_stack_add_address(s->st, SS_IFINDEX, &s->path.addr) == UMPTCP_OK,
                 "address");
    }
    umptcp_sockaddr any = {.port = s->is_sut ? SS_SUT_PORT : SS_PEER_PORT};
    umptcp_conn_opts o = ss_opts(w);
    SS_CHECK(umptcp_listen(s->st, &any, &o, &s->lis) == UMPTCP_OK, "listen");
}

static void ss_setup(struct ss_world *w, struct ss_reader *r)
{
    uint8_t flags = ss_u8(r), delay = ss_u8(r), seed = ss_u8(r), sizes = ss_u8(r);
    w->now = SS_START_NS;
    w->end_time = SS_START_NS + SS_MAX_VTIME_NS;
    w->delay = (uint64_t)(delay % 51) * SS_MS;
    w->ipv6 = (flags & SS_F_IPV6) != 0;
    w->nodelay = (flags & SS_F_NODELAY) != 0;
    w->mptcp = (seed & SS_S_MPTCP) != 0;
    w->mptcp_csum = (seed & SS_S_MPTCP_CSUM) != 0;
    umptcp_config cfg;
    ss_config(&cfg, flags, sizes);
    w->sut.other = &w->peer;
    w->peer.other = &w->sut;
    ss_side_init(w, &w->sut, &cfg, 2, seed);
    ss_side_init(w, &w->peer, &cfg, 1, seed);
    if (flags & SS_F_ESTABLISH) {
        w->no_drop = true;
        ss_connect(&w->peer, false);
        uint64_t give_up = w->now + SS_SETUP_NS;
        while (!w->sut.acceptable && w->now < give_up)
            ss_run_until(w, w->now + SS_MS, SS_OP_BUDGET);
        ss_accept_all(&w->sut);
        w->no_drop = false;
    }
}

static void ss_trace_state(const struct ss_world *w, const char *what)
{
    fprintf(stderr, "[%8.3f s] %-12s sut conns:", (double)(w->now - SS_START_NS) / 1e9, what);
    for (const umptcp_conn *c = w->sut.st->conns; c != NULL; c = c->next)
        fprintf(stderr, " %u:%s%s", c->sk->remote.port, umptcp_conn_state_name(c->sk->state),
                c->app_owned ? "(app)" : "");
    fprintf(stderr, "%s\n", w->dirty ? " [dirty]" : "");
}

static void ss_trace_socks(const struct ss_side *s)
{
    ss_mp_trace_socks(s->st, s->is_sut ? "sut " : "peer", s->w->now);
}

static void ss_trace_counters(const struct ss_side *s)
{
    for (size_t i = 0; i < MIB_COUNT; i++)
        if (s->counters[i] != 0)
            fprintf(stderr, "  %s %s=%llu\n", s->is_sut ? "sut" : "peer",
                    mib_name((enum mib_counter)i), (unsigned long long)s->counters[i]);
}

static void ss_op(struct ss_world *w, uint8_t op, struct ss_reader *r)
{
    static const char *const names[SS_OP_COUNT] = {"inject_tcp", "inject_ip", "advance",
                                                   "sut_app",    "peer_app",  "wire_drop"};
    if (w->trace) {
        fprintf(stderr, "op %s (%zu bytes):", names[op % SS_OP_COUNT], r->n);
        for (size_t i = 0; i < r->n && i < 8; i++)
            fprintf(stderr, " %02x", r->p[i]);
        fprintf(stderr, "\n");
    }
    switch (op % SS_OP_COUNT) {
    case SS_OP_INJECT_TCP:
        ss_inject_tcp(w, r);
        break;
    case SS_OP_INJECT_IP:
        ss_inject_ip(w, r);
        break;
    case SS_OP_ADVANCE: {
        uint64_t ms = r->n > 0 ? ss_u16(r) : 1;
        uint64_t until = w->now + ms * SS_MS;
        ss_run_until(w, until < w->end_time ? until : w->end_time, SS_OP_BUDGET);
        if (w->trace)
            ss_trace_state(w, "after op");
        return;
    }
    case SS_OP_SUT_APP:
        ss_sut_app(w, r);
        ss_check_stack(&w->sut);
        break;
    case SS_OP_PEER_APP:
        ss_peer_app(w, r);
        ss_check_stack(&w->peer);
        break;
    case SS_OP_WIRE_DROP:
        w->sut.drop_mask = ss_u8(r);
        w->peer.drop_mask = ss_u8(r);
        if (w->mptcp && r->n > 0) {
            uint8_t ev = ss_u8(r);
            const char *why = ss_mp_path_event(w->sut.st, SS_IFINDEX, &w->sut.path, ev);
            SS_CHECK(why == NULL, why);
            why = ss_mp_path_event(w->peer.st, SS_IFINDEX, &w->peer.path, ev >> 2);
            SS_CHECK(why == NULL, why);
            ss_check_stack(&w->sut);
            ss_check_stack(&w->peer);
        }
        break;
    default:
        break;
    }
    ss_run_until(w, w->now, SS_OP_BUDGET); /* whatever is due now */
    if (w->trace) {
        ss_trace_state(w, "after op");
        ss_trace_socks(&w->sut);
        ss_trace_socks(&w->peer);
    }
}

/* The peer end connected to SUT end e (mirrored 4-tuple), or NULL. */
static struct ss_end *ss_partner(struct ss_world *w, const struct ss_end *e)
{
    umptcp_conn_info a, b;
    umptcp_conn_get_info(e->c, &a);
    for (size_t i = 0; i < SS_MAX_ENDS; i++) {
        struct ss_end *p = &w->peer.ends[i];
        if (p->c == NULL)
            continue;
        umptcp_conn_get_info(p->c, &b);
        if (a.local.port == b.remote.port && a.remote.port == b.local.port &&
            umptcp_addr_equal(&a.local.addr, &b.remote.addr) &&
            umptcp_addr_equal(&a.remote.addr, &b.local.addr))
            return p;
    }
    return NULL;
}

static bool ss_end_failed(const struct ss_end *e)
{
    umptcp_conn_info info;
    umptcp_conn_get_info(e->c, &info);
    return e->err != 0 || info.error != 0;
}

/* True when every healthy pair has delivered everything in both directions. */
static bool ss_all_delivered(struct ss_world *w, bool final)
{
    for (size_t i = 0; i < SS_MAX_ENDS; i++) {
        struct ss_end *e = &w->sut.ends[i];
        if (e->c == NULL)
            continue;
        struct ss_end *p = ss_partner(w, e);
        if (p == NULL || ss_end_failed(e) || ss_end_failed(p))
            continue;
        bool done = p->rx == e->tx && e->rx == p->tx;
        if (final)
            SS_CHECK(done, "a healthy connection did not deliver everything (liveness)");
        if (!done)
            return false;
    }
    return true;
}

/* Without injected packets and losses, everything written must arrive. */
static void ss_drain(struct ss_world *w)
{
    if (w->dirty)
        return;
    w->no_drop = true;
    w->peer.reading = true;
    w->sut_reading = true;
    for (unsigned sec = 0; sec < SS_DRAIN_SECONDS; sec++) {
        ss_app_pump(w);
        ss_check_stack(&w->sut);
        if (ss_all_delivered(w, false))
            return;
        SS_CHECK(w->lost || sec < SS_DRAIN_LOSSLESS_SECONDS,
                 "a lossless connection stalls (waits for a timer to deliver its data)");
        if (w->trace) {
            ss_trace_state(w, "drain");
            ss_trace_socks(&w->sut);
            ss_trace_socks(&w->peer);
        }
        ss_run_until(w, w->now + 1000 * SS_MS, SS_DRAIN_BUDGET);
    }
    ss_all_delivered(w, true);
}

/* Whatever the script did, once the applications only read, the two stacks fall quiet: no
 * ACK war (two ends answering each other's ACKs forever) or other endless exchange. */
static void ss_quiesce(struct ss_world *w)
{
    w->no_drop = true;
    w->peer.reading = true;
    w->sut_reading = true;
    SS_CHECK(ss_run_until(w, w->now + SS_QUIET_NS, SS_QUIET_BUDGET),
             "the stacks keep exchanging packets (an ACK war?)");
}

static void ss_free_world(struct ss_world *w)
{
    umptcp_stack_free(w->sut.st);
    umptcp_stack_free(w->peer.st);
    while (w->head != NULL) {
        struct ss_pkt *p = w->head;
        w->head = p->next;
        free(p);
    }
    free(w);
}

void stack_script_run(const uint8_t *data, size_t size)
{
    struct ss_world *w = calloc(1, sizeof(*w));
    SS_CHECK(w != NULL, "out of memory");
    struct ss_reader r = {.p = data, .n = size};
    const char *trace = getenv("STACK_SCRIPT_TRACE");
    w->trace = trace != NULL;
    w->trace_pkts = trace != NULL && strcmp(trace, "2") == 0;
    ss_setup(w, &r);
    if (w->trace)
        ss_trace_state(w, "setup");
    for (unsigned ops = 0; ops < SS_MAX_OPS && r.n > 0; ops++) {
        uint8_t op = ss_u8(&r);
        size_t len = ss_u16(&r);
        struct ss_reader rec = {.p = r.p, .n = len < r.n ? len : r.n};
        r.p += rec.n;
        r.n -= rec.n;
        ss_op(w, op, &rec);
    }
    ss_drain(w);
    ss_quiesce(w);
    if (w->trace) {
        ss_trace_state(w, "end");
        for (size_t i = 0; i < SS_MAX_ENDS; i++)
            if (w->sut.ends[i].c != NULL || w->peer.ends[i].c != NULL)
                fprintf(
                    stderr, "  end %zu: sut tx %llu rx %llu err %d | peer tx %llu rx %llu err %d\n",
                    i, (unsigned long long)w->sut.ends[i].tx, (unsigned long long)w->sut.ends[i].rx,
                    w->sut.ends[i].err, (unsigned long long)w->peer.ends[i].tx,
                    (unsigned long long)w->peer.ends[i].rx, w->peer.ends[i].err);
        ss_trace_counters(&w->sut);
        ss_trace_counters(&w->peer);
    }
    ss_free_world(w);
}

SS_NO_COVERAGE_END
