/* Two stacks joined by an in-process wire with a fixed one-way delay and optional loss of
 * chosen packets: the handshake, a bulk transfer checked by SHA-256, and the close, with
 * virtual time. The simulator scenarios (tests/sim) cover real network conditions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "testutil.h"
#include "umptcp/conn.h"
#include "umptcp/error.h"
#include "umptcp/stack.h"
#include "wire/segment.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#define MS 1000000ull
#define WIRE_MAX 100000

struct wire_pkt {
    uint64_t at;
    uint64_t order; /* FIFO among packets due at the same time */
    int to;         /* 0 = A, 1 = B */
    size_t len;
    uint8_t *data;
};

struct bed {
    umptcp_stack *st[2];
    struct wire_pkt q[WIRE_MAX];
    size_t nq;
    uint64_t now, delay, order;
    unsigned drop_every; /* drop every n-th data packet from A (0 = none) */
    unsigned sent_from_a;
    umptcp_listener *lis;
    umptcp_conn *cli, *srv;
    /* transfer */
    uint8_t *src;
    size_t total, written, received;
    EVP_MD_CTX *rx_hash;
    bool srv_eof, cli_closed_ev, srv_closed_ev;
    int cli_err, srv_err;
};

static int send_from(struct bed *b, int from, const uint8_t *pkt, size_t len)
{
    if (b->nq == WIRE_MAX)
        return UMPTCP_ERR_NOMEM;
    if (from == 0 && len > 100 && b->drop_every && ++b->sent_from_a % b->drop_every == 0)
        return UMPTCP_OK; /* lost on the wire */
    struct wire_pkt *p = &b->q[b->nq++];
    p->at = b->now + b->delay;
    p->order = b->order++;
    p->to = 1 - from;
    p->len = len;
    p->data = malloc(len);
    memcpy(p->data, pkt, len);
    return UMPTCP_OK;
}

static struct bed *g_bed;
static int send_a(void *u, int ifindex, const uint8_t *pkt, size_t len)
{
    (void)ifindex;
    return send_from(u, 0, pkt, len);
}
static int send_b(void *u, int ifindex, const uint8_t *pkt, size_t len)
{
    (void)ifindex;
    return send_from(u, 1, pkt, len);
}
static void rnd(void *u, uint8_t *buf, size_t n)
{
    (void)u;
    static uint32_t x = 12345;
    for (size_t i = 0; i < n; i++) {
        x = x * 1103515245u + 12345u;
        buf[i] = (uint8_t)(x >> 16);
    }
}

static void pump_writes(struct bed *b)
{
    while (b->cli != NULL && b->written < b->total) {
        ssize_t n = umptcp_conn_write(b->cli, b->src + b->written, b->total - b->written, b->now);
        if (n <= 0)
            return;
        b->written += (size_t)n;
    }
    if (b->cli != NULL && b->written == b->total)
        umptcp_conn_shutdown(b->cli, b->now);
}

static void pump_reads(struct bed *b)
{
    uint8_t buf[65536];
    for (;;) {
        ssize_t n = umptcp_conn_read(b->srv, buf, sizeof(buf), b->now);
        if (n > 0) {
            EVP_DigestUpdate(b->rx_hash, buf, (size_t)n);
            b->received += (size_t)n;
            continue;
        }
        if (n == 0 && !b->srv_eof) {
            b->srv_eof = true;
            umptcp_conn_shutdown(b->srv, b->now);
        }
        return;
    }
}

static void on_event(void *user, umptcp_conn *c, const umptcp_event *ev)
{
    struct bed *b = user;
    switch (ev->type) {
    case UMPTCP_EV_ACCEPTABLE:
        b->srv = umptcp_accept(ev->listener, NULL);
        assert_non_null(b->srv);
        pump_reads(b);
        break;
    case UMPTCP_EV_CONNECTED:
    case UMPTCP_EV_WRITABLE:
        pump_writes(b);
        break;
    case UMPTCP_EV_READABLE:
    case UMPTCP_EV_PEER_CLOSED:
        if (c == b->srv)
            pump_reads(b);
        break;
    case UMPTCP_EV_CLOSED:
        if (c == b->cli) {
            b->cli_closed_ev = true;
            b->cli_err = ev->error;
        } else {
            b->srv_closed_ev = true;
            b->srv_err = ev->error;
        }
        break;
    }
}

static void bed_init(struct bed *b, uint64_t delay, size_t total)
{
    memset(b, 0, sizeof(*b));
    g_bed = b;
    b->delay = delay;
    umptcp_config cfg;
    umptcp_config_init(&cfg);
    cfg.time_wait_ns = 1000 * MS;
    umptcp_callbacks ca = {.send = send_a, .random = rnd}, cb = {.send = send_b, .random = rnd};
    assert_int_equal(umptcp_stack_new(&b->st[0], &cfg, &ca, b), UMPTCP_OK);
    assert_int_equal(umptcp_stack_new(&b->st[1], &cfg, &cb, b), UMPTCP_OK);
    umptcp_addr a, z;
    assert_int_equal(umptcp_addr_parse(&a, "10.0.0.1"), 0);
    assert_int_equal(umptcp_addr_parse(&z, "10.0.0.2"), 0);
    assert_int_equal(umptcp_stack_add_address(b->st[0], 1, &a), 0);
    assert_int_equal(umptcp_stack_add_address(b->st[1], 1, &z), 0);
    umptcp_stack_set_event_cb(b->st[0], on_event, b);
    umptcp_stack_set_event_cb(b->st[1], on_event, b);
    b->total = total;
    b->src = malloc(total);
    for (size_t i = 0; i < total; i++)
        b->src[i] = (uint8_t)((i * 2654435761u) >> 13);
    b->rx_hash = EVP_MD_CTX_new();
    EVP_DigestInit_ex(b->rx_hash, EVP_sha256(), NULL);
    umptcp_sockaddr l = {.port = 5201};
    assert_int_equal(umptcp_listen(b->st[1], &l, NULL, &b->lis), UMPTCP_OK);
}

/* Runs the wire and the timers until both stacks are idle or the time limit passes. */
static void bed_run(struct bed *b, uint64_t limit)
{
    for (unsigned steps = 0; steps < 10000000; steps++) {
        uint64_t next = UINT64_MAX;
        size_t best = SIZE_MAX;
        for (size_t i = 0; i < b->nq; i++)
            if (b->q[i].at < next || (b->q[i].at == next && b->q[i].order < b->q[best].order)) {
                next = b->q[i].at;
                best = i;
            }
        uint64_t ta = umptcp_stack_next_timeout(b->st[0]);
        uint64_t tb = umptcp_stack_next_timeout(b->st[1]);
        uint64_t t = ta < tb ? ta : tb;
        if (t < next) {
            if (t == UINT64_MAX || t > limit)
                return;
            b->now = t > b->now ? t : b->now;
            umptcp_stack_on_timeout(b->st[ta <= tb ? 0 : 1], b->now);
            continue;
        }
        if (next == UINT64_MAX || next > limit)
            return;
        struct wire_pkt p = b->q[best];
        b->q[best] = b->q[--b->nq];
        b->now = p.at;
        if (getenv("LOOPBACK_TRACE") != NULL) {
            struct wire_segment sg;
            if (wire_segment_parse(p.data, p.len, &sg) == 0)
                print_message("%10.3f ms %s flags=%02x seq=%u ack=%u win=%u len=%zu\n",
                              (double)b->now / 1e6, p.to ? "A->B" : "B->A", sg.tcp.flags,
                              sg.tcp.seq, sg.tcp.ack, sg.tcp.window, sg.tcp.payload_len);
        }
        umptcp_stack_input(b->st[p.to], 1, p.data, p.len, b->now);
        free(p.data);
    }
    fail_msg("step limit");
}

static void bed_free(struct bed *b)
{
    for (size_t i = 0; i < b->nq; i++)
        free(b->q[i].data);
    umptcp_stack_free(b->st[0]);
    umptcp_stack_free(b->st[1]);
    EVP_MD_CTX_free(b->rx_hash);
    free(b->src);
}

static void check_transfer(struct bed *b)
{
    uint8_t want[32], got[32];
    unsigned len;
    EVP_Digest(b->src, b->total, want, &len, EVP_sha256(), NULL);
    EVP_DigestFinal_ex(b->rx_hash, got, &len);
    assert_int_equal(b->received, b->total);
    assert_memory_equal(got, want, 32);
}

static void transfer(uint64_t delay, size_t total, unsigned drop_every)
{
    struct bed *b = calloc(1, sizeof(*b));
    bed_init(b, delay, total);
    b->drop_every = drop_every;
    umptcp_sockaddr r = {.port = 5201};
    assert_int_equal(umptcp_addr_parse(&r.addr, "10.0.0.2"), 0);
    assert_int_equal(umptcp_connect(b->st[0], &r, NULL, 0, &b->cli), UMPTCP_OK);
    bed_run(b, 600000 * MS);
    check_transfer(b);
    umptcp_conn_info ci, si;
    assert_int_equal(umptcp_conn_get_info(b->cli, &ci), 0);
    assert_int_equal(umptcp_conn_get_info(b->srv, &si), 0);
    print_message("  %zu bytes in %.3f s (virtual), client retrans %llu, srtt %llu us, cwnd %u\n",
                  total, (double)b->now / 1e9, (unsigned long long)ci.retrans_segs,
                  (unsigned long long)ci.srtt_us, ci.cwnd);
    for (int side = 0; side < 2; side++) {
        umptcp_counter cs[64];
        size_t n = umptcp_stack_counters(b->st[side], cs, 64);
        for (size_t i = 0; i < n && i < 64; i++)
            if (cs[i].value != 0 && getenv("LOOPBACK_VERBOSE") != NULL)
                print_message("    %c %s %llu\n", side ? 'B' : 'A', cs[i].name,
                              (unsigned long long)cs[i].value);
    }
    assert_int_equal(ci.bytes_acked, total);
    assert_int_equal(si.bytes_received, total);
    /* Both sides closed in order: the client went through TIME_WAIT, the server LAST_ACK. */
    assert_true(b->cli_closed_ev);
    assert_true(b->srv_closed_ev);
    assert_int_equal(b->cli_err, 0);
    assert_int_equal(b->srv_err, 0);
    if (drop_every > 0)
        assert_true(ci.retrans_segs > 0);
    umptcp_conn_close(b->cli, b->now);
    umptcp_conn_close(b->srv, b->now);
    bed_free(b);
    free(b);
}

static void test_small_transfer(void **state)
{
    (void)state;
    transfer(5 * MS, 1000, 0);
}

static void test_bulk_transfer(void **state)
{
    (void)state;
    transfer(10 * MS, 2 << 20, 0);
}

static void test_bulk_with_losses(void **state)
{
    (void)state;
    transfer(10 * MS, 2 << 20, 50);
}

static void test_config_defaults(void **state)
{
    (void)state;
    umptcp_config cfg;
    umptcp_config_init(&cfg);
    assert_int_equal(cfg.sndbuf, 4u << 20);
    assert_int_equal(cfg.rcvbuf_max, 16u << 20);
    assert_int_equal(cfg.mtu, 1500);
    assert_true(cfg.nagle && cfg.sack && cfg.timestamps && cfg.window_scaling);
    assert_string_equal(cfg.cc, "cubic");
    assert_int_equal(cfg.rto_min_ns, 200 * MS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config_defaults),
        cmocka_unit_test(test_small_transfer),
        cmocka_unit_test(test_bulk_transfer),
        cmocka_unit_test(test_bulk_with_losses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
