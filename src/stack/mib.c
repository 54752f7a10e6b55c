#include "stack/mib.h"

static const char *const mib_names[MIB_COUNT] = {
#define MIB_NAME(id, name) [MIB_##id] = name,
    MIB_COUNTERS(MIB_NAME)
#undef MIB_NAME
};

const char *mib_name(enum mib_counter c)
{
    return (unsigned)c < MIB_COUNT ? mib_names[c] : "?";
}
