#include "host/loop.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "host/clock.h"
#include "host/syserr.h"
#include "umptcp/error.h"

#define HOST_LOOP_MAX_EVENTS 64
/* epoll tag of the internal wake-up eventfd; descriptor tags are (generation << 32 | slot)
 * with slot < 2^32 - 1, so they never equal it. */
#define HOST_LOOP_WAKE_TAG UINT64_MAX

/* A registered descriptor. Slots are reused; the generation changes on every delete so a
 * stale epoll event (fd deleted by an earlier callback of the same batch) is recognised. */
struct host_loop_fd {
    int fd;
    bool used;
    uint32_t gen;
    host_io_cb on_read;
    host_io_cb on_write;
    void *user;
};

struct host_loop_timer {
    uint64_t when;
    uint64_t id; /* increasing: also the tie-break that keeps insertion order */
    host_timer_cb cb;
    void *user;
};

struct host_loop {
    int epfd;
    int wakefd;
    atomic_int stop_requested;
    bool no_pwait2; /* the kernel lacks epoll_pwait2: wait in milliseconds */
    bool running;   /* inside host_loop_run (no nesting) */

    struct host_loop_fd *fds;
    size_t nfds, fds_cap;

    struct host_loop_timer *timers; /* binary min-heap on (when, id) */
    size_t ntimers, timers_cap;
    uint64_t next_timer_id;

    const struct host_stack_ops *stack_ops;
    void *stack_user;
};

/* ---- lifecycle --------------------------------------------------------------------- */

int host_loop_new(struct host_loop **out)
{
    if (out == NULL)
        return UMPTCP_ERR_INVAL;
    *out = NULL;
    struct host_loop *l = calloc(1, sizeof(*l));
    if (l == NULL)
        return UMPTCP_ERR_NOMEM;
    l->next_timer_id = 1;
    atomic_init(&l->stop_requested, 0);
    l->epfd = epoll_create1(EPOLL_CLOEXEC);
    l->wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    int err = UMPTCP_OK;
    if (l->epfd < 0 || l->wakefd < 0) {
        err = host_err_from_errno(errno);
    } else {
        struct epoll_event ev = {.events = EPOLLIN, .data.u64 = HOST_LOOP_WAKE_TAG};
        if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, l->wakefd, &ev) < 0)
            err = host_err_from_errno(errno);
    }
    if (err != UMPTCP_OK) {
        host_loop_free(l);
        return err;
    }
    *out = l;
    return UMPTCP_OK;
}

void host_loop_free(struct host_loop *l)
{
    if (l == NULL)
        return;
    if (l->epfd >= 0)
        close(l->epfd);
    if (l->wakefd >= 0)
        close(l->wakefd);
    free(l->fds);
    free(l->timers);
    free(l);
}

/* ---- descriptors ------------------------------------------------------------------- */

static struct host_loop_fd *host_loop_find_fd(struct host_loop *l, int fd)
{
    for (size_t i = 0; i < l->nfds; i++)
        if (l->fds[i].used && l->fds[i].fd == fd)
            return &l->fds[i];
    return NULL;
}

static uint32_t host_loop_interest(host_io_cb on_read, host_io_cb on_write)
{
    return (on_read != NULL ? (uint32_t)EPOLLIN : 0u) |
           (on_write != NULL ? (uint32_t)EPOLLOUT : 0u);
}

static uint64_t host_loop_fd_tag(const struct host_loop *l, const struct host_loop_fd *s)
{
    return ((uint64_t)s->gen << 32) | (uint64_t)(s - l->fds);
}

/* A free slot (reused or appended), or NULL when out of memory. */
static struct host_loop_fd *host_loop_alloc_slot(struct host_loop *l)
{
    for (size_t i = 0; i < l->nfds; i++)
        if (!l->fds[i].used)
            return &l->fds[i];
    if (l->nfds == l->fds_cap) {
        size_t cap = l->fds_cap ? l->fds_cap * 2 : 8;
        if (cap >= UINT32_MAX)
            return NULL;
        struct host_loop_fd *n = realloc(l->fds, cap * sizeof(*n));
        if (n == NULL)
            return NULL;
        l->fds = n;
        l->fds_cap = cap;
    }
    struct host_loop_fd *s = &l->fds[l->nfds++];
    memset(s, 0, sizeof(*s));
    return s;
}

int host_loop_add_fd(struct host_loop *l, int fd, host_io_cb on_read, host_io_cb on_write,
                     void *user)
{
    if (l == NULL || fd < 0)
        return UMPTCP_ERR_INVAL;
    if (host_loop_find_fd(l, fd) != NULL)
        return UMPTCP_ERR_EXISTS;
    struct host_loop_fd *s = host_loop_alloc_slot(l);
    if (s == NULL)
        return UMPTCP_ERR_NOMEM;
    struct epoll_event ev = {.events = host_loop_interest(on_read, on_write),
                             .data.u64 = host_loop_fd_tag(l, s)};
    if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
        return host_err_from_errno(errno); /* the slot stays free */
    s->fd = fd;
    s->used = true;
    s->on_read = on_read;
    s->on_write = on_write;
    s->user = user;
    return UMPTCP_OK;
}

int host_loop_mod_fd(struct host_loop *l, int fd, host_io_cb on_read, host_io_cb on_write)
{
    if (l == NULL)
        return UMPTCP_ERR_INVAL;
    struct host_loop_fd *s = host_loop_find_fd(l, fd);
    if (s == NULL)
        return UMPTCP_ERR_NOTFOUND;
    struct epoll_event ev = {.events = host_loop_interest(on_read, on_write),
                             .data.u64 = host_loop_fd_tag(l, s)};
    if (epoll_ctl(l->epfd, EPOLL_CTL_MOD, fd, &ev) < 0)
        return host_err_from_errno(errno);
    s->on_read = on_read;
    s->on_write = on_write;
    return UMPTCP_OK;
}

int host_loop_del_fd(struct host_loop *l, int fd)
{
    if (l == NULL)
        return UMPTCP_ERR_INVAL;
    struct host_loop_fd *s = host_loop_find_fd(l, fd);
    if (s == NULL)
        return UMPTCP_ERR_NOTFOUND;
    /* The fd may already be closed (epoll forgot it then): the slot goes away regardless. */
    (void)epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
    s->used = false;
    s->gen++;
    return UMPTCP_OK;
}

/* ---- timers: a binary min-heap on (when, id) --------------------------------------- */

static bool host_timer_before(const struct host_loop_timer *a, const struct host_loop_timer *b)
{
    return a->when < b->when || (a->when == b->when && a->id < b->id);
}

static void host_timer_swap(struct host_loop *l, size_t i, size_t j)
{
    struct host_loop_timer t = l->timers[i];
    l->timers[i] = l->timers[j];
    l->timers[j] = t;
}

static void host_timer_sift_up(struct host_loop *l, size_t i)
{
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!host_timer_before(&l->timers[i], &l->timers[parent]))
            break;
        host_timer_swap(l, i, parent);
        i = parent;
    }
}

static void host_timer_sift_down(struct host_loop *l, size_t i)
{
    for (;;) {
        size_t least = i, left = 2 * i + 1, right = left + 1;
        if (left < l->ntimers && host_timer_before(&l->timers[left], &l->timers[least]))
            least = left;
        if (right < l->ntimers && host_timer_before(&l->timers[right], &l->timers[least]))
            least = right;
        if (least == i)
            return;
        host_timer_swap(l, i, least);
        i = least;
    }
}

static void host_timer_remove_at(struct host_loop *l, size_t i)
{
    l->ntimers--;
    if (i == l->ntimers)
        return;
    l->timers[i] = l->timers[l->ntimers];
    host_timer_sift_up(l, i);
    host_timer_sift_down(l, i);
}

int host_loop_timer_add(struct host_loop *l, uint64_t when, host_timer_cb cb, void *user,
                        uint64_t *id_out)
{
    if (l == NULL || cb == NULL || when == HOST_TIME_NONE)
        return UMPTCP_ERR_INVAL;
    if (l->ntimers == l->timers_cap) {
        size_t cap = l->timers_cap ? l->timers_cap * 2 : 16;
        struct host_loop_timer *n = realloc(l->timers, cap * sizeof(*n));
        if (n == NULL)
            return UMPTCP_ERR_NOMEM;
        l->timers = n;
        l->timers_cap = cap;
    }
    uint64_t id = l->next_timer_id++;
    l->timers[l->ntimers] =
        (struct host_loop_timer){.when = when, .id = id, .cb = cb, .user = user};
    host_timer_sift_up(l, l->ntimers++);
    if (id_out != NULL)
        *id_out = id;
    return UMPTCP_OK;
}

int host_loop_timer_cancel(struct host_loop *l, uint64_t id)
{
    if (l == NULL)
        return UMPTCP_ERR_INVAL;
    for (size_t i = 0; i < l->ntimers; i++) {
        if (l->timers[i].id == id) {
            host_timer_remove_at(l, i);
            return UMPTCP_OK;
        }
    }
    return UMPTCP_ERR_NOTFOUND;
}

/* ---- stop -------------------------------------------------------------------------- */

void host_loop_stop(struct host_loop *l)
{
    int saved = errno;
    atomic_store(&l->stop_requested, 1);
    uint64_t one = 1;
    /* Only wakes epoll; if the counter is saturated a wake-up is pending anyway. */
    ssize_t n = write(l->wakefd, &one, sizeof(one));
    (void)n;
    errno = saved;
}

static bool host_loop_stopping(struct host_loop *l)
{
    return atomic_load(&l->stop_requested) != 0;
}

static void host_loop_drain_wake(struct host_loop *l)
{
    uint64_t v;
    ssize_t n = read(l->wakefd, &v, sizeof(v));
    (void)n;
}

/* ---- one iteration ------------------------------------------------------------------ */

/* Fires the timers due at now in (when, id) order. Timers added by these callbacks wait for
 * the next iteration, so a callback that re-arms itself at `now` cannot starve the loop. */
static void host_loop_fire_timers(struct host_loop *l, uint64_t now)
{
    uint64_t first_new_id = l->next_timer_id;
    while (l->ntimers > 0 && !host_loop_stopping(l)) {
        struct host_loop_timer t = l->timers[0];
        if (t.when > now || t.id >= first_new_id)
            break;
        host_timer_remove_at(l, 0);
        t.cb(t.user, now);
    }
}

static uint64_t host_loop_stack_next(const struct host_loop *l)
{
    if (l->stack_ops == NULL || l->stack_ops->next_timeout == NULL)
        return HOST_TIME_NONE;
    return l->stack_ops->next_timeout(l->stack_user);
}

static void host_loop_drive_stack(struct host_loop *l, uint64_t now)
{
    if (l->stack_ops == NULL || l->stack_ops->on_timeout == NULL || host_loop_stopping(l))
        return;
    if (host_loop_stack_next(l) <= now)
        l->stack_ops->on_timeout(l->stack_user, now);
}

void host_loop_set_stack(struct host_loop *l, const struct host_stack_ops *ops, void *user)
{
    l->stack_ops = ops;
    l->stack_user = user;
}

static uint64_t host_min(uint64_t a, uint64_t b)
{
    return a < b ? a : b;
}

static uint64_t host_loop_delay(uint64_t now, uint64_t wake)
{
    return wake > now ? wake - now : 0;
}

/* epoll_pwait2: nanosecond timeouts (Linux 5.11). */
static int host_loop_wait_ns(struct host_loop *l, struct epoll_event *evs, uint64_t now,
                             uint64_t wake)
{
    struct timespec ts, *tsp = NULL;
    if (wake != HOST_TIME_NONE) {
        uint64_t d = host_loop_delay(now, wake);
        ts.tv_sec = (time_t)(d / HOST_NS_PER_SEC);
        ts.tv_nsec = (long)(d % HOST_NS_PER_SEC);
        tsp = &ts;
    }
    return epoll_pwait2(l->epfd, evs, HOST_LOOP_MAX_EVENTS, tsp, NULL);
}

/* epoll_wait: millisecond timeouts, rounded up (waking early would only spin). */
static int host_loop_wait_ms(struct host_loop *l, struct epoll_event *evs, uint64_t now,
                             uint64_t wake)
{
    int ms = -1;
    if (wake != HOST_TIME_NONE) {
        uint64_t m = (host_loop_delay(now, wake) + HOST_NS_PER_MS - 1) / HOST_NS_PER_MS;
        ms = m > INT32_MAX ? INT32_MAX : (int)m;
    }
    return epoll_wait(l->epfd, evs, HOST_LOOP_MAX_EVENTS, ms);
}

/* Waits in epoll until `wake` (absolute; HOST_TIME_NONE = forever). Returns the number of
 * events, 0 on timeout or signal, or a negative error. */
static int host_loop_wait(struct host_loop *l, struct epoll_event *evs, uint64_t now, uint64_t wake)
{
    int n = -1;
    if (!l->no_pwait2) {
        n = host_loop_wait_ns(l, evs, now, wake);
        if (n < 0 && errno == ENOSYS)
            l->no_pwait2 = true;
    }
    if (l->no_pwait2)
        n = host_loop_wait_ms(l, evs, now, wake);
    if (n < 0)
        return errno == EINTR ? 0 : host_err_from_errno(errno);
    return n;
}

static struct host_loop_fd *host_loop_slot_of(struct host_loop *l, uint64_t tag)
{
    size_t idx = (size_t)(tag & UINT32_MAX);
    uint32_t gen = (uint32_t)(tag >> 32);
    if (idx >= l->nfds || !l->fds[idx].used || l->fds[idx].gen != gen)
        return NULL; /* deleted by an earlier callback of this batch */
    return &l->fds[idx];
}

/* Calls on_read then on_write for one event, re-checking the registration in between
 * because a callback may delete or modify it (or grow the slot array). */
static void host_loop_dispatch_one(struct host_loop *l, const struct epoll_event *ev, uint64_t now)
{
    const uint32_t bad = EPOLLERR | EPOLLHUP | EPOLLRDHUP;
    struct host_loop_fd *s = host_loop_slot_of(l, ev->data.u64);
    if (s == NULL)
        return;
    bool error = (ev->events & bad) != 0;
    if (s->on_read != NULL && (ev->events & EPOLLIN || error)) {
        s->on_read(s->user, s->fd, now);
        s = host_loop_slot_of(l, ev->data.u64);
    }
    if (s != NULL && s->on_write != NULL &&
        (ev->events & EPOLLOUT || (error && s->on_read == NULL)))
        s->on_write(s->user, s->fd, now);
}

static void host_loop_dispatch(struct host_loop *l, const struct epoll_event *evs, int n)
{
    uint64_t now = host_clock_now();
    for (int i = 0; i < n && !host_loop_stopping(l); i++) {
        if (evs[i].data.u64 == HOST_LOOP_WAKE_TAG)
            host_loop_drain_wake(l);
        else
            host_loop_dispatch_one(l, &evs[i], now);
    }
}

static int host_loop_run_iterations(struct host_loop *l, uint64_t deadline)
{
    struct epoll_event evs[HOST_LOOP_MAX_EVENTS];
    for (;;) {
        if (atomic_exchange(&l->stop_requested, 0) != 0) {
            host_loop_drain_wake(l);
            return HOST_LOOP_STOPPED;
        }
        uint64_t now = host_clock_now();
        host_loop_fire_timers(l, now);
        host_loop_drive_stack(l, now);
        if (host_loop_stopping(l))
            continue;
        if (now >= deadline)
            return HOST_LOOP_DEADLINE;
        uint64_t wake = deadline;
        if (l->ntimers > 0)
            wake = host_min(wake, l->timers[0].when);
        wake = host_min(wake, host_loop_stack_next(l));
        int n = host_loop_wait(l, evs, now, wake);
        if (n < 0)
            return n;
        host_loop_dispatch(l, evs, n);
    }
}

int host_loop_run(struct host_loop *l, uint64_t deadline)
{
    if (l == NULL)
        return UMPTCP_ERR_INVAL;
    if (l->running)
        return UMPTCP_ERR_STATE;
    l->running = true;
    int rc = host_loop_run_iterations(l, deadline);
    l->running = false;
    return rc;
}
