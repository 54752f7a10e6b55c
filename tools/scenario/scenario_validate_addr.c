/* Address events over time: an address is there from the start unless its first add/remove
 * event is an add-address (then it appears only at that time: a phone walking into WiFi).
 * remove-address needs the address there, add-address needs it gone, backup needs it there,
 * and a flow's source and server addresses must be there when the flow starts (flows start
 * before events of the same time). */
#include "scenario/scenario.h"
#include "scenario/scenario_parse_internal.h"
#include "scenario/scenario_values.h"

#include <stdio.h>

static bool scn_is_presence_event(enum scn_event_kind k)
{
    return k == SCN_EV_REMOVE_ADDR || k == SCN_EV_ADD_ADDR;
}

/* Index of addr within its interface's addresses. */
static size_t scn_addr_slot(const struct scn_iface *ifc, const umptcp_addr *addr)
{
    size_t k = 0;
    while (k + 1 < ifc->naddr && !umptcp_addr_equal(&ifc->addr[k], addr))
        k++;
    return k;
}

/* Marks the addresses whose first presence event adds them: absent until then. */
static void scn_mark_late(struct scn_scenario *s)
{
    for (size_t i = 0; i < s->nevent; i++) {
        const struct scn_event *ev = &s->event[i];
        if (!scn_is_presence_event(ev->kind))
            continue;
        bool first = true;
        for (size_t j = 0; j < i && first; j++)
            first = !(scn_is_presence_event(s->event[j].kind) &&
                      umptcp_addr_equal(&s->event[j].addr, &ev->addr));
        if (!first)
            continue;
        struct scn_iface *ifc = &s->node[ev->node].iface[ev->iface];
        ifc->late[scn_addr_slot(ifc, &ev->addr)] = ev->kind == SCN_EV_ADD_ADDR;
    }
}

/* Is addr there just before time t (events strictly earlier), and which presence event
 * decided it (its line, 0 = none: the start)? */
static bool scn_present_before(const struct scn_scenario *s, const umptcp_addr *addr, uint64_t t,
                               size_t upto, int *line)
{
    size_t n, i;
    if (!scn_find_addr(s, addr, &n, &i))
        return false;
    const struct scn_iface *ifc = &s->node[n].iface[i];
    bool there = !ifc->late[scn_addr_slot(ifc, addr)];
    *line = 0;
    for (size_t j = 0; j < upto && s->event[j].at_ns < t; j++) {
        const struct scn_event *ev = &s->event[j];
        if (scn_is_presence_event(ev->kind) && umptcp_addr_equal(&ev->addr, addr)) {
            there = ev->kind == SCN_EV_ADD_ADDR;
            *line = ev->line;
        }
    }
    return there;
}

/* " (removed on line N)", " (added on line N)", or "" when nothing happened to it yet. */
static const char *scn_why_state(bool there, int line, char *buf, size_t len)
{
    if (line == 0)
        snprintf(buf, len, "%s", there ? " (it is there from the start)" : "");
    else
        snprintf(buf, len, " (%s on line %d)", there ? "added" : "removed", line);
    return buf;
}

static bool scn_check_addr_event(struct scn_pstate *st, size_t i)
{
    const struct scn_scenario *s = st->s;
    const struct scn_event *ev = &s->event[i];
    int line;
    /* Every earlier event in the sorted list counts, including ones at the same time. */
    bool there = scn_present_before(s, &ev->addr, ev->at_ns + 1, i, &line);
    bool want = ev->kind != SCN_EV_ADD_ADDR;
    if (there == want)
        return true;
    char a[UMPTCP_ADDR_STRLEN], why[64];
    const char *action = ev->kind == SCN_EV_ADD_ADDR      ? "add-address"
                         : ev->kind == SCN_EV_REMOVE_ADDR ? "remove-address"
                                                          : "backup";
    if (line == 0 && !there)
        snprintf(why, sizeof(why), " (it is added later, so absent until then)");
    else
        scn_why_state(there, line, why, sizeof(why));
    return scn_fail(st, ev->line, "[events]: %s %s: host '%s' %s the address at that time%s",
                    action, scn_addr_str(&ev->addr, a, sizeof(a)), s->node[ev->node].name,
                    there ? "already has" : "does not have", why);
}

static bool scn_check_flow_addr(struct scn_pstate *st, size_t fi, const umptcp_addr *addr,
                                const char *role)
{
    const struct scn_scenario *s = st->s;
    const struct scn_flow *f = &s->flow[fi];
    int line;
    if (scn_present_before(s, addr, f->start_ns, s->nevent, &line))
        return true;
    char a[UMPTCP_ADDR_STRLEN], t[32], why[64];
    scn_format_time(f->start_ns, t, sizeof(t));
    if (line == 0)
        snprintf(why, sizeof(why), " (it is added later)");
    else
        scn_why_state(false, line, why, sizeof(why));
    return scn_fail(st, f->line, "flow '%s': its %s address %s is not there when it starts at %s%s",
                    f->name, role, scn_addr_str(addr, a, sizeof(a)), t, why);
}

bool scn_validate_addr_events(struct scn_pstate *st)
{
    struct scn_scenario *s = st->s;
    scn_mark_late(s);
    for (size_t i = 0; i < s->nevent; i++)
        if (scn_event_is_address(s->event[i].kind) && !scn_check_addr_event(st, i))
            return false;
    for (size_t fi = 0; fi < s->nflow; fi++) {
        if (!scn_check_flow_addr(st, fi, &s->flow[fi].source, "source") ||
            !scn_check_flow_addr(st, fi, &s->flow[fi].server_addr, "server"))
            return false;
    }
    return true;
}
