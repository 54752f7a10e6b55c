/* Binary min-heap of timers ordered by (when, seq); see sim_event.h. */
#include "sim/sim_event.h"
#include "umptcp/error.h"

#include <stdlib.h>

void sim_timer_init(struct sim_timer *t, sim_timer_fn fire)
{
    t->when = 0;
    t->seq = 0;
    t->slot = SIM_TIMER_IDLE;
    t->fire = fire;
}

void sim_queue_init(struct sim_queue *q)
{
    q->heap = NULL;
    q->len = 0;
    q->cap = 0;
    q->next_seq = 0;
    q->now = 0;
}

void sim_queue_fini(struct sim_queue *q)
{
    for (size_t i = 0; i < q->len; i++)
        q->heap[i]->slot = SIM_TIMER_IDLE;
    free(q->heap);
    sim_queue_init(q);
}

static bool sim_timer_before(const struct sim_timer *a, const struct sim_timer *b)
{
    return a->when < b->when || (a->when == b->when && a->seq < b->seq);
}

static void sim_heap_place(struct sim_queue *q, size_t i, struct sim_timer *t)
{
    q->heap[i] = t;
    t->slot = i;
}

static void sim_heap_sift_up(struct sim_queue *q, size_t i)
{
    struct sim_timer *t = q->heap[i];
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!sim_timer_before(t, q->heap[parent]))
            break;
        sim_heap_place(q, i, q->heap[parent]);
        i = parent;
    }
    sim_heap_place(q, i, t);
}

static void sim_heap_sift_down(struct sim_queue *q, size_t i)
{
    struct sim_timer *t = q->heap[i];
    for (;;) {
        size_t child = 2 * i + 1;
        if (child >= q->len)
            break;
        if (child + 1 < q->len && sim_timer_before(q->heap[child + 1], q->heap[child]))
            child++;
        if (!sim_timer_before(q->heap[child], t))
            break;
        sim_heap_place(q, i, q->heap[child]);
        i = child;
    }
    sim_heap_place(q, i, t);
}

/* Removes the timer at slot i, keeping the heap property. */
static void sim_heap_remove(struct sim_queue *q, size_t i)
{
    struct sim_timer *gone = q->heap[i];
    gone->slot = SIM_TIMER_IDLE;
    q->len--;
    if (i == q->len)
        return;
    sim_heap_place(q, i, q->heap[q->len]);
    /* The moved timer may belong above or below slot i, never both. */
    if (i > 0 && sim_timer_before(q->heap[i], q->heap[(i - 1) / 2]))
        sim_heap_sift_up(q, i);
    else
        sim_heap_sift_down(q, i);
}

static int sim_heap_reserve(struct sim_queue *q)
{
    if (q->len < q->cap)
        return UMPTCP_OK;
    size_t cap = q->cap ? q->cap * 2 : 64;
    struct sim_timer **heap = realloc(q->heap, cap * sizeof(*heap));
    if (heap == NULL)
        return UMPTCP_ERR_NOMEM;
    q->heap = heap;
    q->cap = cap;
    return UMPTCP_OK;
}

int sim_queue_schedule(struct sim_queue *q, struct sim_timer *t, uint64_t when)
{
    if (when < q->now || t->fire == NULL)
        return UMPTCP_ERR_INVAL;
    if (sim_timer_pending(t)) {
        /* A reschedule counts as a new insertion for tie-breaking. */
        sim_heap_remove(q, t->slot);
    }
    int rc = sim_heap_reserve(q);
    if (rc != UMPTCP_OK)
        return rc;
    t->when = when;
    t->seq = q->next_seq++;
    q->len++;
    sim_heap_place(q, q->len - 1, t);
    sim_heap_sift_up(q, q->len - 1);
    return UMPTCP_OK;
}

void sim_queue_cancel(struct sim_queue *q, struct sim_timer *t)
{
    if (sim_timer_pending(t))
        sim_heap_remove(q, t->slot);
}

struct sim_timer *sim_queue_peek(const struct sim_queue *q)
{
    return q->len ? q->heap[0] : NULL;
}

struct sim_timer *sim_queue_pop(struct sim_queue *q)
{
    if (q->len == 0)
        return NULL;
    struct sim_timer *t = q->heap[0];
    sim_heap_remove(q, 0);
    q->now = t->when;
    return t;
}
