#ifndef UMPTCP_EXPORT_H
#define UMPTCP_EXPORT_H
/* Marks the public API: the shared library is built with hidden visibility. */
#if defined(__GNUC__)
#define UMPTCP_API __attribute__((visibility("default")))
#else
#define UMPTCP_API
#endif
#endif
