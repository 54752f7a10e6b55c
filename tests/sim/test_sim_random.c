/* Random impairments against their statistics: loss, duplication and reordering over 100,000
 * packets stay within a 4-sigma binomial bound, the exact outcome is a function of the seed,
 * and the three decisions are drawn from independent streams. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "testutil.h"
#include "sim/sim.h"
#include "umptcp/error.h"
#include "util/bytes.h"

#include <stdlib.h>
#include <string.h>

#define NPKT 100000u
#define SPACING_NS 10000u /* one packet every 10 us */
#define DELAY_NS 1000000u /* 1 ms */
#define REORDER_NS 25000u /* held packets are overtaken by the next two */

/* A sender paced by its node timer, as a stack would be. */
struct pacer {
    uint32_t next;
};

static uint64_t pacer_next_timeout(struct sim_node *node, void *user)
{
    struct pacer *p = user;
    return p->next < NPKT ? (uint64_t)p->next * SPACING_NS : SIM_TIME_NEVER;
}

static void pacer_on_timeout(struct sim_node *node, void *user, uint64_t now)
{
    struct pacer *p = user;
    assert_int_equal(now, (uint64_t)p->next * SPACING_NS);
    uint8_t pkt[64] = {0x45, 0, 0, 64, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2};
    be32_put(pkt + 20, p->next++);
    assert_int_equal(sim_node_send(node, 1, pkt, sizeof(pkt)), UMPTCP_OK);
}

static const struct sim_node_ops pacer_ops = {.next_timeout = pacer_next_timeout,
                                              .on_timeout = pacer_on_timeout};

struct result {
    uint8_t copies[NPKT]; /* how many copies of each packet arrived */
    uint64_t first_at[NPKT];
    uint32_t max_seen;
    uint64_t late; /* arrivals with a lower number than one seen before */
    uint64_t received;
    struct sim_link_counters c;
};

static void rx_record(struct sim_node *node, void *user, int ifindex, const uint8_t *pkt,
                      size_t len, uint64_t now)
{
    struct result *r = user;
    uint32_t seq = be32_get(pkt + 20);
    assert_true(seq < NPKT);
    if (r->copies[seq]++ == 0)
        r->first_at[seq] = now;
    if (r->received > 0 && seq < r->max_seen && r->copies[seq] == 1)
        r->late++;
    if (seq > r->max_seen)
        r->max_seen = seq;
    r->received++;
}

static const struct sim_node_ops rx_ops = {.receive = rx_record};

/* With extra_link, a lossy link b -> a is created before a -> b. */
static struct result *run_net(uint64_t seed, double loss, double dup, double reorder,
                              bool extra_link)
{
    struct result *r = calloc(1, sizeof(*r));
    assert_non_null(r);
    struct sim_world *w;
    struct sim_node *a, *b;
    struct sim_link *l;
    struct pacer pacer = {0};
    assert_int_equal(sim_world_new(&w, seed), UMPTCP_OK);
    assert_int_equal(sim_host_new(&a, w, "a", &pacer_ops, &pacer), UMPTCP_OK);
    assert_int_equal(sim_host_new(&b, w, "b", &rx_ops, r), UMPTCP_OK);
    assert_int_equal(sim_node_add_interface(a, 1), UMPTCP_OK);
    assert_int_equal(sim_node_add_interface(b, 1), UMPTCP_OK);
    struct sim_link_config c;
    sim_link_config_init(&c);
    c.delay_ns = DELAY_NS;
    c.loss = loss;
    c.duplicate = dup;
    c.reorder = reorder;
    c.reorder_delay_ns = REORDER_NS;
    if (extra_link)
        assert_int_equal(sim_link_new(&l, w, "b-a", b, 1, a, 1, &c), UMPTCP_OK);
    assert_int_equal(sim_link_new(&l, w, "a-b", a, 1, b, 1, &c), UMPTCP_OK);
    sim_node_refresh_timer(a); /* the pacer wants its first timer at 0 */
    assert_int_equal(sim_world_run(w, 10 * SIM_NS_PER_SEC), SIM_RUN_IDLE);
    assert_int_equal(pacer.next, NPKT);
    r->c = *sim_link_counters(l);
    assert_int_equal(r->c.sent_packets, NPKT);
    assert_int_equal(r->c.delivered_packets, r->received);
    assert_int_equal(r->c.sent_packets + r->c.duplicated_packets,
                     r->c.delivered_packets + r->c.drop_loss_packets);
    sim_world_free(w);
    return r;
}

static struct result *run(uint64_t seed, double loss, double dup, double reorder)
{
    return run_net(seed, loss, dup, reorder, false);
}

static void assert_binomial(uint64_t count, double p)
{
    /* |count - np| <= 4 sqrt(np(1-p)), squared to stay clear of libm */
    double mean = NPKT * p, var = NPKT * p * (1 - p), dev = (double)count - mean;
    assert_true(dev * dev <= 16 * var);
}

static uint64_t count_missing(const struct result *r)
{
    uint64_t n = 0;
    for (uint32_t i = 0; i < NPKT; i++)
        n += r->copies[i] == 0;
    return n;
}

static void check_loss(double p)
{
    struct result *r1 = run(11, p, 0, 0), *r2 = run(11, p, 0, 0), *r3 = run(12, p, 0, 0);
    uint64_t lost = count_missing(r1);
    assert_int_equal(lost, r1->c.drop_loss_packets);
    assert_binomial(lost, p);
    /* Same seed: the same packets are lost; another seed: another pattern. */
    assert_int_equal(r1->c.drop_loss_packets, r2->c.drop_loss_packets);
    assert_memory_equal(r1->copies, r2->copies, sizeof(r1->copies));
    assert_memory_not_equal(r1->copies, r3->copies, sizeof(r1->copies));
    assert_binomial(count_missing(r3), p);
    free(r1);
    free(r2);
    free(r3);
}

static void test_loss_1_percent(void **state)
{
    (void)state;
    check_loss(0.01);
}

static void test_loss_5_percent(void **state)
{
    (void)state;
    check_loss(0.05);
}

static void test_duplication(void **state)
{
    (void)state;
    struct result *r1 = run(21, 0, 0.01, 0), *r2 = run(21, 0, 0.01, 0), *r3 = run(22, 0, 0.01, 0);
    uint64_t twice = 0;
    for (uint32_t i = 0; i < NPKT; i++) {
        assert_true(r1->copies[i] == 1 || r1->copies[i] == 2);
        twice += r1->copies[i] == 2;
    }
    assert_int_equal(twice, r1->c.duplicated_packets);
    assert_int_equal(r1->received, NPKT + twice);
    assert_binomial(twice, 0.01);
    assert_memory_equal(r1->copies, r2->copies, sizeof(r1->copies));
    assert_memory_not_equal(r1->copies, r3->copies, sizeof(r1->copies));
    /* A copy follows its original closely: nothing arrives out of order. */
    assert_int_equal(r1->late, 0);
    free(r1);
    free(r2);
    free(r3);
}

static void test_reordering(void **state)
{
    (void)state;
    struct result *r1 = run(31, 0, 0, 0.05), *r2 = run(31, 0, 0, 0.05), *r3 = run(32, 0, 0, 0.05);
    /* Infer which packets were held back from their arrival times. */
    static bool held[NPKT];
    uint64_t nheld = 0;
    for (uint32_t i = 0; i < NPKT; i++) {
        assert_int_equal(r1->copies[i], 1);
        uint64_t base = (uint64_t)i * SPACING_NS + DELAY_NS;
        assert_true(r1->first_at[i] == base || r1->first_at[i] == base + REORDER_NS);
        held[i] = r1->first_at[i] != base;
        nheld += held[i];
    }
    assert_int_equal(nheld, r1->c.reordered_packets);
    assert_binomial(nheld, 0.05);
    /* A held packet is overtaken exactly when one of the next two was not held. */
    uint64_t expect_late = 0;
    for (uint32_t i = 0; i < NPKT; i++) {
        bool overtaken = (i + 1 < NPKT && !held[i + 1]) || (i + 2 < NPKT && !held[i + 2]);
        expect_late += held[i] && overtaken;
    }
    assert_true(expect_late > 0);
    assert_int_equal(r1->late, expect_late);
    assert_int_equal(r1->c.reordered_packets, r2->c.reordered_packets);
    assert_memory_equal(r1->first_at, r2->first_at, sizeof(r1->first_at));
    assert_memory_not_equal(r1->first_at, r3->first_at, sizeof(r1->first_at));
    free(r1);
    free(r2);
    free(r3);
}

/* Loss, duplication and reordering draw from separate streams: turning duplication and
 * reordering on does not change which packets are lost. */
static void test_impairments_are_independent(void **state)
{
    (void)state;
    struct result *plain = run(41, 0.05, 0, 0), *mixed = run(41, 0.05, 0.2, 0.1);
    for (uint32_t i = 0; i < NPKT; i++)
        assert_int_equal(plain->copies[i] == 0, mixed->copies[i] == 0);
    assert_true(mixed->c.duplicated_packets > 0 && mixed->c.reordered_packets > 0);
    free(plain);
    free(mixed);
}

/* A link's streams depend on the world seed and its name only: creating another link first
 * does not change its draws. */
static void test_adding_a_link_keeps_other_draws(void **state)
{
    (void)state;
    struct result *alone = run_net(51, 0.05, 0.01, 0.01, false);
    struct result *with = run_net(51, 0.05, 0.01, 0.01, true);
    assert_memory_equal(alone->copies, with->copies, sizeof(alone->copies));
    assert_memory_equal(alone->first_at, with->first_at, sizeof(alone->first_at));
    free(alone);
    free(with);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_loss_1_percent),
        cmocka_unit_test(test_loss_5_percent),
        cmocka_unit_test(test_duplication),
        cmocka_unit_test(test_reordering),
        cmocka_unit_test(test_impairments_are_independent),
        cmocka_unit_test(test_adding_a_link_keeps_other_draws),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
