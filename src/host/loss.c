#include "host/loss.h"

#include <stddef.h>

#include "umptcp/error.h"

int host_loss_init(struct host_loss *l, double p, uint64_t seed)
{
    if (l == NULL || !(p >= 0.0 && p <= 1.0)) /* also rejects NaN */
        return UMPTCP_ERR_INVAL;
    l->state = seed;
    l->p = p;
    l->dropped = 0;
    l->passed = 0;
    return UMPTCP_OK;
}

bool host_loss_enabled(const struct host_loss *l)
{
    return l != NULL && l->p > 0.0;
}

/* splitmix64 (Steele, Lea, Flood 2014): a tiny generator with good statistics, enough to
 * decide drops; not for secrets. */
static uint64_t host_loss_next(struct host_loss *l)
{
    uint64_t z = (l->state += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

bool host_loss_drop(struct host_loss *l)
{
    if (l == NULL)
        return false;
    if (!host_loss_enabled(l)) {
        l->passed++;
        return false;
    }
    /* 53 random bits as a double in [0, 1): p == 1 always drops. */
    double u = (double)(host_loss_next(l) >> 11) * 0x1.0p-53;
    bool drop = u < l->p;
    if (drop)
        l->dropped++;
    else
        l->passed++;
    return drop;
}
