/* test_access.c - Livy's access filter, view/modify rights and impersonation. */
#include "access.h"
#include "unit.h"

void test_access(void)
{
	struct cfg c;
	char out[256], msg[256], err[256];

	cfg_defaults(&c);
	/* access control off: everybody may do everything */
	CHECK(acl_allowed(&c, "mallory"));
	CHECK(acl_can_view(&c, "mallory", "alice", NULL));
	CHECK(acl_can_view_all(&c, "mallory") && !acl_can_view_all(&c, ""));
	CHECK(acl_can_modify(&c, "mallory", "alice", NULL));
	/* ... but nobody is not somebody: every front door authenticates, so a request
	 * without a user (NULL or "") is a front door gone wrong, and gets no right */
	CHECK(!acl_allowed(&c, NULL) && !acl_allowed(&c, ""));
	CHECK(!acl_can_view(&c, NULL, "alice", NULL) && !acl_can_view(&c, "", "alice", NULL));
	CHECK(!acl_can_modify(&c, NULL, "alice", NULL) && !acl_can_modify(&c, "", "alice", NULL));
	CHECK(!acl_can_modify(&c, "", NULL, ""));           /* not even what "nobody" owns */
	/* the metrics are the superusers' only, access control on or off: with none
	 * listed, nobody reads them */
	CHECK(!acl_can_scrape(&c, "mallory") && !acl_can_scrape(&c, NULL));

	CHECK(cfg_parse_livy_conf(&c,
		"livy.server.access-control.enabled = true\n"
		"livy.server.access-control.allowed-users = alice, bob\n"
		"livy.server.access-control.view-users = victor\n"
		"livy.server.access-control.modify-users = mo\n"
		"livy.superusers = root\n"
		"livy.impersonation.enabled = true\n", "t", err, sizeof err) == 0);
	CHECK(acl_allowed(&c, "alice") && acl_allowed(&c, "victor") && acl_allowed(&c, "root"));
	CHECK(!acl_allowed(&c, "mallory"));
	CHECK(!acl_allowed(&c, NULL) && !acl_allowed(&c, ""));     /* no user: no way in */

	CHECK(acl_can_view(&c, "alice", "alice", NULL));
	CHECK(acl_can_view(&c, "bob", "alice", "bob"));     /* the proxy user */
	CHECK(!acl_can_view(&c, "bob", "alice", NULL));
	CHECK(acl_can_view(&c, "victor", "alice", NULL));
	/* every job: the view, modify and superusers; the others their own only */
	CHECK(acl_can_view_all(&c, "victor") && acl_can_view_all(&c, "mo") &&
	      acl_can_view_all(&c, "root"));
	CHECK(!acl_can_view_all(&c, "alice") && !acl_can_view_all(&c, NULL));
	CHECK(!acl_can_modify(&c, "victor", "alice", NULL));
	CHECK(acl_can_modify(&c, "mo", "alice", NULL) && acl_can_view(&c, "mo", "alice", NULL));
	CHECK(acl_can_modify(&c, "root", "alice", NULL));
	CHECK(acl_can_scrape(&c, "root"));
	CHECK(!acl_can_scrape(&c, "alice") && !acl_can_scrape(&c, "victor") &&
	      !acl_can_scrape(&c, "mo"));
	CHECK(!acl_can_scrape(&c, "") && !acl_can_scrape(&c, NULL));

	CHECK(acl_impersonate(&c, "alice", NULL, out, sizeof out, msg, sizeof msg));
	CHECK_STR(out, "alice");                            /* runs as the caller by default */
	CHECK(acl_impersonate(&c, "alice", "alice", out, sizeof out, msg, sizeof msg));
	CHECK(!acl_impersonate(&c, "alice", "bob", out, sizeof out, msg, sizeof msg));
	CHECK_STR(msg, "User 'alice' not allowed to impersonate 'Some(bob)'.");
	CHECK(acl_impersonate(&c, "root", "bob", out, sizeof out, msg, sizeof msg));
	CHECK_STR(out, "bob");
	CHECK_STR(acl_effective_user(&c, "root", "bob"), "bob");
	CHECK_STR(acl_effective_user(&c, "alice", "bob"), "alice");
	/* nobody may act as anybody */
	CHECK(!acl_impersonate(&c, NULL, "bob", out, sizeof out, msg, sizeof msg));
	CHECK(!acl_impersonate(&c, "", "bob", out, sizeof out, msg, sizeof msg));
	CHECK(acl_effective_user(&c, NULL, "bob") == NULL);
	CHECK_STR(acl_effective_user(&c, "", "bob"), "");

	c.access_control = false;                   /* still the superusers' only */
	CHECK(acl_can_scrape(&c, "root") && !acl_can_scrape(&c, "alice"));
	c.access_control = true;

	c.impersonation = false;                            /* dropped silently */
	CHECK(acl_impersonate(&c, "alice", "bob", out, sizeof out, msg, sizeof msg));
	CHECK_STR(out, "");
	CHECK_STR(acl_effective_user(&c, "root", "bob"), "root");
}
