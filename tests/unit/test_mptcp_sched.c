/* Schedulers (RFC 8684 3.3.8): room computation, the backup rule, "minrtt" (lowest smoothed RTT
 * with room, ties by id, unmeasured last), "rr" (round robin by id over subflows with room),
 * determinism, the pick wrapper's guards, and the registry. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "testutil.h"
#include "mptcp/mptcp_sched.h"
#include "umptcp/error.h"

#include <string.h>

#define MS 1000000ull
#define MSS 1400u

/* A usable subflow with plenty of room. */
static struct mptcp_sched_subflow SF(uint32_t id, uint64_t srtt) {
    return (struct mptcp_sched_subflow){.id = id,
                                        .usable = true,
                                        .srtt_ns = srtt,
                                        .cwnd = 10 * MSS,
                                        .pipe = 0,
                                        .snd_wnd_room = 1u << 20,
                                        .sndbuf_room = 1u << 20,
                                        .mss = MSS};
}

static void
full(struct mptcp_sched_subflow *sf)
{
    sf->pipe = sf->cwnd;
}

static int pick(const struct mptcp_sched_ops *ops, const struct mptcp_sched_subflow *sfs, size_t n,
                size_t bytes)
{
    struct mptcp_sched s;
    assert_int_equal(mptcp_sched_init(&s, ops), UMPTCP_OK);
    int r = mptcp_sched_pick(&s, sfs, n, bytes);
    mptcp_sched_release(&s);
    return r;
}

static void test_room(void **state)
{
    (void)state;
    struct mptcp_sched_subflow sf = SF(1, MS);
    assert_int_equal(mptcp_sched_room(&sf), 10 * MSS);
    sf.pipe = 9 * MSS;
    assert_int_equal(mptcp_sched_room(&sf), MSS);
    sf.pipe = 11 * MSS; /* pipe above cwnd after a reduction: no room, no wrap */
    assert_int_equal(mptcp_sched_room(&sf), 0);
    sf.pipe = 0;
    sf.snd_wnd_room = 500;
    assert_int_equal(mptcp_sched_room(&sf), 500);
    sf.sndbuf_room = 100;
    assert_int_equal(mptcp_sched_room(&sf), 100);

    /* A chunk needs min(bytes, mss) of room. */
    sf = SF(1, MS);
    sf.pipe = sf.cwnd - 1000;
    assert_false(mptcp_sched_has_room(&sf, 64000));
    assert_true(mptcp_sched_has_room(&sf, 1000));
    assert_false(mptcp_sched_has_room(&sf, 1001));
    sf.pipe = sf.cwnd - MSS;
    assert_true(mptcp_sched_has_room(&sf, 64000));
    sf.mss = 0; /* unknown MSS: the whole chunk must fit */
    assert_false(mptcp_sched_has_room(&sf, MSS + 1));
    assert_true(mptcp_sched_has_room(&sf, MSS));
    sf.usable = false;
    assert_false(mptcp_sched_has_room(&sf, 1));
    sf.usable = true;
    sf.excluded = true;
    assert_false(mptcp_sched_has_room(&sf, 1));
}

static void test_minrtt_lowest_rtt(void **state)
{
    (void)state;
    const struct mptcp_sched_ops *o = &mptcp_sched_minrtt_ops;
    struct mptcp_sched_subflow sfs[] = {SF(1, 40 * MS), SF(2, 10 * MS), SF(3, 25 * MS)};
    assert_int_equal(pick(o, sfs, 3, 10000), 1);
    full(&sfs[1]); /* the fastest is full: the next fastest */
    assert_int_equal(pick(o, sfs, 3, 10000), 2);
    sfs[2].snd_wnd_room = 0; /* peer window closed there */
    assert_int_equal(pick(o, sfs, 3, 10000), 0);
    sfs[0].sndbuf_room = 10; /* send buffer full too: nothing */
    assert_int_equal(pick(o, sfs, 3, 10000), MPTCP_SCHED_NONE);
    /* A small chunk still fits where 10 bytes of buffer are left. */
    assert_int_equal(pick(o, sfs, 3, 10), 0);
}

static void test_minrtt_ties_and_unmeasured(void **state)
{
    (void)state;
    const struct mptcp_sched_ops *o = &mptcp_sched_minrtt_ops;
    /* Equal RTTs: the lowest id wins, whatever the array order. */
    struct mptcp_sched_subflow a[] = {SF(7, 10 * MS), SF(3, 10 * MS), SF(5, 10 * MS)};
    assert_int_equal(pick(o, a, 3, 1000), 1);
    /* No RTT sample yet (srtt 0) ranks after every measured subflow, ties by id again. */
    struct mptcp_sched_subflow b[] = {SF(1, 0), SF(2, 300 * MS), SF(0, 0)};
    assert_int_equal(pick(o, b, 3, 1000), 1);
    full(&b[1]);
    assert_int_equal(pick(o, b, 3, 1000), 2);
    /* minrtt keeps no state: the same view gives the same answer every time. */
    struct mptcp_sched s;
    assert_int_equal(mptcp_sched_init(&s, o), UMPTCP_OK);
    for (int i = 0; i < 10; i++)
        assert_int_equal(mptcp_sched_pick(&s, a, 3, 1000), 1);
    mptcp_sched_release(&s);
}

/* RFC 8684 3.3.8: backup subflows only when no other subflow is usable. */
static void test_backup_rule(void **state)
{
    (void)state;
    const struct mptcp_sched_ops *ops[] = {&mptcp_sched_minrtt_ops, &mptcp_sched_rr_ops};
    for (size_t k = 0; k < 2; k++) {
        const struct mptcp_sched_ops *o = ops[k];
        struct mptcp_sched_subflow sfs[] = {SF(1, 50 * MS), SF(2, 5 * MS), SF(3, 8 * MS)};
        sfs[1].backup = true;
        sfs[2].backup = true;
        /* The backups are faster, but the regular subflow has room. */
        assert_int_equal(pick(o, sfs, 3, 1000), 0);
        /* The regular subflow is full but usable: wait, do not spill onto a backup. */
        full(&sfs[0]);
        assert_int_equal(pick(o, sfs, 3, 1000), MPTCP_SCHED_NONE);
        /* Excluded (already used by a redundant scheduler) still counts as usable. */
        sfs[0].pipe = 0;
        sfs[0].excluded = true;
        assert_int_equal(pick(o, sfs, 3, 1000), MPTCP_SCHED_NONE);
        sfs[0].excluded = false;
        /* The regular subflow fails: backups take over (minrtt: the faster one first). */
        sfs[0].usable = false;
        int got = pick(o, sfs, 3, 1000);
        assert_int_equal(got, 1); /* id 2: lowest RTT for minrtt, lowest id for rr */
        full(&sfs[1]);
        assert_int_equal(pick(o, sfs, 3, 1000), 2);
        full(&sfs[2]);
        assert_int_equal(pick(o, sfs, 3, 1000), MPTCP_SCHED_NONE);
        /* Only backups, none usable: nothing. */
        sfs[1].usable = sfs[2].usable = false;
        sfs[1].pipe = sfs[2].pipe = 0;
        assert_int_equal(pick(o, sfs, 3, 1000), MPTCP_SCHED_NONE);
        /* A single backup-only connection uses its backup. */
        struct mptcp_sched_subflow only = SF(9, MS);
        only.backup = true;
        assert_int_equal(pick(o, &only, 1, 1000), 0);
    }
}

static void test_rr_rotation(void **state)
{
    (void)state;
    struct mptcp_sched s;
    assert_int_equal(mptcp_sched_init(&s, &mptcp_sched_rr_ops), UMPTCP_OK);
    /* Array order differs from id order: the rotation follows ids 2, 4, 9. */
    struct mptcp_sched_subflow sfs[] = {SF(9, MS), SF(2, 90 * MS), SF(4, 30 * MS)};
    int expect[] = {1, 2, 0, 1, 2, 0, 1};
    for (size_t i = 0; i < sizeof(expect) / sizeof(expect[0]); i++)
        assert_int_equal(mptcp_sched_pick(&s, sfs, 3, 1000), expect[i]);
    /* Last chosen: id 2. id 4 is full: skipped, id 9 next, then wrap to 2. */
    full(&sfs[2]);
    assert_int_equal(mptcp_sched_pick(&s, sfs, 3, 1000), 0);
    assert_int_equal(mptcp_sched_pick(&s, sfs, 3, 1000), 1);
    assert_int_equal(mptcp_sched_pick(&s, sfs, 3, 1000), 0);
    /* The last chosen subflow disappears from the view: continue after its id anyway. */
    struct mptcp_sched_subflow two[] = {SF(2, MS), SF(4, MS)};
    assert_int_equal(mptcp_sched_pick(&s, two, 2, 1000), 0); /* after 9: wrap to 2 */
    assert_int_equal(mptcp_sched_pick(&s, two, 2, 1000), 1);
    /* All full: none, and the position is kept. */
    full(&two[0]);
    full(&two[1]);
    assert_int_equal(mptcp_sched_pick(&s, two, 2, 1000), MPTCP_SCHED_NONE);
    two[0].pipe = two[1].pipe = 0;
    assert_int_equal(mptcp_sched_pick(&s, two, 2, 1000), 0);
    mptcp_sched_release(&s);

    /* Two instances fed the same sequence of views answer the same (deterministic). */
    struct mptcp_sched x, y;
    assert_int_equal(mptcp_sched_init(&x, &mptcp_sched_rr_ops), UMPTCP_OK);
    assert_int_equal(mptcp_sched_init(&y, &mptcp_sched_rr_ops), UMPTCP_OK);
    struct mptcp_sched_subflow v[] = {SF(1, MS), SF(2, MS), SF(3, MS), SF(4, MS)};
    uint32_t r = 1;
    for (int i = 0; i < 200; i++) {
        r = r * 1103515245u + 12345u;
        for (size_t j = 0; j < 4; j++)
            v[j].pipe = ((r >> (8 + j)) & 1) ? v[j].cwnd : 0;
        assert_int_equal(mptcp_sched_pick(&x, v, 4, 1000), mptcp_sched_pick(&y, v, 4, 1000));
    }
}

static void test_pick_guards(void **state)
{
    (void)state;
    struct mptcp_sched s;
    assert_int_equal(mptcp_sched_init(&s, &mptcp_sched_minrtt_ops), UMPTCP_OK);
    struct mptcp_sched_subflow sf = SF(1, MS);
    assert_int_equal(mptcp_sched_pick(&s, &sf, 0, 100), MPTCP_SCHED_NONE);
    assert_int_equal(mptcp_sched_pick(&s, &sf, 1, 0), MPTCP_SCHED_NONE);
    assert_int_equal(mptcp_sched_pick(&s, NULL, 1, 100), MPTCP_SCHED_NONE);
    assert_int_equal(mptcp_sched_pick(NULL, &sf, 1, 100), MPTCP_SCHED_NONE);
    assert_int_equal(mptcp_sched_pick(&s, &sf, 1, 100), 0);
    mptcp_sched_release(&s);
    assert_int_equal(mptcp_sched_pick(&s, &sf, 1, 100), MPTCP_SCHED_NONE); /* released */
    assert_int_equal(mptcp_sched_init(&s, NULL), UMPTCP_ERR_INVAL);
    assert_int_equal(mptcp_sched_init(NULL, &mptcp_sched_rr_ops), UMPTCP_ERR_INVAL);
}

/* A third-party scheduler answering out of range is contained by the wrapper; init/release
 * hooks run. */
static int bad_pick(struct mptcp_sched *s, const struct mptcp_sched_subflow *sfs, size_t n,
                    size_t bytes)
{
    (void)sfs;
    (void)bytes;
    uint64_t *p = mptcp_sched_priv(s);
    p[0]++;
    return (int)n; /* one past the end */
}

static void bad_init(struct mptcp_sched *s)
{
    uint64_t *p = mptcp_sched_priv(s);
    p[1] = 77;
}

static int released;

static void bad_release(struct mptcp_sched *s)
{
    (void)s;
    released++;
}

static const struct mptcp_sched_ops bad_ops = {
    .name = "bad",
    .priv_size = 16,
    .redundant = true,
    .init = bad_init,
    .release = bad_release,
    .pick = bad_pick,
};

static void test_custom_scheduler(void **state)
{
    (void)state;
    struct mptcp_sched s;
    assert_int_equal(mptcp_sched_init(&s, &bad_ops), UMPTCP_OK);
    uint64_t *p = mptcp_sched_priv(&s);
    assert_int_equal(p[1], 77);
    struct mptcp_sched_subflow sf = SF(1, MS);
    assert_int_equal(mptcp_sched_pick(&s, &sf, 1, 100), MPTCP_SCHED_NONE);
    assert_int_equal(p[0], 1);
    released = 0;
    mptcp_sched_release(&s);
    mptcp_sched_release(&s);
    assert_int_equal(released, 1);
}

static void test_registry(void **state)
{
    (void)state;
    struct mptcp_sched_registry reg;
    assert_int_equal(mptcp_sched_registry_init(&reg), UMPTCP_OK);
    assert_int_equal(mptcp_sched_registry_count(&reg), 2);
    assert_ptr_equal(mptcp_sched_registry_find(&reg, MPTCP_SCHED_DEFAULT_NAME),
                     &mptcp_sched_minrtt_ops);
    assert_ptr_equal(mptcp_sched_registry_find(&reg, "rr"), &mptcp_sched_rr_ops);
    assert_null(mptcp_sched_registry_find(&reg, "blest"));
    assert_null(mptcp_sched_registry_find(&reg, NULL));
    assert_false(mptcp_sched_minrtt_ops.redundant);
    assert_false(mptcp_sched_rr_ops.redundant);
    char buf[64];
    assert_int_equal(mptcp_sched_registry_list(&reg, buf, sizeof(buf)), 10);
    assert_string_equal(buf, "minrtt, rr");
    assert_int_equal(mptcp_sched_registry_list(&reg, buf, 5), 10);
    assert_string_equal(buf, "minr");
    assert_int_equal(mptcp_sched_registry_list(&reg, NULL, 0), 10);
    assert_int_equal(mptcp_sched_registry_add(&reg, &bad_ops), UMPTCP_OK);
    assert_string_equal(mptcp_sched_registry_name_at(&reg, 2), "bad");
    assert_null(mptcp_sched_registry_name_at(&reg, 3));
    assert_int_equal(mptcp_sched_registry_add(&reg, &bad_ops), UMPTCP_ERR_EXISTS);

    struct mptcp_sched_ops o = bad_ops;
    const char *bad_names[] = {"", "Upper", "has space", "sixteen_chars_xx", NULL};
    for (size_t i = 0; i < sizeof(bad_names) / sizeof(bad_names[0]); i++) {
        o.name = bad_names[i];
        assert_int_equal(mptcp_sched_registry_add(&reg, &o), UMPTCP_ERR_INVAL);
    }
    o.name = "fifteen_chars_x";
    o.pick = NULL;
    assert_int_equal(mptcp_sched_registry_add(&reg, &o), UMPTCP_ERR_INVAL);
    o.pick = bad_pick;
    o.priv_size = MPTCP_SCHED_PRIV_MAX + 1;
    assert_int_equal(mptcp_sched_registry_add(&reg, &o), UMPTCP_ERR_INVAL);
    o.priv_size = 0;
    assert_int_equal(mptcp_sched_registry_add(&reg, &o), UMPTCP_OK);

    /* Fill it up. */
    static char names[MPTCP_SCHED_REGISTRY_MAX][8];
    static struct mptcp_sched_ops many[MPTCP_SCHED_REGISTRY_MAX];
    size_t added = mptcp_sched_registry_count(&reg);
    for (size_t i = 0; added < MPTCP_SCHED_REGISTRY_MAX; i++, added++) {
        names[i][0] = 'x';
        names[i][1] = (char)('a' + i);
        many[i] = (struct mptcp_sched_ops){.name = names[i], .pick = bad_pick};
        assert_int_equal(mptcp_sched_registry_add(&reg, &many[i]), UMPTCP_OK);
    }
    struct mptcp_sched_ops one_more = {.name = "late", .pick = bad_pick};
    assert_int_equal(mptcp_sched_registry_add(&reg, &one_more), UMPTCP_ERR_NOMEM);
    assert_int_equal(mptcp_sched_registry_init(NULL), UMPTCP_ERR_INVAL);
    assert_int_equal(mptcp_sched_registry_add(NULL, &bad_ops), UMPTCP_ERR_INVAL);
    assert_int_equal(mptcp_sched_registry_count(NULL), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_room),
        cmocka_unit_test(test_minrtt_lowest_rtt),
        cmocka_unit_test(test_minrtt_ties_and_unmeasured),
        cmocka_unit_test(test_backup_rule),
        cmocka_unit_test(test_rr_rotation),
        cmocka_unit_test(test_pick_guards),
        cmocka_unit_test(test_custom_scheduler),
        cmocka_unit_test(test_registry),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
