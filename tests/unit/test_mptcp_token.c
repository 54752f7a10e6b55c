/* Local token table: key generation through the random callback with collision retries
 * (RFC 8684 3.1), lookups for MP_JOIN, removal (backward shift) checked against a brute-force
 * model, the max_entries bound, and allocation failure. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "testutil.h"
#include "crypto/mptcp_crypto.h"
#include "mptcp/mptcp_token.h"
#include "umptcp/error.h"
#include "util/bytes.h"

#include <stdlib.h>
#include <string.h>

/* Allocation failures: under ASan every malloc above 8 MiB returns NULL, so the NOMEM path of
 * the slot array's growth runs for real. Without ASan that test is skipped. */
#define TU_ALLOC_LIMIT_MB 8
#include "alloc_limit.h"

/* A random source that hands out a scripted list of keys, then a xorshift stream. */
struct script_rng {
    const uint64_t *keys;
    size_t n, pos;
    uint64_t x;
    unsigned calls;
};

static void script_random(void *user, uint8_t *buf, size_t n)
{
    struct script_rng *r = user;
    r->calls++;
    assert_int_equal(n, 8);
    uint64_t v;
    if (r->pos < r->n) {
        v = r->keys[r->pos++];
    } else {
        r->x ^= r->x << 13;
        r->x ^= r->x >> 7;
        r->x ^= r->x << 17;
        v = r->x;
    }
    be64_put(buf, v);
}

static void test_new_key_derives_token(void **state)
{
    (void)state;
    struct mptcp_token_table t;
    assert_int_equal(mptcp_token_init(&t, 8, 0), UMPTCP_OK);
    const uint64_t keys[] = {0x0102030405060708ull};
    struct script_rng r = {.keys = keys, .n = 1, .x = 1};
    int conn;
    uint64_t key = 0;
    uint32_t token = 0;
    assert_int_equal(mptcp_token_new_key(&t, script_random, &r, &conn, &key, &token), UMPTCP_OK);
    /* The callback's bytes are the key in network byte order. */
    assert_true(key == keys[0]);
    assert_int_equal(token, mptcp_crypto_token(key));
    assert_ptr_equal(mptcp_token_lookup(&t, token), &conn);
    uint64_t k2;
    void *c2;
    assert_int_equal(mptcp_token_find(&t, token, &k2, &c2), UMPTCP_OK);
    assert_true(k2 == key);
    assert_ptr_equal(c2, &conn);
    assert_null(mptcp_token_lookup(&t, token ^ 1));
    assert_int_equal(mptcp_token_find(&t, token ^ 1, NULL, NULL), UMPTCP_ERR_NOTFOUND);
    assert_int_equal(mptcp_token_count(&t), 1);
    mptcp_token_destroy(&t);
}

/* A source that repeats the same key: the second connection retries max_attempts times,
 * then gives up with the table unchanged. */
static void test_collision_bounded_attempts(void **state)
{
    (void)state;
    struct mptcp_token_table t;
    assert_int_equal(mptcp_token_init(&t, 8, 5), UMPTCP_OK);
    const uint64_t same[] = {42, 42, 42, 42, 42, 42, 42};
    struct script_rng r = {.keys = same, .n = 7, .x = 3};
    uint64_t key;
    uint32_t token;
    assert_int_equal(mptcp_token_new_key(&t, script_random, &r, NULL, &key, &token), UMPTCP_OK);
    r.calls = 0;
    assert_int_equal(mptcp_token_new_key(&t, script_random, &r, NULL, &key, &token),
                     UMPTCP_ERR_EXISTS);
    assert_int_equal(r.calls, 5);
    assert_int_equal(t.collisions, 5);
    assert_int_equal(mptcp_token_count(&t), 1);
    /* The next draw (key 42 once more, then fresh keys) succeeds on the second attempt. */
    r.calls = 0;
    assert_int_equal(mptcp_token_new_key(&t, script_random, &r, NULL, &key, &token), UMPTCP_OK);
    assert_int_equal(r.calls, 2);
    assert_true(key != 42);
    assert_int_equal(mptcp_token_count(&t), 2);
    mptcp_token_destroy(&t);
}

struct tk {
    uint32_t token;
    uint64_t key;
};

static int tk_cmp(const void *a, const void *b)
{
    const struct tk *x = a, *y = b;
    if (x->token != y->token)
        return x->token < y->token ? -1 : 1;
    return x->key < y->key ? -1 : (x->key > y->key);
}

/* Two different keys with the same token (a real 32-bit collision, found by the birthday
 * bound): the second key is refused, and key generation skips it. */
static void test_real_token_collision(void **state)
{
    (void)state;
    size_t n = 300000;
    struct tk *v = malloc(n * sizeof(*v));
    assert_non_null(v);
    for (size_t i = 0; i < n; i++) {
        v[i].key = 0x5eed000000000000ull + i;
        v[i].token = mptcp_crypto_token(v[i].key);
    }
    qsort(v, n, sizeof(*v), tk_cmp);
    size_t i = 0;
    while (i + 1 < n && v[i].token != v[i + 1].token)
        i++;
    assert_true(i + 1 < n); /* P(no collision in 300k draws) ~ e^-10 */
    uint64_t k1 = v[i].key, k2 = v[i + 1].key;
    free(v);
    assert_true(k1 != k2);

    struct mptcp_token_table t;
    assert_int_equal(mptcp_token_init(&t, 4, 0), UMPTCP_OK);
    int c1;
    uint32_t tok;
    assert_int_equal(mptcp_token_insert(&t, k1, &c1, &tok), UMPTCP_OK);
    assert_int_equal(mptcp_token_insert(&t, k2, NULL, NULL), UMPTCP_ERR_EXISTS);
    const uint64_t script[] = {k2, k2, 7};
    struct script_rng r = {.keys = script, .n = 3, .x = 5};
    uint64_t key;
    assert_int_equal(mptcp_token_new_key(&t, script_random, &r, NULL, &key, NULL), UMPTCP_OK);
    assert_true(key == 7);
    assert_int_equal(t.collisions, 2);
    uint64_t got;
    assert_int_equal(mptcp_token_find(&t, tok, &got, NULL), UMPTCP_OK);
    assert_true(got == k1);
    mptcp_token_destroy(&t);
}

static void test_bound_and_reservation(void **state)
{
    (void)state;
    struct mptcp_token_table t;
    assert_int_equal(mptcp_token_init(&t, 3, 0), UMPTCP_OK);
    struct script_rng r = {.x = 99};
    uint64_t key;
    uint32_t tokens[3];
    for (int i = 0; i < 3; i++)
        assert_int_equal(mptcp_token_new_key(&t, script_random, &r, NULL, &key, &tokens[i]), 0);
    r.calls = 0;
    assert_int_equal(mptcp_token_new_key(&t, script_random, &r, NULL, &key, NULL),
                     UMPTCP_ERR_NOMEM);
    assert_int_equal(r.calls, 0); /* a full table draws nothing */
    assert_int_equal(mptcp_token_insert(&t, 12345, NULL, NULL), UMPTCP_ERR_NOMEM);
    /* A reserved key (NULL conn) is found but has no connection until set_conn. */
    assert_null(mptcp_token_lookup(&t, tokens[1]));
    assert_int_equal(mptcp_token_find(&t, tokens[1], NULL, NULL), UMPTCP_OK);
    int conn;
    assert_int_equal(mptcp_token_set_conn(&t, tokens[1], &conn), UMPTCP_OK);
    assert_ptr_equal(mptcp_token_lookup(&t, tokens[1]), &conn);
    assert_int_equal(mptcp_token_remove(&t, tokens[0]), UMPTCP_OK);
    assert_int_equal(mptcp_token_remove(&t, tokens[0]), UMPTCP_ERR_NOTFOUND);
    assert_int_equal(mptcp_token_set_conn(&t, tokens[0], &conn), UMPTCP_ERR_NOTFOUND);
    assert_int_equal(mptcp_token_new_key(&t, script_random, &r, NULL, &key, NULL), UMPTCP_OK);
    assert_int_equal(mptcp_token_count(&t), 3);
    mptcp_token_destroy(&t);
}

static void test_invalid_arguments(void **state)
{
    (void)state;
    struct mptcp_token_table t;
    assert_int_equal(mptcp_token_init(NULL, 4, 0), UMPTCP_ERR_INVAL);
    assert_int_equal(mptcp_token_init(&t, 0, 0), UMPTCP_ERR_INVAL);
    assert_int_equal(mptcp_token_init(&t, MPTCP_TOKEN_MAX_ENTRIES + 1, 0), UMPTCP_ERR_INVAL);
    assert_int_equal(mptcp_token_init(&t, 4, 0), UMPTCP_OK);
    uint64_t key;
    struct script_rng r = {.x = 1};
    assert_int_equal(mptcp_token_new_key(&t, NULL, &r, NULL, &key, NULL), UMPTCP_ERR_INVAL);
    assert_int_equal(mptcp_token_new_key(&t, script_random, &r, NULL, NULL, NULL),
                     UMPTCP_ERR_INVAL);
    assert_int_equal(mptcp_token_new_key(NULL, script_random, &r, NULL, &key, NULL),
                     UMPTCP_ERR_INVAL);
    /* An empty table (no slots yet) answers lookups and removals. */
    assert_null(mptcp_token_lookup(&t, 5));
    assert_int_equal(mptcp_token_remove(&t, 5), UMPTCP_ERR_NOTFOUND);
    assert_null(mptcp_token_lookup(NULL, 5));
    mptcp_token_destroy(&t);
    mptcp_token_destroy(NULL);
}

/* Random inserts and removals against a brute-force list: every lookup agrees, including after
 * the backward shifts of many removals and several growths. */
static void test_model(void **state)
{
    (void)state;
    enum { MAXN = 700, STEPS = 40000 };
    struct mptcp_token_table t;
    assert_int_equal(mptcp_token_init(&t, MAXN, 0), UMPTCP_OK);
    struct tk model[MAXN];
    size_t n = 0;
    struct script_rng r = {.x = 0x1234567887654321ull};
    uint32_t s = 7;
    for (int step = 0; step < STEPS; step++) {
        s = s * 1103515245u + 12345u;
        bool grow = (s >> 16) % 100 < (step < STEPS / 2 ? 60u : 40u);
        if (grow && n < MAXN) {
            uint64_t key;
            uint32_t token;
            assert_int_equal(mptcp_token_new_key(&t, script_random, &r, &model[n], &key, &token),
                             UMPTCP_OK);
            model[n].key = key;
            model[n].token = token;
            n++;
        } else if (n > 0) {
            size_t victim = (s >> 8) % n;
            assert_int_equal(mptcp_token_remove(&t, model[victim].token), UMPTCP_OK);
            model[victim] = model[--n];
            /* The moved entry's conn pointer must follow it. */
            if (victim < n)
                assert_int_equal(mptcp_token_set_conn(&t, model[victim].token, &model[victim]),
                                 UMPTCP_OK);
        }
        assert_int_equal(mptcp_token_count(&t), n);
        if (step % 97 == 0 || step > STEPS - 50) {
            for (size_t i = 0; i < n; i++) {
                uint64_t key;
                void *conn;
                assert_int_equal(mptcp_token_find(&t, model[i].token, &key, &conn), UMPTCP_OK);
                assert_true(key == model[i].key);
                assert_ptr_equal(conn, &model[i]);
            }
            assert_true(t.count * 2 <= t.nslots);
            size_t used = 0;
            for (size_t i = 0; i < t.nslots; i++)
                used += t.slots[i].used;
            assert_int_equal(used, n);
        }
    }
    mptcp_token_destroy(&t);
}

static void test_alloc_failure(void **state)
{
    (void)state;
#ifndef HAVE_ALLOC_LIMIT
    skip();
#else
    struct mptcp_token_table t;
    assert_int_equal(mptcp_token_init(&t, MPTCP_TOKEN_MAX_ENTRIES, 0), UMPTCP_OK);
    int rc;
    uint64_t key = 1;
    /* Consecutive keys: among 2^17 of them a couple of real token collisions are expected. */
    while ((rc = mptcp_token_insert(&t, key, NULL, NULL)) == UMPTCP_OK || rc == UMPTCP_ERR_EXISTS)
        key++;
    assert_int_equal(rc, UMPTCP_ERR_NOMEM);
    size_t n = mptcp_token_count(&t);
    /* 8 MiB holds 2^18 slots of 24 bytes, i.e. 2^17 entries at load 1/2. */
    assert_true(n >= 1000 && n == t.nslots / 2);
    for (uint64_t k = 1; k < key; k++)
        assert_int_equal(mptcp_token_find(&t, mptcp_crypto_token(k), NULL, NULL), UMPTCP_OK);
    /* After a removal there is room again without growing. */
    assert_int_equal(mptcp_token_remove(&t, mptcp_crypto_token(1)), UMPTCP_OK);
    assert_int_equal(mptcp_token_insert(&t, key, NULL, NULL), UMPTCP_OK);
    mptcp_token_destroy(&t);
#endif
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_new_key_derives_token),
        cmocka_unit_test(test_collision_bounded_attempts),
        cmocka_unit_test(test_real_token_collision),
        cmocka_unit_test(test_bound_and_reservation),
        cmocka_unit_test(test_invalid_arguments),
        cmocka_unit_test(test_model),
        cmocka_unit_test(test_alloc_failure),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
