/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Ports and ranges of ports as the policy, the API and the state file
 * write them. Pure: shared by the YAML loader and the JSON parsers. */
#include "daemon/policy.h"

#include <stdio.h>

int policy_port_range(const char *text, uint16_t *first, unsigned *count)
{
	unsigned a, b;
	int end = 0;

	if (sscanf(text, "%5u%n", &a, &end) != 1 || text[0] < '0' || text[0] > '9')
		return -1;
	b = a;
	if (text[end] == '-') {
		int more = 0;

		if (text[end + 1] < '0' || text[end + 1] > '9' ||
		    sscanf(text + end + 1, "%5u%n", &b, &more) != 1)
			return -1;
		end += 1 + more;
	}
	if (text[end] || a < 1 || b > 65535 || a > b)
		return -1;
	*first = (uint16_t)a;
	*count = b - a + 1;
	return 0;
}

const char *policy_forward_set_ports(struct policy_forward *f, uint16_t ext, unsigned n_ext,
				     uint16_t in, unsigned n_in)
{
	if (n_ext > POLICY_FORWARD_RANGE_MAX)
		return "a range of static forwards is at most 1000 ports";
	if (!n_in) {
		in = ext;
		n_in = n_ext;
	}
	if (n_in != 1 && n_in != n_ext)
		return "the internal range must have as many ports as the external one, "
		       "or be one start port";
	if ((unsigned)in + n_ext - 1 > 65535)
		return "the internal ports run past 65535";
	f->external_port = ext;
	f->internal_port = in;
	f->n_ports = (uint16_t)n_ext;
	return NULL;
}
