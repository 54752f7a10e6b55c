/* Packet schedulers: which subflow gets the next chunk of connection-level data (RFC 8684
 * 3.3.8 subflow policy). A named ops table per scheduler and a per-stack registry, as
 * src/cc/cc.h does for congestion control; chosen by name ("minrtt", the default, or "rr").
 *
 * A scheduler sees a read-only view of the connection's subflows (struct mptcp_sched_subflow,
 * filled by the connection layer just before asking) and returns the index of the subflow that
 * should get the next chunk of `bytes`, or none. It is pure and deterministic: the same view
 * and the same state give the same answer; ties are broken by the lowest subflow id.
 *
 * Common rules (mptcp_sched_is_candidate(); every built-in uses it):
 *   - a subflow can take data when it is usable (established, not failed or closing) and has
 *     room: mptcp_sched_room() = min(cwnd - pipe, send-window room, send-buffer room) must be
 *     at least min(bytes, mss) (a chunk smaller than a segment needs only its own size), so
 *     the scheduler never queues data on a subflow that could not send it now;
 *     the caller then gives the chosen subflow min(bytes, mptcp_sched_room()) bytes;
 *   - RFC 8684 3.3.8 / design: backup subflows (B=1, the peer asked us not to send there) are
 *     candidates only when NO non-backup subflow is usable; a usable non-backup subflow that
 *     is merely full makes the answer "none" (wait), not "use the backup".
 * Built-ins:
 *   - "minrtt": the candidate with the lowest smoothed RTT (a subflow without an RTT sample yet,
 *     srtt_ns == 0, sorts after every measured one); ties -> lowest id.
 *   - "rr": round robin over the candidates in id order: the first candidate whose id is above
 *     the id chosen last, wrapping to the lowest.
 * `redundant` marks schedulers whose chunks go on every candidate (for a later "redundant"
 * scheduler); the connection layer then calls mptcp_sched_pick() repeatedly, excluding the
 * subflows already used, and the built-ins have it false.
 *
 * Sans-IO, no allocation, no globals: per-connection state lives in struct mptcp_sched. */
#ifndef UMPTCP_MPTCP_MPTCP_SCHED_H
#define UMPTCP_MPTCP_MPTCP_SCHED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "umptcp/error.h"
#include "util/ops_registry.h"

#define MPTCP_SCHED_PRIV_WORDS 8
#define MPTCP_SCHED_PRIV_MAX (MPTCP_SCHED_PRIV_WORDS * sizeof(uint64_t))
#define MPTCP_SCHED_REGISTRY_MAX OPS_REGISTRY_MAX
#define MPTCP_SCHED_NAME_MAX 15 /* without the NUL; names are [a-z0-9_-]+ */
#define MPTCP_SCHED_DEFAULT_NAME "minrtt"
/* Returned by ops->pick and mptcp_sched_pick() when no subflow should get data now. */
#define MPTCP_SCHED_NONE (-1)

/* What a scheduler may see of one subflow. Bytes throughout. */
struct mptcp_sched_subflow {
    uint32_t id;           /* stable, unique within the connection (tie-break key) */
    bool backup;           /* the peer set B (MP_JOIN or MP_PRIO): use only as a last resort */
    bool usable;           /* established and not failed/closing: may carry data */
    bool excluded;         /* skip this one (e.g. already used for this chunk by a redundant
                              scheduler); not "unusable" for the backup rule */
    uint64_t srtt_ns;      /* smoothed RTT, 0 = no sample yet */
    uint32_t cwnd;         /* congestion window */
    uint32_t pipe;         /* bytes in flight (RFC 6675 pipe) */
    uint32_t snd_wnd_room; /* bytes the peer's advertised window still allows on this subflow */
    uint32_t sndbuf_room;  /* bytes the subflow's send buffer can still take */
    uint32_t mss;          /* sender MSS; 0 = unknown (then any room > 0 counts) */
};

struct mptcp_sched;

struct mptcp_sched_ops {
    const char *name; /* [a-z0-9_-]{1,MPTCP_SCHED_NAME_MAX}, unique in a registry */
    size_t priv_size; /* bytes of sched->priv used, <= MPTCP_SCHED_PRIV_MAX */
    bool redundant;   /* sends each chunk on every candidate (see the top) */
    /* Optional: after mptcp_sched_init() zeroed priv. */
    void (*init)(struct mptcp_sched *s);
    /* Optional: when the connection goes away. */
    void (*release)(struct mptcp_sched *s);
    /* Mandatory: index into sfs[0..n) of the subflow for the next `bytes`, or MPTCP_SCHED_NONE.
     * It may update its own state (e.g. the last id for round robin). */
    int (*pick)(struct mptcp_sched *s, const struct mptcp_sched_subflow *sfs, size_t n,
                size_t bytes);
};

/* One connection's scheduler instance. */
struct mptcp_sched {
    const struct mptcp_sched_ops *ops;
    uint64_t priv[MPTCP_SCHED_PRIV_WORDS];
};

static inline void *mptcp_sched_priv(struct mptcp_sched *s)
{
    return s->priv;
}

/* Zeroes s, sets ops, calls ops->init. UMPTCP_ERR_INVAL for NULL or an invalid table. */
int mptcp_sched_init(struct mptcp_sched *s, const struct mptcp_sched_ops *ops);
void mptcp_sched_release(struct mptcp_sched *s);
/* Asks the scheduler. Returns an index < n, or MPTCP_SCHED_NONE (also for n == 0, bytes == 0,
 * NULL arguments, or an out-of-range answer from a faulty scheduler). */
int mptcp_sched_pick(struct mptcp_sched *s, const struct mptcp_sched_subflow *sfs, size_t n,
                     size_t bytes);

/* ---- helpers for schedulers ----------------------------------------------------------- */

/* min(cwnd - pipe (0 when pipe >= cwnd), snd_wnd_room, sndbuf_room). */
uint32_t mptcp_sched_room(const struct mptcp_sched_subflow *sf);
/* Usable, not excluded, and room >= min(bytes, mss) (room > 0 when mss is 0). */
bool mptcp_sched_has_room(const struct mptcp_sched_subflow *sf, size_t bytes);
/* The backup rule: true when no non-backup subflow of sfs[0..n) is usable, so backup subflows
 * may carry data. */
bool mptcp_sched_backups_allowed(const struct mptcp_sched_subflow *sfs, size_t n);
/* May sf take `bytes` now under the common rules? (has room, and not a backup unless
 * backups_allowed). */
bool mptcp_sched_is_candidate(const struct mptcp_sched_subflow *sf, size_t bytes,
                              bool backups_allowed);

/* ---- registry --------------------------------------------------------------------------- */

extern const struct mptcp_sched_ops mptcp_sched_minrtt_ops; /* "minrtt" */
extern const struct mptcp_sched_ops mptcp_sched_rr_ops;     /* "rr" */

/* One per stack; no global mutable state. */
struct mptcp_sched_registry {
    struct ops_registry r; /* the shared registry (src/util/ops_registry.h) */
};

/* Empties reg and adds the built-ins ("minrtt", "rr"). UMPTCP_ERR_INVAL for NULL. */
int mptcp_sched_registry_init(struct mptcp_sched_registry *reg);
/* UMPTCP_ERR_INVAL: NULL, bad name, NULL pick, priv_size too big. UMPTCP_ERR_EXISTS: name
 * taken. UMPTCP_ERR_NOMEM: MPTCP_SCHED_REGISTRY_MAX entries already. */
int mptcp_sched_registry_add(struct mptcp_sched_registry *reg, const struct mptcp_sched_ops *ops);
/* NULL when unknown (or NULL arguments). */
const struct mptcp_sched_ops *mptcp_sched_registry_find(const struct mptcp_sched_registry *reg,
                                                        const char *name);
size_t mptcp_sched_registry_count(const struct mptcp_sched_registry *reg);
const char *mptcp_sched_registry_name_at(const struct mptcp_sched_registry *reg, size_t i);
/* Names separated by ", " into buf (NUL-terminated when len > 0); returns the full length
 * needed (without NUL), like snprintf, or UMPTCP_ERR_INVAL. */
int mptcp_sched_registry_list(const struct mptcp_sched_registry *reg, char *buf, size_t len);
int mptcp_sched_ops_validate(const struct mptcp_sched_ops *ops);

#endif
