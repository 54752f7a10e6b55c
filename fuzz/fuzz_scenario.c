/* libFuzzer target: scenario texts (docs/SCENARIOS.md) through scn_parse_text.
 * The input, up to its first NUL, is parsed as a scenario. A success must describe a model
 * the runner can trust: counts within their bounds, every index in range, names valid,
 * link configurations accepted by the simulator, events in time order within the duration.
 * A failure must say why in one line that starts with the origin. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "scenario/scenario.h"
#include "scenario/scenario_values.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ORIGIN "fuzz.ini"

static void check(bool ok)
{
    if (!ok)
        abort();
}

static void check_nodes(const struct scn_scenario *s)
{
    check(s->nnode <= SCN_MAX_NODES);
    for (size_t n = 0; n < s->nnode; n++) {
        const struct scn_node *nd = &s->node[n];
        check(scn_name_valid(nd->name) && scn_find_node(s, nd->name) == (int)n);
        check(nd->line > 0 && nd->niface <= SCN_MAX_IFACES);
        check(nd->kind == SCN_NODE_HOST ? nd->niface >= 1 : nd->niface == 0);
        for (size_t i = 0; i < nd->niface; i++) {
            const struct scn_iface *ifc = &nd->iface[i];
            check(ifc->naddr >= 1 && ifc->naddr <= SCN_MAX_IFACE_ADDRS && ifc->line > 0);
            for (size_t k = 0; k < ifc->naddr; k++) {
                size_t on, oi;
                check(scn_find_addr(s, &ifc->addr[k], &on, &oi) && on == n && oi == i);
            }
        }
    }
}

static void check_links(const struct scn_scenario *s)
{
    check(s->nlink <= SCN_MAX_LINKS);
    for (size_t l = 0; l < s->nlink; l++) {
        const struct scn_link *lk = &s->link[l];
        check(scn_name_valid(lk->name) && scn_find_link(s, lk->name) == (int)l);
        check(lk->node[0] != lk->node[1]);
        for (int e = 0; e < 2; e++) {
            check(lk->node[e] < s->nnode);
            const struct scn_node *nd = &s->node[lk->node[e]];
            if (nd->kind == SCN_NODE_ROUTER)
                check(lk->iface[e] == -1);
            else
                check(lk->iface[e] >= 0 && (size_t)lk->iface[e] < nd->niface &&
                      scn_iface_link(s, lk->node[e], (size_t)lk->iface[e]) == (int)l);
            check(sim_link_config_check(&lk->dir[e].cfg) == 0);
            check(lk->dir[e].middlebox <= SCN_MB_DROP_ADD_ADDR);
        }
    }
}

static void check_flows(const struct scn_scenario *s)
{
    check(s->nflow >= 1 && s->nflow <= SCN_MAX_FLOWS);
    for (size_t f = 0; f < s->nflow; f++) {
        const struct scn_flow *fl = &s->flow[f];
        size_t n;
        check(scn_name_valid(fl->name));
        check(fl->client < s->nnode && fl->server < s->nnode && fl->client != fl->server);
        check(s->node[fl->client].kind == SCN_NODE_HOST);
        check(s->node[fl->server].kind == SCN_NODE_HOST);
        check(scn_find_addr(s, &fl->source, &n, NULL) && n == fl->client);
        check(scn_find_addr(s, &fl->server_addr, &n, NULL) && n == fl->server);
        check(fl->source.family == fl->server_addr.family);
        check(fl->port != 0 && fl->start_ns <= s->duration_ns && fl->max_subflows <= 8);
        check(memchr(fl->cc, 0, sizeof(fl->cc)) != NULL);
        for (size_t g = 0; g < f; g++)
            check(s->flow[g].server != fl->server || s->flow[g].port != fl->port);
    }
}

static void check_events(const struct scn_scenario *s)
{
    check(s->nevent <= SCN_MAX_EVENTS);
    for (size_t i = 0; i < s->nevent; i++) {
        const struct scn_event *ev = &s->event[i];
        check(ev->at_ns <= s->duration_ns && ev->line > 0);
        if (i > 0)
            check(s->event[i - 1].at_ns < ev->at_ns ||
                  (s->event[i - 1].at_ns == ev->at_ns && s->event[i - 1].line < ev->line));
        if (scn_event_is_address(ev->kind)) {
            size_t n, ifc;
            check(scn_find_addr(s, &ev->addr, &n, &ifc) && n == ev->node && ifc == ev->iface);
        } else {
            check(ev->kind <= SCN_EV_QUEUE && ev->link < s->nlink);
            check(ev->dirmask != 0 && (ev->dirmask & ~(SCN_DIR_AB | SCN_DIR_BA)) == 0);
            check(ev->kind != SCN_EV_LOSS || (ev->p >= 0.0 && ev->p <= 1.0));
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct scn_scenario s;
    char *text = malloc(size + 1);
    if (text == NULL)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    char err[512];
    memset(err, 0x55, sizeof(err));
    int rc = scn_parse_text(text, ORIGIN, &s, err, sizeof(err));
    free(text);
    if (rc != 0) {
        check(rc < 0 && memchr(err, 0, sizeof(err)) != NULL && strchr(err, '\n') == NULL);
        check(strncmp(err, ORIGIN ":", strlen(ORIGIN ":")) == 0 &&
              strlen(err) > strlen(ORIGIN ":"));
        return 0;
    }
    check(scn_name_valid(s.name) && s.duration_ns > 0 && s.duration_ns <= SCN_MAX_DURATION_NS);
    check(memchr(s.description, 0, sizeof(s.description)) != NULL);
    check_nodes(&s);
    check_links(&s);
    check_flows(&s);
    check_events(&s);
    return 0;
}
