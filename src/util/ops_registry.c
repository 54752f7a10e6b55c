/* The shared registry of named ops tables; see ops_registry.h. */
#include "util/ops_registry.h"

#include "umptcp/error.h"
#include "util/ops_name.h"

#include <string.h>

void ops_registry_clear(struct ops_registry *reg)
{
    memset(reg, 0, sizeof(*reg));
}

int ops_registry_add(struct ops_registry *reg, const void *ops, size_t name_max)
{
    if (reg == NULL || ops == NULL || !ops_name_valid(ops_registry_name_of(ops), name_max))
        return UMPTCP_ERR_INVAL;
    if (ops_registry_find(reg, ops_registry_name_of(ops)) != NULL)
        return UMPTCP_ERR_EXISTS;
    if (reg->count >= OPS_REGISTRY_MAX)
        return UMPTCP_ERR_NOMEM;
    reg->ops[reg->count++] = ops;
    return UMPTCP_OK;
}

const void *ops_registry_find(const struct ops_registry *reg, const char *name)
{
    if (reg == NULL || name == NULL)
        return NULL;
    for (size_t i = 0; i < reg->count && i < OPS_REGISTRY_MAX; i++)
        if (strcmp(ops_registry_name_of(reg->ops[i]), name) == 0)
            return reg->ops[i];
    return NULL;
}

size_t ops_registry_count(const struct ops_registry *reg)
{
    return reg == NULL ? 0 : reg->count;
}

const char *ops_registry_name_at(const struct ops_registry *reg, size_t i)
{
    if (reg == NULL || i >= reg->count || i >= OPS_REGISTRY_MAX)
        return NULL;
    return ops_registry_name_of(reg->ops[i]);
}

int ops_registry_list(const struct ops_registry *reg, char *buf, size_t len)
{
    if (reg == NULL || (buf == NULL && len > 0))
        return UMPTCP_ERR_INVAL;
    size_t need = 0;
    for (size_t i = 0; i < reg->count && i < OPS_REGISTRY_MAX; i++) {
        const char *parts[2] = {i > 0 ? ", " : "", ops_registry_name_of(reg->ops[i])};
        for (size_t k = 0; k < 2; k++)
            for (const char *p = parts[k]; *p != '\0'; p++, need++)
                if (need + 1 < len)
                    buf[need] = *p;
    }
    if (len > 0)
        buf[need < len ? need : len - 1] = '\0';
    return (int)need;
}
