/* The host runtime's event loop: epoll over file descriptors (TUN devices, sockets, pipes),
 * one-shot timers for tools, and the timer of ONE sans-IO stack instance, all on the clock of
 * host_clock_now() (CLOCK_MONOTONIC nanoseconds).
 *
 * One iteration: fire due one-shot timers in time order, call the stack's on_timeout() when
 * its next_timeout() is due, then wait in epoll until the earliest of the next timer, the
 * stack's next timeout and the run deadline, and dispatch ready descriptors. The stack's
 * next_timeout() is asked again on every iteration, so I/O callbacks that change it need
 * not tell the loop.
 *
 * Not thread-safe, except host_loop_stop(), which may be called from a signal handler or
 * another thread. No global state: every loop is its own object. */
#ifndef UMPTCP_HOST_LOOP_H
#define UMPTCP_HOST_LOOP_H

#include <stdint.h>

#define HOST_TIME_NONE UINT64_MAX /* "no timeout" / "no deadline" */

struct host_loop;

/* Called when fd is readable (or writable); now is the loop's time after the wait. */
typedef void (*host_io_cb)(void *user, int fd, uint64_t now);
/* A one-shot timer fired at or after its time. */
typedef void (*host_timer_cb)(void *user, uint64_t now);

/* The sans-IO stack the loop drives (model: ngtcp2's get_expiry/handle_expiry). */
struct host_stack_ops {
    /* Absolute time (ns, host_clock_now() clock) of the stack's next timer, or
     * HOST_TIME_NONE. */
    uint64_t (*next_timeout)(void *user);
    /* Called once the time returned by next_timeout() has been reached. */
    void (*on_timeout)(void *user, uint64_t now);
};

/* Why host_loop_run() returned (negative values are errors). */
enum host_loop_exit {
    HOST_LOOP_STOPPED = 0,  /* host_loop_stop() was called */
    HOST_LOOP_DEADLINE = 1, /* the deadline passed */
};

/* Creates a loop. Returns 0, UMPTCP_ERR_NOMEM or another negative error. */
int host_loop_new(struct host_loop **out);
/* Frees the loop; registered descriptors are not closed. NULL is accepted. */
void host_loop_free(struct host_loop *l);

/* Watches fd: on_read when readable (or on error/hang-up, so the reader sees it), on_write
 * when writable. Either callback may be NULL (no interest). Errors: UMPTCP_ERR_EXISTS (fd
 * already registered), UMPTCP_ERR_INVAL, UMPTCP_ERR_NOMEM. */
int host_loop_add_fd(struct host_loop *l, int fd, host_io_cb on_read, host_io_cb on_write,
                     void *user);
/* Replaces the callbacks of a registered fd (NULL = no interest); use it to switch write
 * interest on and off. UMPTCP_ERR_NOTFOUND if fd is not registered. */
int host_loop_mod_fd(struct host_loop *l, int fd, host_io_cb on_read, host_io_cb on_write);
/* Stops watching fd (safe from inside any callback). UMPTCP_ERR_NOTFOUND if unknown. */
int host_loop_del_fd(struct host_loop *l, int fd);

/* Sets (or with ops NULL removes) the stack the loop drives. ops must outlive the loop. */
void host_loop_set_stack(struct host_loop *l, const struct host_stack_ops *ops, void *user);

/* Arms a one-shot timer for absolute time `when`; timers due at the same time fire in the
 * order they were added. *id_out (may be NULL) receives an id > 0 for host_loop_cancel().
 * Returns 0, UMPTCP_ERR_INVAL or UMPTCP_ERR_NOMEM. */
int host_loop_timer_add(struct host_loop *l, uint64_t when, host_timer_cb cb, void *user,
                        uint64_t *id_out);
/* Cancels a pending timer. UMPTCP_ERR_NOTFOUND if it already fired or never existed. */
int host_loop_timer_cancel(struct host_loop *l, uint64_t id);

/* Runs until host_loop_stop() or until the clock reaches deadline (absolute ns;
 * HOST_TIME_NONE = no deadline). Returns HOST_LOOP_STOPPED, HOST_LOOP_DEADLINE or a
 * negative error: UMPTCP_ERR_STATE when called from inside a callback of the same loop, or
 * an epoll failure. A stop requested before the call ends it at once; each stop request
 * ends one run. */
int host_loop_run(struct host_loop *l, uint64_t deadline);
/* Asks the running (or next) host_loop_run() to return. Async-signal-safe and thread-safe:
 * call it from a SIGINT handler. Keeps errno. */
void host_loop_stop(struct host_loop *l);

#endif
