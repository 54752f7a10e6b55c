/* The receive buffer of one TCP subflow, with reassembly (RFC 9293 3.10.7.4, RFC 2018,
 * RFC 2883). One ring of `capacity` bytes is indexed by sequence number from the first unread
 * byte (read_seq): in-order bytes [read_seq, RCV.NXT) wait for the application, and
 * out-of-order bytes are stored at their place in [RCV.NXT, read_seq + capacity), described by a
 * sorted set of non-overlapping intervals. So in-order and out-of-order data share ONE bound.
 *
 * Window: tcp_rcvbuf_window() = capacity - (RCV.NXT - read_seq), the room from RCV.NXT to the
 * right edge read_seq + capacity. Out-of-order data lies inside that window and does not
 * reduce it: the space for it was already offered. The right edge only moves right (reads,
 * capacity growth), so a window computed from it never shrinks (RFC 9293 3.8.6.2.2 / 3.10.7.4);
 * scaling, receiver-side SWS avoidance and keeping the advertised edge are the engine's job.
 *
 * Storage grows on demand up to the capacity; the interval array is bounded by max_intervals.
 * Sans-IO, no globals, every allocation failure reported with the buffer unchanged. */
#ifndef UMPTCP_TCP_TCP_RCVBUF_H
#define UMPTCP_TCP_TCP_RCVBUF_H

#include "wire/tcp_opt.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TCP_RCVBUF_MAX_CAPACITY (1u << 30) /* largest window with scale 14, RFC 7323 2.3 */
#define TCP_RCVBUF_DEFAULT_MAX_INTERVALS 64

/* One out-of-order run [start, end) of received bytes above RCV.NXT. */
struct tcp_rcvbuf_interval {
    uint32_t start, end;
    uint64_t stamp; /* insert counter when a segment last landed in it (SACK recency) */
};

struct tcp_rcvbuf_config {
    size_t capacity;      /* initial capacity in bytes, 1 .. max_capacity */
    size_t max_capacity;  /* auto-tuning limit, <= TCP_RCVBUF_MAX_CAPACITY; 0 = capacity */
    size_t max_intervals; /* out-of-order intervals kept; 0 = TCP_RCVBUF_DEFAULT_MAX_INTERVALS */
};

struct tcp_rcvbuf {
    uint8_t *ring;    /* storage (NULL until needed) */
    size_t ring_size; /* allocated bytes, <= capacity */
    size_t head;      /* ring index of read_seq */
    size_t capacity, max_capacity;
    uint32_t read_seq;               /* first byte the application has not read */
    uint32_t rcv_nxt;                /* RCV.NXT: first byte not yet received in order */
    struct tcp_rcvbuf_interval *ivs; /* sorted by start, non-overlapping, non-adjacent */
    size_t n_ivs, ivs_alloc, max_intervals;
    size_t ooo_bytes; /* bytes held in the intervals */
    uint64_t stamp;   /* insert counter */
    /* Lifetime counters. */
    uint64_t dropped_beyond_window;  /* bytes beyond the right edge, dropped */
    uint64_t dropped_interval_limit; /* bytes dropped because max_intervals was reached */
    uint64_t dropped_nomem;          /* bytes dropped because storage could not grow */
    uint64_t duplicate_bytes;        /* bytes received again */
};

/* What one insert did. */
struct tcp_rcvbuf_insert_result {
    size_t in_order;   /* bytes that became readable (RCV.NXT advance), including older
                          out-of-order data this segment connected */
    size_t stored;     /* bytes of this segment newly stored (in order or not) */
    size_t duplicate;  /* bytes of this segment already received */
    size_t dropped;    /* bytes of this segment dropped: beyond window, interval limit, or
                          no memory (the counters above tell which) */
    bool out_of_order; /* the segment started above RCV.NXT: RFC 5681 4.2 says ACK now */
    bool filled_gap;   /* it advanced RCV.NXT into earlier out-of-order data (ACK now) */
    bool has_dsack;    /* RFC 2883: dsack is the first duplicate range of this segment */
    struct wire_sack_block dsack;
};

/* Initialises an empty buffer expecting rcv_nxt (IRS + 1) next. Allocates nothing.
 * Bad config -> UMPTCP_ERR_INVAL. */
int tcp_rcvbuf_init(struct tcp_rcvbuf *rb, uint32_t rcv_nxt, const struct tcp_rcvbuf_config *cfg);
void tcp_rcvbuf_destroy(struct tcp_rcvbuf *rb);

/* Sets RCV.NXT (and the read position) once the peer's SYN told IRS: rcv_nxt = IRS + 1.
 * Only while the buffer holds nothing (readable or out of order): else UMPTCP_ERR_STATE. */
int tcp_rcvbuf_reset_rcv_nxt(struct tcp_rcvbuf *rb, uint32_t rcv_nxt);

/* Grows the capacity (auto-tuning) up to max_capacity. Shrinking or going past the maximum
 * -> UMPTCP_ERR_INVAL (shrinking would retract the advertised right edge). */
int tcp_rcvbuf_set_capacity(struct tcp_rcvbuf *rb, size_t capacity);

/* Stores the segment payload [seq, seq + len) as received (after the RFC 9293 3.10.7.4
 * acceptability test, without trimming old bytes, so duplicates can be reported): old bytes
 * below RCV.NXT and bytes already held out of order are duplicates (the first such range is
 * the DSACK block); bytes past the right edge are dropped and counted; the rest is stored, new
 * intervals beyond max_intervals are dropped (the newest loses) and counted. Returns 0 (res
 * filled), or UMPTCP_ERR_INVAL for len >= 2^31 or NULL data with len > 0. An allocation
 * failure is not an error: the bytes that could not be stored are counted as dropped. */
int tcp_rcvbuf_insert(struct tcp_rcvbuf *rb, uint32_t seq, const void *data, size_t len,
                      struct tcp_rcvbuf_insert_result *res);

/* Copies up to len in-order bytes to dst and frees their space (the right edge moves right).
 * Returns the count copied. */
size_t tcp_rcvbuf_read(struct tcp_rcvbuf *rb, void *dst, size_t len);
/* Zero-copy read: up to two spans of the readable bytes (returns 0..2), then consume n. */
struct tcp_rcvbuf_span {
    const uint8_t *data;
    size_t len;
};
int tcp_rcvbuf_peek(const struct tcp_rcvbuf *rb, struct tcp_rcvbuf_span spans[2]);
/* Frees the first n readable bytes; n > readable -> UMPTCP_ERR_INVAL. */
int tcp_rcvbuf_consume(struct tcp_rcvbuf *rb, size_t n);

/* RFC 2018 4: the SACK blocks to send, at most max, most recent first: block 1 holds the
 * segment received last, then the other intervals in the order they last received data
 * (a duplicate inside an interval counts, RFC 2883 4: the block after a DSACK is the one
 * containing it). When dsack is not NULL it goes first (RFC 2883) and the remaining slots carry
 * the SACK blocks. Returns the count written. */
size_t tcp_rcvbuf_sack_blocks(const struct tcp_rcvbuf *rb, const struct wire_sack_block *dsack,
                              struct wire_sack_block *out, size_t max);

static inline uint32_t tcp_rcvbuf_rcv_nxt(const struct tcp_rcvbuf *rb)
{
    return rb->rcv_nxt;
}
/* In-order bytes waiting for the application. */
static inline size_t tcp_rcvbuf_readable(const struct tcp_rcvbuf *rb)
{
    return (size_t)(rb->rcv_nxt - rb->read_seq);
}
/* The receive window offered from RCV.NXT (see the top of this file). */
static inline size_t tcp_rcvbuf_window(const struct tcp_rcvbuf *rb)
{
    return rb->capacity - tcp_rcvbuf_readable(rb);
}
/* read_seq + capacity: the first sequence number that does not fit. */
static inline uint32_t tcp_rcvbuf_right_edge(const struct tcp_rcvbuf *rb)
{
    return rb->read_seq + (uint32_t)rb->capacity;
}
static inline size_t tcp_rcvbuf_ooo_bytes(const struct tcp_rcvbuf *rb)
{
    return rb->ooo_bytes;
}
static inline size_t tcp_rcvbuf_ooo_count(const struct tcp_rcvbuf *rb)
{
    return rb->n_ivs;
}
static inline size_t tcp_rcvbuf_capacity(const struct tcp_rcvbuf *rb)
{
    return rb->capacity;
}

#endif
