/* TCP options other than MPTCP (RFC 9293 3.2, RFC 7323, RFC 2018): parse into a struct, write
 * in two passes (size, then write). MPTCP options (kind 30) are carried as opaque spans and
 * decoded/encoded by wire/mptcp_opt.h. */
#ifndef UMPTCP_WIRE_TCP_OPT_H
#define UMPTCP_WIRE_TCP_OPT_H

#include <stddef.h>
#include <stdint.h>

#define WIRE_TCPOPT_EOL 0
#define WIRE_TCPOPT_NOP 1
#define WIRE_TCPOPT_MSS 2
#define WIRE_TCPOPT_WSCALE 3
#define WIRE_TCPOPT_SACK_PERM 4
#define WIRE_TCPOPT_SACK 5
#define WIRE_TCPOPT_TIMESTAMP 8
#define WIRE_TCPOPT_MPTCP 30

/* Option lengths (kind and length bytes included). */
#define WIRE_TCPOLEN_MSS 4
#define WIRE_TCPOLEN_WSCALE 3
#define WIRE_TCPOLEN_SACK_PERM 2
#define WIRE_TCPOLEN_SACK_BASE 2 /* + 8 per block */
#define WIRE_TCPOLEN_SACK_BLOCK 8
#define WIRE_TCPOLEN_TIMESTAMP 10

#define WIRE_TCPOPT_SPACE 40
#define WIRE_MAX_SACK_BLOCKS 4
#define WIRE_MAX_MPTCP_OPTS 8

/* Bits of wire_tcp_options.present. */
#define WIRE_OPT_MSS 0x01u
#define WIRE_OPT_WSCALE 0x02u
#define WIRE_OPT_SACK_PERM 0x04u
#define WIRE_OPT_SACK 0x08u
#define WIRE_OPT_TIMESTAMP 0x10u

struct wire_sack_block {
    uint32_t left, right;
};

/* One whole option, kind and length bytes included. */
struct wire_opt_span {
    const uint8_t *data;
    uint8_t len;
};

struct wire_tcp_options {
    uint32_t present; /* WIRE_OPT_* bits */
    uint16_t mss;
    uint8_t wscale; /* as received; RFC 7323 2.3 clamping to 14 is the caller's job */
    uint32_t ts_val, ts_ecr;
    uint8_t sack_count; /* 1..WIRE_MAX_SACK_BLOCKS when WIRE_OPT_SACK is present */
    struct wire_sack_block sack[WIRE_MAX_SACK_BLOCKS];
    uint8_t mptcp_count; /* kind-30 options in the order they appeared */
    struct wire_opt_span mptcp[WIRE_MAX_MPTCP_OPTS];
    uint8_t unknown_count;   /* options of unknown kind (skipped); ignored by the writer */
    uint8_t malformed_count; /* known kind with a wrong length, or MPTCP spans beyond the
                                array; ignored by the writer */
};

/* Parses an option block (the bytes between the fixed TCP header and the data). Total: on
 * success fills *out (spans point into opts) and returns 0. EOL ends parsing. Unknown kinds
 * are skipped by their length and counted; a known kind with the wrong length is skipped and
 * counted in malformed_count; a repeated option overwrites the earlier one. Errors: a length
 * byte < 2 -> UMPTCP_ERR_BAD_LENGTH; an option (or its length byte) running past the end ->
 * UMPTCP_ERR_TRUNCATED. On error *out holds what was parsed before the bad option. */
int wire_tcp_options_parse(const uint8_t *opts, size_t len, struct wire_tcp_options *out);

/* Pass 1: the padded size (multiple of 4, 0..40) that wire_tcp_options_write will produce,
 * UMPTCP_ERR_NOSPACE when it exceeds 40 bytes, or UMPTCP_ERR_INVAL for an impossible struct
 * (sack_count 0 or > 4 with WIRE_OPT_SACK, mptcp_count > 8, a span that is not a whole kind-30
 * option whose length byte equals its len). Layout as common stacks write it, keeping 32-bit
 * fields aligned: MSS; SACK_PERM+TS or NOP,NOP,TS; NOP,WSCALE; NOP,NOP,SACK_PERM (without TS);
 * NOP,NOP,SACK; then the MPTCP spans back to back, padded with NOPs to a multiple of 4. */
int wire_tcp_options_size(const struct wire_tcp_options *o);

/* Pass 2: writes the options into buf; returns the bytes written (== size), or the size
 * errors, or UMPTCP_ERR_NOSPACE when cap is too small. Never truncates. */
int wire_tcp_options_write(const struct wire_tcp_options *o, uint8_t *buf, size_t cap);

#endif
