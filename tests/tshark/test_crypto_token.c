/* Token and IDSN known-answer test against Wireshark: MP_CAPABLE handshakes with chosen keys
 * are written into a pcap, and tshark's MPTCP dissector computes mptcp.expected_token and
 * mptcp.expected_idsn from each key independently of our code (RFC 8684 3.1). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "crypto/mptcp_crypto.h"
#include "testutil.h"
#include "umptcp/error.h"
#include "umptcp/pcap.h"
#include "wire/mptcp_opt.h"
#include "wire/segment.h"
#include "wire/tcp.h"
#include "wire/tcp_opt.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const uint64_t test_keys[][2] = {
    {0x0123456789abcdefull, 0xfedcba9876543210ull},
    {0x0000000000000001ull, 0xffffffffffffffffull},
    {0x8000000000000000ull, 0x00000000deadbeefull},
    {0x5a5a5a5aa5a5a5a5ull, 0x1122334455667788ull},
};
#define N_PAIRS (sizeof(test_keys) / sizeof(test_keys[0]))

/* Writes one segment carrying one MP_CAPABLE option. */
static void write_mpc_segment(umptcp_pcap *pc, uint64_t ts, const umptcp_sockaddr *src,
                              const umptcp_sockaddr *dst, uint8_t flags, uint32_t seq, uint32_t ack,
                              const struct wire_mptcp_opt *mpc)
{
    uint8_t optbuf[WIRE_MPTCP_MAX_LEN], pkt[200];
    int olen = wire_mptcp_write(mpc, optbuf, sizeof(optbuf));
    assert_true(olen > 0);
    struct wire_tcp_options opt = {0};
    opt.mptcp_count = 1;
    opt.mptcp[0].data = optbuf;
    opt.mptcp[0].len = (uint8_t)olen;
    struct wire_segment_spec s = {.src = *src,
                                  .dst = *dst,
                                  .seq = seq,
                                  .ack = ack,
                                  .flags = flags,
                                  .window = 65535,
                                  .opt = &opt};
    size_t len = 0;
    assert_int_equal(wire_segment_build(&s, pkt, sizeof(pkt), &len), UMPTCP_OK);
    assert_int_equal(umptcp_pcap_write(pc, ts, pkt, len), UMPTCP_OK);
}

static void write_handshakes(const char *path)
{
    umptcp_pcap *pc = NULL;
    assert_int_equal(umptcp_pcap_open(&pc, path), UMPTCP_OK);
    umptcp_sockaddr a = {.port = 40000}, b = {.port = 5201};
    assert_int_equal(umptcp_addr_parse(&a.addr, "10.0.0.1"), UMPTCP_OK);
    assert_int_equal(umptcp_addr_parse(&b.addr, "10.0.0.2"), UMPTCP_OK);
    uint64_t ts = 1000000000;
    for (size_t i = 0; i < N_PAIRS; i++, a.port++) {
        const uint64_t key_a = test_keys[i][0], key_b = test_keys[i][1];
        struct wire_mptcp_opt o = {.subtype = WIRE_MPTCP_MP_CAPABLE};
        o.u.mpc.version = 1;
        o.u.mpc.flags = WIRE_MPC_FLAG_H;
        o.u.mpc.form = WIRE_MPC_SYN;
        write_mpc_segment(pc, ts++, &a, &b, WIRE_TCP_SYN, 100, 0, &o);
        o.u.mpc.form = WIRE_MPC_SYNACK;
        o.u.mpc.snd_key = key_b;
        write_mpc_segment(pc, ts++, &b, &a, WIRE_TCP_SYN | WIRE_TCP_ACK, 900, 101, &o);
        o.u.mpc.form = WIRE_MPC_ACK;
        o.u.mpc.snd_key = key_a;
        o.u.mpc.rcv_key = key_b;
        write_mpc_segment(pc, ts++, &a, &b, WIRE_TCP_ACK, 101, 901, &o);
    }
    umptcp_pcap_close(pc);
}

static void test_token_and_idsn_match_wireshark(void **state)
{
    (void)state;
    char path[300], cmd[600];
    static char out[16384];
    snprintf(path, sizeof(path), "%s/mpc.pcap", tu_tmpdir());
    write_handshakes(path);
    /* One line per packet: stream, frame, sender key, expected token, expected IDSN. */
    snprintf(
        cmd, sizeof(cmd),
        "tshark -n -r '%s' -o mptcp.analyze_mptcp:TRUE -T fields -E separator=' ' "
        "-e tcp.stream -e tcp.options.mptcp.sendkey -e mptcp.expected_token -e mptcp.expected_idsn "
        "2>/dev/null",
        path);
    assert_int_equal(tu_run(cmd, out, sizeof(out)), 0);

    size_t checked = 0;
    for (char *line = strtok(out, "\n"); line != NULL; line = strtok(NULL, "\n")) {
        unsigned stream;
        char key_s[40], token_s[40], idsn_s[40];
        if (sscanf(line, "%u %39s %39s %39s", &stream, key_s, token_s, idsn_s) != 4)
            continue; /* the SYN carries no key */
        assert_true(stream < N_PAIRS);
        uint64_t key = strtoull(key_s, NULL, 0);
        assert_true(key == test_keys[stream][0] || key == test_keys[stream][1]);
        uint32_t token;
        uint64_t idsn;
        mptcp_crypto_key_derive(key, &token, &idsn);
        assert_int_equal(token, (uint32_t)strtoull(token_s, NULL, 0));
        assert_int_equal(idsn, strtoull(idsn_s, NULL, 0));
        checked++;
    }
    /* Every SYN/ACK and third ACK (two keys per handshake) must have been compared. */
    assert_int_equal(checked, 2 * N_PAIRS);
}

int main(void)
{
    tu_require(tu_have_command("tshark"), "tshark (Debian package tshark)");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_token_and_idsn_match_wireshark),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
