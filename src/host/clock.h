/* The host runtime's clock: CLOCK_MONOTONIC in nanoseconds. This is the only place in the
 * project that reads time; everything below the sans-IO boundary is handed `now`. */
#ifndef UMPTCP_HOST_CLOCK_H
#define UMPTCP_HOST_CLOCK_H

#include <stdint.h>

#define HOST_NS_PER_US UINT64_C(1000)
#define HOST_NS_PER_MS UINT64_C(1000000)
#define HOST_NS_PER_SEC UINT64_C(1000000000)

/* Nanoseconds since an arbitrary fixed point (CLOCK_MONOTONIC); never goes backwards. */
uint64_t host_clock_now(void);
/* CLOCK_REALTIME in nanoseconds since the epoch: only for timestamps people read (captures). */
uint64_t host_clock_wall(void);

#endif
