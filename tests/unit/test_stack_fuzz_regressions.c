/* Minimized inputs the stack fuzzer (fuzz/fuzz_stack.c) found, replayed through the same
 * script interpreter (fuzz/stack_script.c): a run aborts when any of its checks fails. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../fuzz/stack_script.h"

/* The stack half-closes (FIN_WAIT_2) while the peer still has 2.5 KB to send into a 2 KB
 * window with a 536-byte MSS. After the application read the first 1608 bytes, FIN_WAIT_2
 * sent no window update, so the peer saw 440 bytes of window (below one segment: sender SWS
 * avoidance waits) and the rest never arrived. Fixed by window updates in FIN_WAIT_2. */
static const uint8_t fin_wait_2_window_update[] = {
    0xdd, 0x14, 0x3e, 0x80,                   /* header: established, no options, reno */
    0x04, 0x00, 0x04, 0x00, 0x02, 0x27, 0x75, /* peer writes 10101 bytes */
    0xff, 0x02, 0x00, 0x02,                   /* stack: shutdown */
};

static void test_fin_wait_2_window_update(void **state)
{
    (void)state;
    stack_script_run(fin_wait_2_window_update, sizeof(fin_wait_2_window_update));
}

/* The application connects and closes while the SYN is out; the SYN/ACK then completed the
 * handshake and the stack sent UMPTCP_EV_CONNECTED for the closed (invalid) handle. */
static const uint8_t connected_after_close[] = {
    0x20, 0xc3, 0x03, 0x5a,                   /* header: no connection, nodelay */
    0x03, 0x00, 0x01, 0x0f,                   /* stack: connect to the peer */
    0x21, 0x00, 0x04, 0x42, 0x00, 0x17, 0x70, /* stack: close */
    0x50, 0x00, 0x05, 0x15, /* 5.4 s pass (record cut short): the SYN/ACK arrives */
};

static void test_connected_after_close(void **state)
{
    (void)state;
    stack_script_run(connected_after_close, sizeof(connected_after_close));
}

/* The stack shuts down (FIN_WAIT_2) and 64 s pass before the peer sends 16 KB: the time_wait_ns
 * limit closed the half-closed connection the application still held (fixed in 1d8e9e2: only
 * orphaned connections have that limit); the data then never arrived. */
static const uint8_t half_close_then_data[] = {
    0xcd, 0x07, 0x03, 0x5a,                   /* header: established, reno, small MSS */
    0x03, 0x00, 0x04, 0x02, 0x00, 0x00, 0x00, /* stack: shutdown */
    0x02, 0x00, 0x02, 0xfc, 0xe8,             /* 64.744 s pass */
    0x04, 0x00, 0x04, 0x00, 0x00, 0xe8,       /* peer writes 16 KB (record cut short) */
};

static void test_half_close_then_data(void **state)
{
    (void)state;
    stack_script_run(half_close_then_data, sizeof(half_close_then_data));
}

/* One forged in-sequence byte on an established connection (1 ms wire): the stack takes it and
 * ACKs beyond the peer's SND.NXT; the peer answers that ACK of unsent data with an ACK, whose
 * sequence number the stack finds below RCV.NXT and answers again, and so on forever at wire
 * speed (RFC 5961 Errata 4772). Fixed by throttling such answers (RFC 5961 7). */
static const uint8_t ack_war[] = {
    0x01, 0x01, 0x02, 0x40, /* header: established, 1 ms wire */
    0x00, 0x00, 0x23,       /* inject (35 bytes: mode, sel, 33-byte segment) */
    0x2d, 0x00,             /* the connection's 4-tuple, SEQ/ACK/timestamps relative */
    0x00, 0x00, 0x00, 0x00, /* ports (substituted) */
    0x00, 0x00, 0x00, 0x00, /* SEQ = RCV.NXT */
    0x00, 0x00, 0x00, 0x00, /* ACK = SND.UNA */
    0x80, 0x10, 0x07, 0xd0, /* 32-byte header, ACK, window 2000 */
    0x00, 0x00, 0x00, 0x00, /* checksum (computed), urgent pointer */
    0x01, 0x01, 0x08, 0x0a, /* NOP NOP timestamps */
    0x00, 0x01, 0x7a, 0x01, /* TSval = TS.Recent + 96769 */
    0x61, 0x2d, 0x61, 0x62, /* TSecr (relative to the stack's clock) */
    0x73,                   /* one byte of data */
};

static void test_ack_war(void **state)
{
    (void)state;
    stack_script_run(ack_war, sizeof(ack_war));
}

/* MPTCP: the stack connects (two addresses each side, so three joins follow) and the
 * application closes at once; the DATA_FIN is acknowledged, every subflow waits in FIN_WAIT_2
 * and the peer's application never closes. Closing did not orphan the subflows (only a plain
 * TCP socket was), so none had the time_wait_ns limit: the connection nobody held lived
 * forever without a timer. Fixed by orphaning every subflow on umptcp_conn_close. */
static const uint8_t mptcp_close_orphans_subflows[] = {
    0x08, 0x05, 0x81, 0x15,                   /* header: no connection, no timestamps, MPTCP */
    0x03, 0x00, 0x04, 0x06, 0x00, 0x00, 0x00, /* stack: connect to the peer */
    0x02, 0x00, 0x02, 0x00, 0x64,             /* 100 ms pass: established, joins done */
    0x03, 0x00, 0x04, 0x03, 0x00, 0x00, 0x00, /* stack: close */
};

static void test_mptcp_close_orphans_subflows(void **state)
{
    (void)state;
    stack_script_run(mptcp_close_orphans_subflows, sizeof(mptcp_close_orphans_subflows));
}

/* MPTCP: the application closes the accepted connection 15 ms after the handshake, before the
 * peer's joins arrive. The DATA_FIN went out and was acknowledged on the first subflow; the
 * stack still accepted the joins, which then stayed ESTABLISHED with nothing to send and no
 * timer once the first subflow had closed: the connection nobody held lived forever. Fixed
 * by refusing joins once our DATA_FIN is mapped (as the active side already did). */
static const uint8_t mptcp_join_after_data_fin[] = {
    0x09, 0x05, 0x81, 0x15,                   /* header: established, no timestamps, MPTCP */
    0x03, 0x00, 0x04, 0x03, 0x00, 0x00, 0x00, /* stack: close */
};

static void test_mptcp_join_after_data_fin(void **state)
{
    (void)state;
    stack_script_run(mptcp_join_after_data_fin, sizeof(mptcp_join_after_data_fin));
}

/* MPTCP: the peer's application closes right after the handshake (its DATA_FIN is mapped at
 * once) while the stack writes 5000 bytes. The first DSS from the stack then told the peer it
 * may join, and it opened its joins although it had closed; they were never orphaned, so
 * they waited in FIN_WAIT_2 forever without a timer. Fixed by opening no joins once the
 * DATA_FIN is mapped on that path too (mptcp_conn_join_ready). */
static const uint8_t mptcp_no_join_after_close[] = {
    0x09, 0x05, 0x81, 0x15,                   /* header: established, no timestamps, MPTCP */
    0x04, 0x00, 0x04, 0x02, 0x00, 0x00, 0x00, /* peer: close */
    0x03, 0x00, 0x04, 0x00, 0x00, 0x13, 0x88, /* stack: write 5000 bytes */
    0x02, 0x00, 0x02, 0x00, 0xc8,             /* 200 ms pass */
};

static void test_mptcp_no_join_after_close(void **state)
{
    (void)state;
    stack_script_run(mptcp_no_join_after_close, sizeof(mptcp_no_join_after_close));
}

/* MPTCP without window scaling and a 128 KiB rcvbuf_max: a subflow offers the shared
 * window (128 KiB) but its window field says at most 65535, so the receiver SWS test saw the
 * unannounceable rest as a gain on every segment and answered every ACK with an ACK, on every
 * subflow, forever. Fixed by counting only the window the field can carry. */
static const uint8_t mptcp_no_wscale_ack_war[] = {
    0x11, 0x05, 0x80, 0x3c, /* header: established, no window scaling, MPTCP, 16K << 3 */
};

static void test_mptcp_no_wscale_ack_war(void **state)
{
    (void)state;
    stack_script_run(mptcp_no_wscale_ack_war, sizeof(mptcp_no_wscale_ack_war));
}

/* MPTCP: the application writes 16000 bytes into a 4 KiB send buffer and closes while the
 * peer's join SYNs are on the wire; with data still unsent the DATA_FIN is not mapped yet, so
 * the joins are accepted, but their sockets, made after the close, were not orphaned: once
 * the DATA_FIN was acknowledged they waited in FIN_WAIT_2 forever without a timer. Fixed by
 * orphaning a join's socket when the application has already closed the connection. */
static const uint8_t mptcp_join_during_close[] = {
    0x09, 0x05, 0x81, 0x00,                   /* header: established, MPTCP, small buffers */
    0x03, 0x00, 0x04, 0x00, 0x00, 0x3e, 0x80, /* stack: write 16000 bytes */
    0x03, 0x00, 0x04, 0x03, 0x00, 0x00, 0x00, /* stack: close */
};

static void test_mptcp_join_during_close(void **state)
{
    (void)state;
    stack_script_run(mptcp_join_during_close, sizeof(mptcp_join_during_close));
}

/* MPTCP: the peer's application closes at once and never reads again; the stack writes 5000
 * bytes, of which the peer's 4 KiB window takes 4096. With the window closed and every sent
 * byte DATA_ACKed, the last 904 bytes were mapped on no subflow, so no subflow had anything
 * to probe the window with: no timer at all, and the stack's application closing left a
 * connection that lived forever (and without the close, a lost window update would have
 * stalled it for good). Fixed by mapping one byte into a closed window when nothing is in
 * flight, for the subflow's persist timer to probe with. */
static const uint8_t mptcp_zero_window_probe[] = {
    0x09, 0x05, 0x81, 0x11,                   /* header: established, MPTCP, 4 KiB rcvbuf_max */
    0x04, 0x00, 0x04, 0x02, 0x00, 0x00, 0x00, /* peer: close */
    0x03, 0x00, 0x04, 0x00, 0x00, 0x13, 0x88, /* stack: write 5000 bytes */
    0x02, 0x00, 0x02, 0x80, 0xc8,             /* 33 s pass */
    0x03, 0x00, 0x04, 0x03, 0x00, 0x00, 0x00, /* stack: close */
};

static void test_mptcp_zero_window_probe(void **state)
{
    (void)state;
    stack_script_run(mptcp_zero_window_probe, sizeof(mptcp_zero_window_probe));
}

/* MPTCP with checksums: the stack's first four packets to the peer are lost (among them its
 * answers to the peer's joins), and the application closes 256 ms later while the joins'
 * handshakes are still being repeated. The DATA_FIN is acknowledged on the first subflow;
 * the joins complete afterwards, and since the DATA_FIN shut down only the subflows open
 * at the time, they stayed ESTABLISHED with nothing to send and no timer, forever. Fixed by
 * pushing the DATA_FIN onto a join that completes after it was mapped. */
static const uint8_t mptcp_join_completes_after_data_fin[] = {
    0x01, 0x03, 0xff, 0xee,                   /* header: established, MPTCP with checksums */
    0x05, 0x00, 0x02, 0x0f, 0x00,             /* the stack's next 4 packets are lost */
    0x02, 0x00, 0x02, 0x01, 0x00,             /* 256 ms pass */
    0x03, 0x00, 0x04, 0x03, 0x00, 0x00, 0x00, /* stack: close */
};

static void test_mptcp_join_completes_after_data_fin(void **state)
{
    (void)state;
    stack_script_run(mptcp_join_completes_after_data_fin,
                     sizeof(mptcp_join_completes_after_data_fin));
}

/* MPTCP with checksums over IPv6, small MSS: the peer sends its first 200 bytes on its
 * MP_CAPABLE ACK while the stack shuts down at once. The peer's ACK of the stack's DATA_FIN
 * carried only an ADD_ADDR echo, no DSS; the stack took that for options lost on the path
 * ("data acknowledged without a DATA_ACK") and fell back alone, and the peer's data-level
 * retransmission of the 200 bytes then reached the application a second time. Fixed by
 * falling back on such an ACK only when it carries no MPTCP option at all. */
static const uint8_t mptcp_one_sided_fallback[] = {
    0x83, 0x05, 0xc1, 0x15,                   /* header: established, IPv6, small MSS, csum */
    0x04, 0x00, 0x04, 0x00, 0x00, 0x00, 0xc8, /* peer: write 200 bytes */
    0x03, 0x00, 0x04, 0x02, 0x00, 0x00, 0x00, /* stack: shutdown */
};

static void test_mptcp_one_sided_fallback(void **state)
{
    (void)state;
    stack_script_run(mptcp_one_sided_fallback, sizeof(mptcp_one_sided_fallback));
}

/* On a lossless wire, an MPTCP connection whose peer's data-level window closed got the
 * peer's one-byte window probe (through a data-level retransmission on another subflow), and
 * its application read everything, yet it announced the reopened window only after about
 * 30 s: each subflow judged "is a window update due?" in its own sequence space, where the
 * data that arrived on the other subflows does not show. Now the data level keeps the edge it
 * announced (DATA_ACK + window) and sends an update on one subflow when due. The fuzzer's
 * 5 s liveness bound for lossless runs holds for MPTCP too (it was relaxed for this). */
static const uint8_t mptcp_window_probe_stall[] = {
    0x09, 0x05, 0xfd, 0x63, 0x04, 0x00, 0x04, 0x00, 0xff, 0xff, 0x00, 0x38, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x75, 0x7a, 0x69,
};

static void test_mptcp_window_probe_stall(void **state)
{
    (void)state;
    stack_script_run(mptcp_window_probe_stall, sizeof(mptcp_window_probe_stall));
}

/* MPTCP: a (forged) MP_FAIL on the only subflow makes the stack fall back and send again, as
 * new subflow bytes, the data from the MP_FAIL's DSN (RFC 8684 3.7); the connection's info,
 * taken from that subflow after a fallback, then reported more bytes sent than the
 * application wrote. Byte counts now come from the data level after a fallback too. */
static const uint8_t mptcp_mp_fail_bytes_sent[] = {
    0x09, 0x05, 0x81, 0x15, 0x03, 0x00, 0x04, 0x00, 0x00, 0x0f, 0xa0, 0x00, 0x00, 0x22,
    0x0d, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x80, 0x10, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0x1e, 0x0c, 0x60, 0x41, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xa0, 0x00, 0x00, 0x2d, 0x02, 0x01, 0x2c,
};

static void test_mptcp_mp_fail_bytes_sent(void **state)
{
    (void)state;
    stack_script_run(mptcp_mp_fail_bytes_sent, sizeof(mptcp_mp_fail_bytes_sent));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fin_wait_2_window_update),
        cmocka_unit_test(test_connected_after_close),
        cmocka_unit_test(test_half_close_then_data),
        cmocka_unit_test(test_ack_war),
        cmocka_unit_test(test_mptcp_close_orphans_subflows),
        cmocka_unit_test(test_mptcp_join_after_data_fin),
        cmocka_unit_test(test_mptcp_no_join_after_close),
        cmocka_unit_test(test_mptcp_no_wscale_ack_war),
        cmocka_unit_test(test_mptcp_join_during_close),
        cmocka_unit_test(test_mptcp_zero_window_probe),
        cmocka_unit_test(test_mptcp_join_completes_after_data_fin),
        cmocka_unit_test(test_mptcp_one_sided_fallback),
        cmocka_unit_test(test_mptcp_window_probe_stall),
        cmocka_unit_test(test_mptcp_mp_fail_bytes_sent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
