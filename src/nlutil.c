/* Plain netlink request/response over libmnl, shared by every module that
 * talks to the kernel. */
#include "nlutil.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <linux/netlink.h>

#define RECV_BUF_LEN (256 * 1024)

struct mnl_socket *nl_open(int bus, unsigned groups, int flags)
{
	struct mnl_socket *nl = mnl_socket_open2(bus, flags);

	if (nl && mnl_socket_bind(nl, groups, MNL_SOCKET_AUTOPID) < 0) {
		int saved = errno;

		mnl_socket_close(nl);
		errno = saved;
		return NULL;
	}
	return nl;
}

int nl_request(struct mnl_socket *nl, const void *msg, size_t len,
	       int (*cb)(const void *nlh, void *arg), void *arg)
{
	const struct nlmsghdr *req = msg;
	uint32_t portid = mnl_socket_get_portid(nl);
	char *rbuf;
	int ret = 0;

	if (mnl_socket_sendto(nl, msg, len) < 0)
		return -errno;
	rbuf = malloc(RECV_BUF_LEN);
	if (!rbuf)
		return -ENOMEM;
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(nl, rbuf, RECV_BUF_LEN);
		const struct nlmsghdr *nlh = (const struct nlmsghdr *)rbuf;
		int left = (int)n;
		bool done = false;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			break;
		}
		for (; mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left)) {
			if (nlh->nlmsg_seq != req->nlmsg_seq || nlh->nlmsg_pid != portid)
				continue;
			if (nlh->nlmsg_type == NLMSG_DONE) {
				done = true;
				break;
			}
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);

				ret = ret ? ret : e->error;
				done = true;
				break;
			}
			if (ret == 0 && cb)
				ret = cb(nlh, arg);
			if (!(nlh->nlmsg_flags & NLM_F_MULTI) &&
			    !(req->nlmsg_flags & NLM_F_ACK))
				done = true;
		}
		if (done)
			break;
	}
	/* Replies can carry secrets (a WireGuard private key). */
	explicit_bzero(rbuf, RECV_BUF_LEN);
	free(rbuf);
	return ret;
}
