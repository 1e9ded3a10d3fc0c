/* hook.h - completion webhooks: which URLs may be called, how a call is signed, when
 * it is tried again (the sender that delivers them: hooksend.h).
 *
 * The module owns tacitus.webhook.* (config.h) and the rules of the webhooks.  When a batch
 * or session ends (success, dead, killed), its JSON is POSTed to its callbackUrl (a
 * Tacitus field beside Livy's in POST /batches and /sessions; Livy clients never
 * send it) and to every URL of tacitus.webhook.urls; with callbackEvents "all"
 * (default "ended"), every other change of its process's state (starting, running)
 * is POSTed to its callbackUrl too.  The outbox is in PostgreSQL
 * (sql/011_webhook.sql): a trigger writes the event in the transaction of the state
 * change itself, so no crash loses one.  Each instance runs one sender process
 * (master.h starts it beside the monitor, so that a slow receiver never slows the
 * monitor): it fans each new event out into one delivery per URL, claims due
 * deliveries for a while (HOOK_CLAIM_MS past the call's time-out), POSTs each with
 * tacitus.webhook.timeout, and records every attempt with its answer (hook_attempt).
 * A delivery not answered 2xx is tried again after 1, 2, 4 ... seconds (at most
 * HOOK_BACKOFF_MAX_MS apart) until tacitus.webhook.retry-for has passed since the
 * job ended.  At least once: a sender that dies during a call leaves its claim to
 * lapse, and any instance's sender sends it again.
 *
 * A callbackUrl must be http(s), without user or password, naming a host of
 * tacitus.webhook.allowed-hosts (none: no callbackUrl is accepted): no request can
 * make the server call an address the admin did not allow.  Redirects are not
 * followed.
 *
 * Signing follows Standard Webhooks (https://www.standardwebhooks.com/): each POST
 * carries webhook-id (the delivery's id, the same on every retry), webhook-timestamp
 * (Unix seconds of the attempt) and, when tacitus.webhook.secret is set,
 * webhook-signature "v1,<base64 of HMAC-SHA256(key, id.timestamp.body)>", the key
 * being the bytes of a secret written whsec_<base64>, else the secret's own bytes.
 */
#ifndef TACITUS_HOOK_H
#define TACITUS_HOOK_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"

#define HOOK_SIGNATURE_MAX 64       /* "v1," and the base64 of a SHA-256 HMAC */
#define HOOK_ID_MAX 48              /* a webhook-id ("tacitus-<delivery id>") */
#define HOOK_BACKOFF_MAX_MS 300000  /* retries at least this often */
#define HOOK_CLAIM_MS 10000         /* a claim outlives its call's time-out by this */

/* True when url may be a job's callbackUrl under c; else false with Livy-style
 * words in msg.  Pure but for libcurl's URL parser. */
bool hook_url_allowed(const struct cfg *c, const char *url, char *msg, size_t msglen);

/* The webhook-signature value of body (len bytes) for delivery `id` at Unix time
 * ts under secret (non-empty) into out (HOOK_SIGNATURE_MAX bytes).  Returns 0, or
 * -1 when the secret is whsec_ with bad base64 or HMAC failed. */
int hook_sign(const char *secret, const char *id, long long ts, const char *body, size_t len,
	      char out[HOOK_SIGNATURE_MAX]);

/* Milliseconds before the next try of a delivery that failed `attempts` times (>= 1):
 * 1 s, 2 s, 4 s ... up to HOOK_BACKOFF_MAX_MS. */
long long hook_backoff_ms(int attempts);

#endif
