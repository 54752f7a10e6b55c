/* Receive and send DSS mapping lists of one subflow (RFC 8684 3.3.1). See mptcp_map.h. */
#include "mptcp/mptcp_map.h"

#include "crypto/mptcp_crypto.h"
#include "tcp/tcp_seq.h"
#include "umptcp/error.h"
#include "util/bytes.h"
#include "wire/checksum.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#define MAP_RING_MIN 16

/* ---- shared ring storage ----------------------------------------------------------------- */

/* Doubles a ring of elem-sized entries (or allocates the first one), copying the live entries
 * to the front of the new ring. On failure the ring is unchanged. */
static int map_ring_grow(void **ring, size_t *cap, size_t *head, size_t count, size_t elem)
{
    size_t ncap = *cap ? *cap * 2 : MAP_RING_MIN;
    uint8_t *nr = calloc(ncap, elem);
    if (nr == NULL)
        return UMPTCP_ERR_NOMEM;
    const uint8_t *old = *ring;
    for (size_t i = 0; i < count; i++)
        memcpy(nr + i * elem, old + ((*head + i) & (*cap - 1)) * elem, elem);
    free(*ring);
    *ring = nr;
    *cap = ncap;
    *head = 0;
    return UMPTCP_OK;
}

static int map_check_max(size_t *max_maps)
{
    if (*max_maps == 0)
        *max_maps = MPTCP_MAP_DEFAULT_MAX;
    return *max_maps <= MPTCP_MAP_MAX_LIMIT ? UMPTCP_OK : UMPTCP_ERR_INVAL;
}

/* ---- receive side: positions ------------------------------------------------------------- */

/* Positions are signed distances from the consumption point, so the 32-bit SSN wrap does not
 * matter; an infinite mapping ends at INT64_MAX. */
static struct mptcp_rmap_entry *rmap_at(const struct mptcp_rmap *m, size_t i)
{
    return &m->ring[(m->head + i) & (m->cap - 1)];
}

static int64_t rmap_pos(const struct mptcp_rmap *m, uint32_t ssn)
{
    return tcp_seq_diff(ssn, m->consumed);
}

static int64_t rmap_start(const struct mptcp_rmap *m, const struct mptcp_rmap_entry *e)
{
    return rmap_pos(m, e->map.ssn);
}

static int64_t rmap_end(const struct mptcp_rmap *m, const struct mptcp_rmap_entry *e)
{
    return e->infinite ? INT64_MAX : rmap_start(m, e) + e->sublen;
}

/* Index of the first entry starting after pos (entries are sorted by start). */
static size_t rmap_upper_bound(const struct mptcp_rmap *m, int64_t pos)
{
    size_t lo = 0, hi = m->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (rmap_start(m, rmap_at(m, mid)) <= pos)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* The entry covering pos, or NULL. */
static struct mptcp_rmap_entry *rmap_covering(const struct mptcp_rmap *m, int64_t pos)
{
    size_t i = rmap_upper_bound(m, pos);
    if (i == 0)
        return NULL;
    struct mptcp_rmap_entry *e = rmap_at(m, i - 1);
    return pos < rmap_end(m, e) ? e : NULL;
}

/* ---- receive side: API ------------------------------------------------------------------- */

int mptcp_rmap_init(struct mptcp_rmap *m, uint32_t first_ssn, size_t max_maps)
{
    if (m == NULL || map_check_max(&max_maps) != UMPTCP_OK)
        return UMPTCP_ERR_INVAL;
    memset(m, 0, sizeof(*m));
    m->max_maps = max_maps;
    m->consumed = first_ssn;
    m->csum_cursor = first_ssn;
    return UMPTCP_OK;
}

void mptcp_rmap_destroy(struct mptcp_rmap *m)
{
    if (m == NULL)
        return;
    free(m->ring);
    m->ring = NULL;
    m->cap = m->head = m->count = 0;
}

/* RFC 8684 3.3.1: a repeat must declare exactly the same mapping. The infinite mapping is
 * rebased as it is consumed, so a repeat of it must map SSN to DSN the same way. */
static bool rmap_same(const struct mptcp_rmap_entry *e, const struct mptcp_map_dss *n)
{
    if (e->infinite)
        return n->dll == 0 &&
               n->dsn - e->map.dsn == (uint64_t)(int64_t)tcp_seq_diff(n->ssn, e->map.ssn);
    return n->dll != 0 && n->ssn == e->map.ssn && n->dsn == e->map.dsn && n->dll == e->map.dll &&
           n->data_fin == e->map.data_fin && n->has_csum == e->map.has_csum &&
           (!n->has_csum || n->csum == e->map.csum);
}

/* The first subflow byte at or after the consumption point that no stored mapping covers. */
static int64_t rmap_first_gap(const struct mptcp_rmap *m)
{
    int64_t pos = 0;
    for (size_t i = 0; i < m->count; i++) {
        const struct mptcp_rmap_entry *e = rmap_at(m, i);
        if (rmap_start(m, e) > pos)
            break;
        pos = rmap_end(m, e);
    }
    return pos;
}

static int rmap_insert(struct mptcp_rmap *m, size_t idx, const struct mptcp_rmap_entry *ne)
{
    /* One slot beyond the bound is kept for the mapping the consumer needs next (the one
     * starting at the first unmapped byte): mappings of out-of-order data must not be able to
     * block the one that lets delivery, and so freeing, proceed. */
    if (m->count >= m->max_maps &&
        (m->count > m->max_maps || rmap_start(m, ne) != rmap_first_gap(m)))
        return UMPTCP_ERR_NOMEM;
    if (m->count == m->cap) {
        void *ring = m->ring;
        int rc = map_ring_grow(&ring, &m->cap, &m->head, m->count, sizeof(*m->ring));
        if (rc != UMPTCP_OK)
            return rc;
        m->ring = ring;
    }
    for (size_t k = m->count; k > idx; k--)
        *rmap_at(m, k) = *rmap_at(m, k - 1);
    *rmap_at(m, idx) = *ne;
    m->count++;
    return UMPTCP_OK;
}

int mptcp_rmap_add(struct mptcp_rmap *m, const struct mptcp_map_dss *map)
{
    if (m == NULL || map == NULL)
        return UMPTCP_ERR_INVAL;
    struct mptcp_rmap_entry ne = {.map = *map, .infinite = map->dll == 0};
    if (ne.infinite) {
        /* RFC 8684 3.3.1/3.7: DLL 0 is the infinite mapping; a DATA_FIN cannot end it. */
        if (map->data_fin) {
            m->conflicts++;
            return UMPTCP_ERR_PROTO;
        }
        ne.map.has_csum = false;
        ne.map.csum = 0;
    }
    ne.sublen = mptcp_map_sublen(map);
    if (!ne.infinite && ne.sublen == 0)
        return MPTCP_RMAP_EMPTY; /* RFC 8684 3.3.3: DATA_FIN alone */
    ne.csum_state = ne.map.has_csum ? MPTCP_RMAP_CSUM_PENDING : MPTCP_RMAP_CSUM_NONE;

    int64_t start = rmap_pos(m, map->ssn);
    int64_t end = rmap_end(m, &ne);
    if (end <= 0) {
        m->stale++;
        return MPTCP_RMAP_STALE;
    }
    /* Overlapping entries: those starting before end whose own end lies after start. */
    size_t idx = rmap_upper_bound(m, start);
    size_t overlaps = 0;
    const struct mptcp_rmap_entry *hit = NULL;
    if (idx > 0 && rmap_end(m, rmap_at(m, idx - 1)) > start) {
        hit = rmap_at(m, idx - 1);
        overlaps++;
    }
    if (idx < m->count && rmap_start(m, rmap_at(m, idx)) < end) {
        hit = hit ? hit : rmap_at(m, idx);
        overlaps++;
    }
    if (overlaps == 1 && rmap_same(hit, map)) {
        m->duplicates++;
        return MPTCP_RMAP_DUPLICATE;
    }
    /* RFC 8684 3.3.1: a declared mapping must not change. Bytes below the consumption point
     * were mapped by mappings already dropped, so one that straddles it with nothing stored
     * there is a change too. */
    if (overlaps > 0 || start < 0) {
        m->conflicts++;
        return UMPTCP_ERR_PROTO;
    }
    int rc = rmap_insert(m, idx, &ne);
    return rc == UMPTCP_OK ? MPTCP_RMAP_ADDED : rc;
}

int mptcp_rmap_lookup(const struct mptcp_rmap *m, uint32_t ssn, size_t avail,
                      struct mptcp_rmap_chunk *out)
{
    if (m == NULL || out == NULL)
        return UMPTCP_ERR_INVAL;
    int64_t pos = rmap_pos(m, ssn);
    if (pos < 0)
        return UMPTCP_ERR_INVAL;
    const struct mptcp_rmap_entry *e = rmap_covering(m, pos);
    if (e == NULL)
        return UMPTCP_ERR_AGAIN;
    int64_t into = pos - rmap_start(m, e);
    memset(out, 0, sizeof(*out));
    out->dsn = e->map.dsn + (uint64_t)into;
    out->map_dsn = e->map.dsn;
    out->map_ssn = e->map.ssn;
    out->infinite = e->infinite;
    out->data_fin_at_end = e->map.data_fin;
    out->csum = (enum mptcp_rmap_csum_state)e->csum_state;
    out->map_left = e->infinite ? SIZE_MAX : (size_t)(e->sublen - (uint64_t)into);
    out->len = avail < out->map_left ? avail : out->map_left;
    return UMPTCP_OK;
}

/* Walks len bytes from the consumption point over the stored mappings; with apply false it
 * only checks that every byte is mapped and deliverable. */
static int rmap_walk_consume(struct mptcp_rmap *m, size_t len, bool apply)
{
    size_t i = 0;
    int64_t pos = 0;
    while ((uint64_t)pos < len) {
        if (i >= m->count)
            return UMPTCP_ERR_STATE;
        struct mptcp_rmap_entry *e = rmap_at(m, i);
        if (rmap_start(m, e) > pos)
            return UMPTCP_ERR_STATE; /* unmapped gap */
        if (e->csum_state == MPTCP_RMAP_CSUM_PENDING || e->csum_state == MPTCP_RMAP_CSUM_FAIL)
            return UMPTCP_ERR_STATE;
        int64_t end = rmap_end(m, e);
        if (end > (int64_t)len)
            break; /* the last entry touched stays */
        pos = end;
        i++;
    }
    if (!apply)
        return UMPTCP_OK;
    /* Drop the i wholly consumed entries, advance, rebase a partly consumed infinite one. */
    m->head = m->count ? (m->head + i) & (m->cap - 1) : 0;
    m->count -= i;
    uint32_t old = m->consumed;
    m->consumed = old + (uint32_t)len;
    if (m->count > 0 && rmap_at(m, 0)->infinite &&
        tcp_seq_lt(rmap_at(m, 0)->map.ssn, m->consumed)) {
        struct mptcp_rmap_entry *e = rmap_at(m, 0);
        uint32_t delta = m->consumed - e->map.ssn;
        e->map.ssn += delta;
        e->map.dsn += delta;
    }
    if (tcp_seq_lt(m->csum_cursor, m->consumed))
        m->csum_cursor = m->consumed;
    return UMPTCP_OK;
}

int mptcp_rmap_consume(struct mptcp_rmap *m, size_t len)
{
    if (m == NULL || len > INT32_MAX)
        return UMPTCP_ERR_INVAL;
    int rc = rmap_walk_consume(m, len, false);
    if (rc == UMPTCP_OK)
        rc = rmap_walk_consume(m, len, true);
    return rc;
}

/* RFC 8684 3.3.1: the checksum over the pseudo-header (with the received checksum in place of
 * the zeros) and the payload folds to zero when the data is intact. */
static void rmap_csum_verdict(struct mptcp_rmap *m, struct mptcp_rmap_entry *e)
{
    uint8_t c[2];
    be16_put(c, e->map.csum);
    uint32_t sum = wire_csum_add(e->csum_sum, c, sizeof(c));
    uint16_t r = mptcp_crypto_dss_csum_with_payload_sum(e->map.dsn, e->map.ssn, e->map.dll, sum);
    e->csum_state = r == 0 ? MPTCP_RMAP_CSUM_PASS : MPTCP_RMAP_CSUM_FAIL;
    if (r != 0)
        m->csum_failures++;
}

int mptcp_rmap_csum_feed(struct mptcp_rmap *m, uint32_t ssn, const void *data, size_t len)
{
    if (m == NULL || (data == NULL && len > 0) || len > INT32_MAX)
        return UMPTCP_ERR_INVAL;
    int32_t d = tcp_seq_diff(ssn, m->csum_cursor);
    if (d > 0)
        return UMPTCP_ERR_INVAL; /* a gap: bytes must come in order */
    size_t skip = (size_t)(-(int64_t)d);
    if (skip >= len)
        return 0;
    const uint8_t *p = (const uint8_t *)data + skip;
    size_t left = len - skip, done = 0;
    while (left > 0) {
        int64_t pos = rmap_pos(m, m->csum_cursor);
        struct mptcp_rmap_entry *e = rmap_covering(m, pos);
        if (e == NULL)
            break; /* no mapping yet: feed these again later */
        size_t take = left;
        if (!e->infinite) {
            size_t in_map = (size_t)(rmap_end(m, e) - pos);
            take = take < in_map ? take : in_map;
        }
        if (e->csum_state == MPTCP_RMAP_CSUM_PENDING) {
            e->csum_sum = wire_csum_add_at(e->csum_sum, p, take, e->csum_fed);
            e->csum_fed += (uint32_t)take;
            if (e->csum_fed == e->sublen)
                rmap_csum_verdict(m, e);
        }
        m->csum_cursor += (uint32_t)take;
        p += take;
        left -= take;
        done += take;
    }
    return (int)done;
}

bool mptcp_map_covers_segment(const struct mptcp_map_dss *map, uint32_t seg_ssn, uint32_t seg_len)
{
    if (map == NULL)
        return false;
    if (map->dll == 0)
        return tcp_seq_leq(map->ssn, seg_ssn + seg_len);
    uint32_t sublen = mptcp_map_sublen(map);
    if (sublen == 0)
        return map->ssn == 0; /* RFC 8684 3.3.3: DATA_FIN alone uses SSN 0 */
    if (seg_len == 0)
        return false;
    return tcp_seq_lt(map->ssn, seg_ssn + seg_len) && tcp_seq_lt(seg_ssn, map->ssn + sublen);
}

/* ---- send side ---------------------------------------------------------------------------- */

static struct mptcp_smap_entry *smap_at(const struct mptcp_smap *m, size_t i)
{
    return &m->ring[(m->head + i) & (m->cap - 1)];
}

int mptcp_smap_init(struct mptcp_smap *m, size_t max_maps)
{
    if (m == NULL || map_check_max(&max_maps) != UMPTCP_OK)
        return UMPTCP_ERR_INVAL;
    memset(m, 0, sizeof(*m));
    m->max_maps = max_maps;
    return UMPTCP_OK;
}

void mptcp_smap_destroy(struct mptcp_smap *m)
{
    if (m == NULL)
        return;
    free(m->ring);
    m->ring = NULL;
    m->cap = m->head = m->count = 0;
}

int mptcp_smap_add(struct mptcp_smap *m, uint32_t ssn, uint64_t dsn, uint16_t len, bool data_fin,
                   uint16_t csum)
{
    if (m == NULL)
        return UMPTCP_ERR_INVAL;
    if (len == 0)
        return data_fin ? UMPTCP_OK : UMPTCP_ERR_INVAL; /* 3.3.3: DATA_FIN alone, not stored */
    if (data_fin && len == UINT16_MAX)
        return UMPTCP_ERR_INVAL; /* the DLL (len + 1) would not fit 16 bits */
    if (m->started && ssn != m->end)
        return UMPTCP_ERR_INVAL;
    if (m->count >= m->max_maps)
        return UMPTCP_ERR_NOMEM;
    if (m->count == m->cap) {
        void *ring = m->ring;
        int rc = map_ring_grow(&ring, &m->cap, &m->head, m->count, sizeof(*m->ring));
        if (rc != UMPTCP_OK)
            return rc;
        m->ring = ring;
    }
    struct mptcp_smap_entry *e = smap_at(m, m->count);
    *e = (struct mptcp_smap_entry){
        .dsn = dsn, .ssn = ssn, .len = len, .csum = csum, .data_fin = data_fin};
    m->count++;
    m->end = ssn + len;
    m->started = true;
    return UMPTCP_OK;
}

int mptcp_smap_lookup(const struct mptcp_smap *m, uint32_t ssn, struct mptcp_smap_lookup *out)
{
    if (m == NULL || out == NULL || m->count == 0)
        return UMPTCP_ERR_NOTFOUND;
    uint32_t base = smap_at(m, 0)->ssn;
    uint32_t off = ssn - base;
    if (off >= m->end - base)
        return UMPTCP_ERR_NOTFOUND;
    /* Last entry whose start offset is <= off (entries are contiguous). */
    size_t lo = 0, hi = m->count;
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (smap_at(m, mid)->ssn - base <= off)
            lo = mid;
        else
            hi = mid;
    }
    const struct mptcp_smap_entry *e = smap_at(m, lo);
    uint32_t into = ssn - e->ssn;
    *out = (struct mptcp_smap_lookup){
        .dsn = e->dsn + into,
        .map_dsn = e->dsn,
        .map_ssn = e->ssn,
        .map_len = e->len,
        .map_dll = (uint16_t)(e->len + (e->data_fin ? 1 : 0)),
        .csum = e->csum,
        .data_fin = e->data_fin,
        .left = e->len - into,
    };
    return UMPTCP_OK;
}

size_t mptcp_smap_ack(struct mptcp_smap *m, uint32_t snd_una)
{
    if (m == NULL)
        return 0;
    size_t freed = 0;
    while (m->count > 0) {
        const struct mptcp_smap_entry *e = smap_at(m, 0);
        if (!tcp_seq_geq(snd_una, e->ssn + e->len))
            break;
        m->head = (m->head + 1) & (m->cap - 1);
        m->count--;
        freed++;
    }
    return freed;
}

const struct mptcp_smap_entry *mptcp_smap_at(const struct mptcp_smap *m, size_t i)
{
    if (m == NULL || i >= m->count)
        return NULL;
    return smap_at(m, i);
}
