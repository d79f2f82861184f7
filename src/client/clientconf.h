/* SPDX-License-Identifier: GPL-2.0-or-later */
/* portgate-client's configuration (portgate-client.yaml(5)): strict YAML,
 * errors as FILE:LINE:COL, all or nothing. */
#ifndef PORTGATE_CLIENT_CLIENTCONF_H
#define PORTGATE_CLIENT_CLIENTCONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "client/renew.h"

#define CLIENT_PATH_MAX 256

struct client_app {
	bool on;
	char url[CLIENT_PATH_MAX];
	char username[64];
	char password_file[CLIENT_PATH_MAX];	/* "" : no password */
	uint32_t timeout;			/* seconds per HTTP request */
};

struct client_config {
	char interface[16];		/* the WireGuard interface */
	bool has_gateway;
	uint32_t gateway;		/* host byte order */
	struct renew_config renew;
	char port_file[CLIENT_PATH_MAX];	/* "" : none */
	char hook[CLIENT_PATH_MAX];		/* "" : none; run as HOOK PORT */
	char down_hook[CLIENT_PATH_MAX];	/* "" : none; run when the port is lost */
	struct client_app transmission, qbittorrent;
	char recovery_command[CLIENT_PATH_MAX];	/* "" : no recovery */
	bool delete_on_stop;
	char metrics_listen[64];		/* "" : off */
};

/* What a path names, and so the rule it must pass before the run uses it:
 * a file the client writes (absolute), a program it runs without a shell
 * (absolute, an executable regular file now), a secret it reads (absolute,
 * or credential:NAME of systemd's $CREDENTIALS_DIRECTORY). */
enum client_path { CLIENT_PATH_WRITTEN, CLIENT_PATH_PROGRAM, CLIENT_PATH_SECRET };

/* NULL when path passes kind's rule, else why not (a static string, or
 * buf filled). The loader and the command line's flags both ask it. */
const char *client_path_problem(enum client_path kind, const char *path, char *buf,
				size_t len);
/* NULL when name can be a Linux interface's name, else why not. */
const char *client_ifname_problem(const char *name);

/* The defaults (interface still to be named). */
void client_config_defaults(struct client_config *c);
/* 0, or -1 with "FILE:LINE:COL: reason" in err. */
int client_config_load(const char *path, struct client_config *out, char *err, size_t errlen);
int client_config_load_string(const char *name, const char *text, size_t len,
			      struct client_config *out, char *err, size_t errlen);

#endif
