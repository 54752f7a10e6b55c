/* The world as a whole: byte-identical captures for a seed, routing through a router,
 * node timers, run limits and tracing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "testutil.h"
#include "sim/sim.h"
#include "umptcp/error.h"
#include "util/bytes.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MS SIM_NS_PER_MS

static umptcp_addr addr(const char *text)
{
    umptcp_addr a;
    assert_int_equal(umptcp_addr_parse(&a, text), UMPTCP_OK);
    return a;
}

/* Builds IPv4 src -> dst carrying a 32-bit number, TTL 64, valid header checksum. */
static size_t make_ip4(uint8_t *buf, size_t len, const umptcp_addr *src, const umptcp_addr *dst,
                       uint32_t seq)
{
    memset(buf, 0, len);
    buf[0] = 0x45;
    be16_put(buf + 2, (uint16_t)len);
    buf[8] = 64;
    buf[9] = 17;
    memcpy(buf + 12, src->bytes, 4);
    memcpy(buf + 16, dst->bytes, 4);
    be16_put(buf + 10, sim_ip_checksum(buf, 20));
    be32_put(buf + 20, seq);
    for (size_t i = 24; i < len; i++)
        buf[i] = (uint8_t)(seq + i);
    return len;
}

/* ---- a small scenario: A -> router -> B, B echoes ------------------------------------ */

struct host_a {
    uint32_t next, total;
    uint64_t echoes;
};

static uint64_t a_next_timeout(struct sim_node *node, void *user)
{
    struct host_a *a = user;
    return a->next < a->total ? (uint64_t)a->next * MS / 2 : SIM_TIME_NEVER;
}

static void a_on_timeout(struct sim_node *node, void *user, uint64_t now)
{
    struct host_a *a = user;
    uint8_t pkt[1400];
    umptcp_addr src = addr("10.0.1.1"), dst = addr("10.0.2.1");
    size_t len = 100 + (a->next * 37u) % 1200u;
    make_ip4(pkt, len, &src, &dst, a->next++);
    assert_int_equal(sim_node_send(node, 1, pkt, len), UMPTCP_OK);
}

static void a_receive(struct sim_node *node, void *user, int ifindex, const uint8_t *pkt,
                      size_t len, uint64_t now)
{
    ((struct host_a *)user)->echoes++;
}

static const struct sim_node_ops a_ops = {
    .receive = a_receive, .next_timeout = a_next_timeout, .on_timeout = a_on_timeout};

struct host_b {
    uint64_t received;
};

/* Echoes each packet back with the addresses swapped and a fresh TTL. */
static void b_receive(struct sim_node *node, void *user, int ifindex, const uint8_t *pkt,
                      size_t len, uint64_t now)
{
    struct host_b *b = user;
    b->received++;
    assert_true(len >= 24 && len <= 1400);
    assert_int_equal(pkt[8], 63);                  /* one router hop */
    assert_int_equal(sim_ip_checksum(pkt, 20), 0); /* the router fixed the checksum */
    uint8_t echo[1400];
    memcpy(echo, pkt, len);
    memcpy(echo + 12, pkt + 16, 4);
    memcpy(echo + 16, pkt + 12, 4);
    echo[8] = 64;
    be16_put(echo + 10, 0);
    be16_put(echo + 10, sim_ip_checksum(echo, 20));
    assert_int_equal(sim_node_send(node, ifindex, echo, len), UMPTCP_OK);
}

static const struct sim_node_ops b_ops = {.receive = b_receive};

struct trace_count {
    uint64_t send, deliver, drop;
};

static void count_trace(void *user, const struct sim_trace *ev)
{
    struct trace_count *t = user;
    assert_non_null(ev->pkt);
    assert_true(ev->len > 0);
    t->send += ev->kind == SIM_TRACE_SEND;
    t->deliver += ev->kind == SIM_TRACE_DELIVER;
    t->drop += ev->kind == SIM_TRACE_DROP;
}

static void add_link(struct sim_world *w, const char *name, struct sim_node *from, int fi,
                     struct sim_node *to, int ti)
{
    struct sim_link_config c;
    sim_link_config_init(&c);
    c.rate_bps = 10000000;
    c.delay_ns = 5 * MS;
    c.queue_limit_bytes = 20000;
    c.loss = 0.05;
    c.duplicate = 0.02;
    c.reorder = 0.1;
    c.reorder_delay_ns = 2 * MS;
    struct sim_link *l;
    assert_int_equal(sim_link_new(&l, w, name, from, fi, to, ti, &c), UMPTCP_OK);
}

/* Runs the scenario with `seed`, capturing into path; returns the capture's SHA-256. */
static void run_scenario(uint64_t seed, const char *path, char hex[65])
{
    struct sim_world *w;
    struct sim_node *a, *b, *r;
    struct host_a ha = {.total = 300};
    struct host_b hb = {0};
    struct trace_count tc = {0};
    assert_int_equal(sim_world_new(&w, seed), UMPTCP_OK);
    assert_int_equal(sim_host_new(&a, w, "a", &a_ops, &ha), UMPTCP_OK);
    assert_int_equal(sim_host_new(&b, w, "b", &b_ops, &hb), UMPTCP_OK);
    assert_int_equal(sim_router_new(&r, w, "r"), UMPTCP_OK);
    umptcp_addr a1 = addr("10.0.1.1"), b1 = addr("10.0.2.1");
    umptcp_addr r1 = addr("10.0.1.254"), r2 = addr("10.0.2.254");
    assert_int_equal(sim_node_add_address(a, 1, &a1), UMPTCP_OK);
    assert_int_equal(sim_node_add_address(b, 1, &b1), UMPTCP_OK);
    assert_int_equal(sim_node_add_address(r, 1, &r1), UMPTCP_OK);
    assert_int_equal(sim_node_add_address(r, 2, &r2), UMPTCP_OK);
    assert_int_equal(sim_router_add_route_text(r, "10.0.1.0/24", 1), UMPTCP_OK);
    assert_int_equal(sim_router_add_route_text(r, "10.0.2.0/24", 2), UMPTCP_OK);
    add_link(w, "a-r", a, 1, r, 1);
    add_link(w, "r-a", r, 1, a, 1);
    add_link(w, "r-b", r, 2, b, 1);
    add_link(w, "b-r", b, 1, r, 2);
    umptcp_pcap *pcap;
    assert_int_equal(umptcp_pcap_open(&pcap, path), UMPTCP_OK);
    sim_world_set_pcap(w, pcap);
    sim_world_set_trace(w, count_trace, &tc);
    sim_node_refresh_timer(a);
    assert_int_equal(sim_world_run(w, 10 * SIM_NS_PER_SEC), SIM_RUN_IDLE);
    umptcp_pcap_close(pcap);

    assert_int_equal(ha.next, 300);
    assert_true(hb.received > 200 && ha.echoes > 150);
    const struct sim_router_counters *rc = sim_router_counters(r);
    assert_non_null(rc);
    assert_int_equal(sim_node_counters(r)->rx_packets, rc->forwarded);
    uint64_t sent = 0, delivered = 0, dropped = 0;
    for (size_t i = 0; i < sim_world_link_count(w); i++) {
        const struct sim_link_counters *c = sim_link_counters(sim_world_link(w, i));
        sent += c->sent_packets;
        delivered += c->delivered_packets;
        dropped += c->drop_queue_packets + c->drop_loss_packets + c->drop_down_packets +
                   c->drop_middlebox_packets;
        assert_true(c->drop_loss_packets > 0 && c->reordered_packets > 0);
    }
    assert_int_equal(tc.send, sent);
    assert_int_equal(tc.deliver, delivered);
    assert_int_equal(tc.drop, dropped);
    assert_int_equal(delivered, hb.received + ha.echoes + rc->forwarded);
    sim_world_free(w);

    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    static uint8_t buf[4 << 20];
    size_t n = fread(buf, 1, sizeof(buf), f);
    fclose(f);
    assert_true(n > 24 && n < sizeof(buf));
    tu_sha256_hex(buf, n, hex);
}

static void test_same_seed_gives_identical_pcap(void **state)
{
    (void)state;
    char p1[300], p2[300], p3[300], h1[65], h2[65], h3[65];
    snprintf(p1, sizeof(p1), "%s/run1.pcap", tu_tmpdir());
    snprintf(p2, sizeof(p2), "%s/run2.pcap", tu_tmpdir());
    snprintf(p3, sizeof(p3), "%s/run3.pcap", tu_tmpdir());
    run_scenario(5, p1, h1);
    run_scenario(5, p2, h2);
    run_scenario(6, p3, h3);
    assert_string_equal(h1, h2);
    assert_string_not_equal(h1, h3);
}

/* ---- the router ----------------------------------------------------------------------- */

struct sink {
    int hits;
    uint8_t last[80];
    size_t last_len;
};

static void sink_receive(struct sim_node *node, void *user, int ifindex, const uint8_t *pkt,
                         size_t len, uint64_t now)
{
    struct sink *s = user;
    s->hits++;
    s->last_len = len < sizeof(s->last) ? len : sizeof(s->last);
    memcpy(s->last, pkt, s->last_len);
}

static const struct sim_node_ops sink_ops = {.receive = sink_receive};

static void test_router_longest_prefix_match(void **state)
{
    (void)state;
    struct sim_world *w;
    struct sim_node *r;
    assert_int_equal(sim_world_new(&w, 1), UMPTCP_OK);
    assert_int_equal(sim_router_new(&r, w, "r"), UMPTCP_OK);
    for (int i = 1; i <= 5; i++)
        assert_int_equal(sim_node_add_interface(r, i), UMPTCP_OK);
    assert_int_equal(sim_router_add_route_text(r, "10.0.0.0/8", 1), UMPTCP_OK);
    assert_int_equal(sim_router_add_route_text(r, "10.1.2.0/24", 3), UMPTCP_OK);
    assert_int_equal(sim_router_add_route_text(r, "10.1.255.255/16", 2), UMPTCP_OK);
    assert_int_equal(sim_router_add_route_text(r, "10.1.2.3", 4), UMPTCP_OK);
    assert_int_equal(sim_router_add_route_text(r, "fd00::/16", 1), UMPTCP_OK);
    assert_int_equal(sim_router_add_route_text(r, "fd00:1:2::/48", 3), UMPTCP_OK);
    assert_int_equal(sim_router_add_route_text(r, "fd00:1::/32", 2), UMPTCP_OK);
    assert_int_equal(sim_router_add_route_text(r, "fd00:1::/32", 5), UMPTCP_OK); /* tie */
    umptcp_addr a;
    const struct {
        const char *dst;
        int ifindex;
    } cases[] = {
        {"10.9.9.9", 1},  {"10.1.9.9", 2},         {"10.1.2.4", 3},    {"10.1.2.3", 4},
        {"11.0.0.1", -1}, {"fd00::5", 1},          {"fd00:1:3::1", 2}, {"fd00:1:2:ffff::1", 3},
        {"fd01::1", -1},  {"::ffff:10.1.2.3", -1},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        a = addr(cases[i].dst);
        int want = cases[i].ifindex < 0 ? UMPTCP_ERR_NOTFOUND : cases[i].ifindex;
        assert_int_equal(sim_router_lookup(r, &a), want);
    }
    a = addr("0.0.0.0");
    assert_int_equal(sim_router_add_route(r, &a, 0, 5), UMPTCP_OK); /* default route */
    a = addr("11.0.0.1");
    assert_int_equal(sim_router_lookup(r, &a), 5);
    assert_int_equal(sim_router_add_route_text(r, "10.0.0.0/33", 1), UMPTCP_ERR_INVAL);
    assert_int_equal(sim_router_add_route_text(r, "10.0.0.0/", 1), UMPTCP_ERR_INVAL);
    assert_int_equal(sim_router_add_route_text(r, "10.0.0.0/+8", 1), UMPTCP_ERR_INVAL);
    assert_int_equal(sim_router_add_route_text(r, "host/8", 1), UMPTCP_ERR_INVAL);
    assert_int_equal(sim_router_add_route_text(r, "fd00::/129", 1), UMPTCP_ERR_INVAL);
    assert_int_equal(sim_router_add_route_text(r, "10.0.0.0/8", 9), UMPTCP_ERR_NOTFOUND);
    struct sim_node *h;
    assert_int_equal(sim_host_new(&h, w, "h", NULL, NULL), UMPTCP_OK);
    assert_false(sim_node_is_router(h));
    assert_null(sim_router_counters(h));
    assert_int_equal(sim_router_add_route_text(h, "10.0.0.0/8", 1), UMPTCP_ERR_INVAL);
    sim_world_free(w);
}

/* Forwarding: TTL / hop limit decremented (IPv4 checksum still valid), expiry, no route,
 * packets for the router itself, and garbage. */
static void test_router_forwards_and_drops(void **state)
{
    (void)state;
    struct sim_world *w;
    struct sim_node *src, *r, *d4, *d6;
    struct sink s4 = {0}, s6 = {0};
    assert_int_equal(sim_world_new(&w, 1), UMPTCP_OK);
    assert_int_equal(sim_host_new(&src, w, "src", NULL, NULL), UMPTCP_OK);
    assert_int_equal(sim_host_new(&d4, w, "d4", &sink_ops, &s4), UMPTCP_OK);
    assert_int_equal(sim_host_new(&d6, w, "d6", &sink_ops, &s6), UMPTCP_OK);
    assert_int_equal(sim_router_new(&r, w, "r"), UMPTCP_OK);
    umptcp_addr own = addr("192.168.0.1");
    assert_int_equal(sim_node_add_address(r, 1, &own), UMPTCP_OK);
    assert_int_equal(sim_node_add_interface(r, 2), UMPTCP_OK);
    assert_int_equal(sim_node_add_interface(r, 3), UMPTCP_OK);
    assert_int_equal(sim_node_add_interface(src, 1), UMPTCP_OK);
    assert_int_equal(sim_node_add_interface(d4, 1), UMPTCP_OK);
    assert_int_equal(sim_node_add_interface(d6, 1), UMPTCP_OK);
    struct sim_link *l;
    assert_int_equal(sim_link_new(&l, w, "src-r", src, 1, r, 1, NULL), UMPTCP_OK);
    assert_int_equal(sim_link_new(&l, w, "r-d4", r, 2, d4, 1, NULL), UMPTCP_OK);
    assert_int_equal(sim_link_new(&l, w, "r-d6", r, 3, d6, 1, NULL), UMPTCP_OK);
    assert_int_equal(sim_router_add_route_text(r, "10.2.0.0/16", 2), UMPTCP_OK);
    assert_int_equal(sim_router_add_route_text(r, "fd00:2::/32", 3), UMPTCP_OK);

    uint8_t p[60];
    umptcp_addr s = addr("10.1.0.1"), d = addr("10.2.0.9");
    make_ip4(p, 60, &s, &d, 1);
    assert_int_equal(sim_node_send(src, 1, p, 60), UMPTCP_OK);
    make_ip4(p, 60, &s, &d, 2);
    p[8] = 1; /* expires at the router */
    be16_put(p + 10, 0);
    be16_put(p + 10, sim_ip_checksum(p, 20));
    assert_int_equal(sim_node_send(src, 1, p, 60), UMPTCP_OK);
    umptcp_addr nowhere = addr("10.3.0.1");
    make_ip4(p, 60, &s, &nowhere, 3);
    assert_int_equal(sim_node_send(src, 1, p, 60), UMPTCP_OK);
    make_ip4(p, 60, &s, &own, 4);
    assert_int_equal(sim_node_send(src, 1, p, 60), UMPTCP_OK);
    const uint8_t junk[10] = {0x45, 1, 2, 3};
    assert_int_equal(sim_node_send(src, 1, junk, sizeof(junk)), UMPTCP_OK);
    uint8_t p6[48] = {0x60, 0, 0, 0, 0, 8, 17, 9};
    umptcp_addr s6a = addr("fd00:1::1"), d6a = addr("fd00:2::7");
    memcpy(p6 + 8, s6a.bytes, 16);
    memcpy(p6 + 24, d6a.bytes, 16);
    assert_int_equal(sim_node_send(src, 1, p6, sizeof(p6)), UMPTCP_OK);
    assert_int_equal(sim_world_run(w, SIM_NS_PER_SEC), SIM_RUN_IDLE);

    assert_int_equal(s4.hits, 1);
    assert_int_equal(s4.last[8], 63);
    assert_int_equal(sim_ip_checksum(s4.last, 20), 0);
    assert_int_equal(be32_get(s4.last + 20), 1);
    assert_int_equal(s6.hits, 1);
    assert_int_equal(s6.last[7], 8); /* hop limit 9 -> 8 */
    const struct sim_router_counters *rc = sim_router_counters(r);
    assert_int_equal(rc->forwarded, 2);
    assert_int_equal(rc->ttl_expired, 1);
    assert_int_equal(rc->no_route, 1);
    assert_int_equal(rc->local, 1);
    assert_int_equal(rc->malformed, 1);
    sim_world_free(w);
}

/* ---- run control ---------------------------------------------------------------------- */

struct ticker {
    uint64_t period, fired;
    bool busy; /* always wants a timer now */
};

static uint64_t ticker_next(struct sim_node *node, void *user)
{
    struct ticker *t = user;
    if (t->busy)
        return 0; /* the past means now */
    return (t->fired + 1) * t->period;
}

static void ticker_fire(struct sim_node *node, void *user, uint64_t now)
{
    struct ticker *t = user;
    if (!t->busy)
        assert_int_equal(now, (t->fired + 1) * t->period);
    t->fired++;
}

static const struct sim_node_ops ticker_ops = {.next_timeout = ticker_next,
                                               .on_timeout = ticker_fire};

static void stop_now(struct sim_world *w, void *arg, uint64_t now)
{
    assert_int_equal(sim_world_run(w, now + 1), UMPTCP_ERR_STATE); /* no nested runs */
    sim_world_stop(w);
}

static void test_run_limits_and_stop(void **state)
{
    (void)state;
    struct sim_world *w;
    struct sim_node *n;
    struct ticker t = {.period = MS};
    assert_int_equal(sim_world_new(&w, 1), UMPTCP_OK);
    assert_int_equal(sim_world_run(w, SIM_NS_PER_SEC), SIM_RUN_IDLE); /* nothing to do */
    assert_int_equal(sim_world_now(w), 0);
    assert_int_equal(sim_host_new(&n, w, "tick", &ticker_ops, &t), UMPTCP_OK);
    assert_int_equal(sim_host_new(&n, w, "tick", NULL, NULL), UMPTCP_ERR_EXISTS);
    n = sim_world_find_node(w, "tick");
    assert_non_null(n);
    sim_node_refresh_timer(n);
    assert_int_equal(sim_world_run(w, 5 * MS + 1), SIM_RUN_TIME_LIMIT);
    assert_int_equal(t.fired, 5);
    assert_int_equal(sim_world_now(w), 5 * MS + 1);
    assert_int_equal(sim_world_at(w, 8 * MS, stop_now, NULL), UMPTCP_OK);
    assert_int_equal(sim_world_at(w, 1 * MS, stop_now, NULL), UMPTCP_ERR_INVAL); /* past */
    assert_int_equal(sim_world_run(w, SIM_NS_PER_SEC), SIM_RUN_STOPPED);
    assert_int_equal(sim_world_now(w), 8 * MS);
    /* The 8 ms tick was scheduled (at 7 ms) after the stop event: it is still pending. */
    assert_int_equal(t.fired, 7);
    assert_int_equal(sim_world_run(w, 10 * MS), SIM_RUN_TIME_LIMIT);
    assert_int_equal(t.fired, 10);
    /* A node that always wants a timer now would spin: the event budget ends the run. */
    t.busy = true;
    sim_node_refresh_timer(n);
    sim_world_set_event_limit(w, 1000);
    uint64_t before = sim_world_event_count(w);
    assert_int_equal(sim_world_run(w, SIM_NS_PER_SEC), SIM_RUN_EVENT_LIMIT);
    assert_int_equal(sim_world_event_count(w) - before, 1000);
    assert_int_equal(sim_world_now(w), 10 * MS);
    sim_world_free(w); /* with a pending timer and event: nothing leaks */
}

/* A node's own capture holds what it sent and what it received. */
static void test_node_pcap_and_random_stream(void **state)
{
    (void)state;
    struct sim_world *w, *w2;
    struct sim_node *a, *b, *a2;
    struct sink sb = {0};
    assert_int_equal(sim_world_new(&w, 9), UMPTCP_OK);
    assert_int_equal(sim_host_new(&a, w, "a", NULL, NULL), UMPTCP_OK);
    assert_int_equal(sim_host_new(&b, w, "b", &sink_ops, &sb), UMPTCP_OK);
    assert_int_equal(sim_node_add_interface(a, 1), UMPTCP_OK);
    assert_int_equal(sim_node_add_interface(b, 1), UMPTCP_OK);
    assert_int_equal(sim_node_add_interface(b, 2), UMPTCP_OK);
    struct sim_link *l;
    assert_int_equal(sim_link_new(&l, w, "a-b", a, 1, b, 1, NULL), UMPTCP_OK);
    char path[300];
    snprintf(path, sizeof(path), "%s/b.pcap", tu_tmpdir());
    umptcp_pcap *pcap;
    assert_int_equal(umptcp_pcap_open(&pcap, path), UMPTCP_OK);
    sim_node_set_pcap(b, pcap);
    uint8_t p[40];
    umptcp_addr x = addr("10.0.0.1"), y = addr("10.0.0.2");
    make_ip4(p, sizeof(p), &x, &y, 1);
    assert_int_equal(sim_node_send(a, 1, p, sizeof(p)), UMPTCP_OK);
    assert_int_equal(sim_node_send(b, 2, p, sizeof(p)), UMPTCP_OK); /* no link there */
    assert_int_equal(sim_world_run(w, SIM_NS_PER_SEC), SIM_RUN_IDLE);
    umptcp_pcap_close(pcap);
    assert_int_equal(sb.hits, 1);
    assert_int_equal(sim_node_counters(b)->tx_no_link, 1);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    uint8_t buf[512];
    size_t n = fread(buf, 1, sizeof(buf), f);
    fclose(f);
    assert_int_equal(n, 24 + 2 * (16 + sizeof(p)));

    /* The node stream depends on the world seed and the node name only. */
    assert_int_equal(sim_world_new(&w2, 9), UMPTCP_OK);
    assert_int_equal(sim_host_new(&a2, w2, "x", NULL, NULL), UMPTCP_OK);
    assert_int_equal(sim_host_new(&a2, w2, "a", NULL, NULL), UMPTCP_OK);
    assert_int_equal(sim_rng_next(sim_node_rng(a)), sim_rng_next(sim_node_rng(a2)));
    assert_true(sim_rng_next(sim_node_rng(a)) != sim_rng_next(sim_node_rng(b)));
    sim_world_free(w);
    sim_world_free(w2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_seed_gives_identical_pcap),
        cmocka_unit_test(test_router_longest_prefix_match),
        cmocka_unit_test(test_router_forwards_and_drops),
        cmocka_unit_test(test_run_limits_and_stop),
        cmocka_unit_test(test_node_pcap_and_random_stream),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
