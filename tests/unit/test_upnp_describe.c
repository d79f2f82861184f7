/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The device description and the SCPDs, read back with expat: the tree's
 * types and UDNs for IGD v1 and v2, the friendly name escaped, each SCPD's
 * actions by version and every argument's state variable declared. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "upnp/describe.h"
#include "upnp/igd.h"
#include "upnp_testlib.h"

#define URN_D "urn:schemas-upnp-org:device:"
#define URN_S "urn:schemas-upnp-org:service:"

static const uint8_t seed[16] = { 0xde, 0xad, 0xbe, 0xef };
static char doc_buf[UPNP_DOC_MAX];

static struct upnp_device device(unsigned version, const char *name)
{
	struct upnp_device d;

	assert_true(upnp_device_init(&d, version, seed, name));
	return d;
}

static size_t describe(const struct upnp_device *d, enum upnp_doc which)
{
	size_t n = upnp_describe(doc_buf, sizeof(doc_buf), d, which);

	assert_true(n > 0);
	return n;
}

static void texts_are(const char *parent, const char *local, size_t n_doc,
		      const char *const *want, size_t n_want)
{
	struct doc d;

	assert_true(doc_read_in(doc_buf, n_doc, parent, local, &d));
	if (d.n != n_want)
		fail_msg("%s: %zu, want %zu", local, d.n, n_want);
	for (size_t i = 0; i < n_want; i++)
		assert_string_equal(d.texts[i], want[i]);
	doc_free(&d);
}

static void root_tree(unsigned v)
{
	struct upnp_device d = device(v, "gw");
	size_t n = describe(&d, UPNP_DOC_ROOT);
	char types[3][96], udn[3][64], services[2][96];
	const char *tp[3], *up[3], *sp[2];
	static const char *const control[] = { UPNP_PATH_CTL_COMMON, UPNP_PATH_CTL_IPCONN };
	static const char *const scpd[] = { UPNP_PATH_SCPD_COMMON, UPNP_PATH_SCPD_IPCONN };

	snprintf(types[0], sizeof(types[0]), URN_D "InternetGatewayDevice:%u", v);
	snprintf(types[1], sizeof(types[1]), URN_D "WANDevice:%u", v);
	snprintf(types[2], sizeof(types[2]), URN_D "WANConnectionDevice:%u", v);
	snprintf(services[0], sizeof(services[0]), URN_S "WANCommonInterfaceConfig:1");
	snprintf(services[1], sizeof(services[1]), URN_S "WANIPConnection:%u", v);
	for (int i = 0; i < 3; i++) {
		snprintf(udn[i], sizeof(udn[i]), "uuid:%s", d.uuid[i]);
		tp[i] = types[i];
		up[i] = udn[i];
	}
	sp[0] = services[0];
	sp[1] = services[1];
	texts_are("device", "deviceType", n, tp, 3);
	texts_are("device", "UDN", n, up, 3);
	texts_are("service", "serviceType", n, sp, 2);
	texts_are("service", "controlURL", n, control, 2);
	texts_are("service", "SCPDURL", n, scpd, 2);
}

static void root_v1(void **state)
{
	(void)state;
	root_tree(1);
}

static void root_v2(void **state)
{
	(void)state;
	root_tree(2);
}

static void friendly_name_escaped(void **state)
{
	const char *name = "<a> & \"b\" 'c'";
	const char *want[] = { name, name, name };
	struct upnp_device d = device(2, name);
	size_t n = describe(&d, UPNP_DOC_ROOT);

	(void)state;
	texts_are("device", "friendlyName", n, want, 3);
}

/* The action names of the table for svc at version, in table order. */
static size_t table_actions(enum upnp_service svc, unsigned version, const char **out)
{
	size_t n = 0;

	for (unsigned a = 0; a < IGD_ACTION_COUNT; a++) {
		const struct igd_action_def *d = igd_action_def((enum igd_action)a);

		if (d->service == svc && d->min_version <= version)
			out[n++] = d->name;
	}
	return n;
}

static void scpd_actions(enum upnp_service svc, enum upnp_doc which, unsigned v, size_t expect)
{
	struct upnp_device d = device(v, "gw");
	size_t n = describe(&d, which);
	const char *names[IGD_ACTION_COUNT];
	size_t k = table_actions(svc, upnp_service_version(&d, svc), names);
	struct doc related, declared;

	assert_int_equal(k, expect);
	texts_are("action", "name", n, names, k);
	/* Every argument's relatedStateVariable is declared. */
	assert_true(doc_read_in(doc_buf, n, "argument", "relatedStateVariable", &related));
	assert_true(doc_read_in(doc_buf, n, "stateVariable", "name", &declared));
	assert_true(related.n > 0 || k == 0);
	for (size_t i = 0; i < related.n; i++) {
		bool found = false;

		for (size_t j = 0; j < declared.n && !found; j++)
			found = !strcmp(related.texts[i], declared.texts[j]);
		if (!found)
			fail_msg("%s not declared", related.texts[i]);
	}
	doc_free(&related);
	doc_free(&declared);
}

static void scpds(void **state)
{
	(void)state;
	scpd_actions(UPNP_SVC_IPCONN, UPNP_DOC_SCPD_IPCONN, 1, 7);
	scpd_actions(UPNP_SVC_IPCONN, UPNP_DOC_SCPD_IPCONN, 2, 10);
	scpd_actions(UPNP_SVC_COMMON, UPNP_DOC_SCPD_COMMON, 2, 5);
}

/* v2 declares the lease's range (0-604800), v1 does not. */
static void lease_range_by_version(void **state)
{
	struct upnp_device d1 = device(1, "gw"), d2 = device(2, "gw");
	const char *max[] = { "604800", "65535" };
	size_t n;

	(void)state;
	n = describe(&d1, UPNP_DOC_SCPD_IPCONN);
	texts_are("allowedValueRange", "maximum", n, max, 0);
	n = describe(&d2, UPNP_DOC_SCPD_IPCONN);
	texts_are("allowedValueRange", "maximum", n, max, 2);
}

static void paths(void **state)
{
	enum upnp_service s;

	(void)state;
	assert_int_equal(upnp_doc_for_path(UPNP_PATH_ROOT), UPNP_DOC_ROOT);
	assert_int_equal(upnp_doc_for_path(UPNP_PATH_SCPD_IPCONN), UPNP_DOC_SCPD_IPCONN);
	assert_int_equal(upnp_doc_for_path(UPNP_PATH_SCPD_COMMON), UPNP_DOC_SCPD_COMMON);
	assert_int_equal(upnp_doc_for_path("/rootDesc.xml/"), UPNP_DOC_NONE);
	assert_int_equal(upnp_doc_for_path("/"), UPNP_DOC_NONE);
	assert_true(upnp_control_for_path(UPNP_PATH_CTL_IPCONN, &s));
	assert_int_equal(s, UPNP_SVC_IPCONN);
	assert_true(upnp_control_for_path(UPNP_PATH_CTL_COMMON, &s));
	assert_int_equal(s, UPNP_SVC_COMMON);
	assert_false(upnp_control_for_path(UPNP_PATH_ROOT, &s));
}

static void short_buffers(void **state)
{
	struct upnp_device d = device(2, "gw");
	static char small[UPNP_DOC_MAX];

	(void)state;
	for (int which = UPNP_DOC_ROOT; which <= UPNP_DOC_SCPD_COMMON; which++) {
		size_t n = describe(&d, (enum upnp_doc)which);

		for (size_t cap = 0; cap <= n; cap += 1)
			assert_int_equal(upnp_describe(small, cap, &d, (enum upnp_doc)which), 0);
	}
	assert_int_equal(upnp_describe(small, sizeof(small), &d, UPNP_DOC_NONE), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(root_v1),
		cmocka_unit_test(root_v2),
		cmocka_unit_test(friendly_name_escaped),
		cmocka_unit_test(scpds),
		cmocka_unit_test(lease_range_by_version),
		cmocka_unit_test(paths),
		cmocka_unit_test(short_buffers),
	};

	return cmocka_run_group_tests_name("upnp describe", tests, NULL, NULL);
}
