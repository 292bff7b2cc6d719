/* The commands of the latchkey binary (see main.c for the table). */
#ifndef LK_APP_COMMANDS_H
#define LK_APP_COMMANDS_H

#include "app/cli.h"

int lk_cmd_serve(struct lk_cli *cli, int argc, char **argv);
int lk_cmd_migrate(struct lk_cli *cli, int argc, char **argv);
int lk_cmd_config_dump(struct lk_cli *cli, int argc, char **argv);
int lk_cmd_key_list(struct lk_cli *cli, int argc, char **argv);
int lk_cmd_key_rotate(struct lk_cli *cli, int argc, char **argv);

int lk_cmd_app_add(struct lk_cli *cli, int argc, char **argv);
int lk_cmd_app_list(struct lk_cli *cli, int argc, char **argv);
int lk_cmd_app_show(struct lk_cli *cli, int argc, char **argv);
int lk_cmd_app_update(struct lk_cli *cli, int argc, char **argv);
int lk_cmd_app_disable(struct lk_cli *cli, int argc, char **argv);
int lk_cmd_app_enable(struct lk_cli *cli, int argc, char **argv);
int lk_cmd_app_remove(struct lk_cli *cli, int argc, char **argv);
int lk_cmd_app_rotate_secret(struct lk_cli *cli, int argc, char **argv);
int lk_cmd_app_token(struct lk_cli *cli, int argc, char **argv);
int lk_cmd_user_add(struct lk_cli *cli, int argc, char **argv);
int lk_cmd_user_list(struct lk_cli *cli, int argc, char **argv);
int lk_cmd_user_show(struct lk_cli *cli, int argc, char **argv);
int lk_cmd_user_disable(struct lk_cli *cli, int argc, char **argv);
int lk_cmd_user_enable(struct lk_cli *cli, int argc, char **argv);
int lk_cmd_user_remove(struct lk_cli *cli, int argc, char **argv);
int lk_cmd_user_passwd(struct lk_cli *cli, int argc, char **argv);
int lk_cmd_scope_add(struct lk_cli *cli, int argc, char **argv);
int lk_cmd_scope_list(struct lk_cli *cli, int argc, char **argv);
int lk_cmd_scope_remove(struct lk_cli *cli, int argc, char **argv);
int lk_cmd_audit(struct lk_cli *cli, int argc, char **argv);

#endif
