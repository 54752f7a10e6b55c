/* Two umptcp stacks on an in-process wire with virtual time: see tcp_pair.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "tcp_pair.h"

#include "umptcp/error.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

void tp_config_init(struct tp_config *c)
{
    memset(c, 0, sizeof(*c));
    for (int i = 0; i < 2; i++) {
        umptcp_config_init(&c->cfg[i]);
        c->cfg[i].time_wait_ns = 1000 * TP_MS;
        c->delay_ns[i] = 10 * TP_MS;
    }
    c->seed = 1;
}

/* ---- the wire ------------------------------------------------------------------------- */

static void tp_trace_emit(struct tcp_pair *p, int from, const uint8_t *data, size_t len,
                          uint64_t arrive, bool dropped, bool injected)
{
    if (p->trace == NULL)
        return;
    struct wire_segment seg;
    bool ok = wire_segment_parse(data, len, &seg) == UMPTCP_OK;
    struct tp_trace t = {.from = from,
                         .sent_at = p->now,
                         .arrive_at = dropped ? 0 : arrive,
                         .dropped = dropped,
                         .injected = injected,
                         .seg = ok ? &seg : NULL,
                         .data = data,
                         .len = len};
    p->trace(p->trace_user, p, &t);
}

/* Queues a packet from side `from`; takes ownership of data. Returns the arrival time or 0
 * when the wire is full (data freed). */
static uint64_t tp_wire_put(struct tcp_pair *p, int from, uint8_t *data, size_t len)
{
    if (p->nq == TP_WIRE_MAX) {
        free(data);
        return 0;
    }
    if (p->nq == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 256;
        struct tp_wire_pkt *q = realloc(p->q, cap * sizeof(*q));
        assert_non_null(q);
        p->q = q;
        p->cap = cap;
    }
    uint64_t depart = p->now;
    uint64_t rate = p->conf.rate_bps[from];
    if (rate != 0) {
        if (p->busy_until[from] > depart)
            depart = p->busy_until[from];
        depart += (uint64_t)len * 8u * TP_SEC / rate;
        p->busy_until[from] = depart;
    }
    struct tp_wire_pkt *w = &p->q[p->nq++];
    w->at = depart + p->conf.delay_ns[from];
    w->order = p->order++;
    w->to = 1 - from;
    w->len = len;
    w->data = data;
    return w->at;
}

static int tp_send(struct tcp_pair *p, int from, const uint8_t *pkt, size_t len)
{
    p->sent[from]++;
    struct tp_packet tp = {.data = malloc(len ? len : 1), .len = len};
    assert_non_null(tp.data);
    memcpy(tp.data, pkt, len);
    enum tp_verdict v = TP_PASS;
    if (p->filter[from] != NULL) {
        struct wire_segment seg;
        bool ok = wire_segment_parse(tp.data, tp.len, &seg) == UMPTCP_OK;
        v = p->filter[from](p->filter_user[from], p, from, &tp, ok ? &seg : NULL);
    }
    if (v == TP_DROP) {
        tp_trace_emit(p, from, tp.data, tp.len, 0, true, false);
        free(tp.data);
        return UMPTCP_OK; /* lost on the wire: the sender cannot tell */
    }
    /* Trace before queueing: the wire owns (and may free) the bytes afterwards. */
    uint8_t *copy = malloc(tp.len ? tp.len : 1);
    assert_non_null(copy);
    memcpy(copy, tp.data, tp.len);
    uint64_t at = tp_wire_put(p, from, tp.data, tp.len);
    tp_trace_emit(p, from, copy, tp.len, at, at == 0, false);
    free(copy);
    return at == 0 ? UMPTCP_ERR_NOMEM : UMPTCP_OK;
}

static int tp_send_a(void *u, int ifindex, const uint8_t *pkt, size_t len)
{
    (void)ifindex;
    return tp_send(u, TP_A, pkt, len);
}

static int tp_send_b(void *u, int ifindex, const uint8_t *pkt, size_t len)
{
    (void)ifindex;
    return tp_send(u, TP_B, pkt, len);
}

/* Deterministic randomness per side (a 32-bit LCG is plenty for ISN secrets in tests). */
static void tp_random(struct tcp_pair *p, int side, uint8_t *buf, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        p->rng[side] = p->rng[side] * 1103515245u + 12345u;
        buf[i] = (uint8_t)(p->rng[side] >> 16);
    }
}

static void tp_random_a(void *u, uint8_t *buf, size_t n)
{
    tp_random(u, TP_A, buf, n);
}

static void tp_random_b(void *u, uint8_t *buf, size_t n)
{
    tp_random(u, TP_B, buf, n);
}

static void tp_event_a(void *u, umptcp_conn *c, const umptcp_event *ev)
{
    struct tcp_pair *p = u;
    if (p->on_event != NULL)
        p->on_event(p->event_user, p, TP_A, c, ev);
}

static void tp_event_b(void *u, umptcp_conn *c, const umptcp_event *ev)
{
    struct tcp_pair *p = u;
    if (p->on_event != NULL)
        p->on_event(p->event_user, p, TP_B, c, ev);
}

/* ---- life cycle ------------------------------------------------------------------------- */

struct tcp_pair *tp_new(const struct tp_config *c)
{
    struct tcp_pair *p = calloc(1, sizeof(*p));
    assert_non_null(p);
    if (c != NULL)
        p->conf = *c;
    else
        tp_config_init(&p->conf);
    p->rng[TP_A] = p->conf.seed * 2654435761u + 1u;
    p->rng[TP_B] = p->conf.seed * 2246822519u + 7u;
    umptcp_callbacks ca = {.send = tp_send_a, .random = tp_random_a};
    umptcp_callbacks cb = {.send = tp_send_b, .random = tp_random_b};
    assert_int_equal(umptcp_stack_new(&p->st[TP_A], &p->conf.cfg[TP_A], &ca, p), UMPTCP_OK);
    assert_int_equal(umptcp_stack_new(&p->st[TP_B], &p->conf.cfg[TP_B], &cb, p), UMPTCP_OK);
    assert_int_equal(umptcp_addr_parse(&p->addr[TP_A], "10.0.0.1"), 0);
    assert_int_equal(umptcp_addr_parse(&p->addr[TP_B], "10.0.0.2"), 0);
    for (int i = 0; i < 2; i++)
        assert_int_equal(umptcp_stack_add_address(p->st[i], 1, &p->addr[i]), UMPTCP_OK);
    umptcp_stack_set_event_cb(p->st[TP_A], tp_event_a, p);
    umptcp_stack_set_event_cb(p->st[TP_B], tp_event_b, p);
    return p;
}

void tp_free(struct tcp_pair *p)
{
    if (p == NULL)
        return;
    for (size_t i = 0; i < p->nq; i++)
        free(p->q[i].data);
    free(p->q);
    umptcp_stack_free(p->st[TP_A]);
    umptcp_stack_free(p->st[TP_B]);
    free(p);
}

void tp_set_filter(struct tcp_pair *p, int from, tp_filter_fn fn, void *user)
{
    p->filter[from] = fn;
    p->filter_user[from] = user;
}

void tp_set_trace(struct tcp_pair *p, tp_trace_fn fn, void *user)
{
    p->trace = fn;
    p->trace_user = user;
}

void tp_set_event_cb(struct tcp_pair *p, tp_event_fn fn, void *user)
{
    p->on_event = fn;
    p->event_user = user;
}

static uint8_t *tp_build(const struct wire_segment_spec *spec, size_t *len)
{
    uint8_t *buf = malloc(65535);
    assert_non_null(buf);
    assert_int_equal(wire_segment_build(spec, buf, 65535, len), UMPTCP_OK);
    return buf;
}

void tp_packet_rewrite(struct tp_packet *pkt, const struct wire_segment_spec *spec)
{
    size_t len;
    uint8_t *buf = tp_build(spec, &len);
    free(pkt->data);
    pkt->data = buf;
    pkt->len = len;
}

void tp_inject(struct tcp_pair *p, int from, const struct wire_segment_spec *spec)
{
    size_t len;
    uint8_t *buf = tp_build(spec, &len);
    uint8_t *copy = malloc(len);
    assert_non_null(copy);
    memcpy(copy, buf, len);
    uint64_t at = tp_wire_put(p, from, buf, len);
    assert_true(at != 0);
    tp_trace_emit(p, from, copy, len, at, false, true);
    free(copy);
}

umptcp_sockaddr tp_sockaddr(const struct tcp_pair *p, int side, uint16_t port)
{
    umptcp_sockaddr sa = {.addr = p->addr[side], .port = port};
    return sa;
}

umptcp_listener *tp_listen(struct tcp_pair *p, int side, uint16_t port,
                           const umptcp_conn_opts *opts)
{
    umptcp_sockaddr l = {.port = port};
    umptcp_listener *lis = NULL;
    assert_int_equal(umptcp_listen(p->st[side], &l, opts, &lis), UMPTCP_OK);
    return lis;
}

umptcp_conn *tp_connect(struct tcp_pair *p, int from, uint16_t port, const umptcp_conn_opts *opts)
{
    umptcp_sockaddr r = tp_sockaddr(p, 1 - from, port);
    umptcp_conn *c = NULL;
    assert_int_equal(umptcp_connect(p->st[from], &r, opts, p->now, &c), UMPTCP_OK);
    return c;
}

/* ---- running ------------------------------------------------------------------------------ */

bool tp_step(struct tcp_pair *p, uint64_t limit)
{
    size_t best = SIZE_MAX;
    for (size_t i = 0; i < p->nq; i++)
        if (best == SIZE_MAX || p->q[i].at < p->q[best].at ||
            (p->q[i].at == p->q[best].at && p->q[i].order < p->q[best].order))
            best = i;
    uint64_t next = best == SIZE_MAX ? UINT64_MAX : p->q[best].at;
    uint64_t ta = umptcp_stack_next_timeout(p->st[TP_A]);
    uint64_t tb = umptcp_stack_next_timeout(p->st[TP_B]);
    uint64_t t = ta < tb ? ta : tb;
    if (t < next) {
        if (t == UMPTCP_TIME_NEVER || t > limit)
            return false;
        p->now = t > p->now ? t : p->now;
        umptcp_stack_on_timeout(p->st[ta <= tb ? TP_A : TP_B], p->now);
        return true;
    }
    if (next == UINT64_MAX || next > limit)
        return false;
    struct tp_wire_pkt w = p->q[best];
    p->q[best] = p->q[--p->nq];
    p->now = w.at > p->now ? w.at : p->now;
    umptcp_stack_input(p->st[w.to], 1, w.data, w.len, p->now);
    free(w.data);
    return true;
}

void tp_run(struct tcp_pair *p, uint64_t limit)
{
    for (unsigned steps = 0; steps < TP_STEP_MAX; steps++)
        if (!tp_step(p, limit))
            return;
    fail_msg("tcp_pair: step limit at %llu ns", (unsigned long long)p->now);
}

bool tp_run_until(struct tcp_pair *p, tp_pred_fn pred, void *arg, uint64_t limit)
{
    for (unsigned steps = 0; steps < TP_STEP_MAX; steps++) {
        if (pred(p, arg))
            return true;
        if (!tp_step(p, limit))
            return pred(p, arg);
    }
    fail_msg("tcp_pair: step limit at %llu ns", (unsigned long long)p->now);
    return false;
}

void tp_run_to(struct tcp_pair *p, uint64_t t)
{
    tp_run(p, t);
    if (t > p->now)
        p->now = t;
}

uint64_t tp_counter(const struct tcp_pair *p, int side, const char *name)
{
    uint64_t v = 0;
    int rc = umptcp_stack_counter(p->st[side], name, &v);
    if (rc != UMPTCP_OK)
        fail_msg("unknown counter %s", name);
    return v;
}

umptcp_conn_state tp_state(const umptcp_conn *c)
{
    umptcp_conn_info ci;
    assert_int_equal(umptcp_conn_get_info(c, &ci), UMPTCP_OK);
    return ci.state;
}

/* ---- streams ---------------------------------------------------------------------------- */

void tp_stream_init(struct tp_stream *s, size_t total, uint32_t seed)
{
    memset(s, 0, sizeof(*s));
    s->total = total;
    s->src = malloc(total ? total : 1);
    assert_non_null(s->src);
    for (size_t i = 0; i < total; i++)
        s->src[i] = (uint8_t)(((i + seed) * 2654435761u) >> 13);
    EVP_MD_CTX *h = EVP_MD_CTX_new();
    assert_non_null(h);
    assert_int_equal(EVP_DigestInit_ex(h, EVP_sha256(), NULL), 1);
    s->hash = h;
}

void tp_stream_free(struct tp_stream *s)
{
    free(s->src);
    EVP_MD_CTX_free(s->hash);
    memset(s, 0, sizeof(*s));
}

size_t tp_stream_write(struct tp_stream *s, umptcp_conn *c, uint64_t now)
{
    size_t taken = 0;
    while (c != NULL && s->written < s->total) {
        ssize_t n = umptcp_conn_write(c, s->src + s->written, s->total - s->written, now);
        if (n <= 0)
            return taken;
        s->written += (size_t)n;
        taken += (size_t)n;
    }
    if (c != NULL && s->written == s->total && s->shutdown_after && !s->shut) {
        s->shut = true;
        umptcp_conn_shutdown(c, now);
    }
    return taken;
}

size_t tp_stream_read(struct tp_stream *s, umptcp_conn *c, size_t max, uint64_t now)
{
    uint8_t buf[16384];
    size_t got = 0;
    while (c != NULL && got < max) {
        size_t want = max - got < sizeof(buf) ? max - got : sizeof(buf);
        ssize_t n = umptcp_conn_read(c, buf, want, now);
        if (n > 0) {
            assert_int_equal(EVP_DigestUpdate(s->hash, buf, (size_t)n), 1);
            s->received += (size_t)n;
            got += (size_t)n;
            continue;
        }
        if (n == 0)
            s->eof = true;
        else if (n != UMPTCP_ERR_AGAIN)
            s->read_error = (int)n;
        break;
    }
    return got;
}

void tp_stream_check_prefix(struct tp_stream *s)
{
    uint8_t want[32], got[32];
    unsigned len = 0;
    assert_true(s->received <= s->total);
    assert_int_equal(EVP_Digest(s->src, s->received, want, &len, EVP_sha256(), NULL), 1);
    assert_int_equal(EVP_DigestFinal_ex(s->hash, got, &len), 1);
    assert_memory_equal(got, want, 32);
}

void tp_stream_check(struct tp_stream *s)
{
    assert_int_equal(s->received, s->total);
    tp_stream_check_prefix(s);
}
