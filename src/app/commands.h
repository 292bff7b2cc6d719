/* The commands of the latchkey binary (see main.c for the table). */
#ifndef LK_APP_COMMANDS_H
#define LK_APP_COMMANDS_H

#include "app/cli.h"

int lk_cmd_serve(struct lk_cli *cli, int argc, char **argv);
int lk_cmd_migrate(struct lk_cli *cli, int argc, char **argv);
int lk_cmd_config_dump(struct lk_cli *cli, int argc, char **argv);
int lk_cmd_key_list(struct lk_cli *cli, int argc, char **argv);
int lk_cmd_key_rotate(struct lk_cli *cli, int argc, char **argv);

#endif
