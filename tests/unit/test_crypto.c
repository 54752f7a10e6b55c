/* Known-answer tests for the MPTCP crypto: RFC 4231 HMAC-SHA256 vectors, and the
 * structure of the MPTCP derivations (token/IDSN, MP_JOIN, ADD_ADDR, DSS checksum).
 * Token and IDSN are also checked against Wireshark in tests/tshark/test_crypto_token.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "crypto/mptcp_crypto.h"
#include "testutil.h"
#include "umptcp/error.h"
#include "util/bytes.h"
#include "wire/checksum.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

struct hmac_vector {
    const char *key_hex; /* or NULL with key_byte/key_len for repeated bytes */
    uint8_t key_byte;
    size_t key_len;
    const char *data;
    const char *hmac_hex; /* possibly truncated (test case 5: 128 bits) */
};

/* RFC 4231 section 4, HMAC-SHA-256 values. */
static const struct hmac_vector rfc4231[] = {
    {NULL, 0x0b, 20, "Hi There",
     "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
    {"4a656665", 0, 0, "what do ya want for nothing?",
     "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
    {NULL, 0xaa, 20, NULL, "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"},
    {"0102030405060708090a0b0c0d0e0f10111213141516171819", 0, 0, NULL,
     "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"},
    {NULL, 0x0c, 20, "Test With Truncation", "a3b6167473100ee06e0c796c2955552b"},
    {NULL, 0xaa, 131, "Test Using Larger Than Block-Size Key - Hash Key First",
     "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"},
    {NULL, 0xaa, 131,
     "This is a test using a larger than block-size key and a larger than block-size data. "
     "The key needs to be hashed before being used by the HMAC algorithm.",
     "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"},
};

static void test_rfc4231_vectors(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(rfc4231) / sizeof(rfc4231[0]); i++) {
        const struct hmac_vector *v = &rfc4231[i];
        uint8_t key[131], data[200], want[32], got[32];
        size_t key_len = v->key_len, data_len;
        if (v->key_hex != NULL)
            key_len = tu_hex_decode(v->key_hex, key, sizeof(key));
        else
            memset(key, v->key_byte, key_len);
        if (v->data != NULL) {
            data_len = strlen(v->data);
            memcpy(data, v->data, data_len);
        } else { /* test cases 3 and 4: 50 bytes of 0xdd / 0xcd */
            data_len = 50;
            memset(data, i == 2 ? 0xdd : 0xcd, data_len);
        }
        size_t want_len = tu_hex_decode(v->hmac_hex, want, sizeof(want));
        assert_int_equal(mptcp_crypto_hmac_sha256(key, key_len, data, data_len, got), UMPTCP_OK);
        assert_memory_equal(got, want, want_len);
    }
}

/* Token = top 32 bits and IDSN = low 64 bits of SHA-256 over the big-endian key. */
static void test_token_idsn_from_sha256(void **state)
{
    (void)state;
    const uint64_t keys[] = {0, 1, 0x0123456789abcdefull, UINT64_MAX};
    for (size_t i = 0; i < 4; i++) {
        uint8_t be[8], d[32];
        unsigned int len = 0;
        be64_put(be, keys[i]);
        assert_int_equal(EVP_Digest(be, 8, d, &len, EVP_sha256(), NULL), 1);
        uint32_t token;
        uint64_t idsn;
        mptcp_crypto_key_derive(keys[i], &token, &idsn);
        assert_int_equal(token, be32_get(d));
        assert_int_equal(idsn, be64_get(d + 24));
        assert_int_equal(mptcp_crypto_token(keys[i]), token);
        assert_int_equal(mptcp_crypto_idsn(keys[i]), idsn);
    }
    /* Different keys give different tokens (no accidental constant). */
    assert_int_not_equal(mptcp_crypto_token(1), mptcp_crypto_token(2));
}

/* MP_JOIN: HMAC-A = HMAC(KeyA||KeyB, RA||RB), HMAC-B = HMAC(KeyB||KeyA, RB||RA). */
static void test_join_hmacs(void **state)
{
    (void)state;
    const uint64_t ka = 0x1122334455667788ull, kb = 0x99aabbccddeeff00ull;
    const uint32_t ra = 0xdeadbeef, rb = 0x01020304;
    uint8_t key[16], msg[8], want[32], full[32], ack[20];
    be64_put(key, kb);
    be64_put(key + 8, ka);
    be32_put(msg, rb);
    be32_put(msg + 4, ra);
    assert_int_equal(mptcp_crypto_hmac_sha256(key, 16, msg, 8, want), UMPTCP_OK);
    assert_int_equal(mptcp_crypto_join_hmac(kb, ka, rb, ra, full), UMPTCP_OK);
    assert_memory_equal(full, want, 32);
    /* B's SYN/ACK: leftmost 64 bits of HMAC-B. */
    assert_int_equal(mptcp_crypto_join_synack_hmac(kb, ka, rb, ra), be64_get(want));

    be64_put(key, ka);
    be64_put(key + 8, kb);
    be32_put(msg, ra);
    be32_put(msg + 4, rb);
    assert_int_equal(mptcp_crypto_hmac_sha256(key, 16, msg, 8, want), UMPTCP_OK);
    /* A's third ACK: leftmost 160 bits of HMAC-A. */
    mptcp_crypto_join_ack_hmac(ka, kb, ra, rb, ack);
    assert_memory_equal(ack, want, 20);
    /* The two directions differ. */
    assert_int_not_equal(mptcp_crypto_join_synack_hmac(ka, kb, ra, rb),
                         mptcp_crypto_join_synack_hmac(kb, ka, rb, ra));
}

/* ADD_ADDR: rightmost 64 bits of HMAC(Ksender||Kreceiver, ID||addr||port), port 0 if absent. */
static void test_add_addr_hmac(void **state)
{
    (void)state;
    const uint64_t ks = 0xa1a2a3a4a5a6a7a8ull, kr = 0xb1b2b3b4b5b6b7b8ull;
    umptcp_addr v4, v6;
    assert_int_equal(umptcp_addr_parse(&v4, "10.0.1.2"), UMPTCP_OK);
    assert_int_equal(umptcp_addr_parse(&v6, "fd00::2"), UMPTCP_OK);
    uint8_t key[16], want[32];
    be64_put(key, ks);
    be64_put(key + 8, kr);

    uint8_t msg4[7] = {5, 10, 0, 1, 2, 0x1f, 0x90}; /* ID 5, 10.0.1.2, port 8080 */
    assert_int_equal(mptcp_crypto_hmac_sha256(key, 16, msg4, sizeof(msg4), want), UMPTCP_OK);
    assert_int_equal(mptcp_crypto_add_addr_hmac(ks, kr, 5, &v4, 8080), be64_get(want + 24));

    uint8_t msg6[19] = {7};
    memcpy(msg6 + 1, v6.bytes, 16); /* port absent: two zero octets */
    assert_int_equal(mptcp_crypto_hmac_sha256(key, 16, msg6, sizeof(msg6), want), UMPTCP_OK);
    assert_int_equal(mptcp_crypto_add_addr_hmac(ks, kr, 7, &v6, 0), be64_get(want + 24));
}

/* Reference ones'-complement sum written independently of wire_csum_*: byte pairs. */
static uint16_t naive_csum(const uint8_t *parts[], const size_t lens[], int n)
{
    uint64_t sum = 0;
    for (int p = 0; p < n; p++)
        for (size_t i = 0; i < lens[p]; i += 2)
            sum += (uint32_t)(parts[p][i] << 8) | (i + 1 < lens[p] ? parts[p][i + 1] : 0);
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

static void test_dss_checksum(void **state)
{
    (void)state;
    uint8_t payload[1001];
    for (size_t i = 0; i < sizeof(payload); i++)
        payload[i] = (uint8_t)(i * 7 + 3);
    const uint64_t dsn = 0x0102030405060708ull;
    const uint32_t ssn = 0x11223344;
    for (size_t len = 0; len <= sizeof(payload); len += 97) {
        uint8_t pseudo[16] = {0};
        be64_put(pseudo, dsn);
        be32_put(pseudo + 8, ssn);
        be16_put(pseudo + 12, (uint16_t)len);
        const uint8_t *parts[] = {pseudo, payload};
        const size_t lens[] = {16, len};
        uint16_t want = naive_csum(parts, lens, 2);
        uint16_t got = mptcp_crypto_dss_csum(dsn, ssn, (uint16_t)len, payload, len);
        assert_int_equal(got, want);
        /* Additivity: the payload may be summed in even-sized chunks beforehand. */
        uint32_t s = wire_csum_add(0, payload, len / 2 * 2 > 500 ? 500 : len / 2 * 2);
        size_t done = len / 2 * 2 > 500 ? 500 : len / 2 * 2;
        s = wire_csum_add(s, payload + done, len - done);
        assert_int_equal(mptcp_crypto_dss_csum_with_payload_sum(dsn, ssn, (uint16_t)len, s), want);
    }
    /* A flipped payload bit changes the checksum. */
    uint16_t a = mptcp_crypto_dss_csum(dsn, ssn, 100, payload, 100);
    payload[10] ^= 0x40;
    assert_int_not_equal(mptcp_crypto_dss_csum(dsn, ssn, 100, payload, 100), a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc4231_vectors), cmocka_unit_test(test_token_idsn_from_sha256),
        cmocka_unit_test(test_join_hmacs),      cmocka_unit_test(test_add_addr_hmac),
        cmocka_unit_test(test_dss_checksum),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
