/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer target: the YAML policy (an operator's file, but parsed by a
 * daemon running with CAP_NET_ADMIN: no input may crash it). A policy that
 * loads must satisfy the loader's own promises. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct policy p;
	char err[512];

	if (policy_load_string("fuzz.yaml", (const char *)data, size, &p, err,
			       sizeof(err)) < 0) {
		if (strncmp(err, "fuzz.yaml:", 10))
			abort();	/* every refusal names the place */
		return 0;
	}
	if (!p.interface[0] || p.port_min > p.port_max ||
	    p.lifetime_min > p.lifetime_max)
		abort();
	for (size_t i = 0; i < p.n_reserved; i++)
		if (p.reserved[i] < p.port_min || p.reserved[i] > p.port_max)
			abort();
	policy_free(&p);
	return 0;
}
