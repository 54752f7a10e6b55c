/* umptcp: the command-line tool. Each subcommand lives in its own file (cmd_*.c). */
#include "commands.h"
#include "umptcp/umptcp.h"

#include <stdio.h>
#include <string.h>

static const struct umptcp_command commands[] = {
    {"sim", "run a scenario (file or preset) in the deterministic network simulator", cmd_sim_main},
    {"cat", "copy stdin/stdout over a TCP connection of a umptcp stack on TUN devices",
     cmd_cat_main},
};

static void usage(FILE *out)
{
    fprintf(out, "usage: umptcp [--help] [--version] COMMAND [ARGS...]\n\n"
                 "Multipath TCP (RFC 8684) in userspace.\n\ncommands:\n");
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        fprintf(out, "  %-8s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\nRun 'umptcp COMMAND --help' for a command's options.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "-V") == 0) {
        printf("umptcp %s\n", umptcp_version());
        return 0;
    }
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
        if (strcmp(cmd, commands[i].name) == 0)
            return commands[i].main(argc - 1, argv + 1);
    }
    fprintf(stderr, "umptcp: unknown command '%s' (try 'umptcp --help')\n", cmd);
    return 2;
}
