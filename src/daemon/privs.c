/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "daemon/privs.h"

#include <errno.h>
#include <pwd.h>
#include <string.h>
#include <unistd.h>

#include <cap-ng.h>

#include "util/log.h"

const char *privileges_user(const char *asked)
{
	if (asked)
		return strcmp(asked, "root") ? asked : NULL;
	if (getuid() != 0)
		return NULL;
	if (getpwnam(PRIVS_DEFAULT_USER))
		return PRIVS_DEFAULT_USER;
	log_warnx("running as root with CAP_NET_ADMIN only: create user %s or "
		  "give -u USER to run unprivileged (-u root to keep root quietly)",
		  PRIVS_DEFAULT_USER);
	return NULL;
}

int privileges_drop(const char *user)
{
	struct passwd *pw = NULL;
	int ret;

	if (user && !(pw = getpwnam(user))) {
		log_warnx("no such user: %s", user);
		return -1;
	}
	capng_clear(CAPNG_SELECT_BOTH);
	capng_update(CAPNG_ADD, CAPNG_EFFECTIVE | CAPNG_PERMITTED, CAP_NET_ADMIN);
	if (pw) {
		ret = capng_change_id((int)pw->pw_uid, (int)pw->pw_gid,
				      CAPNG_DROP_SUPP_GRP | CAPNG_CLEAR_BOUNDING);
		if (ret < 0) {
			log_warnx("cannot become %s with CAP_NET_ADMIN (libcap-ng %d)",
				  user, ret);
			return -1;
		}
		log_info("running as %s with CAP_NET_ADMIN only", user);
		return 0;
	}
	/* Started without CAP_SETPCAP (a service manager already dropped
	 * privileges): the bounding set is not ours to change. */
	capng_get_caps_process();
	ret = capng_have_capability(CAPNG_EFFECTIVE, CAP_SETPCAP)
		? (capng_clear(CAPNG_SELECT_BOTH),
		   capng_update(CAPNG_ADD, CAPNG_EFFECTIVE | CAPNG_PERMITTED, CAP_NET_ADMIN),
		   capng_apply(CAPNG_SELECT_BOTH))
		: (capng_clear(CAPNG_SELECT_CAPS),
		   capng_update(CAPNG_ADD, CAPNG_EFFECTIVE | CAPNG_PERMITTED, CAP_NET_ADMIN),
		   capng_apply(CAPNG_SELECT_CAPS));
	if (ret < 0) {
		log_warnx("cannot drop capabilities (libcap-ng %d)", ret);
		return -1;
	}
	log_debug("capabilities: CAP_NET_ADMIN only");
	return 0;
}
