/* "rr": round robin over the subflows with room, in id order, starting after the id chosen
 * last; backups only when no other subflow is usable (RFC 8684 3.3.8). */
#include "mptcp/mptcp_sched.h"

struct rr_state {
    uint32_t last_id;
    bool has_last;
};
_Static_assert(sizeof(struct rr_state) <= MPTCP_SCHED_PRIV_MAX, "rr state too big");

static int rr_pick(struct mptcp_sched *s, const struct mptcp_sched_subflow *sfs, size_t n,
                   size_t bytes)
{
    struct rr_state *st = mptcp_sched_priv(s);
    bool backups = mptcp_sched_backups_allowed(sfs, n);
    /* The next id after last_id (if any), else the lowest id: wrap around. */
    int next = MPTCP_SCHED_NONE, lowest = MPTCP_SCHED_NONE;
    for (size_t i = 0; i < n && i <= (size_t)INT32_MAX; i++) {
        if (!mptcp_sched_is_candidate(&sfs[i], bytes, backups))
            continue;
        uint32_t id = sfs[i].id;
        if (lowest == MPTCP_SCHED_NONE || id < sfs[lowest].id)
            lowest = (int)i;
        if (st->has_last && id > st->last_id && (next == MPTCP_SCHED_NONE || id < sfs[next].id))
            next = (int)i;
    }
    int pick = next != MPTCP_SCHED_NONE ? next : lowest;
    if (pick != MPTCP_SCHED_NONE) {
        st->last_id = sfs[pick].id;
        st->has_last = true;
    }
    return pick;
}

const struct mptcp_sched_ops mptcp_sched_rr_ops = {
    .name = "rr",
    .priv_size = sizeof(struct rr_state),
    .redundant = false,
    .pick = rr_pick,
};
