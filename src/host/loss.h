/* Injected packet loss for the host runtime: a seeded PRNG and a drop probability. This
 * kernel has no netem, so loss on a TUN path is applied here (per direction, see tun.h).
 * Same seed, same sequence of drop decisions. */
#ifndef UMPTCP_HOST_LOSS_H
#define UMPTCP_HOST_LOSS_H

#include <stdbool.h>
#include <stdint.h>

struct host_loss {
    uint64_t state;   /* splitmix64 state */
    double p;         /* drop probability in [0, 1]; 0 = disabled */
    uint64_t dropped; /* decisions that said "drop" */
    uint64_t passed;  /* decisions that said "keep" */
};

/* Sets probability p (0 <= p <= 1) and the seed; resets the counters.
 * Returns 0, or UMPTCP_ERR_INVAL (l unchanged) when p is outside [0, 1] or NaN. */
int host_loss_init(struct host_loss *l, double p, uint64_t seed);
/* True when loss is configured (p > 0). A zeroed struct is a valid "no loss" helper. */
bool host_loss_enabled(const struct host_loss *l);
/* One decision: true = drop this packet. Counts it. Always false when p == 0. */
bool host_loss_drop(struct host_loss *l);

#endif
