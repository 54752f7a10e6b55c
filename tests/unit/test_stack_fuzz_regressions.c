/* Minimized inputs the stack fuzzer (fuzz/fuzz_stack.c) found, replayed through the same
 * script interpreter (fuzz/stack_script.c): a run aborts when any of its checks fails. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../fuzz/stack_script.h"

/* The stack half-closes (FIN_WAIT_2) while the peer still has 2.5 KB to send into a 2 KB
 * window with a 536-byte MSS. After the application read the first 1608 bytes, FIN_WAIT_2
 * sent no window update, so the peer saw 440 bytes of window (below one segment: sender SWS
 * avoidance waits) and the rest never arrived. Fixed by window updates in FIN_WAIT_2. */
static const uint8_t fin_wait_2_window_update[] = {
    0xdd, 0x14, 0x3e, 0x80,                   /* header: established, no options, reno */
    0x04, 0x00, 0x04, 0x00, 0x02, 0x27, 0x75, /* peer writes 10101 bytes */
    0xff, 0x02, 0x00, 0x02,                   /* stack: shutdown */
};

static void test_fin_wait_2_window_update(void **state)
{
    (void)state;
    stack_script_run(fin_wait_2_window_update, sizeof(fin_wait_2_window_update));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fin_wait_2_window_update),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
