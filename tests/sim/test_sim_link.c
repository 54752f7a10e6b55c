/* Links against the arithmetic: serialisation and queueing delay, drop-tail, run-time
 * changes, up/down, and the middlebox hook. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "testutil.h"
#include "sim/sim.h"
#include "umptcp/error.h"
#include "util/bytes.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MS SIM_NS_PER_MS
#define MAXRX 64

/* What the receiving host saw. */
struct rx_log {
    size_t n;
    uint64_t at[MAXRX];
    uint32_t seq[MAXRX];
    size_t len[MAXRX];
    uint8_t byte30[MAXRX];
};

static void rx_record(struct sim_node *node, void *user, int ifindex, const uint8_t *pkt,
                      size_t len, uint64_t now)
{
    struct rx_log *log = user;
    assert_int_equal(ifindex, 1);
    assert_true(len >= 31);
    assert_true(log->n < MAXRX);
    log->at[log->n] = now;
    log->seq[log->n] = be32_get(pkt + 20);
    log->len[log->n] = len;
    log->byte30[log->n] = pkt[30];
    log->n++;
}

static const struct sim_node_ops rx_ops = {.receive = rx_record};

struct net {
    struct sim_world *w;
    struct sim_node *a, *b;
    struct sim_link *ab;
    struct rx_log rx;
};

/* A 20-byte IPv4 header 10.0.0.1 -> 10.0.0.2 (UDP) then a 32-bit sequence number. */
static void make_pkt(uint8_t *buf, size_t len, uint32_t seq)
{
    memset(buf, 0, len);
    buf[0] = 0x45;
    be16_put(buf + 2, (uint16_t)len);
    buf[8] = 64;
    buf[9] = 17;
    const uint8_t src[4] = {10, 0, 0, 1}, dst[4] = {10, 0, 0, 2};
    memcpy(buf + 12, src, 4);
    memcpy(buf + 16, dst, 4);
    be16_put(buf + 10, sim_ip_checksum(buf, 20));
    be32_put(buf + 20, seq);
}

static void send_pkt(struct net *n, size_t len, uint32_t seq)
{
    uint8_t buf[2000];
    assert_true(len <= sizeof(buf));
    make_pkt(buf, len, seq);
    assert_int_equal(sim_node_send(n->a, 1, buf, len), UMPTCP_OK);
}

static void net_setup(struct net *n, const struct sim_link_config *cfg)
{
    memset(n, 0, sizeof(*n));
    umptcp_addr a, b;
    assert_int_equal(umptcp_addr_parse(&a, "10.0.0.1"), 0);
    assert_int_equal(umptcp_addr_parse(&b, "10.0.0.2"), 0);
    assert_int_equal(sim_world_new(&n->w, 1), UMPTCP_OK);
    assert_int_equal(sim_host_new(&n->a, n->w, "a", NULL, NULL), UMPTCP_OK);
    assert_int_equal(sim_host_new(&n->b, n->w, "b", &rx_ops, &n->rx), UMPTCP_OK);
    assert_int_equal(sim_node_add_address(n->a, 1, &a), UMPTCP_OK);
    assert_int_equal(sim_node_add_address(n->b, 1, &b), UMPTCP_OK);
    assert_int_equal(sim_link_new(&n->ab, n->w, "a-b", n->a, 1, n->b, 1, cfg), UMPTCP_OK);
}

/* Every packet that entered the link is delivered, dropped, or still inside. */
static void assert_conserved(const struct sim_link *l)
{
    const struct sim_link_counters *c = sim_link_counters(l);
    uint64_t out = c->delivered_packets + c->drop_queue_packets + c->drop_loss_packets +
                   c->drop_down_packets + c->drop_middlebox_packets + sim_link_packets_inside(l);
    assert_int_equal(c->sent_packets + c->duplicated_packets, out);
}

static struct sim_link_config cfg_12mbit_10ms(void)
{
    struct sim_link_config c;
    sim_link_config_init(&c);
    c.rate_bps = 12000000; /* 1500 bytes = 12000 bits = exactly 1 ms */
    c.delay_ns = 10 * MS;
    return c;
}

static void test_serialisation_and_queueing_delay(void **state)
{
    (void)state;
    struct net n;
    struct sim_link_config c = cfg_12mbit_10ms();
    net_setup(&n, &c);
    for (uint32_t k = 0; k < 10; k++)
        send_pkt(&n, 1500, k);
    assert_int_equal(sim_link_queue_bytes(n.ab), 9 * 1500);
    assert_int_equal(sim_world_run(n.w, SIM_NS_PER_SEC), SIM_RUN_IDLE);
    assert_int_equal(n.rx.n, 10);
    for (uint32_t k = 0; k < 10; k++) {
        assert_int_equal(n.rx.seq[k], k);
        assert_int_equal(n.rx.at[k], 10 * MS + (k + 1) * MS);
    }
    const struct sim_link_counters *lc = sim_link_counters(n.ab);
    assert_int_equal(lc->delivered_packets, 10);
    assert_int_equal(lc->delivered_bytes, 15000);
    assert_int_equal(lc->queue_high_water_bytes, 9 * 1500);
    assert_int_equal(lc->queue_high_water_packets, 9);
    /* one-way delay: 11 + 12 + ... + 20 ms */
    assert_int_equal(lc->delay_sum_ns, 155 * MS);
    assert_int_equal(sim_world_now(n.w), 20 * MS);
    assert_conserved(n.ab);
    sim_world_free(n.w);
}

/* Serialisation rounds up to the next nanosecond. */
static void test_serialisation_rounds_up(void **state)
{
    (void)state;
    struct net n;
    struct sim_link_config c;
    sim_link_config_init(&c);
    c.rate_bps = 3000000000ull; /* 100 bytes = 800 bits = 266.66.. ns -> 267 */
    net_setup(&n, &c);
    send_pkt(&n, 100, 0);
    send_pkt(&n, 100, 1);
    assert_int_equal(sim_world_run(n.w, SIM_NS_PER_SEC), SIM_RUN_IDLE);
    assert_int_equal(n.rx.n, 2);
    assert_int_equal(n.rx.at[0], 267);
    assert_int_equal(n.rx.at[1], 534);
    sim_world_free(n.w);
}

static void run_queue_limit(uint64_t limit, uint32_t expect_delivered)
{
    struct net n;
    struct sim_link_config c = cfg_12mbit_10ms();
    c.queue_limit_bytes = limit;
    net_setup(&n, &c);
    for (uint32_t k = 0; k < 10; k++)
        send_pkt(&n, 1500, k);
    assert_int_equal(sim_world_run(n.w, SIM_NS_PER_SEC), SIM_RUN_IDLE);
    /* One packet on the transmitter, the rest of what fits waits; the tail is dropped. */
    assert_int_equal(n.rx.n, expect_delivered);
    for (uint32_t k = 0; k < expect_delivered; k++) {
        assert_int_equal(n.rx.seq[k], k);
        assert_int_equal(n.rx.at[k], 10 * MS + (k + 1) * MS);
    }
    const struct sim_link_counters *lc = sim_link_counters(n.ab);
    assert_int_equal(lc->drop_queue_packets, 10 - expect_delivered);
    assert_int_equal(lc->drop_queue_bytes, (10 - expect_delivered) * 1500);
    assert_int_equal(lc->queue_high_water_bytes, (expect_delivered - 1) * 1500);
    assert_conserved(n.ab);
    sim_world_free(n.w);
}

static void test_drop_tail_queue_limit_in_bytes(void **state)
{
    (void)state;
    run_queue_limit(4500, 4); /* exactly three packets wait */
    run_queue_limit(4499, 3); /* one byte less: only two */
    run_queue_limit(0, 1);    /* nothing may wait */
}

static void change_rate(struct sim_world *w, void *arg, uint64_t now)
{
    assert_int_equal(now, MS / 2);
    assert_int_equal(sim_link_set_rate(arg, 6000000), UMPTCP_OK);
}

static void change_delay(struct sim_world *w, void *arg, uint64_t now)
{
    assert_int_equal(sim_link_set_delay(arg, 20 * MS), UMPTCP_OK);
}

static void change_loss(struct sim_world *w, void *arg, uint64_t now)
{
    assert_int_equal(sim_link_set_loss(arg, 1.0), UMPTCP_OK);
}

/* The packet being serialised keeps its rate; the next one uses the new rate. A delay change
 * applies to packets launched afterwards; a loss change to the next launch. */
static void test_rate_delay_loss_change_mid_run(void **state)
{
    (void)state;
    struct net n;
    struct sim_link_config c = cfg_12mbit_10ms();
    net_setup(&n, &c);
    for (uint32_t k = 0; k < 4; k++)
        send_pkt(&n, 1500, k);
    assert_int_equal(sim_world_at(n.w, MS / 2, change_rate, n.ab), UMPTCP_OK);
    assert_int_equal(sim_world_at(n.w, 4 * MS, change_delay, n.ab), UMPTCP_OK);
    assert_int_equal(sim_world_at(n.w, 6 * MS, change_loss, n.ab), UMPTCP_OK);
    assert_int_equal(sim_world_run(n.w, SIM_NS_PER_SEC), SIM_RUN_IDLE);
    /* tx ends at 1 ms (12 Mbit/s), 3 ms and 5 ms (6 Mbit/s); the fourth at 7 ms is lost. */
    assert_int_equal(n.rx.n, 3);
    assert_int_equal(n.rx.at[0], 11 * MS);
    assert_int_equal(n.rx.at[1], 13 * MS);
    assert_int_equal(n.rx.at[2], 25 * MS);
    assert_int_equal(sim_link_counters(n.ab)->drop_loss_packets, 1);
    /* Invalid values are refused and change nothing. */
    assert_int_equal(sim_link_set_loss(n.ab, 1.5), UMPTCP_ERR_INVAL);
    assert_int_equal(sim_link_set_loss(n.ab, -0.1), UMPTCP_ERR_INVAL);
    assert_int_equal(sim_link_set_delay(n.ab, SIM_LINK_MAX_DELAY_NS + 1), UMPTCP_ERR_INVAL);
    assert_true(sim_link_config(n.ab)->loss == 1.0);
    assert_int_equal(sim_link_config(n.ab)->rate_bps, 6000000);
    assert_conserved(n.ab);
    sim_world_free(n.w);
}

struct updown {
    struct net *n;
    uint32_t next_seq;
};

static void go_down(struct sim_world *w, void *arg, uint64_t now)
{
    struct net *n = arg;
    sim_link_set_up(n->ab, false);
    assert_false(sim_link_is_up(n->ab));
    assert_int_equal(sim_link_packets_inside(n->ab), 0);
    assert_int_equal(sim_link_queue_bytes(n->ab), 0);
}

static void send_two(struct sim_world *w, void *arg, uint64_t now)
{
    struct updown *u = arg;
    send_pkt(u->n, 1500, u->next_seq++);
    send_pkt(u->n, 1500, u->next_seq++);
}

static void go_up(struct sim_world *w, void *arg, uint64_t now)
{
    sim_link_set_up(((struct net *)arg)->ab, true);
}

static void test_link_down_drops_queue_flight_and_new_packets(void **state)
{
    (void)state;
    struct net n;
    struct sim_link_config c = cfg_12mbit_10ms();
    net_setup(&n, &c);
    struct updown u = {.n = &n, .next_seq = 100};
    for (uint32_t k = 0; k < 5; k++)
        send_pkt(&n, 1500, k);
    /* At 2.5 ms: two packets are on the wire, one on the transmitter, two queued. */
    assert_int_equal(sim_world_at(n.w, 5 * MS / 2, go_down, &n), UMPTCP_OK);
    assert_int_equal(sim_world_at(n.w, 3 * MS, send_two, &u), UMPTCP_OK);
    assert_int_equal(sim_world_at(n.w, 20 * MS, go_up, &n), UMPTCP_OK);
    assert_int_equal(sim_world_at(n.w, 20 * MS, send_two, &u), UMPTCP_OK);
    assert_int_equal(sim_world_run(n.w, SIM_NS_PER_SEC), SIM_RUN_IDLE);
    const struct sim_link_counters *lc = sim_link_counters(n.ab);
    assert_int_equal(lc->drop_down_packets, 7);
    assert_int_equal(lc->drop_down_bytes, 7 * 1500);
    assert_int_equal(n.rx.n, 2);
    assert_int_equal(n.rx.seq[0], 102);
    assert_int_equal(n.rx.seq[1], 103);
    assert_int_equal(n.rx.at[0], 31 * MS);
    assert_int_equal(n.rx.at[1], 32 * MS);
    assert_conserved(n.ab);
    sim_world_free(n.w);
}

struct mb_state {
    int calls;
    int mode;
};

enum { MB_DROP_EVERY_3RD, MB_DELAY_EVEN, MB_REWRITE };

static struct sim_verdict mb_hook(void *user, struct sim_mb_packet *p)
{
    struct mb_state *s = user;
    s->calls++;
    uint32_t seq = be32_get(p->data + 20);
    switch (s->mode) {
    case MB_DROP_EVERY_3RD:
        return s->calls % 3 == 0 ? sim_verdict_drop() : sim_verdict_pass();
    case MB_DELAY_EVEN:
        return seq % 2 == 0 ? sim_verdict_delay(5 * MS) : sim_verdict_pass();
    default:
        p->data[30] = 0xab;
        if (seq == 1) {
            assert_true(p->cap >= p->len + SIM_MIDDLEBOX_SLACK);
            memset(p->data + p->len, 0xcd, 4); /* grow by 4 bytes */
            p->len += 4;
        }
        if (seq == 2)
            p->len = p->cap + 1; /* breaks the bound: dropped */
        return sim_verdict_pass();
    }
}

static void test_middlebox_drops_every_third(void **state)
{
    (void)state;
    struct net n;
    struct sim_link_config c = cfg_12mbit_10ms();
    net_setup(&n, &c);
    struct mb_state s = {.mode = MB_DROP_EVERY_3RD};
    sim_link_set_middlebox(n.ab, mb_hook, &s);
    for (uint32_t k = 0; k < 9; k++)
        send_pkt(&n, 100, k);
    assert_int_equal(sim_world_run(n.w, SIM_NS_PER_SEC), SIM_RUN_IDLE);
    const uint32_t expect[6] = {0, 1, 3, 4, 6, 7};
    assert_int_equal(n.rx.n, 6);
    for (int i = 0; i < 6; i++)
        assert_int_equal(n.rx.seq[i], expect[i]);
    assert_int_equal(s.calls, 9);
    assert_int_equal(sim_link_counters(n.ab)->drop_middlebox_packets, 3);
    assert_conserved(n.ab);
    sim_world_free(n.w);
}

static void test_middlebox_delays(void **state)
{
    (void)state;
    struct net n;
    struct sim_link_config c = cfg_12mbit_10ms();
    net_setup(&n, &c);
    struct mb_state s = {.mode = MB_DELAY_EVEN};
    sim_link_set_middlebox(n.ab, mb_hook, &s);
    for (uint32_t k = 0; k < 6; k++)
        send_pkt(&n, 1500, k);
    assert_int_equal(sim_world_run(n.w, SIM_NS_PER_SEC), SIM_RUN_IDLE);
    /* Packet k reaches the far end at (11 + k) ms; even ones are held 5 ms more. */
    assert_int_equal(n.rx.n, 6);
    for (size_t i = 0; i < n.rx.n; i++) {
        uint32_t k = n.rx.seq[i];
        assert_int_equal(n.rx.at[i], (11 + k + (k % 2 == 0 ? 5 : 0)) * MS);
        if (i > 0)
            assert_true(n.rx.at[i - 1] <= n.rx.at[i]);
    }
    assert_int_equal(n.rx.seq[0], 1); /* seq 0 was overtaken */
    assert_int_equal(s.calls, 6);     /* the hook sees each packet once */
    assert_int_equal(sim_link_counters(n.ab)->middlebox_delayed_packets, 3);
    assert_conserved(n.ab);
    sim_world_free(n.w);
}

static void test_middlebox_rewrites(void **state)
{
    (void)state;
    struct net n;
    struct sim_link_config c = cfg_12mbit_10ms();
    net_setup(&n, &c);
    struct mb_state s = {.mode = MB_REWRITE};
    sim_link_set_middlebox(n.ab, mb_hook, &s);
    for (uint32_t k = 0; k < 4; k++)
        send_pkt(&n, 100, k);
    assert_int_equal(sim_world_run(n.w, SIM_NS_PER_SEC), SIM_RUN_IDLE);
    assert_int_equal(n.rx.n, 3);
    const uint32_t expect_seq[3] = {0, 1, 3};
    const size_t expect_len[3] = {100, 104, 100};
    for (int i = 0; i < 3; i++) {
        assert_int_equal(n.rx.seq[i], expect_seq[i]);
        assert_int_equal(n.rx.len[i], expect_len[i]);
        assert_int_equal(n.rx.byte30[i], 0xab);
    }
    const struct sim_link_counters *lc = sim_link_counters(n.ab);
    assert_int_equal(lc->drop_middlebox_packets, 1);
    assert_int_equal(lc->delivered_bytes, 304);
    /* Removing the hook: packets pass untouched. */
    sim_link_set_middlebox(n.ab, NULL, NULL);
    send_pkt(&n, 100, 9);
    assert_int_equal(sim_world_run(n.w, SIM_NS_PER_SEC), SIM_RUN_IDLE);
    assert_int_equal(n.rx.n, 4);
    assert_int_equal(n.rx.byte30[3], 0);
    assert_conserved(n.ab);
    sim_world_free(n.w);
}

static void test_link_creation_errors(void **state)
{
    (void)state;
    struct net n;
    net_setup(&n, NULL);
    struct sim_link *l = (struct sim_link *)1;
    struct sim_link_config c;
    sim_link_config_init(&c);
    /* from interface already has a link */
    assert_int_equal(sim_link_new(&l, n.w, "x", n.a, 1, n.b, 1, &c), UMPTCP_ERR_EXISTS);
    assert_null(l);
    /* duplicate name */
    assert_int_equal(sim_link_new(&l, n.w, "a-b", n.b, 1, n.a, 1, &c), UMPTCP_ERR_EXISTS);
    assert_int_equal(sim_link_new(&l, n.w, "y", n.b, 7, n.a, 1, &c), UMPTCP_ERR_NOTFOUND);
    assert_int_equal(sim_link_new(&l, n.w, "", n.b, 1, n.a, 1, &c), UMPTCP_ERR_INVAL);
    c.reorder = 0.1; /* without a reorder delay */
    assert_int_equal(sim_link_new(&l, n.w, "z", n.b, 1, n.a, 1, &c), UMPTCP_ERR_INVAL);
    c.reorder = 0;
    c.duplicate = NAN;
    assert_int_equal(sim_link_new(&l, n.w, "z", n.b, 1, n.a, 1, &c), UMPTCP_ERR_INVAL);
    c.duplicate = 0;
    assert_int_equal(sim_link_new(&l, n.w, "b-a", n.b, 1, n.a, 1, &c), UMPTCP_OK);
    assert_ptr_equal(sim_world_find_link(n.w, "b-a"), l);
    assert_ptr_equal(sim_node_link(n.b, 1), l);
    assert_int_equal(sim_world_link_count(n.w), 2);
    /* Bad sends. */
    uint8_t pkt[40];
    make_pkt(pkt, sizeof(pkt), 0);
    assert_int_equal(sim_node_send(n.a, 1, pkt, 0), UMPTCP_ERR_INVAL);
    assert_int_equal(sim_node_send(n.a, 2, pkt, sizeof(pkt)), UMPTCP_ERR_NOTFOUND);
    sim_world_free(n.w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_serialisation_and_queueing_delay),
        cmocka_unit_test(test_serialisation_rounds_up),
        cmocka_unit_test(test_drop_tail_queue_limit_in_bytes),
        cmocka_unit_test(test_rate_delay_loss_change_mid_run),
        cmocka_unit_test(test_link_down_drops_queue_flight_and_new_packets),
        cmocka_unit_test(test_middlebox_drops_every_third),
        cmocka_unit_test(test_middlebox_delays),
        cmocka_unit_test(test_middlebox_rewrites),
        cmocka_unit_test(test_link_creation_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
