/* test_hook.c - completion webhooks: which callbackUrls pass, Standard Webhooks
 * signatures (the standard's own example), the retry schedule. */
#include "hook.h"
#include "unit.h"

#include <stdio.h>

#define allowed(...) allowed_at(UNIT_HERE, __VA_ARGS__)

static void allowed_at(struct unit_at at, const struct cfg *c, const char *url, bool want,
		       const char *words)
{
	char msg[512] = "";

	at.label = url;
	CHECK_AT(at, hook_url_allowed(c, url, msg, sizeof msg) == want);
	if (!want && !CHECK_AT(at, strstr(msg, words) != NULL))
		unit_note(at, "message: %s", msg);
}

static void test_urls(void)
{
	struct cfg c;
	char long_url[3000];

	cfg_defaults(&c);
	allowed(&c, "http://127.0.0.1/hook", false, "allowed-hosts");   /* none allowed */
	c.n_hook_hosts = 2;
	snprintf(c.hook_hosts[0], sizeof c.hook_hosts[0], "hooks.example.com");
	snprintf(c.hook_hosts[1], sizeof c.hook_hosts[1], "127.0.0.1");
	allowed(&c, "https://hooks.example.com/tacitus?x=1", true, "");
	allowed(&c, "HTTPS://HOOKS.EXAMPLE.COM:8443/t", true, "");
	allowed(&c, "http://127.0.0.1:9/hook", true, "");
	allowed(&c, "https://hooks.example.com.evil.org/", false, "allowed-hosts");
	allowed(&c, "https://evil.org/?hooks.example.com", false, "allowed-hosts");
	allowed(&c, "https://evil.org#@hooks.example.com/", false, "allowed-hosts");
	allowed(&c, "https://user:pw@hooks.example.com/", false, "user or a password");
	allowed(&c, "https://user@hooks.example.com/", false, "user or a password");
	allowed(&c, "ftp://hooks.example.com/", false, "http or https");
	allowed(&c, "file:///etc/passwd", false, "http or https");
	allowed(&c, "hooks.example.com/x", false, "");
	allowed(&c, "http://hooks.example.com/a b", false, "not a URL");
	allowed(&c, "", false, "not a URL");
	memset(long_url, 'a', sizeof long_url - 1);
	memcpy(long_url, "https://hooks.example.com/", 26);
	long_url[sizeof long_url - 1] = '\0';
	allowed(&c, long_url, false, "not a URL");
}

static void test_signatures(void)
{
	char sig[HOOK_SIGNATURE_MAX];
	const char *body = "{\"test\": 2432232314}";

	/* the example of the Standard Webhooks specification */
	CHECK(hook_sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek",
			1614265330, body, strlen(body), sig) == 0);
	CHECK_STR(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
	/* another id, time or body, another signature */
	CHECK(hook_sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek",
			1614265331, body, strlen(body), sig) == 0);
	CHECK(strcmp(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=") != 0);
	/* a plain secret is its own key; bad base64 after whsec_ cannot sign */
	CHECK(hook_sign("plain secret", "id", 1, "{}", 2, sig) == 0);
	CHECK(strncmp(sig, "v1,", 3) == 0 && strlen(sig) == 47);
	CHECK(hook_sign("whsec_abc", "id", 1, "{}", 2, sig) == -1);
	CHECK(hook_sign("whsec_", "id", 1, "{}", 2, sig) == -1);
}

static void test_backoff(void)
{
	CHECK(hook_backoff_ms(1) == 1000);
	CHECK(hook_backoff_ms(2) == 2000);
	CHECK(hook_backoff_ms(3) == 4000);
	CHECK(hook_backoff_ms(9) == 256000);
	CHECK(hook_backoff_ms(10) == HOOK_BACKOFF_MAX_MS);
	CHECK(hook_backoff_ms(1000) == HOOK_BACKOFF_MAX_MS);
	CHECK(hook_backoff_ms(0) == 1000);
}

void test_hook(void)
{
	test_urls();
	test_signatures();
	test_backoff();
}
