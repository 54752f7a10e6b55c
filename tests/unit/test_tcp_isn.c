/* RFC 6528 ISNs and timestamp offsets: deterministic, keyed by the 4-tuple and the secret,
 * M advancing by one every 4 us, no hidden state, input checking. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "testutil.h"
#include "crypto/mptcp_crypto.h"
#include "tcp/tcp_isn.h"
#include "umptcp/error.h"

#include <string.h>

static const uint8_t secret_a[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
static const uint8_t secret_b[32] = {0xff, 0xee, 0xdd};

static umptcp_sockaddr sa(const char *ip, uint16_t port)
{
    umptcp_sockaddr s;
    memset(&s, 0, sizeof(s));
    assert_int_equal(umptcp_addr_parse(&s.addr, ip), UMPTCP_OK);
    s.port = port;
    return s;
}

static uint32_t isn_at(const uint8_t *sec, size_t len, const umptcp_sockaddr *l,
                       const umptcp_sockaddr *r, uint64_t now)
{
    uint32_t v = 0;
    assert_int_equal(tcp_isn_generate(sec, len, l, r, now, &v), UMPTCP_OK);
    return v;
}

static void test_deterministic(void **state)
{
    (void)state;
    umptcp_sockaddr l = sa("10.0.0.1", 40000), r = sa("10.0.0.2", 80);
    uint32_t a = isn_at(secret_a, 16, &l, &r, 123456789);
    /* Other calls in between change nothing: no hidden state. */
    (void)isn_at(secret_b, 32, &r, &l, 5);
    uint32_t ts;
    assert_int_equal(tcp_isn_ts_offset(secret_a, 16, &l, &r, &ts), UMPTCP_OK);
    assert_int_equal(isn_at(secret_a, 16, &l, &r, 123456789), a);
    uint32_t ts2;
    assert_int_equal(tcp_isn_ts_offset(secret_a, 16, &l, &r, &ts2), UMPTCP_OK);
    assert_int_equal(ts, ts2);
    /* The timestamp offset is independent of the ISN's hash. */
    uint32_t f;
    assert_int_equal(tcp_isn_hash(secret_a, 16, &l, &r, &f), UMPTCP_OK);
    assert_int_not_equal(ts, f);
}

/* F is the first 32 bits of HMAC-SHA256(secret, "umptcp-isn" || family || laddr || lport ||
 * raddr || rport), as documented. */
static void test_hash_layout(void **state)
{
    (void)state;
    umptcp_sockaddr l = sa("192.0.2.1", 0x1234), r = sa("198.51.100.7", 0xabcd);
    uint8_t msg[] = {'u', 'm', 'p', 't',  'c',  'p', '-', 'i', 's', 'n',  4,   192,
                     0,   2,   1,   0x12, 0x34, 198, 51,  100, 7,   0xab, 0xcd};
    uint8_t mac[32];
    assert_int_equal(mptcp_crypto_hmac_sha256(secret_a, 16, msg, sizeof(msg), mac), 0);
    uint32_t want =
        (uint32_t)mac[0] << 24 | (uint32_t)mac[1] << 16 | (uint32_t)mac[2] << 8 | mac[3];
    uint32_t f;
    assert_int_equal(tcp_isn_hash(secret_a, 16, &l, &r, &f), UMPTCP_OK);
    assert_int_equal(f, want);
    assert_int_equal(isn_at(secret_a, 16, &l, &r, 0), want); /* M = 0 at time 0 */
}

static void test_differs_by_tuple_and_secret(void **state)
{
    (void)state;
    umptcp_sockaddr l = sa("10.0.0.1", 40000), r = sa("10.0.0.2", 80);
    const uint64_t now = 987654321000ull;
    uint32_t base = isn_at(secret_a, 16, &l, &r, now);
    umptcp_sockaddr l2 = l, r2 = r;
    l2.port = 40001;
    assert_int_not_equal(isn_at(secret_a, 16, &l2, &r, now), base);
    r2.port = 81;
    assert_int_not_equal(isn_at(secret_a, 16, &l, &r2, now), base);
    l2 = sa("10.0.0.3", 40000);
    assert_int_not_equal(isn_at(secret_a, 16, &l2, &r, now), base);
    r2 = sa("10.0.0.4", 80);
    assert_int_not_equal(isn_at(secret_a, 16, &l, &r2, now), base);
    assert_int_not_equal(isn_at(secret_a, 16, &r, &l, now), base); /* direction matters */
    assert_int_not_equal(isn_at(secret_b, 32, &l, &r, now), base);
    /* IPv6 tuples work too and differ. */
    umptcp_sockaddr l6 = sa("fd00::1", 40000), r6 = sa("fd00::2", 80);
    uint32_t v6 = isn_at(secret_a, 16, &l6, &r6, now);
    assert_int_not_equal(v6, isn_at(secret_a, 16, &r6, &l6, now));
    /* Many ports: values spread (no collisions among 1000 consecutive source ports). */
    static uint32_t seen[1000];
    for (int i = 0; i < 1000; i++) {
        l2 = l;
        l2.port = (uint16_t)(30000 + i);
        seen[i] = isn_at(secret_a, 16, &l2, &r, now);
        for (int j = 0; j < i; j++)
            assert_int_not_equal(seen[i], seen[j]);
    }
}

/* RFC 6528: M ticks every 4 microseconds. */
static void test_clock_component(void **state)
{
    (void)state;
    umptcp_sockaddr l = sa("10.0.0.1", 40000), r = sa("10.0.0.2", 80);
    const uint64_t t0 = 1000000000000ull; /* a multiple of 4 us */
    uint32_t a = isn_at(secret_a, 16, &l, &r, t0);
    assert_int_equal(isn_at(secret_a, 16, &l, &r, t0 + 3999), a);
    assert_int_equal(isn_at(secret_a, 16, &l, &r, t0 + 4000), a + 1);
    assert_int_equal(isn_at(secret_a, 16, &l, &r, t0 + 1000000), a + 250);       /* 1 ms */
    assert_int_equal(isn_at(secret_a, 16, &l, &r, t0 + 1000000000), a + 250000); /* 1 s */
    /* M wraps after 2^32 ticks (about 4.77 hours). */
    assert_int_equal(isn_at(secret_a, 16, &l, &r, t0 + (1ull << 32) * 4000), a);
}

static void test_rejects(void **state)
{
    (void)state;
    umptcp_sockaddr l = sa("10.0.0.1", 1), r = sa("10.0.0.2", 2), r6 = sa("fd00::2", 2);
    umptcp_sockaddr none;
    memset(&none, 0, sizeof(none));
    uint32_t v;
    assert_int_equal(tcp_isn_generate(secret_a, 15, &l, &r, 0, &v), UMPTCP_ERR_INVAL);
    assert_int_equal(tcp_isn_generate(secret_b, 33, &l, &r, 0, &v), UMPTCP_ERR_INVAL);
    assert_int_equal(tcp_isn_generate(NULL, 16, &l, &r, 0, &v), UMPTCP_ERR_INVAL);
    assert_int_equal(tcp_isn_generate(secret_a, 16, &l, &r6, 0, &v), UMPTCP_ERR_INVAL);
    assert_int_equal(tcp_isn_generate(secret_a, 16, &none, &none, 0, &v), UMPTCP_ERR_INVAL);
    assert_int_equal(tcp_isn_generate(secret_a, 16, NULL, &r, 0, &v), UMPTCP_ERR_INVAL);
    assert_int_equal(tcp_isn_generate(secret_a, 16, &l, &r, 0, NULL), UMPTCP_ERR_INVAL);
    assert_int_equal(tcp_isn_ts_offset(secret_a, 8, &l, &r, &v), UMPTCP_ERR_INVAL);
    assert_int_equal(tcp_isn_generate(secret_b, 32, &l, &r, 0, &v), UMPTCP_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_hash_layout),
        cmocka_unit_test(test_differs_by_tuple_and_secret),
        cmocka_unit_test(test_clock_component),
        cmocka_unit_test(test_rejects),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
