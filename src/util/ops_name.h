/* The rule every ops registry (congestion control, scheduler, path manager) applies to the
 * names users pick by: 1 to max characters of [a-z0-9_-], so a name is safe in a command
 * line, a config file and a counter's name. */
#ifndef UMPTCP_UTIL_OPS_NAME_H
#define UMPTCP_UTIL_OPS_NAME_H

#include <stdbool.h>
#include <stddef.h>

static inline bool ops_name_valid(const char *name, size_t max)
{
    if (name == NULL || name[0] == '\0')
        return false;
    size_t n = 0;
    for (const char *p = name; *p != '\0'; p++, n++) {
        char c = *p;
        bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
        if (!ok || n >= max)
            return false;
    }
    return true;
}

#endif
