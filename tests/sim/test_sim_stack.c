/* The simulator running real umptcp stacks (src/sim/sim_stack.h): packets reach the stack and
 * its answers reach the network, captures are reproducible, and the stack's randomness comes
 * from the node's seeded stream. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "testutil.h"
#include "sim/sim.h"
#include "sim/sim_stack.h"
#include "umptcp/conn.h"
#include "umptcp/error.h"
#include "umptcp/stack.h"
#include "wire/segment.h"
#include "wire/tcp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MS SIM_NS_PER_MS
#define SYN_SEQ 0x12345678u

static umptcp_sockaddr sockaddr(const char *text, uint16_t port)
{
    umptcp_sockaddr sa = {.port = port};
    assert_int_equal(umptcp_addr_parse(&sa.addr, text), UMPTCP_OK);
    return sa;
}

static uint64_t counter(const umptcp_stack *s, const char *name)
{
    uint64_t v = 0;
    assert_int_equal(umptcp_stack_counter(s, name, &v), UMPTCP_OK);
    return v;
}

/* ---- host A: a plain simulator host that sends crafted SYNs and keeps what comes back ---- */

#define A_MAX_RX 64

struct host_a {
    struct sim_node *node;
    uint32_t syns;   /* SYNs sent so far */
    uint32_t total;  /* SYNs to send, one per millisecond from t = 1 ms */
    size_t received; /* packets that came back */
    uint8_t rx[A_MAX_RX][128];
    size_t rx_len[A_MAX_RX];
    uint64_t rx_time[A_MAX_RX];
};

static void a_receive(struct sim_node *node, void *user, int ifindex, const uint8_t *pkt,
                      size_t len, uint64_t now)
{
    struct host_a *a = user;
    assert_int_equal(ifindex, 1);
    if (a->received < A_MAX_RX) {
        assert_true(len <= sizeof(a->rx[0]));
        memcpy(a->rx[a->received], pkt, len);
        a->rx_len[a->received] = len;
        a->rx_time[a->received] = now;
    }
    a->received++;
}

static uint64_t a_next_timeout(struct sim_node *node, void *user)
{
    struct host_a *a = user;
    return a->syns < a->total ? (uint64_t)(a->syns + 1) * MS : SIM_TIME_NEVER;
}

/* Sends SYN number a->syns from 10.0.1.1:(40000 + n) to 10.0.2.1:5201. */
static void a_on_timeout(struct sim_node *node, void *user, uint64_t now)
{
    struct host_a *a = user;
    struct wire_segment_spec spec = {.src = sockaddr("10.0.1.1", (uint16_t)(40000 + a->syns)),
                                     .dst = sockaddr("10.0.2.1", 5201),
                                     .seq = SYN_SEQ + a->syns,
                                     .flags = WIRE_TCP_SYN,
                                     .window = 65535};
    uint8_t pkt[128];
    size_t len = 0;
    assert_int_equal(wire_segment_build(&spec, pkt, sizeof(pkt), &len), UMPTCP_OK);
    assert_int_equal(sim_node_send(node, 1, pkt, len), UMPTCP_OK);
    a->syns++;
}

static const struct sim_node_ops a_ops = {
    .receive = a_receive, .next_timeout = a_next_timeout, .on_timeout = a_on_timeout};

/* ---- the world: A -- router -- B (a stack host) ------------------------------------------ */

struct world {
    struct sim_world *w;
    struct sim_node *a, *b, *r;
    umptcp_stack *b_stack;
    struct host_a ha;
};

static void add_link(struct world *t, const char *name, struct sim_node *from, int fi,
                     struct sim_node *to, int ti, double loss)
{
    struct sim_link_config c;
    sim_link_config_init(&c);
    c.rate_bps = 10000000;
    c.delay_ns = 5 * MS;
    c.loss = loss;
    struct sim_link *l;
    assert_int_equal(sim_link_new(&l, t->w, name, from, fi, to, ti, &c), UMPTCP_OK);
}

static void world_build(struct world *t, uint64_t seed, uint32_t syns, double loss)
{
    memset(t, 0, sizeof(*t));
    t->ha.total = syns;
    assert_int_equal(sim_world_new(&t->w, seed), UMPTCP_OK);
    assert_int_equal(sim_host_new(&t->a, t->w, "a", &a_ops, &t->ha), UMPTCP_OK);
    assert_int_equal(sim_stack_host_new(&t->b, t->w, "b", NULL, &t->b_stack), UMPTCP_OK);
    assert_non_null(t->b_stack);
    assert_ptr_equal(sim_stack_of(t->b), t->b_stack);
    assert_int_equal(sim_router_new(&t->r, t->w, "r"), UMPTCP_OK);
    umptcp_addr a1;
    assert_int_equal(umptcp_addr_parse(&a1, "10.0.1.1"), UMPTCP_OK);
    assert_int_equal(sim_node_add_address(t->a, 1, &a1), UMPTCP_OK);
    assert_int_equal(sim_stack_add_address_text(t->b, 1, "10.0.2.1"), UMPTCP_OK);
    assert_int_equal(sim_node_add_interface(t->r, 1), UMPTCP_OK);
    assert_int_equal(sim_node_add_interface(t->r, 2), UMPTCP_OK);
    assert_int_equal(sim_router_add_route_text(t->r, "10.0.1.0/24", 1), UMPTCP_OK);
    assert_int_equal(sim_router_add_route_text(t->r, "10.0.2.0/24", 2), UMPTCP_OK);
    add_link(t, "a-r", t->a, 1, t->r, 1, 0);
    add_link(t, "r-a", t->r, 1, t->a, 1, loss);
    add_link(t, "r-b", t->r, 2, t->b, 1, loss);
    add_link(t, "b-r", t->b, 1, t->r, 2, 0);
    sim_node_refresh_timer(t->a);
}

static void check_rst(const struct host_a *a, size_t i, uint32_t syn_index)
{
    struct wire_segment rst;
    assert_int_equal(wire_segment_parse(a->rx[i], a->rx_len[i], &rst), UMPTCP_OK);
    assert_int_equal(rst.tcp.flags, WIRE_TCP_RST | WIRE_TCP_ACK);
    assert_int_equal(rst.tcp.seq, 0);
    assert_int_equal(rst.tcp.ack, SYN_SEQ + syn_index + 1);
    assert_int_equal(rst.tcp.sport, 5201);
    assert_int_equal(rst.tcp.dport, 40000 + syn_index);
    assert_int_equal(rst.tcp.payload_len, 0);
    umptcp_sockaddr from = sockaddr("10.0.1.1", 0), to = sockaddr("10.0.2.1", 0);
    assert_true(umptcp_addr_equal(&rst.ip.src, &to.addr));
    assert_true(umptcp_addr_equal(&rst.ip.dst, &from.addr));
    assert_int_equal(rst.ip.ttl, 63); /* the stack sent it with 64, the router took one */
}

/* A SYN to a port nobody listens on, through a router: B's stack answers RST+ACK
 * (RFC 9293 3.10.7.1), which A receives four link crossings after it sent the SYN. */
static void test_syn_refused_through_router(void **state)
{
    (void)state;
    struct world t;
    world_build(&t, 1, 1, 0);
    assert_int_equal(sim_world_run(t.w, 10 * SIM_NS_PER_SEC), SIM_RUN_IDLE);
    assert_int_equal(t.ha.syns, 1);
    assert_int_equal(t.ha.received, 1);
    check_rst(&t.ha, 0, 0);
    /* Sent at 1 ms; four hops of 5 ms plus serialisation at 10 Mbit/s. */
    assert_true(t.ha.rx_time[0] > 21 * MS && t.ha.rx_time[0] < 22 * MS);
    assert_int_equal(counter(t.b_stack, "TcpOutRsts"), 1);
    assert_int_equal(counter(t.b_stack, "TcpInSegs"), 1);
    assert_int_equal(counter(t.b_stack, "TcpOutSegs"), 1);
    assert_int_equal(counter(t.b_stack, "IpOutDiscards"), 0);
    assert_int_equal(sim_stack_send_errors(t.b), 0);
    assert_int_equal(sim_node_counters(t.b)->rx_packets, 1);
    assert_int_equal(sim_node_counters(t.b)->tx_packets, 1);
    sim_world_free(t.w); /* frees B's stack too (ASan would see a leak otherwise) */
}

/* Many SYNs over lossy links: every answer that arrives is the right RST, and the stack's
 * counters match what the network delivered. */
static void test_many_syns_lossy(void **state)
{
    (void)state;
    struct world t;
    world_build(&t, 9, 50, 0.2);
    assert_int_equal(sim_world_run(t.w, 10 * SIM_NS_PER_SEC), SIM_RUN_IDLE);
    assert_int_equal(t.ha.syns, 50);
    uint64_t b_rx = sim_node_counters(t.b)->rx_packets;
    assert_true(b_rx > 25 && b_rx < 50); /* some SYNs lost on r-b */
    assert_int_equal(counter(t.b_stack, "TcpOutRsts"), b_rx);
    assert_true(t.ha.received > 10 && t.ha.received < b_rx); /* some RSTs lost on r-a */
    for (size_t i = 0; i < t.ha.received && i < A_MAX_RX; i++) {
        struct wire_segment rst;
        assert_int_equal(wire_segment_parse(t.ha.rx[i], t.ha.rx_len[i], &rst), UMPTCP_OK);
        check_rst(&t.ha, i, (uint32_t)(rst.tcp.dport - 40000));
    }
    sim_world_free(t.w);
}

static size_t read_file(const char *path, uint8_t *buf, size_t cap)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    size_t n = fread(buf, 1, cap, f);
    fclose(f);
    assert_true(n > 24 && n < cap);
    return n;
}

/* Runs the lossy scenario with `seed`, capturing the whole world; returns the SHA-256 of the
 * capture. */
static void capture_run(uint64_t seed, const char *name, char hex[65])
{
    char path[300];
    snprintf(path, sizeof(path), "%s/%s", tu_tmpdir(), name);
    struct world t;
    world_build(&t, seed, 50, 0.2);
    umptcp_pcap *pcap;
    assert_int_equal(umptcp_pcap_open(&pcap, path), UMPTCP_OK);
    sim_world_set_pcap(t.w, pcap);
    assert_int_equal(sim_world_run(t.w, 10 * SIM_NS_PER_SEC), SIM_RUN_IDLE);
    umptcp_pcap_close(pcap);
    sim_world_free(t.w);
    static uint8_t buf[1 << 20];
    tu_sha256_hex(buf, read_file(path, buf, sizeof(buf)), hex);
}

static void test_same_seed_same_pcap(void **state)
{
    (void)state;
    char h1[65], h2[65], h3[65];
    capture_run(3, "seed3-a.pcap", h1);
    capture_run(3, "seed3-b.pcap", h2);
    capture_run(4, "seed4.pcap", h3);
    assert_string_equal(h1, h2);
    assert_string_not_equal(h1, h3); /* the seed matters: other packets are lost */
}

/* The stack's random bytes are the node's stream: what sim_rng_fill gives on a copy of the
 * node's generator, different for two hosts, the same for the same seed. */
static void draw_two_hosts(uint64_t seed, uint8_t x[32], uint8_t y[32])
{
    struct sim_world *w;
    struct sim_node *n1, *n2;
    assert_int_equal(sim_world_new(&w, seed), UMPTCP_OK);
    assert_int_equal(sim_stack_host_new(&n1, w, "x", NULL, NULL), UMPTCP_OK);
    assert_int_equal(sim_stack_host_new(&n2, w, "y", NULL, NULL), UMPTCP_OK);
    struct sim_rng copy = *sim_node_rng(n1);
    uint8_t expect[32];
    sim_rng_fill(&copy, expect, sizeof(expect));
    sim_stack_fill_random(n1, x, 32);
    sim_stack_fill_random(n2, y, 32);
    assert_memory_equal(x, expect, 32);
    /* The node's stream moved on: the next draw differs. */
    uint8_t again[32];
    sim_stack_fill_random(n1, again, sizeof(again));
    assert_memory_not_equal(x, again, 32);
    sim_world_free(w);
}

static void test_random_from_node_stream(void **state)
{
    (void)state;
    uint8_t x1[32], y1[32], x2[32], y2[32], x3[32], y3[32];
    draw_two_hosts(11, x1, y1);
    draw_two_hosts(11, x2, y2);
    draw_two_hosts(12, x3, y3);
    assert_memory_not_equal(x1, y1, 32);
    assert_memory_equal(x1, x2, 32);
    assert_memory_equal(y1, y2, 32);
    assert_memory_not_equal(x1, x3, 32);
}

/* Addresses go to both the node and the stack; other nodes are not stack hosts. */
static void test_addresses_and_kinds(void **state)
{
    (void)state;
    struct sim_world *w;
    struct sim_node *h, *plain, *r, *dup;
    umptcp_stack *s;
    assert_int_equal(sim_world_new(&w, 1), UMPTCP_OK);
    assert_int_equal(sim_stack_host_new(&h, w, "h", NULL, &s), UMPTCP_OK);
    assert_int_equal(sim_host_new(&plain, w, "p", NULL, NULL), UMPTCP_OK);
    assert_int_equal(sim_router_new(&r, w, "r"), UMPTCP_OK);
    assert_int_equal(sim_stack_host_new(&dup, w, "h", NULL, &s), UMPTCP_ERR_EXISTS);
    assert_null(dup);
    assert_null(s);
    s = sim_stack_of(h);
    assert_true(sim_stack_is_host(h));
    assert_false(sim_stack_is_host(plain));
    assert_false(sim_stack_is_host(r));
    assert_null(sim_stack_of(r));

    assert_int_equal(sim_stack_add_address_text(h, 2, "fd00:2::1"), UMPTCP_OK);
    assert_int_equal(sim_stack_add_address_text(h, 3, "10.3.0.1"), UMPTCP_OK);
    umptcp_addr a;
    assert_int_equal(umptcp_addr_parse(&a, "fd00:2::1"), UMPTCP_OK);
    assert_int_equal(sim_node_find_address(h, &a), 2);
    assert_int_equal(umptcp_stack_add_address(s, 2, &a), UMPTCP_ERR_EXISTS); /* stack has it */
    assert_int_equal(umptcp_addr_parse(&a, "10.3.0.1"), UMPTCP_OK);
    assert_int_equal(sim_node_find_address(h, &a), 3);
    assert_int_equal(umptcp_stack_remove_address(s, &a), UMPTCP_OK);
    assert_int_equal(sim_stack_add_address_text(h, 3, "not an address"), UMPTCP_ERR_INVAL);
    assert_int_equal(sim_stack_add_address(plain, 1, &a), UMPTCP_ERR_INVAL);
    assert_int_equal(sim_stack_add_address(r, 1, &a), UMPTCP_ERR_INVAL);
    assert_int_equal(sim_stack_send_errors(h), 0);
    sim_world_free(w);
}

/* ---- two stack hosts: connections and the timer rule ------------------------------------- */

struct pair {
    struct sim_world *w;
    struct sim_node *c, *s;
    struct sim_link *c_to_s;
    umptcp_listener *listener;
    umptcp_conn *accepted;
    int connected, acceptable; /* events seen */
    uint8_t first_syn[128];    /* the first packet the client sent */
    size_t first_syn_len;
};

static void client_event(void *user, umptcp_conn *c, const umptcp_event *ev)
{
    struct pair *p = user;
    p->connected += ev->type == UMPTCP_EV_CONNECTED;
}

static void server_event(void *user, umptcp_conn *c, const umptcp_event *ev)
{
    struct pair *p = user;
    if (ev->type != UMPTCP_EV_ACCEPTABLE)
        return;
    p->acceptable++;
    p->accepted = umptcp_accept(ev->listener, NULL); /* freed with the world */
    assert_non_null(p->accepted);
}

static void keep_first_syn(void *user, const struct sim_trace *ev)
{
    struct pair *p = user;
    if (ev->kind == SIM_TRACE_SEND && ev->node == p->c && p->first_syn_len == 0 &&
        ev->len <= sizeof(p->first_syn)) {
        memcpy(p->first_syn, ev->pkt, ev->len);
        p->first_syn_len = ev->len;
    }
}

/* Client 10.0.0.1 and server 10.0.0.2 (listening on port 80), 10 ms apart. */
static void pair_build(struct pair *p, uint64_t seed)
{
    memset(p, 0, sizeof(*p));
    assert_int_equal(sim_world_new(&p->w, seed), UMPTCP_OK);
    assert_int_equal(sim_stack_host_new(&p->c, p->w, "client", NULL, NULL), UMPTCP_OK);
    assert_int_equal(sim_stack_host_new(&p->s, p->w, "server", NULL, NULL), UMPTCP_OK);
    assert_int_equal(sim_stack_add_address_text(p->c, 1, "10.0.0.1"), UMPTCP_OK);
    assert_int_equal(sim_stack_add_address_text(p->s, 1, "10.0.0.2"), UMPTCP_OK);
    struct sim_link_config cfg;
    sim_link_config_init(&cfg);
    cfg.delay_ns = 10 * MS;
    struct sim_link *back;
    assert_int_equal(sim_link_new(&p->c_to_s, p->w, "c-s", p->c, 1, p->s, 1, &cfg), UMPTCP_OK);
    assert_int_equal(sim_link_new(&back, p->w, "s-c", p->s, 1, p->c, 1, &cfg), UMPTCP_OK);
    sim_stack_set_event_cb(p->c, client_event, p);
    sim_stack_set_event_cb(p->s, server_event, p);
    sim_world_set_trace(p->w, keep_first_syn, p);
    umptcp_sockaddr any = {.port = 80};
    assert_int_equal(umptcp_listen(sim_stack_of(p->s), &any, NULL, &p->listener), UMPTCP_OK);
}

/* The run ended because nothing was left to do or the time was up (an established, idle
 * connection may or may not keep a timer). */
static bool run_ok(int rc)
{
    return rc == SIM_RUN_IDLE || rc == SIM_RUN_TIME_LIMIT;
}

static umptcp_conn *pair_connect(struct pair *p)
{
    umptcp_sockaddr to = sockaddr("10.0.0.2", 80);
    umptcp_conn *conn = NULL;
    assert_int_equal(umptcp_connect(sim_stack_of(p->c), &to, NULL, sim_world_now(p->w), &conn),
                     UMPTCP_OK);
    return conn;
}

/* A call into a stack between runs must be followed by sim_node_refresh_timer: here the SYN
 * is lost and its retransmission timer only runs once the node's timer is refreshed. */
static void test_timer_refresh_rule(void **state)
{
    (void)state;
    struct pair p;
    pair_build(&p, 5);
    sim_link_set_up(p.c_to_s, false);
    umptcp_conn *conn = pair_connect(&p); /* the SYN leaves (and is lost) now */
    assert_int_equal(sim_node_counters(p.c)->tx_packets, 1);
    assert_int_equal(sim_world_run(p.w, 5 * SIM_NS_PER_SEC), SIM_RUN_IDLE);
    assert_int_equal(sim_node_counters(p.c)->tx_packets, 1); /* nobody ran the SYN timer */
    assert_int_equal(p.connected, 0);

    sim_link_set_up(p.c_to_s, true);
    sim_node_refresh_timer(p.c); /* the rule */
    assert_true(run_ok(sim_world_run(p.w, 5 * SIM_NS_PER_SEC)));
    assert_true(sim_node_counters(p.c)->tx_packets >= 3); /* SYN again, ACK */
    assert_int_equal(p.connected, 1);
    assert_int_equal(p.acceptable, 1);
    umptcp_conn_abort(conn, sim_world_now(p.w));
    sim_world_free(p.w);
}

/* The ISN (RFC 6528, keyed by the stack's random bytes) follows the world seed. */
static void first_syn(uint64_t seed, uint8_t *syn, size_t *len)
{
    struct pair p;
    pair_build(&p, seed);
    umptcp_conn *conn = pair_connect(&p);
    sim_node_refresh_timer(p.c);
    assert_true(run_ok(sim_world_run(p.w, 1 * SIM_NS_PER_SEC)));
    assert_int_equal(p.connected, 1);
    assert_true(p.first_syn_len > 0);
    memcpy(syn, p.first_syn, p.first_syn_len);
    *len = p.first_syn_len;
    umptcp_conn_abort(conn, sim_world_now(p.w));
    sim_world_free(p.w);
}

static void test_isn_follows_seed(void **state)
{
    (void)state;
    uint8_t a[128], b[128], c[128];
    size_t la, lb, lc;
    first_syn(21, a, &la);
    first_syn(21, b, &lb);
    first_syn(22, c, &lc);
    assert_int_equal(la, lb);
    assert_memory_equal(a, b, la);
    struct wire_segment sa, sc;
    assert_int_equal(wire_segment_parse(a, la, &sa), UMPTCP_OK);
    assert_int_equal(wire_segment_parse(c, lc, &sc), UMPTCP_OK);
    assert_int_equal(sa.tcp.flags, WIRE_TCP_SYN);
    assert_int_not_equal(sa.tcp.seq, sc.tcp.seq);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_syn_refused_through_router),
        cmocka_unit_test(test_many_syns_lossy),
        cmocka_unit_test(test_same_seed_same_pcap),
        cmocka_unit_test(test_random_from_node_stream),
        cmocka_unit_test(test_addresses_and_kinds),
        cmocka_unit_test(test_timer_refresh_rule),
        cmocka_unit_test(test_isn_follows_seed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
