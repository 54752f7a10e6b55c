/* scn_content, the byte stream every scenario flow sends and checks: the same bytes whatever
 * the pieces they are asked in, different streams per seed, and no repeated word (a byte at
 * the wrong offset shows). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "scenario/scenario_run.h"

#include <string.h>

#define N 4096

static void test_pieces_match_the_whole(void **state)
{
    (void)state;
    static uint8_t whole[N], pieces[N];
    scn_content(7, 1000003, whole, N);
    /* Pieces of every length 1..13 at every alignment. */
    size_t off = 0, len = 1;
    while (off < N) {
        size_t n = len < N - off ? len : N - off;
        scn_content(7, 1000003 + off, pieces + off, n);
        off += n;
        len = len % 13 + 1;
    }
    assert_memory_equal(whole, pieces, N);
}

static void test_seeds_and_words_differ(void **state)
{
    (void)state;
    static uint8_t a[N], b[N];
    scn_content(1, 0, a, N);
    scn_content(2, 0, b, N);
    assert_memory_not_equal(a, b, N);
    for (size_t i = 0; i + 8 <= N; i += 8)
        for (size_t j = i + 8; j + 8 <= N; j += 8)
            assert_memory_not_equal(a + i, a + j, 8);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pieces_match_the_whole),
        cmocka_unit_test(test_seeds_and_words_differ),
    };
    return cmocka_run_group_tests_name("scenario_content", tests, NULL, NULL);
}
