/* Receive buffer with reassembly (see tcp_rcvbuf.h). Positions are measured as 32-bit
 * offsets from read_seq; every stored byte lies in [read_seq, read_seq + capacity) and the
 * capacity is at most 2^30, so offsets order exactly like the sequence numbers they stand for. */
#include "tcp/tcp_rcvbuf.h"

#include "tcp/tcp_seq.h"
#include "umptcp/error.h"

#include <stdlib.h>
#include <string.h>

#define RCVBUF_MIN_RING 4096

int tcp_rcvbuf_init(struct tcp_rcvbuf *rb, uint32_t rcv_nxt, const struct tcp_rcvbuf_config *cfg)
{
    if (rb == NULL || cfg == NULL)
        return UMPTCP_ERR_INVAL;
    size_t max_cap = cfg->max_capacity ? cfg->max_capacity : cfg->capacity;
    if (cfg->capacity == 0 || max_cap < cfg->capacity || max_cap > TCP_RCVBUF_MAX_CAPACITY)
        return UMPTCP_ERR_INVAL;
    memset(rb, 0, sizeof(*rb));
    rb->capacity = cfg->capacity;
    rb->max_capacity = max_cap;
    rb->max_intervals = cfg->max_intervals ? cfg->max_intervals : TCP_RCVBUF_DEFAULT_MAX_INTERVALS;
    rb->read_seq = rcv_nxt;
    rb->rcv_nxt = rcv_nxt;
    return UMPTCP_OK;
}

void tcp_rcvbuf_destroy(struct tcp_rcvbuf *rb)
{
    if (rb == NULL)
        return;
    free(rb->ring);
    free(rb->ivs);
    memset(rb, 0, sizeof(*rb));
}

int tcp_rcvbuf_reset_rcv_nxt(struct tcp_rcvbuf *rb, uint32_t rcv_nxt)
{
    if (tcp_rcvbuf_readable(rb) != 0 || rb->n_ivs != 0)
        return UMPTCP_ERR_STATE;
    rb->read_seq = rcv_nxt;
    rb->rcv_nxt = rcv_nxt;
    rb->head = 0;
    return UMPTCP_OK;
}

int tcp_rcvbuf_set_capacity(struct tcp_rcvbuf *rb, size_t capacity)
{
    if (capacity < rb->capacity || capacity > rb->max_capacity)
        return UMPTCP_ERR_INVAL;
    rb->capacity = capacity;
    return UMPTCP_OK;
}

static uint32_t off_of(const struct tcp_rcvbuf *rb, uint32_t seq)
{
    return seq - rb->read_seq;
}

/* Grows the ring so offsets [0, need) are addressable, keeping every byte at its offset.
 * Returns false (ring unchanged) when memory cannot be had. */
static bool ring_reserve(struct tcp_rcvbuf *rb, size_t need)
{
    if (need <= rb->ring_size)
        return true;
    size_t size = rb->ring_size ? rb->ring_size : RCVBUF_MIN_RING;
    while (size < need)
        size *= 2;
    if (size > rb->capacity)
        size = rb->capacity;
    uint8_t *ring = malloc(size);
    if (ring == NULL)
        return false;
    if (rb->ring_size > 0) {
        size_t first = rb->ring_size - rb->head;
        memcpy(ring, rb->ring + rb->head, first);
        memcpy(ring + first, rb->ring, rb->head);
    }
    free(rb->ring);
    rb->ring = ring;
    rb->ring_size = size;
    rb->head = 0;
    return true;
}

/* Copies n bytes to ring offset off (wrapping). */
static void ring_put(struct tcp_rcvbuf *rb, uint32_t off, const uint8_t *src, size_t n)
{
    size_t at = (rb->head + off) % rb->ring_size;
    size_t first = rb->ring_size - at;
    if (first > n)
        first = n;
    memcpy(rb->ring + at, src, first);
    memcpy(rb->ring, src + first, n - first);
}

/* Index of the first interval whose end reaches start (overlapping or adjacent). */
static size_t first_touching(const struct tcp_rcvbuf *rb, uint32_t start_off)
{
    size_t lo = 0, hi = rb->n_ivs;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (off_of(rb, rb->ivs[mid].end) < start_off)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* The parts of one segment after trimming, and what it touches. */
struct rcv_plan {
    uint32_t start, end;   /* in-window part [start, end) */
    size_t first, merged;  /* intervals [first, first + merged) overlap or touch it */
    uint32_t ustart, uend; /* union of the part and those intervals */
    size_t gap_bytes;      /* bytes not held yet */
};

static void plan_merge(const struct tcp_rcvbuf *rb, struct rcv_plan *p)
{
    uint32_t s = off_of(rb, p->start), e = off_of(rb, p->end);
    p->first = first_touching(rb, s);
    size_t j = p->first;
    while (j < rb->n_ivs && off_of(rb, rb->ivs[j].start) <= e)
        j++;
    p->merged = j - p->first;
    p->ustart = p->start;
    p->uend = p->end;
    p->gap_bytes = p->end - p->start;
    if (p->merged == 0)
        return;
    const struct tcp_rcvbuf_interval *a = &rb->ivs[p->first], *b = &rb->ivs[j - 1];
    if (off_of(rb, a->start) < s)
        p->ustart = a->start;
    if (off_of(rb, b->end) > e)
        p->uend = b->end;
    for (size_t k = p->first; k < j; k++) {
        uint32_t is = off_of(rb, rb->ivs[k].start), ie = off_of(rb, rb->ivs[k].end);
        uint32_t lo = is > s ? is : s, hi = ie < e ? ie : e;
        if (hi > lo)
            p->gap_bytes -= hi - lo;
    }
}

/* Writes the bytes of [start, end) that no interval holds yet; reports the first duplicate. */
static void store_gaps(struct tcp_rcvbuf *rb, const struct rcv_plan *p, uint32_t seq,
                       const uint8_t *data, struct tcp_rcvbuf_insert_result *res)
{
    uint32_t cur = off_of(rb, p->start), e = off_of(rb, p->end);
    uint32_t base = off_of(rb, seq); /* offset of data[0]; may be "negative" (wraps) */
    for (size_t k = p->first; k < p->first + p->merged && cur < e; k++) {
        uint32_t is = off_of(rb, rb->ivs[k].start), ie = off_of(rb, rb->ivs[k].end);
        if (is > cur) {
            uint32_t gend = is < e ? is : e;
            ring_put(rb, cur, data + (cur - base), gend - cur);
            cur = gend;
        }
        uint32_t dend = ie < e ? ie : e;
        if (dend > cur && !res->has_dsack) {
            res->has_dsack = true;
            res->dsack.left = rb->read_seq + cur;
            res->dsack.right = rb->read_seq + dend;
        }
        if (ie > cur)
            cur = ie;
    }
    if (cur < e)
        ring_put(rb, cur, data + (cur - base), e - cur);
}

static bool ivs_reserve(struct tcp_rcvbuf *rb, size_t n)
{
    if (n <= rb->ivs_alloc)
        return true;
    size_t alloc = rb->ivs_alloc ? rb->ivs_alloc * 2 : 8;
    if (alloc > rb->max_intervals)
        alloc = rb->max_intervals;
    struct tcp_rcvbuf_interval *ivs = realloc(rb->ivs, alloc * sizeof(*ivs));
    if (ivs == NULL)
        return false;
    rb->ivs = ivs;
    rb->ivs_alloc = alloc;
    return true;
}

static size_t iv_len(const struct tcp_rcvbuf_interval *iv)
{
    return (size_t)(iv->end - iv->start);
}

/* Replaces intervals [first, first + merged) by the union (or, when it starts at RCV.NXT,
 * removes them and advances RCV.NXT). */
static void apply_merge(struct tcp_rcvbuf *rb, const struct rcv_plan *p,
                        struct tcp_rcvbuf_insert_result *res)
{
    for (size_t k = p->first; k < p->first + p->merged; k++)
        rb->ooo_bytes -= iv_len(&rb->ivs[k]);
    size_t tail = rb->n_ivs - (p->first + p->merged);
    if (p->ustart == rb->rcv_nxt) {
        /* RFC 9293 3.10.7.4: in-order data advances RCV.NXT over any queued data it reaches. */
        if (p->merged > 0 && tail > 0)
            memmove(&rb->ivs[p->first], &rb->ivs[p->first + p->merged], tail * sizeof(rb->ivs[0]));
        rb->n_ivs -= p->merged;
        res->in_order = (size_t)(p->uend - rb->rcv_nxt);
        res->filled_gap = p->merged > 0;
        rb->rcv_nxt = p->uend;
        return;
    }
    if (p->merged == 0) {
        if (tail > 0)
            memmove(&rb->ivs[p->first + 1], &rb->ivs[p->first], tail * sizeof(rb->ivs[0]));
        rb->n_ivs++;
    } else if (p->merged > 1 && tail > 0) {
        memmove(&rb->ivs[p->first + 1], &rb->ivs[p->first + p->merged], tail * sizeof(rb->ivs[0]));
    }
    if (p->merged > 1)
        rb->n_ivs -= p->merged - 1;
    struct tcp_rcvbuf_interval *iv = &rb->ivs[p->first];
    iv->start = p->ustart;
    iv->end = p->uend;
    iv->stamp = ++rb->stamp; /* RFC 2018 4: this block now holds the latest segment */
    rb->ooo_bytes += iv_len(iv);
}

static void drop(struct tcp_rcvbuf_insert_result *res, uint64_t *counter, size_t n)
{
    res->dropped += n;
    *counter += n;
}

int tcp_rcvbuf_insert(struct tcp_rcvbuf *rb, uint32_t seq, const void *data, size_t len,
                      struct tcp_rcvbuf_insert_result *res)
{
    memset(res, 0, sizeof(*res));
    if (len >= ((size_t)1 << 31) || (data == NULL && len > 0))
        return UMPTCP_ERR_INVAL;
    if (len == 0)
        return UMPTCP_OK;
    struct rcv_plan p = {.start = seq, .end = seq + (uint32_t)len};
    res->out_of_order = tcp_seq_gt(seq, rb->rcv_nxt);
    /* Bytes below RCV.NXT were received already: the first duplicate (RFC 2883). */
    if (tcp_seq_lt(p.start, rb->rcv_nxt)) {
        uint32_t dup_end = tcp_seq_min(p.end, rb->rcv_nxt);
        res->has_dsack = true;
        res->dsack.left = p.start;
        res->dsack.right = dup_end;
        res->duplicate += dup_end - p.start;
        p.start = dup_end;
    }
    /* RFC 9293 3.10.7.4: bytes beyond the window are trimmed. */
    uint32_t edge = tcp_rcvbuf_right_edge(rb);
    if (tcp_seq_gt(p.end, edge)) {
        uint32_t from = tcp_seq_max(p.start, edge);
        drop(res, &rb->dropped_beyond_window, p.end - from);
        p.end = from;
    }
    if (tcp_seq_geq(p.start, p.end)) {
        rb->duplicate_bytes += res->duplicate;
        return UMPTCP_OK;
    }
    plan_merge(rb, &p);
    res->duplicate += (size_t)(p.end - p.start) - p.gap_bytes;
    rb->duplicate_bytes += res->duplicate;
    bool new_iv = p.merged == 0 && p.ustart != rb->rcv_nxt;
    if (new_iv && rb->n_ivs >= rb->max_intervals) {
        drop(res, &rb->dropped_interval_limit, p.gap_bytes);
        return UMPTCP_OK;
    }
    if (!ring_reserve(rb, off_of(rb, p.end)) || (new_iv && !ivs_reserve(rb, rb->n_ivs + 1))) {
        drop(res, &rb->dropped_nomem, p.gap_bytes);
        return UMPTCP_OK;
    }
    store_gaps(rb, &p, seq, data, res);
    res->stored = p.gap_bytes;
    apply_merge(rb, &p, res);
    return UMPTCP_OK;
}

int tcp_rcvbuf_peek(const struct tcp_rcvbuf *rb, struct tcp_rcvbuf_span spans[2])
{
    size_t n = tcp_rcvbuf_readable(rb);
    if (n == 0)
        return 0;
    size_t first = rb->ring_size - rb->head;
    if (first >= n) {
        spans[0] = (struct tcp_rcvbuf_span){rb->ring + rb->head, n};
        return 1;
    }
    spans[0] = (struct tcp_rcvbuf_span){rb->ring + rb->head, first};
    spans[1] = (struct tcp_rcvbuf_span){rb->ring, n - first};
    return 2;
}

int tcp_rcvbuf_consume(struct tcp_rcvbuf *rb, size_t n)
{
    if (n > tcp_rcvbuf_readable(rb))
        return UMPTCP_ERR_INVAL;
    if (n == 0)
        return UMPTCP_OK;
    rb->head = (rb->head + n) % rb->ring_size;
    rb->read_seq += (uint32_t)n;
    return UMPTCP_OK;
}

size_t tcp_rcvbuf_read(struct tcp_rcvbuf *rb, void *dst, size_t len)
{
    struct tcp_rcvbuf_span sp[2];
    int n = tcp_rcvbuf_peek(rb, sp);
    size_t done = 0;
    for (int i = 0; i < n && done < len; i++) {
        size_t k = sp[i].len < len - done ? sp[i].len : len - done;
        memcpy((uint8_t *)dst + done, sp[i].data, k);
        done += k;
    }
    tcp_rcvbuf_consume(rb, done);
    return done;
}

size_t tcp_rcvbuf_sack_blocks(const struct tcp_rcvbuf *rb, const struct wire_sack_block *dsack,
                              struct wire_sack_block *out, size_t max)
{
    size_t k = 0;
    if (dsack != NULL && max > 0)
        out[k++] = *dsack;
    /* Most recent first: repeatedly take the newest stamp below the previous one. Stamps are
     * unique, and the interval count is small (max_intervals). */
    uint64_t below = UINT64_MAX;
    while (k < max) {
        const struct tcp_rcvbuf_interval *best = NULL;
        for (size_t i = 0; i < rb->n_ivs; i++) {
            const struct tcp_rcvbuf_interval *iv = &rb->ivs[i];
            if (iv->stamp < below && (best == NULL || iv->stamp > best->stamp))
                best = iv;
        }
        if (best == NULL)
            break;
        out[k].left = best->start;
        out[k].right = best->end;
        k++;
        below = best->stamp;
    }
    return k;
}
