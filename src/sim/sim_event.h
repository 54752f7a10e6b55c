/* The simulator's virtual clock and event queue.
 *
 * Time is a uint64_t count of nanoseconds since the start of the simulation. Events are
 * timers: a struct sim_timer embedded in its owner (a link's transmitter, a packet in
 * flight, a node's protocol timer) with a callback that recovers the owner with
 * SIM_CONTAINER_OF. Scheduling never allocates per event, only when the heap grows.
 *
 * Order: a binary min-heap keyed by (time, sequence number). Every schedule, including a
 * reschedule of a pending timer, takes the next sequence number, so events at the same
 * time fire in the order they were (last) scheduled, on every machine. */
#ifndef UMPTCP_SIM_EVENT_H
#define UMPTCP_SIM_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* "No deadline": a node's next_timeout returns it when it wants no timer. */
#define SIM_TIME_NEVER UINT64_MAX
#define SIM_NS_PER_US 1000ull
#define SIM_NS_PER_MS 1000000ull
#define SIM_NS_PER_SEC 1000000000ull

#define SIM_CONTAINER_OF(ptr, type, member) ((type *)(void *)((char *)(ptr)-offsetof(type, member)))

struct sim_timer;
typedef void (*sim_timer_fn)(struct sim_timer *t, uint64_t now);

struct sim_timer {
    uint64_t when; /* valid while pending */
    uint64_t seq;  /* insertion order, breaks ties */
    size_t slot;   /* index in the heap, SIM_TIMER_IDLE when not pending */
    sim_timer_fn fire;
};

#define SIM_TIMER_IDLE SIZE_MAX

struct sim_queue {
    struct sim_timer **heap;
    size_t len, cap;
    uint64_t next_seq;
    uint64_t now; /* the virtual clock: time of the last event popped */
};

void sim_timer_init(struct sim_timer *t, sim_timer_fn fire);
static inline bool sim_timer_pending(const struct sim_timer *t)
{
    return t->slot != SIM_TIMER_IDLE;
}

void sim_queue_init(struct sim_queue *q);
/* Frees the heap array; the timers themselves belong to their owners. */
void sim_queue_fini(struct sim_queue *q);
/* Schedules t at `when` (>= q->now), or moves it there if it is pending already.
 * Returns 0, UMPTCP_ERR_INVAL (when in the past, or no callback) or UMPTCP_ERR_NOMEM. */
int sim_queue_schedule(struct sim_queue *q, struct sim_timer *t, uint64_t when);
/* Removes t if pending; does nothing otherwise. */
void sim_queue_cancel(struct sim_queue *q, struct sim_timer *t);
/* The earliest pending timer, NULL when empty. */
struct sim_timer *sim_queue_peek(const struct sim_queue *q);
/* Removes and returns the earliest timer and advances q->now to its time; NULL when empty.
 * The caller then calls t->fire(t, q->now). */
struct sim_timer *sim_queue_pop(struct sim_queue *q);
static inline size_t sim_queue_size(const struct sim_queue *q)
{
    return q->len;
}

#endif
