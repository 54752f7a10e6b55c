/* Addresses, error strings and the pcap writer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "testutil.h"
#include "umptcp/umptcp.h"
#include "umptcp/pcap.h"

#include <stdio.h>
#include <string.h>

static void test_addr_roundtrip(void **state)
{
    (void)state;
    umptcp_addr a, b;
    char buf[UMPTCP_ADDR_STRLEN];
    assert_int_equal(umptcp_addr_parse(&a, "10.1.2.3"), UMPTCP_OK);
    assert_int_equal(a.family, UMPTCP_AF_INET);
    assert_int_equal(umptcp_addr_len(&a), 4);
    assert_memory_equal(a.bytes, "\x0a\x01\x02\x03", 4);
    assert_string_equal(umptcp_addr_format(&a, buf, sizeof(buf)), "10.1.2.3");
    assert_int_equal(umptcp_addr_parse(&b, "fd00::1"), UMPTCP_OK);
    assert_int_equal(b.family, UMPTCP_AF_INET6);
    assert_int_equal(umptcp_addr_len(&b), 16);
    assert_string_equal(umptcp_addr_format(&b, buf, sizeof(buf)), "fd00::1");
    assert_false(umptcp_addr_equal(&a, &b));
    assert_int_equal(umptcp_addr_parse(&b, "10.1.2.3"), UMPTCP_OK);
    assert_true(umptcp_addr_equal(&a, &b));
}

static void test_addr_rejects_garbage(void **state)
{
    (void)state;
    umptcp_addr a;
    const char *bad[] = {"", "1.2.3", "1.2.3.256", "fd00:::1", "host", "1.2.3.4 ", NULL};
    for (int i = 0; bad[i] != NULL; i++) {
        assert_int_equal(umptcp_addr_parse(&a, bad[i]), UMPTCP_ERR_INVAL);
        assert_int_equal(a.family, UMPTCP_AF_NONE);
    }
    assert_int_equal(umptcp_addr_parse(&a, NULL), UMPTCP_ERR_INVAL);
}

static void test_strerror_covers_every_code(void **state)
{
    (void)state;
    for (int e = 0; e >= UMPTCP_ERR_LAST; e--)
        assert_string_not_equal(umptcp_strerror(e), "unknown error");
    assert_string_equal(umptcp_strerror(-1000), "unknown error");
}

/* The file must be a pcap with nanosecond magic, LINKTYPE_RAW, and our records. */
static void test_pcap_file_layout(void **state)
{
    (void)state;
    char path[300];
    snprintf(path, sizeof(path), "%s/a.pcap", tu_tmpdir());
    umptcp_pcap *p = NULL;
    assert_int_equal(umptcp_pcap_open(&p, path), UMPTCP_OK);
    const uint8_t pkt[] = {0x45, 0, 0, 20, 0, 0, 0, 0, 64, 6, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8};
    assert_int_equal(umptcp_pcap_write(p, 1234567890123ull, pkt, sizeof(pkt)), UMPTCP_OK);
    umptcp_pcap_close(p);

    uint8_t buf[128];
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    size_t n = fread(buf, 1, sizeof(buf), f);
    fclose(f);
    assert_int_equal(n, 24 + 16 + sizeof(pkt));
    uint32_t magic, linktype, sec, nsec, caplen;
    memcpy(&magic, buf, 4);
    memcpy(&linktype, buf + 20, 4);
    memcpy(&sec, buf + 24, 4);
    memcpy(&nsec, buf + 28, 4);
    memcpy(&caplen, buf + 32, 4);
    assert_int_equal(magic, 0xa1b23c4d); /* nanosecond-resolution pcap */
    assert_int_equal(linktype, 101);     /* LINKTYPE_RAW */
    assert_int_equal(sec, 1234);
    assert_int_equal(nsec, 567890123);
    assert_int_equal(caplen, sizeof(pkt));
    assert_memory_equal(buf + 40, pkt, sizeof(pkt));
}

static void test_pcap_open_error(void **state)
{
    (void)state;
    umptcp_pcap *p = (umptcp_pcap *)1;
    assert_int_equal(umptcp_pcap_open(&p, "/nonexistent-dir/x.pcap"), UMPTCP_ERR_IO);
    assert_null(p);
    assert_int_equal(umptcp_pcap_open(NULL, "x"), UMPTCP_ERR_INVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_addr_roundtrip),
        cmocka_unit_test(test_addr_rejects_garbage),
        cmocka_unit_test(test_strerror_covers_every_code),
        cmocka_unit_test(test_pcap_file_layout),
        cmocka_unit_test(test_pcap_open_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
