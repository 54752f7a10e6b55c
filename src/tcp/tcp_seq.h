/* 32-bit TCP sequence number arithmetic (RFC 9293 3.4): sequence numbers live in a circle of
 * 2^32, so "a before b" means the signed 32-bit distance b - a is positive. Every comparison of
 * sequence numbers in src/tcp goes through these helpers; never compare them with < directly.
 * Valid only when the two numbers are less than 2^31 apart (always true for data in one
 * window, as windows are at most 2^30 bytes, RFC 7323 2.3). */
#ifndef UMPTCP_TCP_TCP_SEQ_H
#define UMPTCP_TCP_TCP_SEQ_H

#include <stdbool.h>
#include <stdint.h>

/* Signed distance a - b: negative when a is before b. */
static inline int32_t tcp_seq_diff(uint32_t a, uint32_t b)
{
    /* Converting through the unsigned difference keeps this well defined for any inputs. */
    uint32_t d = a - b;
    return d <= INT32_MAX ? (int32_t)d : -(int32_t)(UINT32_MAX - d) - 1;
}

static inline bool tcp_seq_lt(uint32_t a, uint32_t b)
{
    return tcp_seq_diff(a, b) < 0;
}

static inline bool tcp_seq_leq(uint32_t a, uint32_t b)
{
    return tcp_seq_diff(a, b) <= 0;
}

static inline bool tcp_seq_gt(uint32_t a, uint32_t b)
{
    return tcp_seq_diff(a, b) > 0;
}

static inline bool tcp_seq_geq(uint32_t a, uint32_t b)
{
    return tcp_seq_diff(a, b) >= 0;
}

static inline uint32_t tcp_seq_max(uint32_t a, uint32_t b)
{
    return tcp_seq_gt(a, b) ? a : b;
}

static inline uint32_t tcp_seq_min(uint32_t a, uint32_t b)
{
    return tcp_seq_lt(a, b) ? a : b;
}

/* lo <= x <= hi in sequence space (RFC 9293 3.4 "=<" on both ends). Measured from lo, so it
 * is exact for any hi - lo < 2^32 even when the range is wider than 2^31. */
static inline bool tcp_seq_between(uint32_t lo, uint32_t x, uint32_t hi)
{
    return x - lo <= hi - lo;
}

/* lo <= x < hi: the half-open range [lo, hi). Empty when lo == hi. */
static inline bool tcp_seq_in_range(uint32_t x, uint32_t lo, uint32_t hi)
{
    return x - lo < hi - lo;
}

/* RFC 9293 3.4 receive test: RCV.NXT =< x < RCV.NXT + RCV.WND. A zero window holds nothing. */
static inline bool tcp_seq_in_window(uint32_t x, uint32_t start, uint32_t wnd)
{
    return x - start < wnd;
}

#endif
