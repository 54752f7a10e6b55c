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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_syn_refused_through_router),
        cmocka_unit_test(test_many_syns_lossy),
        cmocka_unit_test(test_same_seed_same_pcap),
        cmocka_unit_test(test_random_from_node_stream),
        cmocka_unit_test(test_addresses_and_kinds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
