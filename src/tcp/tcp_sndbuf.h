/* The send buffer of one TCP subflow: the bytes the application wrote that are not yet
 * cumulatively acknowledged, from SND.UNA on, addressed by 32-bit TCP sequence number and by a
 * 64-bit byte offset (offset 0 is the first byte ever written; MPTCP maps data-level sequence
 * numbers onto it). Sequence space only covers data: the engine accounts for SYN and FIN.
 *
 * Storage is a ring that grows geometrically on demand up to the capacity, so an idle
 * connection holds no memory and a 4+ MiB buffer costs one allocation per doubling. write,
 * peek and ack are O(1) apart from the memcpy of the written bytes. Sans-IO, no globals. */
#ifndef UMPTCP_TCP_TCP_SNDBUF_H
#define UMPTCP_TCP_TCP_SNDBUF_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* One contiguous run of buffered bytes, pointing into the ring (valid until the next write,
 * ack or capacity change). */
struct tcp_sndbuf_span {
    const uint8_t *data;
    size_t len;
};

struct tcp_sndbuf {
    uint8_t *ring;    /* storage, ring_size bytes (NULL while nothing was ever buffered) */
    size_t ring_size; /* allocated bytes, <= capacity (grows on demand) */
    size_t head;      /* ring index of the byte at SND.UNA */
    size_t used;      /* bytes buffered: SND.UNA .. end */
    size_t capacity;  /* limit on used (changeable with tcp_sndbuf_set_capacity) */
    uint32_t una_seq; /* sequence number of the first buffered byte (SND.UNA) */
    uint64_t una_off; /* byte offset of the first buffered byte */
};

/* Initialises an empty buffer whose first written byte gets sequence number first_seq (ISS + 1)
 * and offset 0. Allocates nothing. capacity must be 1 .. 2^30 (largest TCP window,
 * RFC 7323 2.3): otherwise UMPTCP_ERR_INVAL. */
int tcp_sndbuf_init(struct tcp_sndbuf *sb, uint32_t first_seq, size_t capacity);
/* Frees the storage; the struct may be re-initialised afterwards. */
void tcp_sndbuf_destroy(struct tcp_sndbuf *sb);

/* Changes the capacity (auto-tuning). Any value from the bytes currently buffered up to 2^30
 * is accepted; below the buffered bytes -> UMPTCP_ERR_INVAL. Storage is not reallocated here. */
int tcp_sndbuf_set_capacity(struct tcp_sndbuf *sb, size_t capacity);

/* Appends up to len bytes, at most the free space. Returns the count accepted (0 when full:
 * back-pressure), or UMPTCP_ERR_NOMEM when the storage had to grow, could not, and no byte fit
 * in the storage already held (the buffer is unchanged then). When growth fails but some bytes
 * fit, those are accepted and their count returned. */
ssize_t tcp_sndbuf_write(struct tcp_sndbuf *sb, const void *data, size_t len);

/* Zero-copy view of the bytes [seq, seq + len) for a (re)transmission: fills up to two spans
 * (the ring may wrap) and returns how many (0, 1 or 2). len is clamped to the buffered end, so
 * the spans may total less than len. seq outside [SND.UNA, end] -> UMPTCP_ERR_INVAL. */
int tcp_sndbuf_peek(const struct tcp_sndbuf *sb, uint32_t seq, size_t len,
                    struct tcp_sndbuf_span spans[2]);
/* Copying variant: copies the same bytes to dst; returns the count copied (clamped as peek)
 * or UMPTCP_ERR_INVAL. */
ssize_t tcp_sndbuf_copy(const struct tcp_sndbuf *sb, uint32_t seq, size_t len, void *dst);

/* Frees the bytes before new_una (a cumulative ACK). new_una must be in [SND.UNA, end]:
 * an ACK for bytes never written (past the end) or an old ACK -> UMPTCP_ERR_INVAL and nothing
 * changes. Returns the count of bytes freed (0 for a duplicate ACK). */
ssize_t tcp_sndbuf_ack(struct tcp_sndbuf *sb, uint32_t new_una);

/* SND.UNA: the first buffered (unacknowledged) byte. */
static inline uint32_t tcp_sndbuf_una(const struct tcp_sndbuf *sb)
{
    return sb->una_seq;
}
/* Sequence number after the last written byte (the next byte write will add). */
static inline uint32_t tcp_sndbuf_end_seq(const struct tcp_sndbuf *sb)
{
    return sb->una_seq + (uint32_t)sb->used;
}
/* Byte offset of SND.UNA / of the end. */
static inline uint64_t tcp_sndbuf_una_offset(const struct tcp_sndbuf *sb)
{
    return sb->una_off;
}
static inline uint64_t tcp_sndbuf_end_offset(const struct tcp_sndbuf *sb)
{
    return sb->una_off + sb->used;
}
static inline size_t tcp_sndbuf_used(const struct tcp_sndbuf *sb)
{
    return sb->used;
}
static inline size_t tcp_sndbuf_capacity(const struct tcp_sndbuf *sb)
{
    return sb->capacity;
}
static inline size_t tcp_sndbuf_free_space(const struct tcp_sndbuf *sb)
{
    return sb->capacity - sb->used;
}

/* Maps a buffered sequence number in [SND.UNA, end] to its byte offset (and back for an offset
 * in [una offset, end offset]). Out of range -> UMPTCP_ERR_INVAL. */
int tcp_sndbuf_seq_to_offset(const struct tcp_sndbuf *sb, uint32_t seq, uint64_t *off);
int tcp_sndbuf_offset_to_seq(const struct tcp_sndbuf *sb, uint64_t off, uint32_t *seq);

#endif
