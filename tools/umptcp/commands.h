#ifndef UMPTCP_TOOL_COMMANDS_H
#define UMPTCP_TOOL_COMMANDS_H

struct umptcp_command {
    const char *name;
    const char *summary;
    int (*main)(int argc, char **argv); /* argv[0] is the command name */
};

int cmd_cat_main(int argc, char **argv);
int cmd_sim_main(int argc, char **argv);

#endif
