/* A script interpreter that drives a umptcp stack under test (SUT) through its whole packet
 * input path, for fuzz/fuzz_stack.c and for the replay of minimized inputs in
 * tests/unit/test_stack_fuzz_regressions.c.
 *
 * The SUT listens on port 80. A second, well-behaved stack (the peer) is joined to it by an
 * in-memory wire with a fixed one-way delay; the peer listens on port 8080, accepts and reads
 * everything at once. The script injects forged segments into the SUT, lets virtual time pass
 * (timers of both stacks and the wire run in time order), and makes the applications of both
 * stacks write, read, shut down, close, abort and connect.
 *
 * Input layout (missing bytes read as zero):
 *   header, 4 bytes:
 *     [0] flags: SS_F_* below
 *     [1] one-way wire delay in ms (value % 51)
 *     [2] seed of both stacks' randomness; also bit 7 (SS_S_MPTCP): both stacks listen and
 *         connect with MPTCP, and each has a second address of the run's family
 *         (10.0.0.h+10 / fd00::h+10), so the SUT announces it and the peer joins from its own;
 *         bit 6 (SS_S_MPTCP_CSUM): both ask for DSS checksums
 *     [3] buffer sizes: bits 0-1 sndbuf (4 KiB << n), 2-3 rcvbuf (2 KiB << n),
 *         4-5 rcvbuf_max (rcvbuf << n), 6-7 max_ooo_ranges (1, 4, 16, 64)
 *   then records [op][len: 2 bytes big-endian][len bytes] (a short last record is cut), at
 *   most SS_MAX_OPS of them; op % SS_OP_COUNT is one of SS_OP_*:
 *     INJECT_TCP [mode][sel][TCP header + options + payload]: an IP packet is built around the
 *         TCP bytes and given to the SUT; mode holds SS_M_* bits (4-tuple substitution,
 *         sequence numbers, ACK, SACK blocks and timestamps relative to the connection's own,
 *         checksum left as given). sel picks the SUT socket for SS_M_SUBST: every connection's
 *         socket, and in MPTCP runs every subflow of every connection, in turn.
 *         In MPTCP runs the MPTCP options are made relative to the connection's real secrets
 *         and sequence numbers (fuzz/stack_mptcp.c), so forged options get past the checks:
 *         MP_CAPABLE keys are offsets from the peer's and the SUT's keys; an MP_JOIN SYN's
 *         token is an offset from the SUT's token (of the connection sel picks when no socket
 *         has the 4-tuple), a third ACK's HMAC is XORed with the right one; DSS DATA_ACK is an
 *         offset from the data level's SND.UNA, DSN from its RCV.NXT, SSN from the subflow's
 *         RCV.NXT, and the checksum is XORed with the right one unless SS_M_BAD_CSUM; an
 *         ADD_ADDR HMAC is XORed with the right one; MP_FAIL's DSN is an offset from SND.UNA,
 *         MP_FASTCLOSE's key from the SUT's key. Zero offsets give the real values.
 *     INJECT_IP [mode][IP packet]: raw; mode bit 0 repairs the IPv4 header and TCP checksums,
 *         bit 1 rewrites the addresses to peer -> SUT.
 *     ADVANCE [ms: 2 bytes]: lets time pass (default 1 ms).
 *     SUT_APP / PEER_APP [action][end][n: 2 bytes]: an application call on the end-th
 *         connection that application holds (SS_SUT_* / SS_PEER_* actions).
 *     WIRE_DROP [mask SUT->peer][mask peer->SUT][path]: bit i set drops the i-th next
 *         packet. In MPTCP runs, path events on the second addresses: bit 0 removes the SUT's
 *         (or adds it back: REMOVE_ADDR, subflows reset, data reinjected), bit 1 flips its
 *         backup flag (MP_PRIO); bits 2 and 3 the same for the peer's. They are not injected
 *         packets: the byte checks and liveness still hold.
 *
 * Checks (a violation prints its reason and aborts): the stack counters never decrease;
 * connections <= max_conns and the list agrees with its count; listener accept queue and
 * pending handshakes agree with the connections and stay within the backlog; no connection the
 * application let go of (or never got) stays CLOSED or lingers without a timer that ends it;
 * SND.UNA <= SND.NXT and the in-flight span fits the send buffer; out-of-order ranges and
 * receive buffer within their configured bounds; after on_timeout(now) no timer is due at
 * <= now; every packet a stack sends parses with correct checksums and comes from one of its
 * addresses; API return values are in range. For MPTCP connections also: at most
 * MPTCP_MAX_SUBFLOWS subflows, the first one the connection's socket, each checked as above;
 * the data level's SND.UNA <= SND.NXT within the send buffer, its receive buffer and
 * out-of-order ranges within rcvbuf_max and max_ooo_ranges, receive mappings within their
 * bound, remembered addresses within MPTCP_MAX_ADDRS; fallback exactly when a reason is set,
 * and then at most one open subflow; a connection nobody holds has a timer (of a subflow or
 * of the data level). An injected segment (any option, MPTCP or not) may legitimately fail a
 * connection (reset, MP_FASTCLOSE, MP_TCPRST on its last subflow) or make it fall back, and
 * the byte checks stop once one was injected; liveness below still holds for pairs that did
 * not fail. While no packet was injected, every byte an
 * application reads is the byte the other one wrote at that offset, and at the end both
 * applications accept and read everything until both directions of every pair of connections
 * that did not fail are delivered (liveness, at most 10 virtual minutes; 5 s when the wire
 * never lost a packet, since then no data may wait for a timer). Under the sanitizers, also
 * no memory error, UB or leak. STACK_SCRIPT_TRACE=1 in the environment prints each op, the sockets'
 * state and the counters; STACK_SCRIPT_TRACE=2 also every packet delivered. */
#ifndef UMPTCP_FUZZ_STACK_SCRIPT_H
#define UMPTCP_FUZZ_STACK_SCRIPT_H

#include <stddef.h>
#include <stdint.h>

#define SS_HEADER_LEN 4
#define SS_MAX_OPS 256

/* Header flags. */
#define SS_F_ESTABLISH 0x01 /* the peer opens a connection to the SUT before the script */
#define SS_F_IPV6 0x02      /* connections and injected packets use IPv6 */
#define SS_F_NO_SACK 0x04
#define SS_F_NO_TS 0x08
#define SS_F_NO_WSCALE 0x10
#define SS_F_NODELAY 0x20 /* no Nagle on either side */
#define SS_F_RENO 0x40    /* reno instead of cubic */
#define SS_F_SMALL_MSS 0x80

/* Header byte 2 (the seed) bits. */
#define SS_S_MPTCP 0x80
#define SS_S_MPTCP_CSUM 0x40

enum ss_op {
    SS_OP_INJECT_TCP,
    SS_OP_INJECT_IP,
    SS_OP_ADVANCE,
    SS_OP_SUT_APP,
    SS_OP_PEER_APP,
    SS_OP_WIRE_DROP,
    SS_OP_COUNT
};

/* INJECT_TCP mode bits. */
#define SS_M_SUBST 0x01     /* 4-tuple of SUT connection number sel % count */
#define SS_M_ALT_SRC 0x02   /* from a host that is not the peer (without SUBST) */
#define SS_M_REL_SEQ 0x04   /* SEQ field is an offset from the connection's RCV.NXT */
#define SS_M_REL_ACK 0x08   /* ACK field is an offset from its SND.UNA */
#define SS_M_REL_SACK 0x10  /* SACK edges are offsets from its SND.UNA */
#define SS_M_REL_TS 0x20    /* TSval from TS.Recent, TSecr from its TS clock */
#define SS_M_OTHER_FAM 0x40 /* the other IP family than the run's (without SUBST) */
#define SS_M_BAD_CSUM 0x80  /* keep the TCP checksum field as given */

/* SUT_APP actions (value % SS_SUT_COUNT). */
enum ss_sut_action {
    SS_SUT_WRITE,
    SS_SUT_READ,
    SS_SUT_SHUTDOWN,
    SS_SUT_CLOSE,
    SS_SUT_ABORT,
    SS_SUT_ACCEPT,
    SS_SUT_CONNECT, /* to the peer's port 8080 */
    SS_SUT_LISTENER_CLOSE,
    SS_SUT_INFO,
    SS_SUT_COUNT
};

/* PEER_APP actions (value % SS_PEER_COUNT). */
enum ss_peer_action {
    SS_PEER_WRITE,
    SS_PEER_SHUTDOWN,
    SS_PEER_CLOSE,
    SS_PEER_ABORT,
    SS_PEER_CONNECT,     /* a new connection to the SUT's port 80 */
    SS_PEER_READ_TOGGLE, /* stop / resume reading */
    SS_PEER_COUNT
};

/* Runs one script. Returns normally when every check held; aborts (after printing the
 * reason to stderr) on a violation. */
void stack_script_run(const uint8_t *data, size_t size);

#endif
