/* Looking up nodes, links, flows and addresses of a scenario by name or value. */
#include "scenario/scenario.h"

#include <string.h>

int scn_find_node(const struct scn_scenario *s, const char *name)
{
    for (size_t i = 0; i < s->nnode; i++)
        if (strcmp(s->node[i].name, name) == 0)
            return (int)i;
    return -1;
}

int scn_find_link(const struct scn_scenario *s, const char *name)
{
    for (size_t i = 0; i < s->nlink; i++)
        if (strcmp(s->link[i].name, name) == 0)
            return (int)i;
    return -1;
}

bool scn_find_addr(const struct scn_scenario *s, const umptcp_addr *addr, size_t *node,
                   size_t *iface)
{
    for (size_t n = 0; n < s->nnode; n++) {
        const struct scn_node *nd = &s->node[n];
        for (size_t i = 0; i < nd->niface; i++) {
            for (size_t k = 0; k < nd->iface[i].naddr; k++) {
                if (!umptcp_addr_equal(&nd->iface[i].addr[k], addr))
                    continue;
                if (node != NULL)
                    *node = n;
                if (iface != NULL)
                    *iface = i;
                return true;
            }
        }
    }
    return false;
}

int scn_iface_link(const struct scn_scenario *s, size_t node, size_t iface)
{
    for (size_t l = 0; l < s->nlink; l++)
        for (int end = 0; end < 2; end++)
            if (s->link[l].node[end] == node && s->link[l].iface[end] == (int)iface)
                return (int)l;
    return -1;
}
