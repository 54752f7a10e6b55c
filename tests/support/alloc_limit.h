/* Real allocation failures for tests of NOMEM paths: include once per test executable, after
 * defining TU_ALLOC_LIMIT_MB. Under AddressSanitizer every allocation above that many MiB then
 * returns NULL (ASan's allocator_may_return_null + max_allocation_size_mb), and
 * HAVE_ALLOC_LIMIT is defined; without ASan it is not, and such tests skip themselves. */
#ifndef UMPTCP_TESTS_ALLOC_LIMIT_H
#define UMPTCP_TESTS_ALLOC_LIMIT_H

#if defined(__SANITIZE_ADDRESS__)
#define HAVE_ALLOC_LIMIT 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HAVE_ALLOC_LIMIT 1
#endif
#endif

#ifdef HAVE_ALLOC_LIMIT
#define TU_ALLOC_STR2(x) #x
#define TU_ALLOC_STR(x) TU_ALLOC_STR2(x)
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
    return "allocator_may_return_null=1:max_allocation_size_mb=" TU_ALLOC_STR(TU_ALLOC_LIMIT_MB);
}
#endif

#endif
