/* The simulator's event queue (ordering, ties, cancel, reschedule) and its PRNG streams. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "testutil.h"
#include "sim/sim.h"
#include "umptcp/error.h"

#include <stdlib.h>
#include <string.h>

/* A timer that records the order it fired in. */
struct probe {
    struct sim_timer timer;
    int id;
    int *log;
    size_t *nlog;
};

static void probe_fire(struct sim_timer *t, uint64_t now)
{
    struct probe *p = SIM_CONTAINER_OF(t, struct probe, timer);
    assert_int_equal(now, t->when);
    p->log[(*p->nlog)++] = p->id;
}

static void drain(struct sim_queue *q)
{
    struct sim_timer *t;
    while ((t = sim_queue_pop(q)) != NULL)
        t->fire(t, q->now);
}

static void test_equal_times_fire_in_insertion_order(void **state)
{
    (void)state;
    struct sim_queue q;
    sim_queue_init(&q);
    int log[8];
    size_t nlog = 0;
    struct probe p[6];
    /* Times 5,3,5,3,5,1: ids 0..5. Expected: 5 (t=1), then 1,3 (t=3), then 0,2,4 (t=5). */
    const uint64_t when[6] = {5, 3, 5, 3, 5, 1};
    for (int i = 0; i < 6; i++) {
        p[i] = (struct probe){.id = i, .log = log, .nlog = &nlog};
        sim_timer_init(&p[i].timer, probe_fire);
        assert_int_equal(sim_queue_schedule(&q, &p[i].timer, when[i]), UMPTCP_OK);
    }
    drain(&q);
    const int expect[6] = {5, 1, 3, 0, 2, 4};
    assert_int_equal(nlog, 6);
    assert_memory_equal(log, expect, sizeof(expect));
    assert_int_equal(q.now, 5);
    sim_queue_fini(&q);
}

static void test_cancel_and_reschedule(void **state)
{
    (void)state;
    struct sim_queue q;
    sim_queue_init(&q);
    int log[8];
    size_t nlog = 0;
    struct probe p[4];
    for (int i = 0; i < 4; i++) {
        p[i] = (struct probe){.id = i, .log = log, .nlog = &nlog};
        sim_timer_init(&p[i].timer, probe_fire);
        assert_int_equal(sim_queue_schedule(&q, &p[i].timer, 10), UMPTCP_OK);
    }
    sim_queue_cancel(&q, &p[1].timer);
    assert_false(sim_timer_pending(&p[1].timer));
    sim_queue_cancel(&q, &p[1].timer); /* harmless when idle */
    /* Rescheduling at the same time moves it behind the others (a new insertion). */
    assert_int_equal(sim_queue_schedule(&q, &p[0].timer, 10), UMPTCP_OK);
    /* Moving a timer earlier. */
    assert_int_equal(sim_queue_schedule(&q, &p[3].timer, 7), UMPTCP_OK);
    assert_int_equal(sim_queue_size(&q), 3);
    drain(&q);
    const int expect[3] = {3, 2, 0};
    assert_int_equal(nlog, 3);
    assert_memory_equal(log, expect, sizeof(expect));
    /* The past is refused. */
    assert_int_equal(sim_queue_schedule(&q, &p[0].timer, 9), UMPTCP_ERR_INVAL);
    assert_false(sim_timer_pending(&p[0].timer));
    sim_queue_fini(&q);
}

struct stamp {
    struct sim_timer timer;
    uint64_t *out_when, *out_seq;
    size_t *n;
};

static void stamp_fire(struct sim_timer *t, uint64_t now)
{
    struct stamp *s = SIM_CONTAINER_OF(t, struct stamp, timer);
    s->out_when[*s->n] = now;
    s->out_seq[*s->n] = t->seq;
    (*s->n)++;
}

/* 100k events at random times (many ties), a random tenth cancelled and a tenth moved:
 * they come out sorted by (time, sequence) and exactly the live ones fire. */
static void test_100k_random_events_come_out_sorted(void **state)
{
    (void)state;
    enum { N = 100000 };
    struct sim_queue q;
    sim_queue_init(&q);
    struct stamp *ev = calloc(N, sizeof(*ev));
    uint64_t *when = calloc(N, sizeof(*when)), *seq = calloc(N, sizeof(*seq));
    assert_non_null(ev);
    assert_non_null(when);
    assert_non_null(seq);
    size_t n = 0;
    struct sim_rng rng;
    sim_rng_seed(&rng, 42);
    for (size_t i = 0; i < N; i++) {
        ev[i] = (struct stamp){.out_when = when, .out_seq = seq, .n = &n};
        sim_timer_init(&ev[i].timer, stamp_fire);
        assert_int_equal(sim_queue_schedule(&q, &ev[i].timer, sim_rng_below(&rng, 5000)),
                         UMPTCP_OK);
    }
    size_t cancelled = 0;
    for (size_t i = 0; i < N / 10; i++) {
        struct stamp *s = &ev[sim_rng_below(&rng, N)];
        if (sim_timer_pending(&s->timer)) {
            sim_queue_cancel(&q, &s->timer);
            cancelled++;
        }
        s = &ev[sim_rng_below(&rng, N)];
        if (sim_timer_pending(&s->timer))
            assert_int_equal(sim_queue_schedule(&q, &s->timer, sim_rng_below(&rng, 5000)), 0);
    }
    assert_true(cancelled > N / 20);
    assert_int_equal(sim_queue_size(&q), N - cancelled);
    drain(&q);
    assert_int_equal(n, N - cancelled);
    for (size_t i = 1; i < n; i++) {
        assert_true(when[i - 1] <= when[i]);
        if (when[i - 1] == when[i])
            assert_true(seq[i - 1] < seq[i]);
    }
    for (size_t i = 0; i < N; i++)
        assert_false(sim_timer_pending(&ev[i].timer));
    free(ev);
    free(when);
    free(seq);
    sim_queue_fini(&q);
}

/* Known output of xoshiro256** for the state {1, 2, 3, 4} (reference implementation). */
static void test_xoshiro_reference_values(void **state)
{
    (void)state;
    struct sim_rng r = {{1, 2, 3, 4}};
    const uint64_t expect[4] = {11520ull, 0ull, 1509978240ull, 1215971899390074240ull};
    for (int i = 0; i < 4; i++)
        assert_int_equal(sim_rng_next(&r), expect[i]);
    /* splitmix64 from 0: first value of the reference implementation. */
    uint64_t st = 0;
    assert_int_equal(sim_splitmix64(&st), 0xe220a8397b1dcdafull);
}

static void test_streams_are_reproducible_and_independent(void **state)
{
    (void)state;
    struct sim_rng a, b, c, d;
    sim_rng_seed_stream(&a, 7, "link/wifi", 0);
    sim_rng_seed_stream(&b, 7, "link/wifi", 0);
    sim_rng_seed_stream(&c, 7, "link/wifi", 1);
    sim_rng_seed_stream(&d, 8, "link/wifi", 0);
    int same_c = 0, same_d = 0;
    for (int i = 0; i < 1000; i++) {
        uint64_t x = sim_rng_next(&a);
        assert_int_equal(x, sim_rng_next(&b));
        same_c += x == sim_rng_next(&c);
        same_d += x == sim_rng_next(&d);
    }
    assert_int_equal(same_c, 0);
    assert_int_equal(same_d, 0);
    /* chance() consumes one draw whatever p is, and honours the extremes. */
    sim_rng_seed(&a, 1);
    sim_rng_seed(&b, 1);
    assert_false(sim_rng_chance(&a, 0.0));
    assert_true(sim_rng_chance(&a, 1.0));
    sim_rng_next(&b);
    sim_rng_next(&b);
    assert_int_equal(sim_rng_next(&a), sim_rng_next(&b));
    /* below() stays in range and reaches both ends. */
    bool saw0 = false, saw6 = false;
    for (int i = 0; i < 1000; i++) {
        uint64_t v = sim_rng_below(&a, 7);
        assert_true(v < 7);
        saw0 |= v == 0;
        saw6 |= v == 6;
    }
    assert_true(saw0 && saw6);
    uint8_t buf1[13], buf2[13];
    sim_rng_seed(&a, 3);
    sim_rng_seed(&b, 3);
    sim_rng_fill(&a, buf1, sizeof(buf1));
    sim_rng_fill(&b, buf2, sizeof(buf2));
    assert_memory_equal(buf1, buf2, sizeof(buf1));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_equal_times_fire_in_insertion_order),
        cmocka_unit_test(test_cancel_and_reschedule),
        cmocka_unit_test(test_100k_random_events_come_out_sorted),
        cmocka_unit_test(test_xoshiro_reference_values),
        cmocka_unit_test(test_streams_are_reproducible_and_independent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
