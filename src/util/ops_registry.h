/* One small registry of named ops tables, shared by congestion control, schedulers and path
 * managers. Every table it holds starts with `const char *name` (C17 6.7.2.1: a pointer to a
 * struct converts to a pointer to its first member), so the registry can read the name of any
 * of them without knowing their type; each module keeps a typed wrapper that validates its
 * own hooks first. One per stack: no global mutable state. */
#ifndef UMPTCP_UTIL_OPS_REGISTRY_H
#define UMPTCP_UTIL_OPS_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>

#define OPS_REGISTRY_MAX 16

struct ops_registry {
    const void *ops[OPS_REGISTRY_MAX];
    size_t count;
};

/* The name of a table whose first member is `const char *name`. */
static inline const char *ops_registry_name_of(const void *ops)
{
    return *(const char *const *)ops;
}

/* Empties reg. */
void ops_registry_clear(struct ops_registry *reg);
/* Adds ops (it must outlive reg). UMPTCP_ERR_INVAL: NULL or a name that fails
 * ops_name_valid(name, name_max). UMPTCP_ERR_EXISTS: the name is taken. UMPTCP_ERR_NOMEM:
 * OPS_REGISTRY_MAX entries already. */
int ops_registry_add(struct ops_registry *reg, const void *ops, size_t name_max);
/* The table with that name, NULL when none (or NULL arguments). */
const void *ops_registry_find(const struct ops_registry *reg, const char *name);
size_t ops_registry_count(const struct ops_registry *reg);
/* The i-th name in registration order, NULL past the end. */
const char *ops_registry_name_at(const struct ops_registry *reg, size_t i);
/* The names separated by ", " into buf (NUL-terminated when len > 0); returns the length the
 * full list needs (without NUL), like snprintf, or UMPTCP_ERR_INVAL. */
int ops_registry_list(const struct ops_registry *reg, char *buf, size_t len);

#endif
