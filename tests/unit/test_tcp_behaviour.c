/* Behaviour of the TCP engine seen from the wire, on the two-stack bed (tests/support/tcp_pair):
 * zero-window probing, Nagle, delayed ACK, simultaneous open and close, TIME_WAIT (RFC 1337),
 * refused and timed-out connections, abort, close with unread data, listener backlog,
 * half-close, send-buffer limits, MSS, and option negotiation when one side turns an option
 * off. Every check looks at what crossed the wire, the events and the counters. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "tcp_pair.h"
#include "testutil.h"
#include "umptcp/conn.h"
#include "umptcp/error.h"
#include "umptcp/stack.h"
#include "wire/segment.h"
#include "wire/tcp.h"

#include <stdlib.h>
#include <string.h>

#define MS TP_MS
#define SEC TP_SEC
#define PORT 5201
#define MAX_DROPS 16

/* One packet that was sent, as the trace saw it. */
struct rec {
    int from;
    uint64_t sent, arrive;
    bool dropped, injected;
    uint8_t flags;
    uint32_t seq, ack;
    uint16_t win;
    uint32_t len;
    uint32_t opts; /* WIRE_OPT_* present */
    uint16_t mss;
    uint8_t wscale;
    bool probe;   /* TcpExtTCPWinProbe grew with this packet (A) */
    bool timeout; /* TcpExtTCPTimeouts grew with this packet (A) */
};

struct ctx {
    struct tcp_pair *p;
    umptcp_listener *lis;
    umptcp_conn *c[2];     /* A's and B's connection */
    struct tp_stream s[2]; /* s[i]: written by side i, read by the other */
    bool stream_on[2];     /* side i writes s[i] on events */
    bool auto_accept, auto_read[2], shutdown_on_eof[2];
    /* events */
    unsigned connected[2], writable[2], acceptable, peer_closed[2];
    bool closed[2];
    int err[2];
    uint64_t closed_at[2];
    /* trace */
    struct rec *r;
    size_t nr, rcap;
    uint64_t last_probes, last_timeouts;
    /* filter */
    bool blackhole[2];
    unsigned data_seen[2];         /* data packets (payload > 0) sent per side */
    unsigned drop_data[MAX_DROPS]; /* 1-based indices of A's data packets to drop */
    size_t ndrop;
    unsigned drop_ack_of_fin; /* drop this many A->B ACKs that acknowledge B's FIN */
    uint32_t b_fin_end;       /* B's FIN sequence + 1 once seen */
    bool b_fin_seen;
};

/* ---- hooks ------------------------------------------------------------------------------ */

static void trace_cb(void *user, struct tcp_pair *p, const struct tp_trace *t)
{
    struct ctx *x = user;
    if (x->nr == x->rcap) {
        x->rcap = x->rcap ? 2 * x->rcap : 1024;
        x->r = realloc(x->r, x->rcap * sizeof(*x->r));
        assert_non_null(x->r);
    }
    struct rec *r = &x->r[x->nr++];
    memset(r, 0, sizeof(*r));
    r->from = t->from;
    r->sent = t->sent_at;
    r->arrive = t->arrive_at;
    r->dropped = t->dropped;
    r->injected = t->injected;
    if (t->seg != NULL) {
        r->flags = t->seg->tcp.flags;
        r->seq = t->seg->tcp.seq;
        r->ack = t->seg->tcp.ack;
        r->win = t->seg->tcp.window;
        r->len = (uint32_t)t->seg->tcp.payload_len;
        r->opts = t->seg->opt.present;
        r->mss = t->seg->opt.mss;
        r->wscale = t->seg->opt.wscale;
    }
    if (t->from == TP_A && !t->injected) {
        uint64_t pr = tp_counter(p, TP_A, "TcpExtTCPWinProbe");
        uint64_t to = tp_counter(p, TP_A, "TcpExtTCPTimeouts");
        r->probe = pr > x->last_probes;
        r->timeout = to > x->last_timeouts;
        x->last_probes = pr;
        x->last_timeouts = to;
    }
}

static enum tp_verdict filter_cb(void *user, struct tcp_pair *p, int from, struct tp_packet *pkt,
                                 const struct wire_segment *seg)
{
    struct ctx *x = user;
    (void)p;
    (void)pkt;
    if (x->blackhole[from])
        return TP_DROP;
    if (seg == NULL)
        return TP_PASS;
    const struct wire_tcp_hdr *th = &seg->tcp;
    if (from == TP_B && (th->flags & WIRE_TCP_FIN)) {
        x->b_fin_seen = true;
        x->b_fin_end = th->seq + (uint32_t)th->payload_len + 1;
    }
    if (th->payload_len > 0) {
        unsigned n = ++x->data_seen[from];
        for (size_t i = 0; from == TP_A && i < x->ndrop; i++)
            if (x->drop_data[i] == n)
                return TP_DROP;
    }
    if (from == TP_A && x->drop_ack_of_fin > 0 && x->b_fin_seen && (th->flags & WIRE_TCP_ACK) &&
        !(th->flags & (WIRE_TCP_RST | WIRE_TCP_FIN)) && th->ack == x->b_fin_end) {
        x->drop_ack_of_fin--;
        return TP_DROP;
    }
    return TP_PASS;
}

static void reader(struct ctx *x, int side, uint64_t now)
{
    if (!x->auto_read[side] || x->c[side] == NULL)
        return;
    struct tp_stream *s = &x->s[1 - side];
    tp_stream_read(s, x->c[side], SIZE_MAX, now);
    if (s->eof && x->shutdown_on_eof[side]) {
        x->shutdown_on_eof[side] = false;
        umptcp_conn_shutdown(x->c[side], now);
    }
}

static void writer(struct ctx *x, int side, uint64_t now)
{
    if (x->stream_on[side] && x->c[side] != NULL)
        tp_stream_write(&x->s[side], x->c[side], now);
}

static void event_cb(void *user, struct tcp_pair *p, int side, umptcp_conn *c,
                     const umptcp_event *ev)
{
    struct ctx *x = user;
    switch (ev->type) {
    case UMPTCP_EV_ACCEPTABLE:
        x->acceptable++;
        if (x->auto_accept && x->c[side] == NULL) {
            x->c[side] = umptcp_accept(ev->listener, NULL);
            assert_non_null(x->c[side]);
            writer(x, side, p->now);
            reader(x, side, p->now);
        }
        break;
    case UMPTCP_EV_CONNECTED:
        if (c == x->c[side]) {
            x->connected[side]++;
            writer(x, side, p->now);
        }
        break;
    case UMPTCP_EV_WRITABLE:
        if (c == x->c[side]) {
            x->writable[side]++;
            writer(x, side, p->now);
        }
        break;
    case UMPTCP_EV_PEER_CLOSED:
        if (c == x->c[side])
            x->peer_closed[side]++;
        break;
    case UMPTCP_EV_READABLE:
        if (c == x->c[side])
            reader(x, side, p->now);
        break;
    case UMPTCP_EV_CLOSED:
        if (c == x->c[side]) {
            x->closed[side] = true;
            x->err[side] = ev->error;
            x->closed_at[side] = p->now;
        }
        break;
    }
}

/* ---- setup ------------------------------------------------------------------------------ */

static struct ctx *ctx_new(const struct tp_config *conf)
{
    struct ctx *x = calloc(1, sizeof(*x));
    assert_non_null(x);
    x->p = tp_new(conf);
    tp_set_trace(x->p, trace_cb, x);
    tp_set_filter(x->p, TP_A, filter_cb, x);
    tp_set_filter(x->p, TP_B, filter_cb, x);
    tp_set_event_cb(x->p, event_cb, x);
    tp_stream_init(&x->s[TP_A], 0, 1);
    tp_stream_init(&x->s[TP_B], 0, 2);
    return x;
}

static void ctx_free(struct ctx *x)
{
    tp_free(x->p);
    tp_stream_free(&x->s[0]);
    tp_stream_free(&x->s[1]);
    free(x->r);
    free(x);
}

/* Side `side` will write `total` bytes (and shut down after them when asked). */
static void ctx_stream(struct ctx *x, int side, size_t total, bool shutdown_after)
{
    tp_stream_free(&x->s[side]);
    tp_stream_init(&x->s[side], total, side == TP_A ? 11u : 22u);
    x->s[side].shutdown_after = shutdown_after;
    x->stream_on[side] = true;
}

static bool both_connected(struct tcp_pair *p, void *arg)
{
    struct ctx *x = arg;
    (void)p;
    return x->connected[TP_A] > 0 && x->c[TP_B] != NULL;
}

static bool stream_done(struct tcp_pair *p, void *arg)
{
    struct tp_stream *s = arg;
    (void)p;
    return s->received == s->total;
}

static bool both_closed(struct tcp_pair *p, void *arg)
{
    struct ctx *x = arg;
    (void)p;
    return x->closed[TP_A] && x->closed[TP_B];
}

/* A listens on nothing; B listens on PORT and accepts; A connects; runs to ESTABLISHED. */
static void ctx_establish(struct ctx *x, const umptcp_conn_opts *opts_a)
{
    x->auto_accept = true;
    x->auto_read[TP_A] = x->auto_read[TP_B] = true;
    x->lis = tp_listen(x->p, TP_B, PORT, NULL);
    x->c[TP_A] = tp_connect(x->p, TP_A, PORT, opts_a);
    assert_true(tp_run_until(x->p, both_connected, x, x->p->now + 5 * SEC));
    assert_int_equal(tp_state(x->c[TP_A]), UMPTCP_STATE_ESTABLISHED);
}

static struct ctx *ctx_default(void)
{
    struct tp_config conf;
    tp_config_init(&conf);
    return ctx_new(&conf);
}

/* Data packets (payload > 0, not dropped) from side `from` sent in [t0, t1). */
static unsigned count_data(const struct ctx *x, int from, uint64_t t0, uint64_t t1)
{
    unsigned n = 0;
    for (size_t i = 0; i < x->nr; i++)
        if (x->r[i].from == from && x->r[i].len > 0 && x->r[i].sent >= t0 && x->r[i].sent < t1)
            n++;
    return n;
}

static uint32_t max_payload(const struct ctx *x, int from)
{
    uint32_t m = 0;
    for (size_t i = 0; i < x->nr; i++)
        if (x->r[i].from == from && x->r[i].len > m)
            m = x->r[i].len;
    return m;
}

static const struct rec *find_syn(const struct ctx *x, int from)
{
    for (size_t i = 0; i < x->nr; i++)
        if (x->r[i].from == from && (x->r[i].flags & WIRE_TCP_SYN))
            return &x->r[i];
    return NULL;
}

/* Both directions complete and byte-exact, both sides closed without error. */
static void check_streams(struct ctx *x)
{
    tp_stream_check(&x->s[TP_A]);
    tp_stream_check(&x->s[TP_B]);
}

/* ---- zero window -------------------------------------------------------------------------- */

/* RFC 9293 3.8.6.1: B accepts but does not read; A's writes fill B's 64 KiB buffer, the window
 * closes, A probes it with backoff; once B reads, window updates reopen it. */
static void test_zero_window_probe(void **state)
{
    (void)state;
    struct tp_config conf;
    tp_config_init(&conf);
    conf.cfg[TP_B].rcvbuf = conf.cfg[TP_B].rcvbuf_max = 64u << 10;
    struct ctx *x = ctx_new(&conf);
    ctx_stream(x, TP_A, 256u << 10, true);
    ctx_establish(x, NULL);
    x->auto_read[TP_B] = false;
    tp_run_to(x->p, x->p->now + 15 * SEC);
    umptcp_conn_info ai;
    assert_int_equal(umptcp_conn_get_info(x->c[TP_A], &ai), 0);
    assert_int_equal(ai.snd_wnd, 0);
    /* B's buffer is full; B read only what arrived before it stopped reading. */
    assert_int_equal(ai.bytes_acked, (64u << 10) + x->s[TP_A].received);
    /* Probes with exponential backoff, few of them (bounded) in 15 s. */
    uint64_t probes = tp_counter(x->p, TP_A, "TcpExtTCPWinProbe");
    assert_true(probes >= 3 && probes <= 8);
    uint64_t prev = 0, prev_gap = 0;
    unsigned seen = 0;
    for (size_t i = 0; i < x->nr; i++) {
        if (!x->r[i].probe)
            continue;
        assert_int_equal(x->r[i].len, 0); /* a probe carries no data beyond the window */
        if (seen > 0) {
            uint64_t gap = x->r[i].sent - prev;
            if (seen > 1)
                assert_true(gap >= 2 * prev_gap - MS && gap <= 2 * prev_gap + MS);
            prev_gap = gap;
        }
        prev = x->r[i].sent;
        seen++;
    }
    assert_int_equal(seen, probes);
    /* Every probe was answered at once by B with a zero window. */
    for (size_t i = 0; i < x->nr; i++) {
        if (!x->r[i].probe)
            continue;
        bool answered = false;
        for (size_t j = i + 1; j < x->nr; j++)
            if (x->r[j].from == TP_B && x->r[j].sent == x->r[i].arrive && x->r[j].win == 0 &&
                x->r[j].len == 0)
                answered = true;
        assert_true(answered);
    }
    size_t before = x->nr;
    uint64_t t_read = x->p->now;
    x->auto_read[TP_B] = true;
    x->shutdown_on_eof[TP_B] = true;
    reader(x, TP_B, x->p->now);
    assert_true(tp_run_until(x->p, stream_done, &x->s[TP_A], x->p->now + 30 * SEC));
    tp_stream_check(&x->s[TP_A]);
    /* The transfer resumed at once on B's window update, not at the next probe. */
    bool update = false;
    for (size_t i = before; i < x->nr; i++)
        if (x->r[i].from == TP_B && x->r[i].win > 0 && x->r[i].sent == t_read)
            update = true;
    assert_true(update);
    assert_true(x->p->now - t_read < 2 * SEC);
    ctx_free(x);
}

/* ---- Nagle and delayed ACK --------------------------------------------------------------- */

static unsigned nagle_run(bool nodelay, unsigned *at_once)
{
    struct ctx *x = ctx_default();
    umptcp_conn_opts o = {.nodelay = nodelay};
    ctx_establish(x, &o);
    tp_run_to(x->p, x->p->now + 100 * MS);
    uint64_t t0 = x->p->now;
    uint8_t ten[10];
    memset(ten, 'n', sizeof(ten));
    *at_once = 0;
    for (int i = 0; i < 100; i++) {
        size_t before = x->nr;
        assert_int_equal(umptcp_conn_write(x->c[TP_A], ten, sizeof(ten), x->p->now), 10);
        for (size_t j = before; j < x->nr; j++)
            if (x->r[j].from == TP_A && x->r[j].len == 10)
                (*at_once)++;
        tp_run_to(x->p, x->p->now + 1 * MS);
    }
    tp_run_to(x->p, x->p->now + 2 * SEC);
    assert_int_equal(x->s[TP_A].received, 1000);
    unsigned n = count_data(x, TP_A, t0, UINT64_MAX);
    ctx_free(x);
    return n;
}

/* RFC 9293 3.7.4: with Nagle only one small segment is in flight; the rest coalesce. */
static void test_nagle_coalesces(void **state)
{
    (void)state;
    unsigned at_once;
    unsigned segs = nagle_run(false, &at_once);
    print_message("  nagle: 100 writes -> %u segments\n", segs);
    assert_true(segs >= 2 && segs <= 10);
    assert_int_equal(at_once, 1); /* only the first write left at once */
    segs = nagle_run(true, &at_once);
    assert_int_equal(segs, 100);
    assert_int_equal(at_once, 100);
}

/* RFC 9293 3.8.6.3 / RFC 5681 4.2: one small segment is ACKed after the delayed-ACK timeout;
 * the second of two full-sized segments is ACKed at once. */
static void test_delayed_ack(void **state)
{
    (void)state;
    struct tp_config conf;
    tp_config_init(&conf);
    conf.cfg[TP_B].delack_ns = 40 * MS;
    struct ctx *x = ctx_new(&conf);
    umptcp_conn_opts o = {.nodelay = true};
    ctx_establish(x, &o);
    tp_run_to(x->p, x->p->now + 200 * MS);
    uint8_t buf[4000];
    memset(buf, 'd', sizeof(buf));
    size_t from = x->nr;
    assert_int_equal(umptcp_conn_write(x->c[TP_A], buf, 100, x->p->now), 100);
    tp_run_to(x->p, x->p->now + 500 * MS);
    const struct rec *data = NULL, *ack = NULL;
    for (size_t i = from; i < x->nr; i++) {
        if (data == NULL && x->r[i].from == TP_A && x->r[i].len == 100)
            data = &x->r[i];
        else if (data != NULL && ack == NULL && x->r[i].from == TP_B &&
                 x->r[i].ack == data->seq + 100)
            ack = &x->r[i];
    }
    assert_non_null(data);
    assert_non_null(ack);
    assert_int_equal(ack->sent - data->arrive, 40 * MS);

    umptcp_conn_info ai;
    assert_int_equal(umptcp_conn_get_info(x->c[TP_A], &ai), 0);
    from = x->nr;
    assert_int_equal(umptcp_conn_write(x->c[TP_A], buf, 2 * ai.mss, x->p->now), 2 * ai.mss);
    tp_run_to(x->p, x->p->now + 500 * MS);
    const struct rec *second = NULL;
    ack = NULL;
    unsigned full = 0;
    for (size_t i = from; i < x->nr; i++) {
        if (x->r[i].from == TP_A && x->r[i].len == ai.mss && ++full == 2)
            second = &x->r[i];
        else if (second != NULL && ack == NULL && x->r[i].from == TP_B)
            ack = &x->r[i];
    }
    assert_non_null(second);
    assert_non_null(ack);
    assert_int_equal(ack->ack, second->seq + ai.mss);
    assert_int_equal(ack->sent, second->arrive);
    ctx_free(x);
}

/* ---- opening and closing ------------------------------------------------------------------ */

#define NSTATES (UMPTCP_STATE_TIME_WAIT + 1)

/* First time each side's connection was seen in each state (UINT64_MAX = never). */
struct seen {
    uint64_t at[2][NSTATES];
};

static void seen_sample(struct ctx *x, struct seen *sn)
{
    for (int side = 0; side < 2; side++) {
        if (x->c[side] == NULL)
            continue;
        umptcp_conn_state st = tp_state(x->c[side]);
        if (sn->at[side][st] == UINT64_MAX)
            sn->at[side][st] = x->p->now;
    }
}

/* Runs until `limit`, sampling both connections' states after every step. */
static void run_sampling(struct ctx *x, struct seen *sn, uint64_t limit)
{
    seen_sample(x, sn);
    for (unsigned i = 0; i < TP_STEP_MAX && tp_step(x->p, limit); i++)
        seen_sample(x, sn);
    if (limit > x->p->now)
        x->p->now = limit;
}

static void seen_init(struct seen *sn)
{
    for (int s = 0; s < 2; s++)
        for (int i = 0; i < NSTATES; i++)
            sn->at[s][i] = UINT64_MAX;
}

static unsigned count_flag(const struct ctx *x, int from, uint8_t flag)
{
    unsigned n = 0;
    for (size_t i = 0; i < x->nr; i++)
        if (x->r[i].from == from && (x->r[i].flags & flag))
            n++;
    return n;
}

/* RFC 9293 3.5 figure 8: both sides connect at the same instant from fixed ports, no listener:
 * SYN_SENT -> SYN_RECEIVED -> ESTABLISHED on both, then data flows both ways. */
static void test_simultaneous_open(void **state)
{
    (void)state;
    struct ctx *x = ctx_default();
    x->auto_read[TP_A] = x->auto_read[TP_B] = true;
    ctx_stream(x, TP_A, 100000, true);
    ctx_stream(x, TP_B, 70000, true);
    x->shutdown_on_eof[TP_A] = x->shutdown_on_eof[TP_B] = false;
    umptcp_conn_opts oa = {.local_port = 5000}, ob = {.local_port = 6000};
    x->c[TP_A] = tp_connect(x->p, TP_A, 6000, &oa);
    x->c[TP_B] = tp_connect(x->p, TP_B, 5000, &ob);
    struct seen sn;
    seen_init(&sn);
    run_sampling(x, &sn, 10 * SEC);
    for (int side = 0; side < 2; side++) {
        assert_int_equal(sn.at[side][UMPTCP_STATE_SYN_SENT], 0);
        assert_int_equal(sn.at[side][UMPTCP_STATE_SYN_RECEIVED], 10 * MS);
        /* Figure 8 establishes on the SYN,ACK (20 ms); a third ACK exchange (30 ms) is the
         * most a strict reading of the first check may add. */
        assert_true(sn.at[side][UMPTCP_STATE_ESTABLISHED] <= 30 * MS);
        assert_int_equal(x->connected[side], 1);
        assert_int_equal(count_flag(x, side, WIRE_TCP_RST), 0);
    }
    check_streams(x);
    assert_true(x->closed[TP_A] && x->closed[TP_B]);
    assert_int_equal(x->err[TP_A], 0);
    assert_int_equal(x->err[TP_B], 0);
    ctx_free(x);
}

/* RFC 9293 3.6 figure 13: both shut down at once: FIN_WAIT_1 -> CLOSING -> TIME_WAIT on both,
 * CLOSED after time_wait_ns. */
static void test_simultaneous_close(void **state)
{
    (void)state;
    struct ctx *x = ctx_default();
    ctx_establish(x, NULL);
    tp_run_to(x->p, x->p->now + 100 * MS);
    uint64_t t0 = x->p->now;
    assert_int_equal(umptcp_conn_shutdown(x->c[TP_A], t0), 0);
    assert_int_equal(umptcp_conn_shutdown(x->c[TP_B], t0), 0);
    struct seen sn;
    seen_init(&sn);
    run_sampling(x, &sn, t0 + 5 * SEC);
    for (int side = 0; side < 2; side++) {
        assert_int_equal(sn.at[side][UMPTCP_STATE_FIN_WAIT_1], t0);
        assert_int_equal(sn.at[side][UMPTCP_STATE_CLOSING], t0 + 10 * MS);
        assert_int_equal(sn.at[side][UMPTCP_STATE_TIME_WAIT], t0 + 20 * MS);
        assert_int_equal(sn.at[side][UMPTCP_STATE_FIN_WAIT_2], UINT64_MAX);
        assert_true(x->closed[side]);
        assert_int_equal(x->err[side], 0);
        assert_int_equal(x->closed_at[side], t0 + 20 * MS + SEC);
    }
    ctx_free(x);
}

/* A closes first (active closer): TIME_WAIT lasts time_wait_ns. */
static void time_wait_setup(struct ctx *x, uint64_t *t0)
{
    ctx_establish(x, NULL);
    x->shutdown_on_eof[TP_B] = true;
    tp_run_to(x->p, x->p->now + 100 * MS);
    *t0 = x->p->now;
    assert_int_equal(umptcp_conn_shutdown(x->c[TP_A], *t0), 0);
}

static void test_time_wait_duration(void **state)
{
    (void)state;
    struct ctx *x = ctx_default();
    uint64_t t0;
    time_wait_setup(x, &t0);
    struct seen sn;
    seen_init(&sn);
    run_sampling(x, &sn, t0 + 5 * SEC);
    /* B's FIN comes with its ACK of A's FIN (B shuts down as soon as it reads the end). */
    assert_int_equal(sn.at[TP_A][UMPTCP_STATE_FIN_WAIT_1], t0);
    assert_int_equal(sn.at[TP_A][UMPTCP_STATE_FIN_WAIT_2], UINT64_MAX);
    assert_int_equal(sn.at[TP_A][UMPTCP_STATE_TIME_WAIT], t0 + 20 * MS);
    assert_int_equal(sn.at[TP_B][UMPTCP_STATE_LAST_ACK], t0 + 10 * MS);
    assert_int_equal(x->closed_at[TP_B], t0 + 30 * MS);
    assert_int_equal(x->closed_at[TP_A], t0 + 20 * MS + SEC);
    assert_int_equal(x->err[TP_A], 0);
    assert_int_equal(x->err[TP_B], 0);
    ctx_free(x);
}

/* RFC 9293 3.10.7.4: a retransmitted FIN in TIME_WAIT is ACKed again and restarts 2*MSL. */
static void test_time_wait_fin_retransmit(void **state)
{
    (void)state;
    struct ctx *x = ctx_default();
    x->drop_ack_of_fin = 1; /* A's ACK of B's FIN is lost once */
    uint64_t t0;
    time_wait_setup(x, &t0);
    tp_run_to(x->p, t0 + 10 * SEC);
    const struct rec *fin2 = NULL;
    unsigned fins = 0;
    for (size_t i = 0; i < x->nr; i++)
        if (x->r[i].from == TP_B && (x->r[i].flags & WIRE_TCP_FIN) && ++fins == 2)
            fin2 = &x->r[i];
    assert_int_equal(fins, 2);
    assert_non_null(fin2);
    unsigned acks_after = 0;
    for (size_t i = 0; i < x->nr; i++)
        if (x->r[i].from == TP_A && !x->r[i].dropped && x->r[i].ack == x->b_fin_end &&
            x->r[i].sent == fin2->arrive)
            acks_after++;
    assert_int_equal(acks_after, 1);
    assert_int_equal(x->err[TP_B], 0);
    assert_int_equal(x->closed_at[TP_B], fin2->arrive + 10 * MS);
    assert_int_equal(x->closed_at[TP_A], fin2->arrive + SEC);
    ctx_free(x);
}

/* RFC 1337: an acceptable RST in TIME_WAIT is ignored and counted. */
static void test_time_wait_rst_ignored(void **state)
{
    (void)state;
    struct ctx *x = ctx_default();
    uint64_t t0;
    time_wait_setup(x, &t0);
    tp_run_to(x->p, t0 + 200 * MS);
    assert_int_equal(tp_state(x->c[TP_A]), UMPTCP_STATE_TIME_WAIT);
    assert_true(x->b_fin_seen);
    umptcp_conn_info ai;
    assert_int_equal(umptcp_conn_get_info(x->c[TP_A], &ai), 0);
    struct wire_segment_spec rst = {
        .src = ai.remote, .dst = ai.local, .seq = x->b_fin_end, .flags = WIRE_TCP_RST};
    tp_inject(x->p, TP_B, &rst);
    tp_run_to(x->p, t0 + 500 * MS);
    assert_int_equal(tp_counter(x->p, TP_A, "TcpExtTWRstIgnored"), 1);
    assert_int_equal(tp_state(x->c[TP_A]), UMPTCP_STATE_TIME_WAIT);
    assert_false(x->closed[TP_A]);
    tp_run_to(x->p, t0 + 5 * SEC);
    assert_int_equal(x->closed_at[TP_A], t0 + 20 * MS + SEC);
    assert_int_equal(x->err[TP_A], 0);
    ctx_free(x);
}

/* RFC 9293 3.10.7.1: a SYN to a port without listener gets a RST: REFUSED in one RTT. */
static void test_connect_refused(void **state)
{
    (void)state;
    struct ctx *x = ctx_default();
    x->c[TP_A] = tp_connect(x->p, TP_A, 7000, NULL);
    tp_run_to(x->p, 5 * SEC);
    assert_true(x->closed[TP_A]);
    assert_int_equal(x->err[TP_A], UMPTCP_ERR_REFUSED);
    assert_int_equal(x->closed_at[TP_A], 20 * MS);
    assert_int_equal(count_flag(x, TP_A, WIRE_TCP_SYN), 1);
    uint8_t b[8];
    assert_int_equal(umptcp_conn_read(x->c[TP_A], b, sizeof(b), x->p->now), UMPTCP_ERR_REFUSED);
    ctx_free(x);
}

/* RFC 6298 5.5 / RFC 9293 3.8.1: unanswered SYNs are resent with a doubling timeout from
 * rto_initial, capped at rto_max; after syn_retries the connection fails with TIMEOUT. */
static void test_syn_backoff_timeout(void **state)
{
    (void)state;
    struct tp_config conf;
    tp_config_init(&conf);
    conf.cfg[TP_A].syn_retries = 6;
    conf.cfg[TP_A].rto_initial_ns = 1 * SEC;
    conf.cfg[TP_A].rto_max_ns = 60 * SEC;
    struct ctx *x = ctx_new(&conf);
    x->blackhole[TP_A] = true;
    x->lis = tp_listen(x->p, TP_B, PORT, NULL);
    x->c[TP_A] = tp_connect(x->p, TP_A, PORT, NULL);
    tp_run_to(x->p, 600 * SEC);
    uint64_t want = 0, rto = SEC;
    unsigned n = 0;
    for (size_t i = 0; i < x->nr; i++) {
        if (x->r[i].from != TP_A || !(x->r[i].flags & WIRE_TCP_SYN))
            continue;
        assert_int_equal(x->r[i].sent, want);
        want += rto;
        rto = 2 * rto > 60 * SEC ? 60 * SEC : 2 * rto;
        n++;
    }
    assert_int_equal(n, 1 + 6);
    assert_true(x->closed[TP_A]);
    assert_int_equal(x->err[TP_A], UMPTCP_ERR_TIMEOUT);
    assert_int_equal(x->closed_at[TP_A], want);
    assert_int_equal(tp_counter(x->p, TP_A, "TcpAttemptFails"), 1);
    ctx_free(x);
}

/* RFC 6298 5.5-5.7: a blackhole after the handshake: retransmission timeouts double and the
 * connection fails with TIMEOUT after data_retries. */
static void test_data_rto_timeout(void **state)
{
    (void)state;
    struct tp_config conf;
    tp_config_init(&conf);
    conf.cfg[TP_A].data_retries = 4;
    struct ctx *x = ctx_new(&conf);
    ctx_establish(x, NULL);
    tp_run_to(x->p, x->p->now + 100 * MS);
    x->blackhole[TP_A] = x->blackhole[TP_B] = true;
    uint64_t t0 = x->p->now;
    uint8_t buf[5000];
    memset(buf, 'r', sizeof(buf));
    assert_int_equal(umptcp_conn_write(x->c[TP_A], buf, sizeof(buf), t0), (ssize_t)sizeof(buf));
    tp_run_to(x->p, t0 + 600 * SEC);
    uint64_t times[16];
    unsigned n = 0;
    for (size_t i = 0; i < x->nr && n < 16; i++)
        if (x->r[i].timeout)
            times[n++] = x->r[i].sent;
    assert_int_equal(n, 4);
    assert_int_equal(tp_counter(x->p, TP_A, "TcpExtTCPTimeouts"), 4);
    for (unsigned i = 2; i < n; i++)
        assert_int_equal(times[i] - times[i - 1], 2 * (times[i - 1] - times[i - 2]));
    assert_true(x->closed[TP_A]);
    assert_int_equal(x->err[TP_A], UMPTCP_ERR_TIMEOUT);
    assert_int_equal(x->closed_at[TP_A] - times[3], 2 * (times[3] - times[2]));
    assert_int_equal(umptcp_conn_write(x->c[TP_A], buf, 1, x->p->now), UMPTCP_ERR_TIMEOUT);
    ctx_free(x);
}

/* RFC 9293 3.10.5: ABORT sends a RST; the peer's connection fails with RESET. */
static void test_abort_resets_peer(void **state)
{
    (void)state;
    struct ctx *x = ctx_default();
    ctx_stream(x, TP_A, 3000, false);
    ctx_establish(x, NULL);
    tp_run_to(x->p, x->p->now + 200 * MS);
    assert_int_equal(x->s[TP_A].received, 3000);
    uint64_t t = x->p->now;
    umptcp_conn_abort(x->c[TP_A], t);
    x->c[TP_A] = NULL;
    x->auto_read[TP_B] = false;
    tp_run_to(x->p, t + SEC);
    assert_int_equal(count_flag(x, TP_A, WIRE_TCP_RST), 1);
    assert_true(x->closed[TP_B]);
    assert_int_equal(x->err[TP_B], UMPTCP_ERR_RESET);
    assert_int_equal(x->closed_at[TP_B], t + 10 * MS);
    uint8_t b[8];
    assert_int_equal(umptcp_conn_read(x->c[TP_B], b, sizeof(b), x->p->now), UMPTCP_ERR_RESET);
    assert_int_equal(umptcp_conn_write(x->c[TP_B], b, sizeof(b), x->p->now), UMPTCP_ERR_RESET);
    assert_int_equal(tp_counter(x->p, TP_B, "TcpExtInRsts"), 1);
    ctx_free(x);
}

/* RFC 9293 3.10.4 / RFC 2525 2.17: closing with unread data sends a RST, not a FIN. */
static void test_close_unread_resets(void **state)
{
    (void)state;
    struct ctx *x = ctx_default();
    ctx_stream(x, TP_A, 3000, false);
    ctx_establish(x, NULL);
    x->auto_read[TP_B] = false;
    tp_run_to(x->p, x->p->now + 200 * MS);
    uint64_t t = x->p->now;
    assert_int_equal(umptcp_conn_close(x->c[TP_B], t), 0);
    x->c[TP_B] = NULL;
    tp_run_to(x->p, t + SEC);
    assert_int_equal(count_flag(x, TP_B, WIRE_TCP_RST), 1);
    assert_int_equal(count_flag(x, TP_B, WIRE_TCP_FIN), 0);
    assert_true(x->closed[TP_A]);
    assert_int_equal(x->err[TP_A], UMPTCP_ERR_RESET);
    ctx_free(x);
}

/* ---- listener backlog ----------------------------------------------------------------------- */

/* With backlog 2, a third simultaneous SYN is dropped and counted; the SYN's retransmission
 * succeeds once accept() made room. */
static void test_listener_backlog(void **state)
{
    (void)state;
    struct tp_config conf;
    tp_config_init(&conf);
    conf.cfg[TP_B].backlog = 2;
    struct ctx *x = ctx_new(&conf);
    x->lis = tp_listen(x->p, TP_B, PORT, NULL);
    umptcp_conn *c[3];
    for (int i = 0; i < 3; i++)
        c[i] = tp_connect(x->p, TP_A, PORT, NULL);
    tp_run_to(x->p, 500 * MS);
    assert_int_equal(tp_counter(x->p, TP_B, "TcpExtListenOverflows"), 1);
    assert_int_equal(x->acceptable, 2);
    unsigned est = 0;
    for (int i = 0; i < 3; i++)
        est += tp_state(c[i]) == UMPTCP_STATE_ESTABLISHED;
    assert_int_equal(est, 2);
    /* Accept one: the next SYN (the retransmission at 1 s) gets in. */
    umptcp_conn *acc[3] = {0};
    acc[0] = umptcp_accept(x->lis, NULL);
    assert_non_null(acc[0]);
    tp_run_to(x->p, 3 * SEC);
    for (int i = 0; i < 3; i++)
        assert_int_equal(tp_state(c[i]), UMPTCP_STATE_ESTABLISHED);
    assert_int_equal(x->acceptable, 3);
    assert_int_equal(tp_counter(x->p, TP_B, "TcpExtListenOverflows"), 1);
    acc[1] = umptcp_accept(x->lis, NULL);
    acc[2] = umptcp_accept(x->lis, NULL);
    assert_non_null(acc[1]);
    assert_non_null(acc[2]);
    int err = 0;
    assert_null(umptcp_accept(x->lis, &err));
    assert_int_equal(err, UMPTCP_ERR_AGAIN);
    /* The late one is the SYN resent at 1 s (no RST was sent for the dropped one). */
    unsigned syns = count_flag(x, TP_A, WIRE_TCP_SYN);
    assert_int_equal(syns, 4);
    assert_int_equal(count_flag(x, TP_B, WIRE_TCP_RST), 0);
    ctx_free(x);
}

/* ---- half-close ------------------------------------------------------------------------------ */

/* RFC 9293 3.6: A shuts down its sending side; B keeps sending for longer than time_wait_ns,
 * then shuts down. Both directions arrive whole. */
static void test_half_close(void **state)
{
    (void)state;
    struct ctx *x = ctx_default();
    ctx_stream(x, TP_A, 50000, true);
    ctx_establish(x, NULL);
    tp_stream_free(&x->s[TP_B]);
    tp_stream_init(&x->s[TP_B], 300 * 1000, 22);
    uint64_t t0 = x->p->now;
    assert_true(tp_run_until(x->p, stream_done, &x->s[TP_A], t0 + 5 * SEC));
    assert_true(x->s[TP_A].eof || x->peer_closed[TP_B] > 0);
    /* B sends 1000 bytes every 10 ms for 3 s (time_wait_ns is 1 s). */
    for (int i = 0; i < 300; i++) {
        ssize_t n =
            umptcp_conn_write(x->c[TP_B], x->s[TP_B].src + x->s[TP_B].written, 1000, x->p->now);
        assert_int_equal(n, 1000);
        x->s[TP_B].written += 1000;
        tp_run_to(x->p, x->p->now + 10 * MS);
        assert_false(x->closed[TP_A]);
    }
    assert_int_equal(tp_state(x->c[TP_A]), UMPTCP_STATE_FIN_WAIT_2);
    assert_int_equal(umptcp_conn_shutdown(x->c[TP_B], x->p->now), 0);
    assert_true(tp_run_until(x->p, both_closed, x, x->p->now + 10 * SEC));
    check_streams(x);
    assert_true(x->s[TP_B].eof);
    assert_int_equal(x->err[TP_A], 0);
    assert_int_equal(x->err[TP_B], 0);
    ctx_free(x);
}

/* An application that closed (orphaned) a connection in FIN_WAIT_2 does not wait forever for
 * the peer's FIN: time_wait_ns later the socket is gone and the peer's data meets a RST. */
static void test_fin_wait_2_orphan_limit(void **state)
{
    (void)state;
    struct ctx *x = ctx_default();
    ctx_establish(x, NULL);
    tp_run_to(x->p, x->p->now + 100 * MS);
    uint64_t t0 = x->p->now;
    assert_int_equal(umptcp_conn_close(x->c[TP_A], t0), 0);
    x->c[TP_A] = NULL;
    tp_run_to(x->p, t0 + 500 * MS);
    assert_int_equal(tp_state(x->c[TP_B]), UMPTCP_STATE_CLOSE_WAIT);
    assert_int_equal(umptcp_conn_write(x->c[TP_B], "late", 4, x->p->now), 4);
    tp_run_to(x->p, t0 + 700 * MS);
    assert_false(x->closed[TP_B]); /* still there: the data was ACKed */
    assert_int_equal(count_flag(x, TP_A, WIRE_TCP_RST), 0);
    tp_run_to(x->p, t0 + 20 * MS + SEC + 1);
    assert_int_equal(umptcp_conn_write(x->c[TP_B], "gone", 4, x->p->now), 4);
    tp_run_to(x->p, t0 + 3 * SEC);
    assert_int_equal(count_flag(x, TP_A, WIRE_TCP_RST), 1);
    assert_true(x->closed[TP_B]);
    assert_int_equal(x->err[TP_B], UMPTCP_ERR_RESET);
    assert_int_equal(tp_counter(x->p, TP_A, "TcpInNoSocket"), 1);
    ctx_free(x);
}

/* ---- send buffer ---------------------------------------------------------------------------- */

static void test_write_after_shutdown(void **state)
{
    (void)state;
    struct ctx *x = ctx_default();
    ctx_establish(x, NULL);
    assert_int_equal(umptcp_conn_write(x->c[TP_A], "ab", 2, x->p->now), 2);
    assert_int_equal(umptcp_conn_shutdown(x->c[TP_A], x->p->now), 0);
    assert_int_equal(umptcp_conn_write(x->c[TP_A], "cd", 2, x->p->now), UMPTCP_ERR_STATE);
    tp_run_to(x->p, x->p->now + 200 * MS);
    assert_int_equal(umptcp_conn_write(x->c[TP_A], "cd", 2, x->p->now), UMPTCP_ERR_STATE);
    assert_int_equal(x->s[TP_A].received, 2);
    ctx_free(x);
}

/* A full send buffer gives a short count, then AGAIN; ACKs free room and WRITABLE follows. */
static void test_sndbuf_full_writable(void **state)
{
    (void)state;
    struct ctx *x = ctx_default();
    umptcp_conn_opts o = {.sndbuf = 16384};
    ctx_establish(x, &o);
    tp_stream_free(&x->s[TP_A]);
    tp_stream_init(&x->s[TP_A], 200000, 5);
    x->s[TP_A].shutdown_after = true;
    ssize_t n = umptcp_conn_write(x->c[TP_A], x->s[TP_A].src, 200000, x->p->now);
    assert_int_equal(n, 16384);
    x->s[TP_A].written = 16384;
    assert_int_equal(umptcp_conn_write(x->c[TP_A], x->s[TP_A].src + 16384, 1000, x->p->now),
                     UMPTCP_ERR_AGAIN);
    assert_int_equal(x->writable[TP_A], 0);
    x->stream_on[TP_A] = true; /* WRITABLE events continue the stream */
    x->shutdown_on_eof[TP_B] = true;
    assert_true(tp_run_until(x->p, both_closed, x, x->p->now + 30 * SEC));
    assert_true(x->writable[TP_A] >= 10);
    tp_stream_check(&x->s[TP_A]);
    ctx_free(x);
}

/* ---- options ------------------------------------------------------------------------------- */

static void bulk_both_ways(struct ctx *x, size_t n)
{
    ctx_stream(x, TP_A, n, true);
    ctx_stream(x, TP_B, n / 2, false);
    x->shutdown_on_eof[TP_B] = true;
    ctx_establish(x, NULL);
    writer(x, TP_B, x->p->now);
    x->s[TP_B].shutdown_after = false;
    assert_true(tp_run_until(x->p, both_closed, x, x->p->now + 120 * SEC));
    check_streams(x);
    assert_int_equal(x->err[TP_A], 0);
    assert_int_equal(x->err[TP_B], 0);
}

/* RFC 9293 3.7.1 / RFC 6691: the MSS comes from the MTU less 40 bytes of headers, data carries
 * 12 bytes less with timestamps; the peer's smaller MSS bounds what we send. */
static void test_mss_from_mtu_and_peer(void **state)
{
    (void)state;
    struct tp_config conf;
    tp_config_init(&conf);
    conf.cfg[TP_A].mtu = 1280;
    struct ctx *x = ctx_new(&conf);
    bulk_both_ways(x, 300000);
    assert_int_equal(find_syn(x, TP_A)->mss, 1240);
    assert_int_equal(find_syn(x, TP_B)->mss, 1460);
    assert_int_equal(max_payload(x, TP_A), 1228);
    assert_int_equal(max_payload(x, TP_B), 1228);
    ctx_free(x);

    tp_config_init(&conf);
    conf.cfg[TP_B].mss = 1000;
    x = ctx_new(&conf);
    bulk_both_ways(x, 300000);
    assert_int_equal(find_syn(x, TP_B)->mss, 1000);
    assert_int_equal(max_payload(x, TP_A), 988);
    /* cfg.mss also bounds what B sends (as Linux's TCP_MAXSEG does). */
    assert_int_equal(max_payload(x, TP_B), 988);
    ctx_free(x);
}

/* RFC 7323 2.2: window scaling only when both SYNs carry the option; else windows are plain
 * 16-bit byte counts. */
static void window_scaling_off(int off_side)
{
    struct tp_config conf;
    tp_config_init(&conf);
    conf.cfg[off_side].window_scaling = false;
    struct ctx *x = ctx_new(&conf);
    bulk_both_ways(x, 1u << 20);
    const struct rec *sa = find_syn(x, TP_A), *sb = find_syn(x, TP_B);
    assert_int_equal((sa->opts & WIRE_OPT_WSCALE) != 0, off_side == TP_B);
    assert_int_equal(sb->opts & WIRE_OPT_WSCALE, 0);
    /* Unscaled: B's buffer (128 KiB, growing) is advertised as at most 65535, and A's idea of
     * B's window is exactly the field. */
    umptcp_conn_info ai;
    assert_int_equal(umptcp_conn_get_info(x->c[TP_A], &ai), 0);
    assert_true(ai.snd_wnd <= 65535);
    unsigned big = 0;
    for (size_t i = 0; i < x->nr; i++)
        if (x->r[i].from == TP_B && !(x->r[i].flags & WIRE_TCP_SYN) && x->r[i].win > 60000)
            big++;
    assert_true(big > 0);
    ctx_free(x);
}

static void test_window_scaling_one_side(void **state)
{
    (void)state;
    window_scaling_off(TP_A);
    window_scaling_off(TP_B);
}

/* Timestamps or SACK turned off on one side: not used at all, and a transfer that loses chosen
 * segments (single, burst, and a retransmission) still completes byte-exact. */
static void option_off_with_loss(int off_side, bool ts_off)
{
    struct tp_config conf;
    tp_config_init(&conf);
    if (ts_off)
        conf.cfg[off_side].timestamps = false;
    else
        conf.cfg[off_side].sack = false;
    struct ctx *x = ctx_new(&conf);
    const unsigned drops[] = {5, 40, 41, 42, 120, 300, 301, 500, 700, 701};
    for (size_t i = 0; i < sizeof(drops) / sizeof(drops[0]); i++)
        x->drop_data[x->ndrop++] = drops[i];
    bulk_both_ways(x, 2u << 20);
    uint32_t off = ts_off ? WIRE_OPT_TIMESTAMP : (WIRE_OPT_SACK | WIRE_OPT_SACK_PERM);
    for (size_t i = 0; i < x->nr; i++) {
        if (x->r[i].from == off_side && (x->r[i].flags & WIRE_TCP_SYN))
            continue; /* only the offering SYN may carry it */
        if (x->r[i].from != off_side && (x->r[i].flags & WIRE_TCP_SYN) && off_side == TP_B)
            continue;
        assert_int_equal(x->r[i].opts & off, 0);
    }
    umptcp_conn_info ai;
    assert_int_equal(umptcp_conn_get_info(x->c[TP_A], &ai), 0);
    assert_true(ai.retrans_segs >= 10);
    assert_int_equal(max_payload(x, TP_A), ts_off ? 1460 : 1448);
    print_message("  %s off on %c: %.3f s, %llu retransmissions, %llu timeouts\n",
                  ts_off ? "timestamps" : "SACK", off_side == TP_A ? 'A' : 'B',
                  (double)x->p->now / 1e9, (unsigned long long)ai.retrans_segs,
                  (unsigned long long)tp_counter(x->p, TP_A, "TcpExtTCPTimeouts"));
    ctx_free(x);
}

static void test_timestamps_off_one_side(void **state)
{
    (void)state;
    option_off_with_loss(TP_A, true);
    option_off_with_loss(TP_B, true);
}

static void test_sack_off_one_side(void **state)
{
    (void)state;
    option_off_with_loss(TP_A, false);
    option_off_with_loss(TP_B, false);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_zero_window_probe),
        cmocka_unit_test(test_nagle_coalesces),
        cmocka_unit_test(test_delayed_ack),
        cmocka_unit_test(test_simultaneous_open),
        cmocka_unit_test(test_simultaneous_close),
        cmocka_unit_test(test_time_wait_duration),
        cmocka_unit_test(test_time_wait_fin_retransmit),
        cmocka_unit_test(test_time_wait_rst_ignored),
        cmocka_unit_test(test_connect_refused),
        cmocka_unit_test(test_syn_backoff_timeout),
        cmocka_unit_test(test_data_rto_timeout),
        cmocka_unit_test(test_abort_resets_peer),
        cmocka_unit_test(test_close_unread_resets),
        cmocka_unit_test(test_listener_backlog),
        cmocka_unit_test(test_half_close),
        cmocka_unit_test(test_fin_wait_2_orphan_limit),
        cmocka_unit_test(test_write_after_shutdown),
        cmocka_unit_test(test_sndbuf_full_writable),
        cmocka_unit_test(test_mss_from_mtu_and_peer),
        cmocka_unit_test(test_window_scaling_one_side),
        cmocka_unit_test(test_timestamps_off_one_side),
        cmocka_unit_test(test_sack_off_one_side),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
