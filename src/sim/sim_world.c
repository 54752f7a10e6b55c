/* The world: clock, event loop, one-shot callbacks, registries of nodes and links. */
#include "sim/sim_internal.h"
#include "umptcp/error.h"

#include <stdlib.h>
#include <string.h>

/* A one-shot callback from sim_world_at, kept in a list so the world can free it. */
struct sim_user_event {
    struct sim_timer timer;
    struct sim_world *world;
    sim_world_fn fn;
    void *arg;
    struct sim_user_event *prev, *next;
};

struct sim_world {
    uint64_t seed;
    struct sim_queue queue;
    struct sim_node **nodes;
    size_t nnodes, cap_nodes;
    struct sim_link **links;
    size_t nlinks, cap_links;
    struct sim_user_event *user_events;
    umptcp_pcap *pcap;
    sim_trace_fn trace;
    void *trace_user;
    bool stop;
    bool running;
    int error;
    uint64_t event_limit;
    uint64_t events;
};

const char *sim_drop_reason_name(enum sim_drop_reason r)
{
    switch (r) {
    case SIM_DROP_NONE:
        return "none";
    case SIM_DROP_QUEUE:
        return "queue";
    case SIM_DROP_LOSS:
        return "loss";
    case SIM_DROP_DOWN:
        return "down";
    case SIM_DROP_MIDDLEBOX:
        return "middlebox";
    case SIM_DROP_NO_LINK:
        return "no-link";
    case SIM_DROP_NO_ROUTE:
        return "no-route";
    case SIM_DROP_TTL:
        return "ttl";
    case SIM_DROP_MALFORMED:
        return "malformed";
    case SIM_DROP_LOCAL:
        return "local";
    }
    return "unknown";
}

int sim_world_new(struct sim_world **out, uint64_t seed)
{
    if (out == NULL)
        return UMPTCP_ERR_INVAL;
    struct sim_world *w = calloc(1, sizeof(*w));
    *out = w;
    if (w == NULL)
        return UMPTCP_ERR_NOMEM;
    w->seed = seed;
    sim_queue_init(&w->queue);
    return UMPTCP_OK;
}

void sim_world_free(struct sim_world *w)
{
    if (w == NULL)
        return;
    /* The queue first: it marks every pending timer idle while their owners still exist. */
    sim_queue_fini(&w->queue);
    for (size_t i = 0; i < w->nlinks; i++)
        sim_link_destroy(w->links[i]);
    for (size_t i = 0; i < w->nnodes; i++)
        sim_node_destroy(w->nodes[i]);
    while (w->user_events != NULL) {
        struct sim_user_event *e = w->user_events;
        w->user_events = e->next;
        free(e);
    }
    free(w->links);
    free(w->nodes);
    free(w);
}

uint64_t sim_world_now(const struct sim_world *w)
{
    return w->queue.now;
}
uint64_t sim_world_seed(const struct sim_world *w)
{
    return w->seed;
}
void sim_world_stop(struct sim_world *w)
{
    w->stop = true;
}
void sim_world_set_event_limit(struct sim_world *w, uint64_t max_events)
{
    w->event_limit = max_events;
}
uint64_t sim_world_event_count(const struct sim_world *w)
{
    return w->events;
}
struct sim_queue *sim_world_queue(struct sim_world *w)
{
    return &w->queue;
}

void sim_world_fail(struct sim_world *w, int err)
{
    if (w->error == 0)
        w->error = err;
    w->stop = true;
}

static int sim_world_loop(struct sim_world *w, uint64_t time_limit)
{
    uint64_t run_events = 0;
    for (;;) {
        if (w->error != 0)
            return w->error;
        if (w->stop)
            return SIM_RUN_STOPPED;
        struct sim_timer *t = sim_queue_peek(&w->queue);
        if (t == NULL)
            return SIM_RUN_IDLE;
        if (t->when > time_limit) {
            if (w->queue.now < time_limit)
                w->queue.now = time_limit;
            return SIM_RUN_TIME_LIMIT;
        }
        if (w->event_limit != 0 && run_events >= w->event_limit)
            return SIM_RUN_EVENT_LIMIT;
        sim_queue_pop(&w->queue);
        run_events++;
        w->events++;
        t->fire(t, w->queue.now);
    }
}

int sim_world_run(struct sim_world *w, uint64_t time_limit)
{
    if (w == NULL)
        return UMPTCP_ERR_INVAL;
    if (w->running)
        return UMPTCP_ERR_STATE; /* called from inside a callback */
    w->stop = false;
    w->running = true;
    int rc = sim_world_loop(w, time_limit);
    w->running = false;
    return rc;
}

static void sim_user_event_unlink(struct sim_world *w, struct sim_user_event *e)
{
    if (e->prev != NULL)
        e->prev->next = e->next;
    else
        w->user_events = e->next;
    if (e->next != NULL)
        e->next->prev = e->prev;
}

static void sim_user_event_fire(struct sim_timer *t, uint64_t now)
{
    struct sim_user_event *e = SIM_CONTAINER_OF(t, struct sim_user_event, timer);
    struct sim_world *w = e->world;
    sim_user_event_unlink(w, e);
    sim_world_fn fn = e->fn;
    void *arg = e->arg;
    free(e);
    fn(w, arg, now);
    /* The callback may have driven any node's stack (connect, write, ...). */
    for (size_t i = 0; i < w->nnodes; i++)
        sim_node_refresh_timer(w->nodes[i]);
}

int sim_world_at(struct sim_world *w, uint64_t when, sim_world_fn fn, void *arg)
{
    if (w == NULL || fn == NULL || when < w->queue.now)
        return UMPTCP_ERR_INVAL;
    struct sim_user_event *e = calloc(1, sizeof(*e));
    if (e == NULL)
        return UMPTCP_ERR_NOMEM;
    sim_timer_init(&e->timer, sim_user_event_fire);
    e->world = w;
    e->fn = fn;
    e->arg = arg;
    int rc = sim_queue_schedule(&w->queue, &e->timer, when);
    if (rc != UMPTCP_OK) {
        free(e);
        return rc;
    }
    e->next = w->user_events;
    if (e->next != NULL)
        e->next->prev = e;
    w->user_events = e;
    return UMPTCP_OK;
}

void sim_world_set_pcap(struct sim_world *w, umptcp_pcap *pcap)
{
    w->pcap = pcap;
}
umptcp_pcap *sim_world_pcap(const struct sim_world *w)
{
    return w->pcap;
}

void sim_world_set_trace(struct sim_world *w, sim_trace_fn fn, void *user)
{
    w->trace = fn;
    w->trace_user = user;
}

void sim_world_emit(struct sim_world *w, const struct sim_trace *ev)
{
    if (w->trace != NULL)
        w->trace(w->trace_user, ev);
}

bool sim_name_valid(const char *name)
{
    if (name == NULL)
        return false;
    size_t n = strnlen(name, SIM_NAME_MAX);
    return n > 0 && n < SIM_NAME_MAX;
}

/* Doubles an array's capacity (at least 8); returns the new array or NULL (old kept). */
static void *sim_array_grow(void *arr, size_t *cap, size_t elem_size)
{
    size_t ncap = *cap ? *cap * 2 : 8;
    void *grown = realloc(arr, ncap * elem_size);
    if (grown != NULL)
        *cap = ncap;
    return grown;
}

int sim_world_add_node(struct sim_world *w, struct sim_node *n)
{
    if (sim_world_find_node(w, n->name) != NULL)
        return UMPTCP_ERR_EXISTS;
    if (w->nnodes == w->cap_nodes) {
        struct sim_node **grown = sim_array_grow(w->nodes, &w->cap_nodes, sizeof(*grown));
        if (grown == NULL)
            return UMPTCP_ERR_NOMEM;
        w->nodes = grown;
    }
    w->nodes[w->nnodes++] = n;
    return UMPTCP_OK;
}

int sim_world_add_link(struct sim_world *w, struct sim_link *l)
{
    if (sim_world_find_link(w, l->name) != NULL)
        return UMPTCP_ERR_EXISTS;
    if (w->nlinks == w->cap_links) {
        struct sim_link **grown = sim_array_grow(w->links, &w->cap_links, sizeof(*grown));
        if (grown == NULL)
            return UMPTCP_ERR_NOMEM;
        w->links = grown;
    }
    w->links[w->nlinks++] = l;
    return UMPTCP_OK;
}

size_t sim_world_node_count(const struct sim_world *w)
{
    return w->nnodes;
}
size_t sim_world_link_count(const struct sim_world *w)
{
    return w->nlinks;
}

struct sim_node *sim_world_node(const struct sim_world *w, size_t i)
{
    return i < w->nnodes ? w->nodes[i] : NULL;
}

struct sim_link *sim_world_link(const struct sim_world *w, size_t i)
{
    return i < w->nlinks ? w->links[i] : NULL;
}

struct sim_node *sim_world_find_node(const struct sim_world *w, const char *name)
{
    for (size_t i = 0; name != NULL && i < w->nnodes; i++)
        if (strcmp(w->nodes[i]->name, name) == 0)
            return w->nodes[i];
    return NULL;
}

struct sim_link *sim_world_find_link(const struct sim_world *w, const char *name)
{
    for (size_t i = 0; name != NULL && i < w->nlinks; i++)
        if (strcmp(w->links[i]->name, name) == 0)
            return w->links[i];
    return NULL;
}
