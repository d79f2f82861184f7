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
	const char *err;
	char *text = malloc(size + 1);

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (command_parse(text, &cmd, &err) == 0) {
		if (cmd.kind == COMMAND_DROP_PORT && cmd.port == 0)
			abort();
	} else if (!err || !err[0]) {
		abort();
	}
	free(text);
	return 0;
}
