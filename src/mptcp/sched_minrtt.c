/* "minrtt", the default scheduler (design, RFC 8684 3.3.8): the subflow with the lowest
 * smoothed RTT among those with room; backups only when no other subflow is usable. */
#include "mptcp/mptcp_sched.h"

/* Does a rank before b? Measured RTTs before unmeasured ones, then lower RTT, then lower id. */
static bool minrtt_before(const struct mptcp_sched_subflow *a, const struct mptcp_sched_subflow *b)
{
    bool a_known = a->srtt_ns != 0, b_known = b->srtt_ns != 0;
    if (a_known != b_known)
        return a_known;
    if (a->srtt_ns != b->srtt_ns)
        return a->srtt_ns < b->srtt_ns;
    return a->id < b->id;
}

static int minrtt_pick(struct mptcp_sched *s, const struct mptcp_sched_subflow *sfs, size_t n,
                       size_t bytes)
{
    (void)s;
    bool backups = mptcp_sched_backups_allowed(sfs, n);
    int best = MPTCP_SCHED_NONE;
    for (size_t i = 0; i < n && i <= (size_t)INT32_MAX; i++) {
        if (!mptcp_sched_is_candidate(&sfs[i], bytes, backups))
            continue;
        if (best == MPTCP_SCHED_NONE || minrtt_before(&sfs[i], &sfs[best]))
            best = (int)i;
    }
    return best;
}

const struct mptcp_sched_ops mptcp_sched_minrtt_ops = {
    .name = "minrtt",
    .priv_size = 0,
    .redundant = false,
    .pick = minrtt_pick,
};
