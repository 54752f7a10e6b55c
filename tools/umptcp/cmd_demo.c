/* umptcp demo: placeholder until the simulator core lands (replaced in this issue). */
#include "commands.h"

#include <stdio.h>

int cmd_demo_main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "umptcp demo: the simulator is not built yet\n");
    return 1;
}
