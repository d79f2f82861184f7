/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer target: a control-socket request line (JSON from a local
 * client) through the command parser. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/command.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct command cmd;
	char err[256] = "";
	char *text = malloc(size + 1);

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (command_parse(text, &cmd, err, sizeof(err)) == 0) {
		if ((cmd.kind == COMMAND_DROP_PORT || cmd.kind == COMMAND_FORWARD_DEL) &&
		    cmd.port == 0)
			abort();
		if (cmd.kind == COMMAND_FORWARD_ADD &&
		    (!cmd.forward.protos || !cmd.forward.external_port ||
		     !cmd.forward.internal_port))
			abort();
	} else if (!err[0]) {
		abort();
	}
	free(text);
	return 0;
}
