/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "upnp/describe.h"
#include "upnp/igd.h"
#include "upnp/text.h"

#include <string.h>

#ifndef PORTGATE_VERSION
#define PORTGATE_VERSION "0"
#endif

struct service_urls {
	const char *id, *scpd, *control, *event;
};

static const struct service_urls urls[UPNP_SVC_COUNT] = {
	[UPNP_SVC_IPCONN] = { "urn:upnp-org:serviceId:WANIPConn1", UPNP_PATH_SCPD_IPCONN,
			      UPNP_PATH_CTL_IPCONN, UPNP_PATH_EVT_IPCONN },
	[UPNP_SVC_COMMON] = { "urn:upnp-org:serviceId:WANCommonIFC1", UPNP_PATH_SCPD_COMMON,
			      UPNP_PATH_CTL_COMMON, UPNP_PATH_EVT_COMMON },
};

enum upnp_doc upnp_doc_for_path(const char *path)
{
	if (!strcmp(path, UPNP_PATH_ROOT))
		return UPNP_DOC_ROOT;
	if (!strcmp(path, UPNP_PATH_SCPD_IPCONN))
		return UPNP_DOC_SCPD_IPCONN;
	if (!strcmp(path, UPNP_PATH_SCPD_COMMON))
		return UPNP_DOC_SCPD_COMMON;
	return UPNP_DOC_NONE;
}

bool upnp_control_for_path(const char *path, enum upnp_service *svc)
{
	for (unsigned s = 0; s < UPNP_SVC_COUNT; s++) {
		if (!strcmp(path, urls[s].control)) {
			*svc = (enum upnp_service)s;
			return true;
		}
	}
	return false;
}

/* deviceType, the names every device needs, its UDN. */
static void device_open(struct text *t, const struct upnp_device *dev, enum upnp_node node)
{
	text_printf(t, "<device><deviceType>" UPNP_URN_DEVICE "%s:%u</deviceType><friendlyName>",
		    upnp_node_name(node), dev->version);
	text_xml(t, dev->friendly_name);
	text_put(t, "</friendlyName><manufacturer>portgate</manufacturer>"
		 "<modelDescription>port forwards for WireGuard peers</modelDescription>"
		 "<modelName>portgate</modelName><modelNumber>" PORTGATE_VERSION "</modelNumber>"
		 "<UDN>uuid:");
	text_xml(t, dev->uuid[node]);
	text_put(t, "</UDN>");
}

static void service(struct text *t, const struct upnp_device *dev, enum upnp_service svc)
{
	const struct service_urls *u = &urls[svc];

	text_printf(t, "<serviceList><service><serviceType>" UPNP_URN_SERVICE "%s:%u</serviceType>"
		    "<serviceId>%s</serviceId><SCPDURL>%s</SCPDURL><controlURL>%s</controlURL>"
		    "<eventSubURL>%s</eventSubURL></service></serviceList>",
		    upnp_service_name(svc), upnp_service_version(dev, svc), u->id, u->scpd,
		    u->control, u->event);
}

static void describe_root(struct text *t, const struct upnp_device *dev)
{
	text_printf(t, "<?xml version=\"1.0\"?>\r\n"
		    "<root xmlns=\"urn:schemas-upnp-org:device-1-0\" configId=\"%u\">"
		    "<specVersion><major>1</major><minor>1</minor></specVersion>",
		    (unsigned)dev->config_id);
	device_open(t, dev, UPNP_NODE_ROOT);
	text_put(t, "<deviceList>");
	device_open(t, dev, UPNP_NODE_WAN);
	service(t, dev, UPNP_SVC_COMMON);
	text_put(t, "<deviceList>");
	device_open(t, dev, UPNP_NODE_WANCONN);
	service(t, dev, UPNP_SVC_IPCONN);
	text_put(t, "</device></deviceList></device></deviceList></device></root>\r\n");
}

static void scpd_actions(struct text *t, enum upnp_service svc, unsigned version)
{
	text_put(t, "<actionList>");
	for (unsigned a = 0; a < IGD_ACTION_COUNT; a++) {
		const struct igd_action_def *d = igd_action_def((enum igd_action)a);

		if (d->service != svc || d->min_version > version)
			continue;
		text_printf(t, "<action><name>%s</name>", d->name);
		if (d->args[0].name)
			text_put(t, "<argumentList>");
		for (const struct igd_arg_def *g = d->args; g < d->args + IGD_ARGS_MAX && g->name; g++)
			text_printf(t, "<argument><name>%s</name><direction>%s</direction>"
				    "<relatedStateVariable>%s</relatedStateVariable></argument>",
				    g->name, g->out ? "out" : "in", g->var);
		if (d->args[0].name)
			text_put(t, "</argumentList>");
		text_put(t, "</action>");
	}
	text_put(t, "</actionList>");
}

static void scpd_var(struct text *t, const struct igd_var_def *v, unsigned version)
{
	text_printf(t, "<stateVariable sendEvents=\"%s\"><name>%s</name><dataType>%s</dataType>",
		    v->evented ? "yes" : "no", v->name, v->type);
	if (v->allowed[0]) {
		text_put(t, "<allowedValueList>");
		for (const char *const *a = v->allowed; a < v->allowed + 7 && *a; a++)
			text_printf(t, "<allowedValue>%s</allowedValue>", *a);
		text_put(t, "</allowedValueList>");
	}
	if (v->max && version >= v->range_version)
		text_printf(t, "<allowedValueRange><minimum>%u</minimum><maximum>%u</maximum>"
			    "</allowedValueRange>", (unsigned)v->min, (unsigned)v->max);
	text_put(t, "</stateVariable>");
}

static void describe_scpd(struct text *t, const struct upnp_device *dev, enum upnp_service svc)
{
	unsigned version = upnp_service_version(dev, svc);
	const struct igd_var_def *vars;
	size_t n;

	text_put(t, "<?xml version=\"1.0\"?>\r\n<scpd xmlns=\"urn:schemas-upnp-org:service-1-0\">"
		 "<specVersion><major>1</major><minor>1</minor></specVersion>");
	scpd_actions(t, svc, version);
	text_put(t, "<serviceStateTable>");
	vars = igd_vars(&n);
	for (size_t i = 0; i < n; i++)
		if (vars[i].service == svc && vars[i].min_version <= version)
			scpd_var(t, &vars[i], version);
	text_put(t, "</serviceStateTable></scpd>\r\n");
}

size_t upnp_describe(char *out, size_t cap, const struct upnp_device *dev,
		     enum upnp_doc doc)
{
	struct text t = text_init(out, cap);

	switch (doc) {
	case UPNP_DOC_ROOT:
		describe_root(&t, dev);
		break;
	case UPNP_DOC_SCPD_IPCONN:
		describe_scpd(&t, dev, UPNP_SVC_IPCONN);
		break;
	case UPNP_DOC_SCPD_COMMON:
		describe_scpd(&t, dev, UPNP_SVC_COMMON);
		break;
	case UPNP_DOC_NONE:
		return 0;
	}
	return text_done(&t);
}
