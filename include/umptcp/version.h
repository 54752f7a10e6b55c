#ifndef UMPTCP_VERSION_H
#define UMPTCP_VERSION_H

#include "umptcp/export.h"

#define UMPTCP_VERSION_MAJOR 0
#define UMPTCP_VERSION_MINOR 1
#define UMPTCP_VERSION_PATCH 0
#define UMPTCP_VERSION_STRING "0.1.0"

/* The version of the library actually linked (may differ from the header's). */
UMPTCP_API const char *umptcp_version(void);

#endif
