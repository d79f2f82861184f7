/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "daemon/webassets.h"

#include <string.h>

/* The file's bytes between two labels, in read-only data. The assembler
 * reads it relative to the directory make runs in (the Makefile lists
 * web/ as this object's prerequisite). */
#define WEB_FILE(name, file)                                                   \
	__asm__(".pushsection .rodata\n.balign 16\n" #name ":\n"            \
		".incbin \"" file "\"\n" #name "_end:\n.popsection\n");       \
	extern const char name[], name##_end[]

WEB_FILE(web_index_html, "web/index.html");
WEB_FILE(web_portgate_js, "web/portgate.js");
WEB_FILE(web_portgate_css, "web/portgate.css");

const struct web_asset *web_asset_find(const char *path)
{
	static struct web_asset assets[3];

	if (!assets[0].path) {
		assets[0] = (struct web_asset){ "/", "text/html; charset=utf-8", web_index_html,
						(size_t)(web_index_html_end - web_index_html) };
		assets[1] = (struct web_asset){ "/portgate.js", "text/javascript; charset=utf-8",
						web_portgate_js,
						(size_t)(web_portgate_js_end - web_portgate_js) };
		assets[2] = (struct web_asset){ "/portgate.css", "text/css; charset=utf-8",
						web_portgate_css,
						(size_t)(web_portgate_css_end - web_portgate_css) };
	}
	for (size_t i = 0; i < sizeof(assets) / sizeof(assets[0]); i++)
		if (!strcmp(path, assets[i].path))
			return &assets[i];
	return NULL;
}
