/* access.c - Livy's access filter, view/modify rights and impersonation. */
#include "access.h"

#include <stdio.h>
#include <string.h>

static bool listed(const struct cfg_users *l, const char *user)
{
	for (int i = 0; i < l->n; i++)
		if (!strcmp(l->name[i], "*") || !strcmp(l->name[i], user))
			return true;
	return false;
}

static bool same(const char *a, const char *b)
{
	return a && b && !strcmp(a, b);
}

/* Every front door authenticates (nginx/auth-*.conf): a request without a user is a
 * front door gone wrong (an auth service that answers 2xx and names nobody), never
 * "authentication off", and gets no right at all. */
static bool nobody(const char *user)
{
	return !user || !*user;
}

bool acl_allowed(const struct cfg *c, const char *user)
{
	if (nobody(user))
		return false;
	if (!c->access_control)
		return true;
	return listed(&c->allowed_users, user) || listed(&c->view_users, user) ||
	       listed(&c->modify_users, user) || listed(&c->superusers, user);
}

bool acl_can_scrape(const struct cfg *c, const char *user)
{
	return !nobody(user) && listed(&c->superusers, user);
}

bool acl_can_modify(const struct cfg *c, const char *user, const char *owner, const char *proxy)
{
	if (nobody(user))
		return false;
	if (!c->access_control)
		return true;
	return same(user, owner) || same(user, proxy) || listed(&c->superusers, user) ||
	       listed(&c->modify_users, user);
}

bool acl_can_view_all(const struct cfg *c, const char *user)
{
	if (nobody(user))
		return false;
	return !c->access_control || listed(&c->superusers, user) ||
	       listed(&c->modify_users, user) || listed(&c->view_users, user);
}

bool acl_can_view(const struct cfg *c, const char *user, const char *owner, const char *proxy)
{
	if (nobody(user))
		return false;
	return acl_can_view_all(c, user) || same(user, owner) || same(user, proxy);
}

static bool may_impersonate(const struct cfg *c, const char *user, const char *target)
{
	return !nobody(user) && (same(user, target) || listed(&c->superusers, user));
}

bool acl_impersonate(const struct cfg *c, const char *user, const char *target, char *out,
		     size_t outlen, char *msg, size_t msglen)
{
	out[0] = '\0';
	if (!c->impersonation)
		return true;            /* Livy drops proxyUser and doAs silently */
	if (target && !may_impersonate(c, user, target)) {
		snprintf(msg, msglen, "User '%s' not allowed to impersonate 'Some(%s)'.",
			 user ? user : "", target);
		return false;
	}
	snprintf(out, outlen, "%s", target ? target : user ? user : "");
	return true;
}

const char *acl_effective_user(const struct cfg *c, const char *user, const char *doas)
{
	if (doas && *doas && c->impersonation && may_impersonate(c, user, doas))
		return doas;
	return user;
}
