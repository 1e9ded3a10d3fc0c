/* hook.c - completion webhooks: which URLs may be called, Standard Webhooks
 * signatures, the retry schedule (hook.h). */
#include "hook.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#define HOOK_URL_MAX 2048
#define HOOK_KEY_MAX 256

static bool host_listed(const struct cfg *c, const char *host)
{
	for (int i = 0; i < c->n_hook_hosts; i++)
		if (!strcasecmp(c->hook_hosts[i], host))
			return true;
	return false;
}

bool hook_url_allowed(const struct cfg *c, const char *url, char *msg, size_t msglen)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL, *user = NULL;
	bool ok = false;

	if (!u) {
		snprintf(msg, msglen, "callbackUrl cannot be read now (out of memory)");
		return false;
	}
	if (strlen(url) > HOOK_URL_MAX || curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK)
		snprintf(msg, msglen, "callbackUrl is not a URL");
	else if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
		 (strcmp(scheme, "http") && strcmp(scheme, "https")))
		snprintf(msg, msglen, "callbackUrl must be an http or https URL");
	else if (curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_OK)
		snprintf(msg, msglen, "callbackUrl must not carry a user or a password");
	else if (curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK || !host_listed(c, host))
		snprintf(msg, msglen, "callbackUrl's host %.200s is not one of "
			 "tacitus.webhook.allowed-hosts", host ? host : "(none)");
	else
		ok = true;
	curl_free(scheme);
	curl_free(host);
	curl_free(user);
	curl_url_cleanup(u);
	return ok;
}

/* The signing key of secret into key (HOOK_KEY_MAX bytes): whsec_<base64> decoded,
 * else the secret's bytes.  Its length, or -1 when the base64 is bad. */
static int signing_key(const char *secret, unsigned char key[HOOK_KEY_MAX])
{
	size_t len;
	int n, pad = 0;

	if (strncmp(secret, "whsec_", 6)) {
		len = strlen(secret);
		if (len > HOOK_KEY_MAX)
			return -1;
		memcpy(key, secret, len);
		return (int)len;
	}
	secret += 6;
	len = strlen(secret);
	if (len == 0 || len % 4 || len / 4 * 3 > HOOK_KEY_MAX)
		return -1;
	n = EVP_DecodeBlock(key, (const unsigned char *)secret, (int)len);
	if (n < 0)
		return -1;
	pad = (secret[len - 1] == '=') + (secret[len - 2] == '=');
	return n - pad;
}

int hook_sign(const char *secret, const char *id, long long ts, const char *body, size_t len,
	      char out[HOOK_SIGNATURE_MAX])
{
	unsigned char key[HOOK_KEY_MAX], mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;
	char head[HOOK_ID_MAX + 32];
	int keylen = signing_key(secret, key);
	size_t headlen;
	unsigned char *msg;

	if (keylen < 0)
		return -1;
	headlen = (size_t)snprintf(head, sizeof head, "%s.%lld.", id, ts);
	if (headlen >= sizeof head || !(msg = malloc(headlen + len + 1)))
		return -1;
	memcpy(msg, head, headlen);
	memcpy(msg + headlen, body, len);
	if (!HMAC(EVP_sha256(), key, keylen, msg, headlen + len, mac, &maclen)) {
		free(msg);
		return -1;
	}
	free(msg);
	memcpy(out, "v1,", 3);
	EVP_EncodeBlock((unsigned char *)out + 3, mac, (int)maclen);
	return 0;
}

long long hook_backoff_ms(int attempts)
{
	if (attempts < 1)
		attempts = 1;
	if (attempts > 20)
		return HOOK_BACKOFF_MAX_MS;
	long long ms = 1000LL << (attempts - 1);
	return ms < HOOK_BACKOFF_MAX_MS ? ms : HOOK_BACKOFF_MAX_MS;
}

