/* Simulator hosts that run a real umptcp stack (internal API, prefix sim_stack_).
 *
 * A stack host is an ordinary simulator host (sim_node.h) whose callbacks are wired to one
 * umptcp_stack:
 *   - a packet delivered to interface i goes into umptcp_stack_input(stack, i, ...);
 *   - the stack's send callback is sim_node_send on the interface the stack chose;
 *   - the node's timer is umptcp_stack_next_timeout / umptcp_stack_on_timeout;
 *   - the stack's random callback draws from the node's own seeded stream (sim_node_rng), so
 *     the same world seed gives the same ISNs, keys and packets, byte for byte;
 *   - the stack is freed with the node (when the world is freed).
 *
 * Timer rule. The world asks a node for its next deadline after every callback it makes into
 * the node (packet delivery, timer) and after every sim_world_at callback. Any other call into
 * a stack that may arm or move a timer or send (umptcp_connect, umptcp_conn_write,
 * umptcp_conn_close, ... made by a test between two sim_world_run calls) must be followed by
 * sim_node_refresh_timer(node), or the stack's timers silently never fire. Event callbacks
 * run inside a stack call, so what they do to their own stack is covered by the call that
 * delivered them. The `now` passed to such calls must be sim_world_now(world).
 *
 * Addresses: give a host its addresses with sim_stack_add_address, which adds the address to
 * the node's interface (for routing and captures) and to the stack (for demultiplexing). */
#ifndef UMPTCP_SIM_STACK_H
#define UMPTCP_SIM_STACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/sim.h"
#include "umptcp/conn.h"
#include "umptcp/stack.h"

/* Creates host `name` in w running a new stack configured by cfg (NULL: defaults).
 * *out receives the node and, when stack_out is not NULL, *stack_out the stack.
 * Errors: those of sim_host_new (the name is then free again) and of umptcp_stack_new; in
 * the latter case the node stays in the world as a host without a stack (it drops what it
 * receives) and keeps its name. */
int sim_stack_host_new(struct sim_node **out, struct sim_world *w, const char *name,
                       const umptcp_config *cfg, umptcp_stack **stack_out);

/* True when n was made by sim_stack_host_new (and has a stack). */
bool sim_stack_is_host(const struct sim_node *n);
/* The stack of a stack host, NULL for any other node. */
umptcp_stack *sim_stack_of(const struct sim_node *n);

/* Adds addr to interface ifindex of the node and to the stack. Errors of
 * sim_node_add_address or umptcp_stack_add_address (then the node keeps the address, the
 * stack does not); UMPTCP_ERR_INVAL when n is not a stack host. */
int sim_stack_add_address(struct sim_node *n, int ifindex, const umptcp_addr *addr);
/* The same with a textual address ("10.0.1.1", "fd00:1::1"). */
int sim_stack_add_address_text(struct sim_node *n, int ifindex, const char *text);

/* Sets the event callback of the host's stack (umptcp_stack_set_event_cb): connection events
 * of this host go to cb(user, ...). They are delivered from inside the stack call that caused
 * them (a packet delivery, a timer, or an API call); the rule above covers what cb does to
 * this host's stack. Does nothing when n is not a stack host. */
void sim_stack_set_event_cb(struct sim_node *n, umptcp_event_cb cb, void *user);

/* What the stack's random callback does: fills buf with len bytes of the node's stream. */
void sim_stack_fill_random(struct sim_node *n, uint8_t *buf, size_t len);

/* How many times the send callback failed (sim_node_send refused the packet: bad length or
 * unknown interface; the stack counts these as IpOutDiscards). Network drops are not
 * failures. */
uint64_t sim_stack_send_errors(const struct sim_node *n);

#endif
