/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What the HTTP API's requests mean (apiroute.h names the paths), through
 * gateway.h and the control socket's JSON (commands.h): the same answers
 * and the same changes as portgatectl. */
#ifndef PORTGATE_DAEMON_APISERVE_H
#define PORTGATE_DAEMON_APISERVE_H

struct api_request;

/* An api_handler: arg is the struct gateway. */
char *gateway_api_request(void *arg, const struct api_request *req, unsigned *status);

#endif
