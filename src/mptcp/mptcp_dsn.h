/* 64-bit data sequence numbers (RFC 8684 3.3.1), with the same API shape as tcp_seq.h.
 *
 * Why not a plain unsigned compare: the IDSN is the low 64 bits of SHA-256(key), i.e. uniformly
 * random, so a connection whose IDSN lies just below 2^64 wraps the data sequence space after a
 * few bytes. Every DSN comparison therefore measures a signed 64-bit distance, exactly like
 * TCP's 32-bit sequence numbers; it is exact whenever the two DSNs are less than 2^63 apart,
 * which always holds inside one connection.
 *
 * RFC 8684 3.3.1: a receiver MUST accept 32-bit DSNs and Data ACKs and promote them to 64 bits,
 * with a sanity check that a wrap of the low 32 bits happens at the expected time and is not
 * caused by reordering. mptcp_dsn_expand() does both at once: it picks the 64-bit value whose
 * low 32 bits are the ones received and that lies closest to a reference the caller knows to be
 * near (within 2^31). Which reference to use:
 *   - a 32-bit Data ACK: the connection's last sent DSN (SND.NXT at data level): a valid
 *     Data ACK lies in [SND.UNA, SND.NXT], which is less than 2^31 wide;
 *   - a 32-bit DSN in a received mapping: the data-level RCV.NXT (next expected DSN): a valid
 *     mapping lies in the receive window, which is less than 2^31 wide.
 * The caller then still applies its own acceptability test (e.g. an ACK above SND.NXT). */
#ifndef UMPTCP_MPTCP_MPTCP_DSN_H
#define UMPTCP_MPTCP_MPTCP_DSN_H

#include <stdbool.h>
#include <stdint.h>

/* Signed distance a - b: negative when a is before b. Well defined for any inputs. */
static inline int64_t mptcp_dsn_diff(uint64_t a, uint64_t b)
{
    uint64_t d = a - b;
    return d <= INT64_MAX ? (int64_t)d : -(int64_t)(UINT64_MAX - d) - 1;
}

static inline bool mptcp_dsn_lt(uint64_t a, uint64_t b)
{
    return mptcp_dsn_diff(a, b) < 0;
}

static inline bool mptcp_dsn_leq(uint64_t a, uint64_t b)
{
    return mptcp_dsn_diff(a, b) <= 0;
}

static inline bool mptcp_dsn_gt(uint64_t a, uint64_t b)
{
    return mptcp_dsn_diff(a, b) > 0;
}

static inline bool mptcp_dsn_geq(uint64_t a, uint64_t b)
{
    return mptcp_dsn_diff(a, b) >= 0;
}

static inline uint64_t mptcp_dsn_max(uint64_t a, uint64_t b)
{
    return mptcp_dsn_gt(a, b) ? a : b;
}

static inline uint64_t mptcp_dsn_min(uint64_t a, uint64_t b)
{
    return mptcp_dsn_lt(a, b) ? a : b;
}

/* lo <= x <= hi, measured from lo (exact for any hi - lo). */
static inline bool mptcp_dsn_between(uint64_t lo, uint64_t x, uint64_t hi)
{
    return x - lo <= hi - lo;
}

/* lo <= x < hi: the half-open range [lo, hi). Empty when lo == hi. */
static inline bool mptcp_dsn_in_range(uint64_t x, uint64_t lo, uint64_t hi)
{
    return x - lo < hi - lo;
}

/* start <= x < start + wnd (the connection-level receive window test). */
static inline bool mptcp_dsn_in_window(uint64_t x, uint64_t start, uint64_t wnd)
{
    return x - start < wnd;
}

/* The low 32 bits, as sent in a 32-bit DSN or Data ACK. */
static inline uint32_t mptcp_dsn_low32(uint64_t dsn)
{
    return (uint32_t)dsn;
}

/* RFC 8684 3.3.1: the 64-bit DSN with these low 32 bits that is closest to reference, i.e. in
 * [reference - 2^31, reference + 2^31). Wraps modulo 2^64 like every DSN. A jump of the low
 * bits from near 2^32 to near 0 therefore increments the upper half (forward wrap), while an
 * old value just below the wrap seen after it decrements it again (reordering, no wrap). */
static inline uint64_t mptcp_dsn_expand(uint64_t reference, uint32_t low32)
{
    uint32_t delta = low32 - (uint32_t)reference;
    /* delta read as a signed 32-bit distance, added modulo 2^64 (sign-extended). */
    uint64_t step = delta <= INT32_MAX ? (uint64_t)delta : (uint64_t)delta - ((uint64_t)1 << 32);
    return reference + step;
}

#endif
