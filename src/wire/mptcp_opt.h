/* MPTCP options (TCP option kind 30, RFC 8684 section 3): parse one option into a tagged
 * struct, write a struct back in two passes (size, then write), print one for debugging.
 *
 * Parsing is total: any byte string yields a filled struct or a negative UMPTCP_ERR_*.
 *
 * What the parser rejects (the rest is left to the protocol layer):
 *  - UMPTCP_ERR_TRUNCATED   fewer than 2 input bytes, or fewer than the Length byte says.
 *  - UMPTCP_ERR_INVAL       opt or out is NULL.
 *  - UMPTCP_ERR_PROTO       byte 0 is not kind 30.
 *  - UMPTCP_ERR_BAD_SUBTYPE subtypes 0x9..0xe (unassigned, RFC 8684 7.2).
 *  - UMPTCP_ERR_BAD_LENGTH  a Length that no form of the subtype has, or one inconsistent with
 *                           the flags (DSS A/a/M/m, ADD_ADDR E), or Length > 40 (cannot fit in
 *                           a TCP header).
 *  - UMPTCP_ERR_BAD_VERSION MP_CAPABLE version != 1. The struct is still filled (version, flags,
 *                           and the keys the Length carries) so that a v0 peer can be detected.
 *                           Checked before the MP_CAPABLE Lengths (not before the 40-byte
 *                           limit), so an unknown version wins over an unknown form.
 *  - UMPTCP_ERR_BAD_FLAGS   MP_CAPABLE with B=1 (extensibility we do not understand, 3.1) or
 *                           with none of D..H set (no crypto algorithm, 3.1): both "MUST be
 *                           ignored". The struct is filled as well.
 * Not checked here: which MP_CAPABLE/MP_JOIN form is allowed on which segment (SYN, SYN/ACK,
 * ACK: the caller knows the TCP flags), more than one crypto bit set in a SYN/ACK, the A
 * (checksum) bit, whether a DSS checksum was negotiated (see struct wire_dss), DATA_FIN without
 * a mapping, ADD_ADDR HMAC validity, MP_TCPRST reason values.
 * Reserved bits are ignored on parse and written as 0; the DSS "a"/"m" bits are kept even when
 * "A"/"M" is clear (the RFC says they are then ignored) so every flag combination round-trips.
 *
 * The input is one whole option (kind, length, ...), e.g. a span from wire_tcp_options_parse.
 * Only opt[1] bytes are read; trailing bytes beyond the Length are ignored.
 */
#ifndef UMPTCP_WIRE_MPTCP_OPT_H
#define UMPTCP_WIRE_MPTCP_OPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "umptcp/addr.h"

#ifndef WIRE_TCPOPT_MPTCP /* also in wire/tcp_opt.h */
#define WIRE_TCPOPT_MPTCP 30
#endif
/* The TCP option space is 40 bytes, so no MPTCP option can be longer. */
#define WIRE_MPTCP_MAX_LEN 40
/* REMOVE_ADDR: Length = 3 + n <= 40. */
#define WIRE_MPTCP_MAX_RM_IDS (WIRE_MPTCP_MAX_LEN - 3)
/* MP_EXPERIMENTAL: bytes after the subtype byte. */
#define WIRE_MPTCP_MAX_EXP_DATA (WIRE_MPTCP_MAX_LEN - 3)
/* Longest line wire_mptcp_format writes, NUL included. */
#define WIRE_MPTCP_FORMAT_MAX 200

/* RFC 8684 7.2. */
enum wire_mptcp_subtype {
    WIRE_MPTCP_MP_CAPABLE = 0x0,
    WIRE_MPTCP_MP_JOIN = 0x1,
    WIRE_MPTCP_DSS = 0x2,
    WIRE_MPTCP_ADD_ADDR = 0x3,
    WIRE_MPTCP_REMOVE_ADDR = 0x4,
    WIRE_MPTCP_MP_PRIO = 0x5,
    WIRE_MPTCP_MP_FAIL = 0x6,
    WIRE_MPTCP_MP_FASTCLOSE = 0x7,
    WIRE_MPTCP_MP_TCPRST = 0x8,
    WIRE_MPTCP_MP_EXPERIMENTAL = 0xf,
};

/* ---- MP_CAPABLE (3.1, Figure 4) ---- */

/* The form is given by the Length on parse and chooses the Length on write. */
enum wire_mpc_form {
    WIRE_MPC_SYN = 0,      /* Length 4: header only */
    WIRE_MPC_SYNACK = 1,   /* Length 12: sender's key (also a v0 SYN or SYN/ACK) */
    WIRE_MPC_ACK = 2,      /* Length 20: sender's key, receiver's key */
    WIRE_MPC_ACK_DATA = 3, /* Length 22/24: keys, data-level length, optional checksum */
};

/* Flags byte, A is the most significant bit. */
#define WIRE_MPC_FLAG_A 0x80           /* checksum required */
#define WIRE_MPC_FLAG_B 0x40           /* extensibility, MUST be 0 */
#define WIRE_MPC_FLAG_C 0x20           /* do not open subflows to my source address/port */
#define WIRE_MPC_FLAG_CRYPTO_MASK 0x1f /* D..H: crypto algorithm proposal/choice */
#define WIRE_MPC_FLAG_H 0x01           /* HMAC-SHA256 */

struct wire_mp_capable {
    uint8_t form;      /* enum wire_mpc_form */
    uint8_t version;   /* 4 bits; 1 for RFC 8684 */
    uint8_t flags;     /* raw A..H byte (WIRE_MPC_FLAG_*) */
    uint64_t snd_key;  /* SYNACK, ACK, ACK_DATA */
    uint64_t rcv_key;  /* ACK, ACK_DATA */
    uint16_t dll;      /* ACK_DATA: data-level length */
    bool csum_present; /* ACK_DATA: Length 24 */
    uint16_t csum;
};

/* ---- MP_JOIN (3.2, Figures 5-7) ---- */

enum wire_join_form {
    WIRE_JOIN_SYN = 0,    /* Length 12: B, address ID, receiver's token, nonce */
    WIRE_JOIN_SYNACK = 1, /* Length 16: B, address ID, 64-bit truncated HMAC, nonce */
    WIRE_JOIN_ACK = 2,    /* Length 24: 160-bit truncated HMAC */
};

#define WIRE_JOIN_SYNACK_HMAC_LEN 8
#define WIRE_JOIN_ACK_HMAC_LEN 20

struct wire_mp_join {
    uint8_t form;     /* enum wire_join_form */
    bool backup;      /* SYN, SYNACK */
    uint8_t addr_id;  /* SYN, SYNACK */
    uint32_t token;   /* SYN: the receiver's token */
    uint32_t nonce;   /* SYN, SYNACK: sender's random number */
    uint8_t hmac[20]; /* leftmost bytes of the HMAC: 8 on SYNACK, 20 on ACK */
};

/* ---- DSS (3.3, Figure 9) ---- */

#define WIRE_DSS_FLAG_A 0x01 /* Data ACK present */
#define WIRE_DSS_FLAG_a 0x02 /* Data ACK is 8 octets */
#define WIRE_DSS_FLAG_M 0x04 /* mapping present */
#define WIRE_DSS_FLAG_m 0x08 /* DSN is 8 octets */
#define WIRE_DSS_FLAG_F 0x10 /* DATA_FIN */

/* The checksum's presence is inferred from the Length (the RFC says it can be) and reported in
 * csum_present: the caller compares it with what was negotiated and resets the subflow on a
 * mismatch (3.3). 32-bit Data ACK/DSN values are reported as they are (not expanded); the
 * writer sends the low 32 bits of data_ack/dsn when ack64/dsn64 is false. */
struct wire_dss {
    bool has_ack;      /* A */
    bool ack64;        /* a */
    bool has_map;      /* M */
    bool dsn64;        /* m */
    bool data_fin;     /* F */
    bool csum_present; /* only with has_map */
    uint64_t data_ack;
    uint64_t dsn;
    uint32_t ssn; /* relative to the subflow ISN */
    uint16_t dll; /* data-level length; 0 = infinite mapping */
    uint16_t csum;
};

/* The DSS flags byte (Figure 9: F m M a A, the low five bits) for the five booleans of d. */
uint8_t wire_dss_flags(const struct wire_dss *d);
/* Sets the five booleans of d from a DSS flags byte; the reserved bits are ignored and the
 * other fields (csum_present, the values) are left as they are. */
void wire_dss_set_flags(struct wire_dss *d, uint8_t flags);

/* ---- ADD_ADDR (3.4.1, Figure 12) ---- */

#define WIRE_ADD_ADDR_HMAC_LEN 8

/* Lengths: IPv4 16, +port 18; IPv6 28, +port 30; with E=1 (no HMAC) 8 less. v1 has no
 * IPVer field: the family comes from the Length. */
struct wire_add_addr {
    bool echo; /* E */
    uint8_t addr_id;
    umptcp_addr addr; /* family 4 or 6 */
    bool has_port;
    uint16_t port;                        /* host order */
    uint8_t hmac[WIRE_ADD_ADDR_HMAC_LEN]; /* rightmost 64 bits of the HMAC, when !echo */
};

/* ---- REMOVE_ADDR (3.4.2, Figure 13) ---- */

struct wire_remove_addr {
    uint8_t count; /* 1..WIRE_MPTCP_MAX_RM_IDS */
    uint8_t ids[WIRE_MPTCP_MAX_RM_IDS];
};

/* ---- MP_PRIO (3.3.8, Figure 11) ----
 * v1 Length is 3. The v0 form (RFC 6824) with an address ID (Length 4) is accepted on parse
 * and reported with has_addr_id, so that an old peer's option is not lost; the writer writes it
 * only when has_addr_id is set. */
struct wire_mp_prio {
    bool backup;
    bool has_addr_id;
    uint8_t addr_id;
};

/* ---- MP_FAIL (3.7, Figure 16), MP_FASTCLOSE (3.5, Figure 14) ---- */

struct wire_mp_fail {
    uint64_t dsn;
};

struct wire_mp_fastclose {
    uint64_t rcv_key; /* the option receiver's key */
};

/* ---- MP_TCPRST (3.6, Figure 15) ---- */

#define WIRE_TCPRST_FLAG_U 0x8
#define WIRE_TCPRST_FLAG_V 0x4
#define WIRE_TCPRST_FLAG_W 0x2
#define WIRE_TCPRST_FLAG_T 0x1 /* transient */

enum wire_tcprst_reason {
    WIRE_TCPRST_UNSPECIFIED = 0x00,
    WIRE_TCPRST_MPTCP_ERROR = 0x01,
    WIRE_TCPRST_NO_RESOURCES = 0x02,
    WIRE_TCPRST_PROHIBITED = 0x03,
    WIRE_TCPRST_TOO_MUCH_DATA = 0x04,
    WIRE_TCPRST_BAD_PERFORMANCE = 0x05,
    WIRE_TCPRST_MIDDLEBOX = 0x06,
};

struct wire_mp_tcprst {
    uint8_t flags;  /* U V W T in the low 4 bits; U, V, W are reserved (receivers ignore) */
    uint8_t reason; /* enum wire_tcprst_reason or any other value */
};

/* ---- MP_EXPERIMENTAL (7.2): opaque ---- */

struct wire_mp_experimental {
    uint8_t nibble; /* low 4 bits of the subtype byte */
    uint8_t len;    /* bytes in data: Length - 3 */
    uint8_t data[WIRE_MPTCP_MAX_EXP_DATA];
};

struct wire_mptcp_opt {
    uint8_t subtype; /* enum wire_mptcp_subtype */
    union {
        struct wire_mp_capable mpc;
        struct wire_mp_join join;
        struct wire_dss dss;
        struct wire_add_addr add_addr;
        struct wire_remove_addr rm_addr;
        struct wire_mp_prio prio;
        struct wire_mp_fail fail;
        struct wire_mp_fastclose fastclose;
        struct wire_mp_tcprst tcprst;
        struct wire_mp_experimental exp;
    } u;
};

/* Parses one option (kind 30, length, ...) of at most len bytes. Returns the option's Length
 * (> 0) and fills *out, or a negative UMPTCP_ERR_* (see the top of this file). *out is always
 * cleared first; on BAD_VERSION and BAD_FLAGS it holds what was read. */
int wire_mptcp_parse(const uint8_t *opt, size_t len, struct wire_mptcp_opt *out);

/* Bytes the option takes on the wire (its Length), or UMPTCP_ERR_INVAL for a struct no option
 * can express (unknown subtype or form, address family, REMOVE_ADDR count, version > 15,
 * checksum without a mapping...). */
int wire_mptcp_size(const struct wire_mptcp_opt *o);

/* Writes the option into buf. Returns the bytes written, UMPTCP_ERR_NOSPACE when cap is too
 * small (nothing written), or UMPTCP_ERR_INVAL as wire_mptcp_size. Fields that the chosen
 * form does not carry are ignored. */
int wire_mptcp_write(const struct wire_mptcp_opt *o, uint8_t *buf, size_t cap);

/* True when both describe the same bytes on the wire: compares only the fields the subtype
 * and form carry (e.g. not the token of a JOIN ACK, not the high 32 bits of a 4-byte DSN). */
bool wire_mptcp_equal(const struct wire_mptcp_opt *a, const struct wire_mptcp_opt *b);

/* Name of a subtype ("MP_CAPABLE", "DSS", ...), "UNASSIGNED" for others. */
const char *wire_mptcp_subtype_name(unsigned subtype);

/* One line for logs and tools, e.g. "DSS ack=5 dsn=1000 ssn=1 len=100 csum=0xab12 fin".
 * Returns the length of the line, or UMPTCP_ERR_NOSPACE when it does not fit (buf then holds
 * a NUL-terminated prefix if cap > 0). WIRE_MPTCP_FORMAT_MAX always suffices. */
int wire_mptcp_format(const struct wire_mptcp_opt *o, char *buf, size_t cap);

struct wire_segment;
/* The first MPTCP option of this subtype that a parsed segment carries and that parses
 * cleanly, in *out. False when there is none. */
bool wire_mptcp_find(const struct wire_segment *seg, unsigned subtype, struct wire_mptcp_opt *out);
/* wire_mptcp_write for option planners: the bytes written, 0 when o does not fit in room (or
 * cannot be written). */
size_t wire_mptcp_put(const struct wire_mptcp_opt *o, uint8_t *buf, size_t room);

#endif
