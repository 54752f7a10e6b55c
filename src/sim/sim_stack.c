/* Simulator hosts running a umptcp stack: the node callbacks forward to the stack, the stack's
 * callbacks go back into the simulator. */
#include "sim/sim_stack.h"

#include "sim/sim_internal.h"
#include "umptcp/error.h"

#include <stdlib.h>

struct sim_stack_host {
    struct sim_node *node; /* set once the node exists */
    umptcp_stack *stack;
    uint64_t send_errors;
};

/* ---- the stack's callbacks -------------------------------------------------------------- */

static int sim_stack_cb_send(void *user, int ifindex, const uint8_t *pkt, size_t len)
{
    struct sim_stack_host *h = user;
    int rc = sim_node_send(h->node, ifindex, pkt, len);
    if (rc != UMPTCP_OK)
        h->send_errors++;
    return rc;
}

static void sim_stack_cb_random(void *user, uint8_t *buf, size_t n)
{
    struct sim_stack_host *h = user;
    sim_stack_fill_random(h->node, buf, n);
}

static const umptcp_callbacks sim_stack_callbacks = {.send = sim_stack_cb_send,
                                                     .random = sim_stack_cb_random};

/* ---- the node's callbacks --------------------------------------------------------------- */

static void sim_stack_receive(struct sim_node *node, void *user, int ifindex, const uint8_t *pkt,
                              size_t len, uint64_t now)
{
    struct sim_stack_host *h = user;
    if (h->stack != NULL)
        (void)umptcp_stack_input(h->stack, ifindex, pkt, len, now); /* drops are counted */
}

static uint64_t sim_stack_next_timeout(struct sim_node *node, void *user)
{
    struct sim_stack_host *h = user;
    if (h->stack == NULL)
        return SIM_TIME_NEVER;
    uint64_t when = umptcp_stack_next_timeout(h->stack);
    return when == UMPTCP_TIME_NEVER ? SIM_TIME_NEVER : when;
}

static void sim_stack_on_timeout(struct sim_node *node, void *user, uint64_t now)
{
    struct sim_stack_host *h = user;
    if (h->stack != NULL)
        umptcp_stack_on_timeout(h->stack, now);
}

static void sim_stack_destroy(struct sim_node *node, void *user)
{
    struct sim_stack_host *h = user;
    umptcp_stack_free(h->stack);
    free(h);
}

static const struct sim_node_ops sim_stack_ops = {.receive = sim_stack_receive,
                                                  .next_timeout = sim_stack_next_timeout,
                                                  .on_timeout = sim_stack_on_timeout,
                                                  .destroy = sim_stack_destroy};

/* ---- public functions ------------------------------------------------------------------- */

static struct sim_stack_host *sim_stack_host_of(const struct sim_node *n)
{
    if (n == NULL || n->ops != &sim_stack_ops)
        return NULL;
    return n->user;
}

int sim_stack_host_new(struct sim_node **out, struct sim_world *w, const char *name,
                       const umptcp_config *cfg, umptcp_stack **stack_out)
{
    if (out == NULL)
        return UMPTCP_ERR_INVAL;
    *out = NULL;
    if (stack_out != NULL)
        *stack_out = NULL;
    struct sim_stack_host *h = calloc(1, sizeof(*h));
    if (h == NULL)
        return UMPTCP_ERR_NOMEM;
    /* The node comes first: the stack may draw random bytes while it is being created. */
    int rc = sim_host_new(&h->node, w, name, &sim_stack_ops, h);
    if (rc != UMPTCP_OK) {
        free(h);
        return rc;
    }
    *out = h->node; /* from here on the world owns h (sim_stack_destroy) */
    rc = umptcp_stack_new(&h->stack, cfg, &sim_stack_callbacks, h);
    if (rc != UMPTCP_OK)
        return rc;
    if (stack_out != NULL)
        *stack_out = h->stack;
    return UMPTCP_OK;
}

bool sim_stack_is_host(const struct sim_node *n)
{
    return sim_stack_of(n) != NULL;
}

umptcp_stack *sim_stack_of(const struct sim_node *n)
{
    struct sim_stack_host *h = sim_stack_host_of(n);
    return h != NULL ? h->stack : NULL;
}

int sim_stack_add_address(struct sim_node *n, int ifindex, const umptcp_addr *addr)
{
    umptcp_stack *s = sim_stack_of(n);
    if (s == NULL || addr == NULL)
        return UMPTCP_ERR_INVAL;
    int rc = sim_node_add_address(n, ifindex, addr);
    if (rc != UMPTCP_OK)
        return rc;
    return umptcp_stack_add_address(s, ifindex, addr);
}

int sim_stack_add_address_text(struct sim_node *n, int ifindex, const char *text)
{
    umptcp_addr a;
    int rc = umptcp_addr_parse(&a, text);
    if (rc != UMPTCP_OK)
        return rc;
    return sim_stack_add_address(n, ifindex, &a);
}

void sim_stack_set_event_cb(struct sim_node *n, umptcp_event_cb cb, void *user)
{
    umptcp_stack *s = sim_stack_of(n);
    if (s != NULL)
        umptcp_stack_set_event_cb(s, cb, user);
}

void sim_stack_fill_random(struct sim_node *n, uint8_t *buf, size_t len)
{
    sim_rng_fill(sim_node_rng(n), buf, len);
}

uint64_t sim_stack_send_errors(const struct sim_node *n)
{
    struct sim_stack_host *h = sim_stack_host_of(n);
    return h != NULL ? h->send_errors : 0;
}
