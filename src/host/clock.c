#include "host/clock.h"

#include <time.h>

uint64_t host_clock_now(void)
{
    struct timespec ts;
    /* CLOCK_MONOTONIC cannot fail with a valid pointer; keep the result defined anyway. */
    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
        return 0;
    return (uint64_t)ts.tv_sec * HOST_NS_PER_SEC + (uint64_t)ts.tv_nsec;
}

uint64_t host_clock_wall(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
        return 0;
    return (uint64_t)ts.tv_sec * HOST_NS_PER_SEC + (uint64_t)ts.tv_nsec;
}
