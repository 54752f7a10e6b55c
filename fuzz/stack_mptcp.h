/* The MPTCP part of the stack script interpreter (fuzz/stack_script.c): making the MPTCP
 * options of an injected segment relative to a connection's real keys, tokens and data
 * sequence numbers, and the invariants of MPTCP connections. See stack_script.h. */
#ifndef UMPTCP_FUZZ_STACK_MPTCP_H
#define UMPTCP_FUZZ_STACK_MPTCP_H

#include "stack/stack_internal.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The socket of a connection's i-th subflow (its one socket for plain TCP), and how many. */
unsigned ss_mp_nsocks(const umptcp_conn *c);
const struct tcp_sock *ss_mp_sock(const umptcp_conn *c, unsigned i);
/* True when every socket of the connection is CLOSED (an MPTCP connection lives on while
 * one of its subflows does, even when the first one closed). */
bool ss_mp_all_closed(const umptcp_conn *c);
/* The earliest timer of the connection: of any of its sockets, or of its data level. */
uint64_t ss_mp_next_timeout(const umptcp_conn *c);

/* Calls fn for each option (kind, length and body at opt[0..len)) of the TCP header tcp[0, len),
 * which fn may rewrite in place; stops at EOL or at the first malformed length. */
typedef void (*ss_option_fn)(uint8_t *opt, uint8_t len, void *user);
void ss_tcp_options_each(uint8_t *tcp, size_t len, ss_option_fn fn, void *user);

/* Rebases every MPTCP option in the TCP header tcp[0, len) (payload after the header) on the
 * MPTCP connection mc (NULL: nothing to do), arriving on its subflow socket sk (NULL: a new
 * subflow, e.g. an MP_JOIN SYN). src/dst are the segment's addresses (for the ADD_ADDR HMAC);
 * csum_ok: give a DSS that carries a checksum the correct one (XORed with the given one). */
void ss_mp_rebase_options(uint8_t *tcp, size_t len, const struct mptcp_conn *mc,
                          const struct tcp_sock *sk, bool csum_ok);

/* Prints the data level's state (STACK_SCRIPT_TRACE). */
void ss_mp_trace(const umptcp_conn *c, uint64_t now);

/* Prints every socket of every connection of st (and the data level of MPTCP ones). */
void ss_mp_trace_socks(const umptcp_stack *st, const char *who, uint64_t now);

/* A stack's second address in MPTCP runs, which path events take away and give back. */
struct ss_mp_path {
    umptcp_addr addr;
    bool removed, backup;
};
/* Path event bits ev on st's second address: bit 0 removes it (or adds it back), bit 1 flips
 * its backup flag. NULL, or what went wrong. */
const char *ss_mp_path_event(umptcp_stack *st, int ifindex, struct ss_mp_path *p, uint8_t ev);

/* Prints one packet (STACK_SCRIPT_TRACE=2): ports, flags, numbers and MPTCP options. */
void ss_mp_trace_pkt(const char *dir, const uint8_t *pkt, size_t len, uint64_t now);

/* A socket of the SUT an injected segment is for: a connection's one socket or one of its
 * MPTCP subflows. */
struct ss_target {
    const umptcp_conn *c;
    const struct tcp_sock *sk;
};
/* The socket with this 4-tuple. */
bool ss_find_sock(const umptcp_stack *st, const umptcp_sockaddr *local,
                  const umptcp_sockaddr *remote, struct ss_target *t);
/* The sel-th socket (cycling) of all connections and their subflows. */
bool ss_nth_sock(const umptcp_stack *st, uint8_t sel, struct ss_target *t);
/* The MPTCP connection (data level) sel picks, for an MP_JOIN SYN that has no socket yet. */
const struct mptcp_conn *ss_nth_mptcp(const umptcp_stack *st, uint8_t sel);

/* NULL when the MPTCP connection's invariants hold, else what is wrong. */
const char *ss_mp_check(const umptcp_stack *st, const umptcp_conn *c);

#endif
