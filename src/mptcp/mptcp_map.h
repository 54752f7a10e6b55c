/* Data sequence mappings of one subflow (RFC 8684 3.3.1): which subflow bytes carry which
 * data-level (DSN) bytes, on the receive side (mptcp_rmap) and on the send side (mptcp_smap).
 *
 * Subflow sequence numbers (SSN) here are RELATIVE, as in the DSS option: the SYN is 0, the
 * first data byte is 1 (ssn = seq - ISN). They are 32-bit and compared with tcp_seq.h, so all
 * live mappings of one subflow must lie within 2^31 bytes of each other (always true inside a
 * subflow window). DSNs are full 64-bit values: expand 32-bit DSNs with mptcp_dsn_expand()
 * before handing them here.
 *
 * ---- Receive side ----------------------------------------------------------------------
 * The mappings received on one subflow, sorted by SSN, non-overlapping, all at or above the
 * consumption point (the first subflow byte not yet moved to the connection level). RFC 8684
 * 3.3.1 rules enforced by mptcp_rmap_add():
 *   - a mapping may arrive before, with or after its data;
 *   - it may be repeated: an identical copy is ignored (DUPLICATE), and one that lies wholly
 *     below the consumption point is old news (STALE, e.g. a retransmitted segment);
 *   - "A sender MUST NOT change this mapping after it has been declared": a mapping that
 *     overlaps a known one in subflow space without being identical, or that straddles the
 *     consumption point where no known mapping does, is a protocol error (UMPTCP_ERR_PROTO;
 *     the connection layer resets the subflow, MP_TCPRST 0x01);
 *   - the count is bounded (UMPTCP_ERR_NOMEM): the caller should then drop the segment that
 *     carried the mapping BEFORE subflow processing, so it is not acked and comes again. One
 *     slot beyond max_maps is reserved for the mapping that starts at the first unmapped byte
 *     (the one delivery waits for), so mappings of out-of-order data cannot deadlock it.
 * DATA_FIN (3.3.3): the Data-Level Length counts the DATA_FIN octet but the subflow does not,
 * so a mapping covers dll - 1 subflow bytes when F is set. A DATA_FIN alone (SSN 0, DLL 1)
 * covers no subflow byte: add() returns EMPTY and stores nothing; the connection layer records
 * the DATA_FIN at DSN dsn + dll - 1 itself (for every mapping with F, in fact: the DSN is known
 * on arrival). The infinite mapping (DLL 0, 3.7 fallback) covers every subflow byte from its
 * SSN on; it has no checksum.
 *
 * Moving data up (the caller's loop, once bytes are in order at subflow level):
 *     while (mptcp_rmap_lookup(m, m->consumed, avail, &c) == UMPTCP_OK) {
 *         if (c.csum == MPTCP_RMAP_CSUM_PENDING) break;      // whole mapping not verified yet
 *         if (c.csum == MPTCP_RMAP_CSUM_FAIL) { MP_FAIL with c.map_dsn (3.7); break; }
 *         insert c.len bytes at DSN c.dsn into the data-level reassembly; mptcp_rmap_consume(m,
 * c.len);
 *     }
 * UMPTCP_ERR_AGAIN from lookup means "no mapping yet": the bytes wait (3.3.1 lets a receiver
 * hold unmapped data for a while; a subflow with no mapping after a window of data should be
 * reset, which is the caller's policy).
 *
 * DSS checksum (3.3.1, when negotiated): the checksum covers a whole mapping, and data that fails
 * it must not reach the application (3.7 discards from the mapping's DSN), so a checksummed
 * mapping is delivered only once all its bytes have been summed and verified. The caller feeds
 * in-order subflow bytes as they arrive with mptcp_rmap_csum_feed() starting at
 * mptcp_rmap_csum_cursor() (bytes below the cursor are skipped, so re-feeding is harmless);
 * the module sums them into the mapping that covers them (wire_csum_add_at, so chunks of any
 * length work) and, at the mapping's last byte, compares the sum with the received checksum
 * (mptcp_crypto_dss_csum_with_payload_sum). Feeding stops at bytes no mapping covers yet:
 * feed again after the next mapping arrives (the subflow still holds the bytes, since they
 * cannot be consumed unmapped). Without checksums, never call feed: lookups report
 * MPTCP_RMAP_CSUM_NONE.
 *
 * ---- Send side ---------------------------------------------------------------------------
 * Which DSN range was placed at which subflow range, appended in subflow order as the
 * connection layer queues data on the subflow, freed as the subflow's cumulative ACK passes.
 * Recommended use (what Linux does, and the simplest that is always correct): one mapping per
 * chunk the scheduler hands to the subflow (at most 65535 bytes, the DLL field), the subflow's
 * output never builds a segment that crosses a mapping boundary (cut it at mptcp_smap_lookup's
 * map_ssn + map_len), and EVERY segment, original or subflow-level retransmission, carries the
 * whole mapping that covers its first byte (3.3.1: a mapping may cover several segments and
 * MUST cover some or all of the segment carrying it; a retransmission repeats the mapping
 * unchanged). With checksums, the chunk's checksum is computed once when it is added. A
 * segment that crossed a boundary would leave its tail covered only by a mapping the receiver
 * may never have seen (the segment that carried it may be the one that was lost).
 *
 * Both sides: bounded count (max_maps), storage in a ring that grows by doubling up to it,
 * O(1) append at the end and removal at the front, O(log n) lookup. Allocation failures leave
 * the structure unchanged. Sans-IO, no globals. */
#ifndef UMPTCP_MPTCP_MPTCP_MAP_H
#define UMPTCP_MPTCP_MPTCP_MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Mappings a subflow keeps until they are acknowledged at subflow AND data level: while one
 * path holds the data level back (a loss, an outage), the others keep sending in chunks as
 * small as one segment, so this must exceed what the data-level send buffer can hold in such
 * chunks (4 MiB by default: about 2,900); at 1024 a healthy subflow stopped taking data, and
 * reinjection, after 1.5 MB. */
#define MPTCP_MAP_DEFAULT_MAX 8192
#define MPTCP_MAP_MAX_LIMIT (1u << 20)

/* A mapping as carried by a DSS option (values already expanded to 64 bits). */
struct mptcp_map_dss {
    uint64_t dsn;  /* data sequence number of the first byte (64-bit) */
    uint32_t ssn;  /* relative subflow sequence number of the first byte */
    uint16_t dll;  /* data-level length, DATA_FIN included; 0 = infinite mapping */
    bool data_fin; /* F: the mapping's last data-level octet is the DATA_FIN */
    bool has_csum; /* a checksum was received (checksums negotiated) */
    uint16_t csum;
};

/* ---- receive side ------------------------------------------------------------------- */

enum mptcp_rmap_csum_state {
    MPTCP_RMAP_CSUM_NONE,    /* the mapping carries no checksum (or is infinite) */
    MPTCP_RMAP_CSUM_PENDING, /* not all of its bytes have been fed yet */
    MPTCP_RMAP_CSUM_PASS,
    MPTCP_RMAP_CSUM_FAIL,
};

struct mptcp_rmap_entry {
    struct mptcp_map_dss map; /* as received (the infinite one is rebased as it is consumed) */
    uint32_t sublen;          /* subflow bytes covered: dll - data_fin (unused if infinite) */
    bool infinite;
    uint8_t csum_state; /* enum mptcp_rmap_csum_state */
    uint32_t csum_sum;  /* partial sum of the payload bytes fed so far */
    uint32_t csum_fed;  /* payload bytes fed so far */
};

struct mptcp_rmap {
    struct mptcp_rmap_entry *ring; /* NULL until the first mapping */
    size_t cap;                    /* 0 or a power of two */
    size_t head, count, max_maps;
    uint32_t consumed;    /* first subflow byte not yet consumed (moved to data level) */
    uint32_t csum_cursor; /* first subflow byte not yet fed to the checksum */
    /* Lifetime counters (Linux MPTcpExt names where one exists). */
    uint64_t duplicates;    /* identical repeats ignored */
    uint64_t stale;         /* mappings wholly below the consumption point */
    uint64_t conflicts;     /* UMPTCP_ERR_PROTO returned (MPTcpExtDSSNoMatchTCP) */
    uint64_t csum_failures; /* mappings whose checksum failed (MPTcpExtDataCsumErr) */
};

enum mptcp_rmap_add_result {
    MPTCP_RMAP_ADDED = 0,
    MPTCP_RMAP_DUPLICATE = 1,
    MPTCP_RMAP_STALE = 2,
    MPTCP_RMAP_EMPTY = 3, /* covers no subflow byte (DATA_FIN alone): nothing stored */
};

/* What covers the subflow bytes starting at a given SSN. */
struct mptcp_rmap_chunk {
    uint64_t dsn;     /* DSN of the first byte asked about */
    size_t len;       /* bytes from it this mapping covers, capped at the bytes available */
    size_t map_left;  /* bytes from it to the mapping's end (SIZE_MAX for infinite) */
    uint64_t map_dsn; /* the mapping's first DSN (for MP_FAIL, 3.7) */
    uint32_t map_ssn; /* the mapping's first SSN */
    bool infinite;
    bool data_fin_at_end; /* the mapping carries F: DATA_FIN at map_dsn + dll - 1 */
    enum mptcp_rmap_csum_state csum;
};

/* Empty receive map; the first subflow byte to be consumed is first_ssn (1 for a subflow
 * whose data starts right after the SYN). max_maps 0 = MPTCP_MAP_DEFAULT_MAX, else
 * 1 .. MPTCP_MAP_MAX_LIMIT. Allocates nothing. */
int mptcp_rmap_init(struct mptcp_rmap *m, uint32_t first_ssn, size_t max_maps);
void mptcp_rmap_destroy(struct mptcp_rmap *m);

/* A mapping received in a DSS option (or the MP_CAPABLE ACK with data). Returns an
 * enum mptcp_rmap_add_result (>= 0), or UMPTCP_ERR_PROTO (conflicts with a known mapping, or
 * DLL 0 with F), UMPTCP_ERR_NOMEM (max_maps reached or no memory), UMPTCP_ERR_INVAL (NULL).
 * On error nothing changes. The checksum of an infinite mapping (RFC: set to 0) is ignored.
 * A repeated infinite mapping is a duplicate when it maps consistently (same DSN - SSN). */
int mptcp_rmap_add(struct mptcp_rmap *m, const struct mptcp_map_dss *map);

/* The mapping covering subflow byte ssn (normally m->consumed), for up to avail in-order bytes
 * from it. UMPTCP_OK with *out filled, UMPTCP_ERR_AGAIN when no mapping covers ssn yet,
 * UMPTCP_ERR_INVAL for NULL or ssn below the consumption point. */
int mptcp_rmap_lookup(const struct mptcp_rmap *m, uint32_t ssn, size_t avail,
                      struct mptcp_rmap_chunk *out);

/* The caller moved len subflow bytes from the consumption point to the data level. Every one
 * must be mapped, and a checksummed mapping must have passed; otherwise UMPTCP_ERR_STATE and
 * nothing changes. Mappings wholly consumed are dropped (the infinite one is rebased and
 * stays). */
int mptcp_rmap_consume(struct mptcp_rmap *m, size_t len);

/* Checksum accumulator (see the top). Feeds in-order subflow bytes [ssn, ssn + len): bytes
 * below the cursor are skipped; ssn above the cursor is UMPTCP_ERR_INVAL (a gap). Sums them
 * into the covering checksummed mappings and sets each one's verdict at its last byte. Stops
 * at the first byte no mapping covers. Returns the number of bytes the cursor advanced
 * (>= 0), or UMPTCP_ERR_INVAL. */
int mptcp_rmap_csum_feed(struct mptcp_rmap *m, uint32_t ssn, const void *data, size_t len);
static inline uint32_t mptcp_rmap_csum_cursor(const struct mptcp_rmap *m)
{
    return m->csum_cursor;
}

/* RFC 8684 3.3.1: true when the mapping applies to some of the segment [seg_ssn, seg_ssn +
 * seg_len) carrying it; a mapping that does not should be treated as a protocol error. The
 * infinite mapping applies when it starts at or before seg_ssn + seg_len. A DATA_FIN alone (no
 * subflow byte) applies to any segment when its SSN is 0 (3.3.3). */
bool mptcp_map_covers_segment(const struct mptcp_map_dss *map, uint32_t seg_ssn, uint32_t seg_len);

/* Subflow bytes a mapping covers: dll - F; 0 for the infinite mapping (check dll == 0). */
static inline uint32_t mptcp_map_sublen(const struct mptcp_map_dss *map)
{
    return map->dll == 0 ? 0 : (uint32_t)map->dll - (map->data_fin ? 1u : 0u);
}

static inline size_t mptcp_rmap_count(const struct mptcp_rmap *m)
{
    return m->count;
}
static inline uint32_t mptcp_rmap_consumed(const struct mptcp_rmap *m)
{
    return m->consumed;
}

/* ---- send side ------------------------------------------------------------------------ */

struct mptcp_smap_entry {
    uint64_t dsn;
    uint32_t ssn;
    uint16_t len; /* subflow bytes (the DATA_FIN octet not included) */
    uint16_t csum;
    bool data_fin; /* the mapping also carries the DATA_FIN (DLL = len + 1) */
};

struct mptcp_smap {
    struct mptcp_smap_entry *ring; /* NULL until the first mapping */
    size_t cap, head, count, max_maps;
    uint32_t end; /* SSN after the last mapping (the next add must start here) */
    bool started; /* end is meaningful */
};

/* What covers a subflow byte: the whole mapping to put in the segment's DSS option. */
struct mptcp_smap_lookup {
    uint64_t dsn;     /* DSN of the byte asked about */
    uint64_t map_dsn; /* the mapping: DSS fields DSN, SSN, DLL (= map_len + data_fin) */
    uint32_t map_ssn;
    uint16_t map_len;
    uint16_t map_dll;
    uint16_t csum;
    bool data_fin;
    uint32_t left; /* bytes from the asked byte to the mapping's end (cut segments here) */
};

/* max_maps 0 = MPTCP_MAP_DEFAULT_MAX, else 1 .. MPTCP_MAP_MAX_LIMIT. Allocates nothing. */
int mptcp_smap_init(struct mptcp_smap *m, size_t max_maps);
void mptcp_smap_destroy(struct mptcp_smap *m);

/* Records that subflow bytes [ssn, ssn + len) carry data [dsn, dsn + len), optionally followed
 * by the DATA_FIN, with the DSS checksum csum (0 when not negotiated). len 1 .. 65535, or
 * 0..65534 with data_fin (a DATA_FIN alone, len 0, is not stored: send it with SSN 0 DLL 1,
 * 3.3.3, and UMPTCP_OK is returned). ssn must equal the end of the previous mapping (data is
 * queued on a subflow in order); the first mapping sets the start. Errors, nothing changed:
 * UMPTCP_ERR_INVAL (bad len, ssn not contiguous, NULL), UMPTCP_ERR_NOMEM. */
int mptcp_smap_add(struct mptcp_smap *m, uint32_t ssn, uint64_t dsn, uint16_t len, bool data_fin,
                   uint16_t csum);

/* The mapping covering subflow byte ssn. UMPTCP_OK, or UMPTCP_ERR_NOTFOUND (acked, not yet
 * mapped, or NULL arguments). */
int mptcp_smap_lookup(const struct mptcp_smap *m, uint32_t ssn, struct mptcp_smap_lookup *out);

/* The subflow's cumulative ACK reached snd_una: frees every mapping wholly below it. Returns
 * the number of mappings freed. An ACK outside the recorded range frees what lies below it
 * when it is ahead of the first mapping (within 2^31), nothing otherwise. */
size_t mptcp_smap_ack(struct mptcp_smap *m, uint32_t snd_una);

/* The i-th live mapping (0 = oldest), NULL past the end: for reinjecting a failed subflow's
 * unacked data on another subflow (3.3.6). */
const struct mptcp_smap_entry *mptcp_smap_at(const struct mptcp_smap *m, size_t i);

static inline size_t mptcp_smap_count(const struct mptcp_smap *m)
{
    return m->count;
}

#endif
