/* libFuzzer target: the whole packet input path of a listening stack and of a stack with
 * established connections (design tier 4). The input is a script (fuzz/stack_script.h):
 * forged segments into the stack under test, time passing, application calls on both sides
 * of an in-memory wire to a well-behaved peer stack, and checks after every step. */
#include <stddef.h>
#include <stdint.h>

#include "stack_script.h"

/* fuzz/CMakeLists.txt builds one source file per target: the interpreter comes along. */
#include "stack_mptcp.c"
#include "stack_script.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    stack_script_run(data, size);
    return 0;
}
