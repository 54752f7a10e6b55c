/* Send buffer: a ring that grows on demand up to the capacity (see tcp_sndbuf.h). */
#include "tcp/tcp_sndbuf.h"

#include "tcp/tcp_seq.h"
#include "umptcp/error.h"

#include <stdlib.h>
#include <string.h>

#define SNDBUF_MAX_CAPACITY ((size_t)1 << 30)
#define SNDBUF_MIN_RING 4096

int tcp_sndbuf_init(struct tcp_sndbuf *sb, uint32_t first_seq, size_t capacity)
{
    if (sb == NULL || capacity == 0 || capacity > SNDBUF_MAX_CAPACITY)
        return UMPTCP_ERR_INVAL;
    memset(sb, 0, sizeof(*sb));
    sb->capacity = capacity;
    sb->una_seq = first_seq;
    return UMPTCP_OK;
}

void tcp_sndbuf_destroy(struct tcp_sndbuf *sb)
{
    if (sb == NULL)
        return;
    free(sb->ring);
    memset(sb, 0, sizeof(*sb));
}

int tcp_sndbuf_set_capacity(struct tcp_sndbuf *sb, size_t capacity)
{
    if (capacity == 0 || capacity < sb->used || capacity > SNDBUF_MAX_CAPACITY)
        return UMPTCP_ERR_INVAL;
    sb->capacity = capacity;
    return UMPTCP_OK;
}

/* Copies n bytes starting at ring index `from` (wrapping) to dst. */
static void ring_read(const struct tcp_sndbuf *sb, size_t from, uint8_t *dst, size_t n)
{
    size_t first = sb->ring_size - from;
    if (first > n)
        first = n;
    memcpy(dst, sb->ring + from, first);
    memcpy(dst + first, sb->ring, n - first);
}

static void ring_write(struct tcp_sndbuf *sb, size_t at, const uint8_t *src, size_t n)
{
    size_t first = sb->ring_size - at;
    if (first > n)
        first = n;
    memcpy(sb->ring + at, src, first);
    memcpy(sb->ring, src + first, n - first);
}

/* Grows the ring to hold at least `need` bytes (never past the capacity), linearising the
 * content. Returns false (ring unchanged) when memory cannot be had. */
static bool ring_grow(struct tcp_sndbuf *sb, size_t need)
{
    size_t size = sb->ring_size ? sb->ring_size : SNDBUF_MIN_RING;
    while (size < need)
        size *= 2;
    if (size > sb->capacity)
        size = sb->capacity;
    if (size <= sb->ring_size)
        return false;
    uint8_t *ring = malloc(size);
    if (ring == NULL)
        return false;
    if (sb->used > 0)
        ring_read(sb, sb->head, ring, sb->used);
    free(sb->ring);
    sb->ring = ring;
    sb->ring_size = size;
    sb->head = 0;
    return true;
}

ssize_t tcp_sndbuf_write(struct tcp_sndbuf *sb, const void *data, size_t len)
{
    size_t n = tcp_sndbuf_free_space(sb);
    if (n > len)
        n = len;
    if (n == 0)
        return 0;
    if (data == NULL)
        return UMPTCP_ERR_INVAL;
    if (sb->used + n > sb->ring_size && !ring_grow(sb, sb->used + n)) {
        /* Could not grow: accept what still fits in the storage we have. */
        n = sb->ring_size - sb->used;
        if (n == 0)
            return UMPTCP_ERR_NOMEM;
    }
    size_t tail = (sb->head + sb->used) % sb->ring_size;
    ring_write(sb, tail, data, n);
    sb->used += n;
    return (ssize_t)n;
}

/* Offset of seq from SND.UNA when seq is in [SND.UNA, end]; false otherwise. */
static bool seq_offset(const struct tcp_sndbuf *sb, uint32_t seq, size_t *off)
{
    if (!tcp_seq_between(sb->una_seq, seq, tcp_sndbuf_end_seq(sb)))
        return false;
    *off = (size_t)(seq - sb->una_seq);
    return true;
}

int tcp_sndbuf_peek(const struct tcp_sndbuf *sb, uint32_t seq, size_t len,
                    struct tcp_sndbuf_span spans[2])
{
    size_t off;
    if (!seq_offset(sb, seq, &off))
        return UMPTCP_ERR_INVAL;
    if (len > sb->used - off)
        len = sb->used - off;
    if (len == 0)
        return 0;
    size_t at = (sb->head + off) % sb->ring_size;
    size_t first = sb->ring_size - at;
    if (first >= len) {
        spans[0] = (struct tcp_sndbuf_span){sb->ring + at, len};
        return 1;
    }
    spans[0] = (struct tcp_sndbuf_span){sb->ring + at, first};
    spans[1] = (struct tcp_sndbuf_span){sb->ring, len - first};
    return 2;
}

ssize_t tcp_sndbuf_copy(const struct tcp_sndbuf *sb, uint32_t seq, size_t len, void *dst)
{
    size_t off;
    if (!seq_offset(sb, seq, &off))
        return UMPTCP_ERR_INVAL;
    if (len > sb->used - off)
        len = sb->used - off;
    if (len > 0)
        ring_read(sb, (sb->head + off) % sb->ring_size, dst, len);
    return (ssize_t)len;
}

ssize_t tcp_sndbuf_ack(struct tcp_sndbuf *sb, uint32_t new_una)
{
    size_t n;
    if (!seq_offset(sb, new_una, &n))
        return UMPTCP_ERR_INVAL;
    if (n == 0)
        return 0;
    sb->used -= n;
    sb->head = sb->used == 0 ? 0 : (sb->head + n) % sb->ring_size;
    sb->una_seq = new_una;
    sb->una_off += n;
    return (ssize_t)n;
}

int tcp_sndbuf_seq_to_offset(const struct tcp_sndbuf *sb, uint32_t seq, uint64_t *off)
{
    size_t d;
    if (!seq_offset(sb, seq, &d))
        return UMPTCP_ERR_INVAL;
    *off = sb->una_off + d;
    return UMPTCP_OK;
}

int tcp_sndbuf_offset_to_seq(const struct tcp_sndbuf *sb, uint64_t off, uint32_t *seq)
{
    if (off < sb->una_off || off - sb->una_off > sb->used)
        return UMPTCP_ERR_INVAL;
    *seq = sb->una_seq + (uint32_t)(off - sb->una_off);
    return UMPTCP_OK;
}
