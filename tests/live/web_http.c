/*
 * web_http - the HTTP adapter of the web desk (adapters/http) over real
 * sockets with libcurl, against a running `fsrelay web` (started by
 * tests/integration/web.sh).
 *
 * Proves: the security headers on every response (strict CSP without
 * inline script, nosniff, no-referrer, frame-ancestors none, no-store,
 * HSTS under TLS); the login form's CSRF (cookie + field); a login sets
 * __Host-fsrelay HttpOnly, Secure, SameSite=Strict, Path=/ with a
 * 256-bit token, a new one at every login; wrong password 401; a
 * state-changing request without the session's CSRF token is 403 and
 * does nothing (the session still works), with the form field or the
 * X-CSRF-Token header it is done; logout ends the session; lockout after
 * 5 failures, per account (from any address) and per address (for any
 * account), 429 with a French message; an unknown page is 404; pages
 * need a session (303 to /connexion, 401 for the API).
 * Role pages: each role's menu lists its pages only; another role gets
 * 404 on them (the same as a page that does not exist); the administrator
 * lists the accounts (no password hash) and changes a role, a password
 * and the enabled flag (CSRF needed, refused on their own account); the
 * DPO sees the register (a declared entry, its time left), an entry, its
 * CNIL text, the audit log verified intact and its export.
 *
 * Needs: FSRELAY_TEST_WEB_URL (ending in /), FSRELAY_TEST_CA,
 * FSRELAY_TEST_WEB_PASSWORD, loopback addresses 127.0.0.6-8 and .10 as sources.
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "relay/age.h"
#include "relay/util.h"
#include "tests/unit/t.h"

static const char *base, *ca, *pw;

struct res {
	long		 status;
	struct buf	 head;
	struct buf	 body;
};

static size_t
sink(char *p, size_t sz, size_t n, void *ud)
{
	return buf_append(ud, p, sz * n) == 0 ? sz * n : 0;
}

/* One request.  cookie: "a=b; c=d" or NULL; post: urlencoded body or NULL;
 * hdr: an extra header or NULL; src: source address or NULL. */
static int
req(struct res *r, const char *path, const char *cookie, const char *post, const char *hdr,
    const char *src)
{
	CURL *c = curl_easy_init();
	struct curl_slist *h = NULL;
	char url[512];
	CURLcode rc;

	memset(r, 0, sizeof(*r));
	buf_init(&r->head, 1 << 20);
	buf_init(&r->body, 1 << 24);
	if (c == NULL)
		return -1;
	snprintf(url, sizeof(url), "%s%s", base, path[0] == '/' ? path + 1 : path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CAINFO, ca);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, sink);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &r->head);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &r->body);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
	if (cookie)
		curl_easy_setopt(c, CURLOPT_COOKIE, cookie);
	if (post)
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, post);
	if (hdr) {
		h = curl_slist_append(h, hdr);
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	}
	if (src)
		curl_easy_setopt(c, CURLOPT_INTERFACE, src);
	rc = curl_easy_perform(c);
	if (rc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	else
		fprintf(stderr, "curl %s: %s\n", path, curl_easy_strerror(rc));
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	return rc == CURLE_OK ? 0 : -1;
}

static void
res_free(struct res *r)
{
	buf_free(&r->head);
	buf_free(&r->body);
}

/* The value of header name (first occurrence whose value starts with
 * prefix, when given), copied into out; 0 found / -1. */
static int
header(const struct res *r, const char *name, const char *prefix, char *out, size_t n)
{
	const char *p = r->head.p;
	size_t nl = strlen(name);

	while (p && *p) {
		const char *e = strstr(p, "\r\n");
		size_t len = e ? (size_t)(e - p) : strlen(p);

		if (len > nl + 1 && strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
			const char *v = p + nl + 1;
			size_t vl;

			while (*v == ' ')
				v++;
			vl = len - (size_t)(v - p);
			if (prefix == NULL || strncmp(v, prefix, strlen(prefix)) == 0) {
				if (vl >= n)
					vl = n - 1;
				memcpy(out, v, vl);
				out[vl] = '\0';
				return 0;
			}
		}
		p = e ? e + 2 : NULL;
	}
	return -1;
}

/* The value of cookie name set by r, into out (n bytes). */
static int
cookie_value(const struct res *r, const char *name, char *out, size_t n, char *line, size_t ln)
{
	char pre[80];
	const char *e;

	snprintf(pre, sizeof(pre), "%s=", name);
	if (header(r, "Set-Cookie", pre, line, ln) < 0)
		return -1;
	e = strchr(line, ';');
	snprintf(out, n, "%.*s", (int)((e ? (size_t)(e - line) : strlen(line)) - strlen(pre)),
	    line + strlen(pre));
	return 0;
}

/* The hidden csrf field of a page into out. */
static int
csrf_of(const struct res *r, char *out, size_t n)
{
	const char *p = r->body.p ? strstr(r->body.p, "name=\"csrf\" value=\"") : NULL;
	const char *e;

	if (p == NULL)
		return -1;
	p += strlen("name=\"csrf\" value=\"");
	e = strchr(p, '"');
	if (e == NULL || (size_t)(e - p) >= n)
		return -1;
	memcpy(out, p, (size_t)(e - p));
	out[e - p] = '\0';
	return 0;
}

static void
check_security_headers(const struct res *r, const char *what)
{
	char v[1024];

	if (!CHECK(header(r, "Content-Security-Policy", NULL, v, sizeof(v)) == 0))
		fprintf(stderr, "    (%s)\n", what);
	CHECK(strstr(v, "default-src 'none'") != NULL);
	CHECK(strstr(v, "script-src 'self'") != NULL);
	CHECK(strstr(v, "frame-ancestors 'none'") != NULL);
	CHECK(strstr(v, "unsafe-inline") == NULL && strstr(v, "unsafe-eval") == NULL);
	CHECK(header(r, "X-Content-Type-Options", "nosniff", v, sizeof(v)) == 0);
	CHECK(header(r, "Referrer-Policy", "no-referrer", v, sizeof(v)) == 0);
	CHECK(header(r, "Strict-Transport-Security", "max-age=", v, sizeof(v)) == 0);
}

/* Log in as id from src: 0 and the session cookie ("__Host-fsrelay=..."),
 * else the status. */
static long
login(const char *id, const char *pass, const char *src, char *cookie, size_t n, struct res *out)
{
	struct res r;
	char pre[128], csrf[128], line[512], post[512], ck[256];
	long st;

	if (req(&r, "/connexion", NULL, NULL, NULL, src) < 0 ||
	    cookie_value(&r, "__Host-fsrelay-connexion", pre, sizeof(pre), line, sizeof(line)) < 0 ||
	    csrf_of(&r, csrf, sizeof(csrf)) < 0) {
		res_free(&r);
		return -1;
	}
	res_free(&r);
	snprintf(post, sizeof(post), "csrf=%s&identifiant=%s&mot_de_passe=%s", csrf, id, pass);
	snprintf(ck, sizeof(ck), "__Host-fsrelay-connexion=%s", pre);
	if (req(&r, "/connexion", ck, post, NULL, src) < 0)
		return -1;
	st = r.status;
	if (st == 303 && cookie_value(&r, "__Host-fsrelay", pre, sizeof(pre), line,
	    sizeof(line)) == 0) {
		snprintf(cookie, n, "__Host-fsrelay=%s", pre);
		st = 0;
	}
	if (out)
		*out = r;
	else
		res_free(&r);
	return st;
}

/* GET path with cookie: the status; the body stays in *r. */
static long
get(struct res *r, const char *path, const char *cookie)
{
	if (req(r, path, cookie, NULL, NULL, "127.0.0.8") < 0)
		return -1;
	return r->status;
}

static int
body_has(const struct res *r, const char *s)
{
	return r->body.p != NULL && strstr(r->body.p, s) != NULL;
}

/* The value of the first hidden field name="NAME" of a page into out. */
static int
field_of(const struct res *r, const char *name, char *out, size_t n)
{
	char pat[96];
	const char *p, *e;

	snprintf(pat, sizeof(pat), "name=\"%s\" value=\"", name);
	p = r->body.p ? strstr(r->body.p, pat) : NULL;
	if (p == NULL)
		return -1;
	p += strlen(pat);
	e = strchr(p, '"');
	if (e == NULL || (size_t)(e - p) >= n)
		return -1;
	memcpy(out, p, (size_t)(e - p));
	out[e - p] = '\0';
	return 0;
}

/* The administrator creates an account (the core's refusals beside their
 * field, nothing created), and works the directory: coverage, referents,
 * a key pinned through the fingerprint's confirmation.  agent: a session
 * of agent1 (404 on both, even with its CSRF token). */
static void
admin_create_and_directory(const char *adm, const char *csrf, const char *agent)
{
	struct res r;
	char post[1024], v[256], ck[128], addr[300], rcpt[128], fp[128], pat[400];
	uint8_t sk[32], pk[32];

	CHECK_INT(get(&r, "/agents", adm), 200);
	CHECK(body_has(&r, "<h2 id=\"titre-nouveau\">Créer un compte</h2>"));
	CHECK(body_has(&r, "<option value=\"fontenay-aux-roses\">"));
	CHECK(body_has(&r, "<label for=\"nouveau-identifiant\">Identifiant</label>"));
	res_free(&r);
	/* without CSRF: 403, nothing created */
	CHECK(req(&r, "/agents", adm, "action=ajouter&identifiant=nouvel.agent&nom=Agent+Neuf"
	    "&email=neuf%40fs-fontenay.test&structure=fontenay-aux-roses&role=agent", NULL,
	    "127.0.0.8") == 0);
	CHECK_INT(r.status, 403);
	res_free(&r);
	/* an agent with their own CSRF token: 404 */
	CHECK_INT(get(&r, "/", agent), 200);
	CHECK(csrf_of(&r, ck, sizeof(ck)) == 0);
	res_free(&r);
	snprintf(post, sizeof(post), "csrf=%s&action=ajouter&identifiant=nouvel.agent&nom=Agent+Neuf"
	    "&email=neuf%%40fs-fontenay.test&structure=fontenay-aux-roses&role=agent", ck);
	CHECK(req(&r, "/agents", agent, post, NULL, "127.0.0.8") == 0);
	CHECK_INT(r.status, 404);
	res_free(&r);
	/* the core's refusals, each beside its field, the typed values kept */
	snprintf(post, sizeof(post), "csrf=%s&action=ajouter&identifiant=Nouvel+Agent&nom=Agent+Neuf"
	    "&email=neuf%%40fs-fontenay.test&structure=fontenay-aux-roses&role=agent", csrf);
	CHECK(req(&r, "/agents", adm, post, NULL, "127.0.0.8") == 0);
	CHECK_INT(r.status, 400);
	CHECK(body_has(&r, "id=\"erreur-nouveau-identifiant\" role=\"alert\">Identifiant invalide"
	    " « Nouvel Agent »"));
	CHECK(body_has(&r, "aria-describedby=\"aide-nouveau-identifiant erreur-nouveau-identifiant\""
	    " aria-invalid=\"true\""));
	CHECK(body_has(&r, "value=\"Agent Neuf\""));
	CHECK(body_has(&r, "<option value=\"fontenay-aux-roses\" selected>"));
	res_free(&r);
	snprintf(post, sizeof(post), "csrf=%s&action=ajouter&identifiant=nouvel.agent&nom=Agent+Neuf"
	    "&email=pas-une-adresse&structure=fontenay-aux-roses&role=agent", csrf);
	CHECK(req(&r, "/agents", adm, post, NULL, "127.0.0.8") == 0);
	CHECK_INT(r.status, 400);
	CHECK(body_has(&r, "id=\"erreur-nouveau-email\" role=\"alert\">Adresse invalide"));
	res_free(&r);
	snprintf(post, sizeof(post), "csrf=%s&action=ajouter&identifiant=nouvel.agent&nom=Agent+Neuf"
	    "&email=neuf%%40fs-fontenay.test&structure=nulle-part&role=agent", csrf);
	CHECK(req(&r, "/agents", adm, post, NULL, "127.0.0.8") == 0);
	CHECK_INT(r.status, 400);
	CHECK(body_has(&r, "id=\"erreur-nouveau-structure\" role=\"alert\">Structure inconnue"));
	res_free(&r);
	snprintf(post, sizeof(post), "csrf=%s&action=ajouter&identifiant=agent2&nom=Agent+Neuf"
	    "&email=neuf%%40fs-fontenay.test&structure=fontenay-aux-roses&role=agent", csrf);
	CHECK(req(&r, "/agents", adm, post, NULL, "127.0.0.8") == 0);
	CHECK_INT(r.status, 400);
	CHECK(body_has(&r, "L&#39;agent « agent2 » existe déjà"));
	res_free(&r);
	CHECK_INT(get(&r, "/agents", adm), 200);
	CHECK(!body_has(&r, "<td>nouvel.agent</td>"));
	res_free(&r);
	/* created */
	snprintf(post, sizeof(post), "csrf=%s&action=ajouter&identifiant=nouvel.agent&nom=Agent+Neuf"
	    "&email=neuf%%40fs-fontenay.test&structure=fontenay-aux-roses&role=responsable", csrf);
	CHECK(req(&r, "/agents", adm, post, NULL, "127.0.0.8") == 0);
	CHECK_INT(r.status, 303);
	CHECK(header(&r, "Location", "/agents?fait=ajouter", v, sizeof(v)) == 0);
	res_free(&r);
	CHECK_INT(get(&r, "/agents?fait=ajouter", adm), 200);
	CHECK(body_has(&r, "Le compte est créé."));
	CHECK(body_has(&r, "<td>nouvel.agent</td><td>Agent Neuf</td><td>fontenay-aux-roses</td>"
	    "<td>Responsable de structure</td><td>aucun (ne peut pas se connecter)</td>"));
	res_free(&r);

	/* the directory: the administrator only */
	CHECK_INT(get(&r, "/annuaire", agent), 404);
	res_free(&r);
	CHECK_INT(get(&r, "/", adm), 200);
	CHECK(body_has(&r, "href=\"/annuaire\""));
	res_free(&r);
	CHECK_INT(get(&r, "/annuaire", adm), 200);
	check_security_headers(&r, "GET /annuaire");
	CHECK(header(&r, "Cache-Control", "no-store", v, sizeof(v)) == 0);
	CHECK(body_has(&r, "<h2 id=\"titre-couverture\">Couverture de l'annuaire</h2>"));
	CHECK(body_has(&r, "avertissement"));
	CHECK(body_has(&r, "<h2 id=\"titre-cles\">Clés des référents</h2>"));
	CHECK(body_has(&r, "vérifiée par instance de test"));
	CHECK(body_has(&r, "<code>SHA256:"));
	CHECK(!body_has(&r, "internal-only") && !body_has(&r, "tel:"));
	CHECK(field_of(&r, "adresse", addr, sizeof(addr)) == 0);
	res_free(&r);
	CHECK(age_keygen(sk, pk) == 0 && age_recipient_format(rcpt, sizeof(rcpt), pk) == 0);
	/* an invalid key: 400, beside the key field */
	snprintf(post, sizeof(post), "csrf=%s&action=epingler&adresse=%s&cle=age1faux"
	    "&verifie_par=Camille", csrf, addr);
	CHECK(req(&r, "/annuaire", adm, post, NULL, "127.0.0.8") == 0);
	CHECK_INT(r.status, 400);
	CHECK(body_has(&r, "id=\"erreur-cle\" role=\"alert\">Clé age invalide"));
	CHECK(body_has(&r, "aria-invalid=\"true\""));
	res_free(&r);
	/* without CSRF: 403 */
	snprintf(post, sizeof(post), "action=epingler&adresse=%s&cle=%s&verifie_par=Camille"
	    "&confirme=1", addr, rcpt);
	CHECK(req(&r, "/annuaire", adm, post, NULL, "127.0.0.8") == 0);
	CHECK_INT(r.status, 403);
	res_free(&r);
	/* the fingerprint to read to the referent first */
	snprintf(post, sizeof(post), "csrf=%s&action=epingler&adresse=%s&cle=%s"
	    "&verifie_par=Camille+par+t%%C3%%A9l%%C3%%A9phone", csrf, addr, rcpt);
	CHECK(req(&r, "/annuaire", adm, post, NULL, "127.0.0.8") == 0);
	CHECK_INT(r.status, 200);
	CHECK(body_has(&r, "Empreinte : <code>SHA256:"));
	CHECK(body_has(&r, "name=\"confirme\" value=\"1\" required"));
	{
		const char *p = strstr(r.body.p, "Empreinte : <code>");
		const char *e = p ? strstr(p, "</code>") : NULL;

		CHECK(p != NULL && e != NULL);
		if (p && e)
			snprintf(fp, sizeof(fp), "%.*s", (int)(e - p - 18), p + 18);
	}
	res_free(&r);
	CHECK_INT(get(&r, "/annuaire", adm), 200);
	CHECK(!body_has(&r, fp));	/* not pinned before the confirmation */
	res_free(&r);
	/* a verifier's name with a line break: the core's refusal */
	snprintf(post, sizeof(post), "csrf=%s&action=epingler&adresse=%s&cle=%s"
	    "&verifie_par=Camille%%0Aautre&confirme=1", csrf, addr, rcpt);
	CHECK(req(&r, "/annuaire", adm, post, NULL, "127.0.0.8") == 0);
	CHECK_INT(r.status, 400);
	CHECK(body_has(&r, "id=\"erreur-verifie_par\" role=\"alert\">Vérifiée par : "));
	res_free(&r);
	/* an address outside the directory */
	snprintf(post, sizeof(post), "csrf=%s&action=epingler&adresse=inconnu%%40nulle.part&cle=%s"
	    "&verifie_par=Camille&confirme=1", csrf, rcpt);
	CHECK(req(&r, "/annuaire", adm, post, NULL, "127.0.0.8") == 0);
	CHECK_INT(r.status, 400);
	CHECK(body_has(&r, "n&#39;est pas une adresse de l&#39;annuaire"));
	res_free(&r);
	snprintf(post, sizeof(post), "csrf=%s&action=epingler&adresse=%s&cle=%s"
	    "&verifie_par=Camille+par+t%%C3%%A9l%%C3%%A9phone&confirme=1", csrf, addr, rcpt);
	CHECK(req(&r, "/annuaire", adm, post, NULL, "127.0.0.8") == 0);
	CHECK_INT(r.status, 303);
	CHECK(header(&r, "Location", "/annuaire?fait=epingler", v, sizeof(v)) == 0);
	res_free(&r);
	CHECK_INT(get(&r, "/annuaire?fait=epingler", adm), 200);
	CHECK(body_has(&r, "La clé est épinglée"));
	snprintf(pat, sizeof(pat), "<code>%s</code><br><span class=\"hint\">vérifiée par Camille par"
	    " téléphone", fp);
	CHECK(body_has(&r, pat));
	res_free(&r);
}

/* The pages of each role; agent: a session cookie of agent1. */
static void
role_pages(const char *agent)
{
	static const char *const report_pages[] = { "/rapport", "/rapport?trimestre=2026-T1",
	    "/rapport.csv?trimestre=2026-T1", "/api/v1/rapport" };
	static const char *const dpo_pages[] = { "/violations", "/violations/1", "/journal",
	    "/journal/export?du=2026-03-01&au=2026-03-31", "/api/v1/violations" };
	struct res r;
	char adm[256], dpo[256], ck[256], csrf[128], post[512], v[256];
	size_t i;

	/* an agent: no administrator or DPO page, not in the menu either */
	CHECK_INT(get(&r, "/", agent), 200);
	CHECK(!body_has(&r, "href=\"/agents\"") && !body_has(&r, "href=\"/violations\""));
	res_free(&r);
	CHECK_INT(get(&r, "/agents", agent), 404);
	res_free(&r);
	for (i = 0; i < FS_ARRAY_LEN(report_pages); i++) {
		CHECK_INT(get(&r, report_pages[i], agent), 404);
		res_free(&r);
	}
	for (i = 0; i < FS_ARRAY_LEN(dpo_pages); i++) {
		CHECK_INT(get(&r, dpo_pages[i], agent), 404);
		res_free(&r);
	}

	/* « Mes dossiers »: agent1's two cases (web.sh), no name in clear */
	CHECK_INT(get(&r, "/dossiers", agent), 200);
	CHECK(body_has(&r, "<h1>Mes dossiers</h1>"));
	CHECK(body_has(&r, ">2 dossiers, les plus urgents d'abord.</p>"));
	CHECK(body_has(&r, "<th scope=\"row\"><a href=\"/dossiers/FS-92032-2026-"));
	CHECK(body_has(&r, "<td>en file d&#39;envoi</td><td>CAF</td>"));
	CHECK(!body_has(&r, "Quibrante") && !body_has(&r, "Ornella"));
	CHECK(header(&r, "Cache-Control", "no-store", v, sizeof(v)) == 0);
	res_free(&r);
	CHECK_INT(get(&r, "/dossiers?etat=queued", agent), 200);
	CHECK(body_has(&r, ">2 dossiers"));
	res_free(&r);
	CHECK_INT(get(&r, "/dossiers?etat=resolved", agent), 200);
	CHECK(body_has(&r, ">0 dossier,"));
	res_free(&r);
	CHECK_INT(get(&r, "/dossiers?retard=1", agent), 200);
	CHECK(body_has(&r, ">0 dossier,"));
	res_free(&r);
	CHECK_INT(get(&r, "/dossiers?etat=%3Cscript%3E", agent), 400);
	res_free(&r);

	/* the administrator */
	CHECK_INT(login("admin", pw, "127.0.0.8", adm, sizeof(adm), NULL), 0);
	CHECK_INT(get(&r, "/", adm), 200);
	CHECK(body_has(&r, "href=\"/agents\"") && !body_has(&r, "href=\"/violations\""));
	res_free(&r);
	CHECK_INT(get(&r, "/violations", adm), 404);
	res_free(&r);
	CHECK_INT(get(&r, "/dossiers", adm), 404);	/* metadata only, no case */
	res_free(&r);
	CHECK_INT(get(&r, "/journal", adm), 404);
	res_free(&r);
	CHECK_INT(get(&r, "/agents", adm), 200);
	CHECK(body_has(&r, "<td>agent2</td>") && body_has(&r, "Agent Un"));
	CHECK(body_has(&r, "Délégué à la protection des données"));
	CHECK(!body_has(&r, "argon2"));
	CHECK(header(&r, "Cache-Control", "no-store", v, sizeof(v)) == 0);
	check_security_headers(&r, "GET /agents");
	CHECK(csrf_of(&r, csrf, sizeof(csrf)) == 0);
	res_free(&r);
	/* without CSRF: 403, the role unchanged */
	CHECK(req(&r, "/agents", adm, "action=role&agent=agent2&role=dpo", NULL, "127.0.0.8") == 0);
	CHECK_INT(r.status, 403);
	res_free(&r);
	/* an agent cannot post it either, with a valid CSRF token of their
	 * own (404, nothing done) */
	CHECK_INT(get(&r, "/", agent), 200);
	CHECK(csrf_of(&r, ck, sizeof(ck)) == 0);
	res_free(&r);
	snprintf(post, sizeof(post), "csrf=%s&action=role&agent=agent2&role=dpo", ck);
	CHECK(req(&r, "/agents", agent, post, NULL, "127.0.0.8") == 0);
	CHECK_INT(r.status, 404);
	res_free(&r);
	CHECK_INT(get(&r, "/agents", adm), 200);
	CHECK(body_has(&r, "<td>agent2</td><td>Agent Deux</td><td>antony</td><td>Agent</td>"));
	res_free(&r);
	/* a role given, and taken back */
	snprintf(post, sizeof(post), "csrf=%s&action=role&agent=agent2&role=responsable", csrf);
	CHECK(req(&r, "/agents", adm, post, NULL, "127.0.0.8") == 0);
	CHECK_INT(r.status, 303);
	CHECK(header(&r, "Location", "/agents?fait=role", v, sizeof(v)) == 0);
	res_free(&r);
	CHECK_INT(get(&r, "/agents?fait=role", adm), 200);
	CHECK(body_has(&r, "Le rôle a été changé"));
	res_free(&r);
	CHECK_INT(login("agent2", pw, "127.0.0.8", ck, sizeof(ck), NULL), 0);
	CHECK_INT(get(&r, "/api/v1/session", ck), 200);
	CHECK(body_has(&r, "\"role\":\"responsable\""));
	res_free(&r);
	snprintf(post, sizeof(post), "csrf=%s&action=role&agent=agent2&role=agent", csrf);
	CHECK(req(&r, "/agents", adm, post, NULL, "127.0.0.8") == 0);
	CHECK_INT(r.status, 303);
	res_free(&r);
	CHECK_INT(get(&r, "/", ck), 303);	/* the role change closed agent2's session */
	res_free(&r);
	/* refused on one's own account, with the reason */
	snprintf(post, sizeof(post), "csrf=%s&action=desactiver&agent=admin", csrf);
	CHECK(req(&r, "/agents", adm, post, NULL, "127.0.0.8") == 0);
	CHECK_INT(r.status, 400);
	CHECK(body_has(&r, "vous ne pouvez pas désactiver votre propre compte"));
	res_free(&r);
	CHECK_INT(get(&r, "/", adm), 200);	/* still there */
	res_free(&r);
	/* disable agent2: no login; enable again */
	snprintf(post, sizeof(post), "csrf=%s&action=desactiver&agent=agent2", csrf);
	CHECK(req(&r, "/agents", adm, post, NULL, "127.0.0.8") == 0);
	CHECK_INT(r.status, 303);
	res_free(&r);
	CHECK_INT(get(&r, "/agents", adm), 200);
	CHECK(body_has(&r, "désactivé</span>"));
	res_free(&r);
	CHECK_INT(login("agent2", pw, "127.0.0.8", ck, sizeof(ck), NULL), 401);
	snprintf(post, sizeof(post), "csrf=%s&action=reactiver&agent=agent2", csrf);
	CHECK(req(&r, "/agents", adm, post, NULL, "127.0.0.8") == 0);
	CHECK_INT(r.status, 303);
	res_free(&r);
	/* a new password (too short refused, beside the account) */
	snprintf(post, sizeof(post), "csrf=%s&action=mot_de_passe&agent=agent2&mot_de_passe=court",
	    csrf);
	CHECK(req(&r, "/agents", adm, post, NULL, "127.0.0.8") == 0);
	CHECK_INT(r.status, 400);
	CHECK(body_has(&r, "Compte agent2 : mot de passe trop court"));
	res_free(&r);
	snprintf(post, sizeof(post), "csrf=%s&action=mot_de_passe&agent=agent2"
	    "&mot_de_passe=nouveau-mot-de-passe-2026", csrf);
	CHECK(req(&r, "/agents", adm, post, NULL, "127.0.0.8") == 0);
	CHECK_INT(r.status, 303);
	res_free(&r);
	CHECK_INT(login("agent2", "nouveau-mot-de-passe-2026", "127.0.0.8", ck, sizeof(ck), NULL), 0);
	snprintf(post, sizeof(post), "csrf=%s&action=mot_de_passe&agent=agent2&mot_de_passe=%s",
	    csrf, pw);
	CHECK(req(&r, "/agents", adm, post, NULL, "127.0.0.8") == 0);
	CHECK_INT(r.status, 303);
	res_free(&r);
	admin_create_and_directory(adm, csrf, agent);

	/* the structure manager: the report of their structure only (two
	 * cases of Fontenay, not the one of Antony) */
	CHECK_INT(login("responsable", pw, "127.0.0.8", ck, sizeof(ck), NULL), 0);
	CHECK_INT(get(&r, "/", ck), 200);
	CHECK(body_has(&r, "href=\"/rapport\"") && !body_has(&r, "href=\"/violations\""));
	res_free(&r);
	CHECK_INT(get(&r, "/dossiers", ck), 200);	/* a manager is an agent too */
	CHECK(body_has(&r, ">0 dossier,"));	/* their own: none */
	res_free(&r);
	CHECK_INT(get(&r, "/rapport", ck), 200);	/* the current quarter (test clock) */
	CHECK(body_has(&r, "<h1>Rapport trimestriel 2026-T1</h1>"));
	CHECK(body_has(&r, "<strong>fontenay-aux-roses</strong>"));
	CHECK(body_has(&r, "<th scope=\"row\" colspan=\"2\">Total</th><td>2</td>"));
	CHECK(body_has(&r, "<svg role=\"img\" aria-labelledby=\"graphique\""));
	CHECK(!body_has(&r, "<?xml") && !body_has(&r, "Quibrante"));
	res_free(&r);
	CHECK_INT(get(&r, "/rapport?trimestre=2026-T2", ck), 200);
	CHECK(body_has(&r, "<th scope=\"row\" colspan=\"2\">Total</th><td>0</td>"));
	res_free(&r);
	CHECK_INT(get(&r, "/rapport?trimestre=2026-T5", ck), 400);
	CHECK(body_has(&r, "aria-describedby=\"erreur-trimestre\"") && body_has(&r, "Trimestre invalide"));
	res_free(&r);
	CHECK_INT(get(&r, "/rapport.csv?trimestre=2026-T1", ck), 200);
	CHECK(header(&r, "Content-Type", "text/csv", v, sizeof(v)) == 0);
	CHECK(header(&r, "Content-Disposition", "attachment; filename=\"rapport-2026-T1.csv\"", v,
	    sizeof(v)) == 0);
	CHECK(body_has(&r, "dossiers,annules"));
	res_free(&r);
	CHECK_INT(get(&r, "/api/v1/rapport?trimestre=2026-T1", ck), 200);
	CHECK(header(&r, "Content-Type", "application/json", v, sizeof(v)) == 0);
	CHECK(body_has(&r, "\"structure\":\"fontenay-aux-roses\""));
	res_free(&r);
	CHECK_INT(get(&r, "/api/v1/rapport?trimestre=x", ck), 400);
	CHECK(body_has(&r, "\"erreur\""));
	res_free(&r);
	CHECK_INT(get(&r, "/violations", ck), 404);
	res_free(&r);

	/* the DPO */
	CHECK_INT(login("dpo", pw, "127.0.0.8", dpo, sizeof(dpo), NULL), 0);
	CHECK_INT(get(&r, "/agents", dpo), 404);
	res_free(&r);
	CHECK_INT(get(&r, "/annuaire", dpo), 404);
	res_free(&r);
	CHECK_INT(get(&r, "/dossiers", dpo), 404);	/* no case content */
	res_free(&r);
	for (i = 0; i < FS_ARRAY_LEN(report_pages); i++) {
		CHECK_INT(get(&r, report_pages[i], dpo), 404);
		res_free(&r);
		CHECK_INT(get(&r, report_pages[i], adm), 404);
		res_free(&r);
	}
	CHECK_INT(get(&r, "/", dpo), 200);
	CHECK(body_has(&r, "href=\"/violations\"") && body_has(&r, "href=\"/journal\""));
	CHECK(!body_has(&r, "href=\"/agents\""));
	res_free(&r);
	CHECK_INT(get(&r, "/violations", dpo), 200);
	CHECK(body_has(&r, "<a href=\"/violations/1\">n° 1</a>"));
	CHECK(body_has(&r, "déclarée par le DPO"));
	CHECK(body_has(&r, "data-remaining=\""));
	CHECK(body_has(&r, "72 heures"));
	CHECK(header(&r, "Cache-Control", "no-store", v, sizeof(v)) == 0);
	res_free(&r);
	CHECK_INT(get(&r, "/violations/1", dpo), 200);
	CHECK(body_has(&r, "Courrier remis à la mauvaise personne"));
	res_free(&r);
	CHECK_INT(get(&r, "/violations/999", dpo), 404);
	res_free(&r);
	CHECK_INT(get(&r, "/violations/1/export", dpo), 200);
	CHECK(header(&r, "Content-Disposition", "attachment", v, sizeof(v)) == 0);
	CHECK(body_has(&r, "CNIL") || body_has(&r, "Notification"));
	res_free(&r);
	CHECK_INT(get(&r, "/api/v1/violations", dpo), 200);
	CHECK(header(&r, "Content-Type", "application/json", v, sizeof(v)) == 0);
	CHECK(body_has(&r, "\"breach_id\":1") && body_has(&r, "\"detection_source\":\"manual\""));
	res_free(&r);
	CHECK_INT(get(&r, "/journal", dpo), 200);
	CHECK(body_has(&r, "Journal intact."));
	res_free(&r);
	CHECK_INT(get(&r, "/journal/export?du=2026-03-01&au=2026-03-31", dpo), 200);
	CHECK(header(&r, "Content-Type", "application/x-ndjson", v, sizeof(v)) == 0);
	CHECK(body_has(&r, "\"action\":\"web.login\"") && body_has(&r, "\"leaf_hash\""));
	res_free(&r);
	CHECK_INT(get(&r, "/journal/export?du=2026-03-31&au=2026-03-01", dpo), 400);
	res_free(&r);
	CHECK_INT(get(&r, "/journal/export?du=2020-01-01&au=2020-01-31", dpo), 200);
	CHECK(r.body.len == 0);	/* nothing then */
	res_free(&r);
}

int
main(void)
{
	struct res r;
	char v[1024], line[512], pre[128], csrf[128], ck[256], ck2[256], post[512], hdr[160];
	int i;

	base = getenv("FSRELAY_TEST_WEB_URL");
	ca = getenv("FSRELAY_TEST_CA");
	pw = getenv("FSRELAY_TEST_WEB_PASSWORD");
	if (!base || !ca || !pw) {
		fprintf(stderr, "web_http: FSRELAY_TEST_WEB_URL, FSRELAY_TEST_CA,"
		    " FSRELAY_TEST_WEB_PASSWORD needed\n");
		return t_done() + 1;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);

	/* the login page */
	CHECK(req(&r, "/connexion", NULL, NULL, NULL, "127.0.0.8") == 0);
	CHECK_INT(r.status, 200);
	check_security_headers(&r, "GET /connexion");
	CHECK(header(&r, "Cache-Control", "no-store", v, sizeof(v)) == 0);
	CHECK(r.body.p && strstr(r.body.p, "<html lang=\"fr\">") != NULL);
	CHECK(r.body.p && strstr(r.body.p, "<label for=\"identifiant\">Identifiant</label>") != NULL);
	CHECK(r.body.p && strstr(r.body.p, "<script>") == NULL && strstr(r.body.p, " style=") == NULL);
	CHECK(cookie_value(&r, "__Host-fsrelay-connexion", pre, sizeof(pre), line, sizeof(line)) == 0);
	CHECK(strstr(line, "HttpOnly") && strstr(line, "Secure") && strstr(line, "SameSite=Strict"));
	CHECK(csrf_of(&r, csrf, sizeof(csrf)) == 0 && strcmp(csrf, pre) == 0);
	res_free(&r);

	/* the login form without its CSRF token (or a wrong one): 403, no session */
	snprintf(post, sizeof(post), "identifiant=agent1&mot_de_passe=%s", pw);
	snprintf(ck, sizeof(ck), "__Host-fsrelay-connexion=%s", pre);
	CHECK(req(&r, "/connexion", ck, post, NULL, "127.0.0.8") == 0);
	CHECK_INT(r.status, 403);
	CHECK(header(&r, "Set-Cookie", "__Host-fsrelay=", v, sizeof(v)) < 0);
	CHECK(r.body.p && strstr(r.body.p, "CSRF") != NULL);
	res_free(&r);
	snprintf(post, sizeof(post), "csrf=%s&identifiant=agent1&mot_de_passe=%s", csrf, pw);
	CHECK(req(&r, "/connexion", NULL, post, NULL, "127.0.0.8") == 0);
	CHECK_INT(r.status, 403);
	res_free(&r);

	/* a wrong password */
	CHECK_INT(login("agent1", "pas-le-bon-mot-de-passe", "127.0.0.8", ck, sizeof(ck), &r), 401);
	CHECK(r.body.p && strstr(r.body.p, "Identifiant ou mot de passe incorrect") != NULL);
	CHECK(r.body.p && strstr(r.body.p, "aria-describedby=\"erreur-connexion\"") != NULL);
	check_security_headers(&r, "POST /connexion");
	res_free(&r);

	/* pages need a session */
	CHECK(req(&r, "/", NULL, NULL, NULL, "127.0.0.8") == 0);
	CHECK_INT(r.status, 303);
	CHECK(header(&r, "Location", "/connexion", v, sizeof(v)) == 0);
	res_free(&r);
	CHECK(req(&r, "/api/v1/session", NULL, NULL, NULL, "127.0.0.8") == 0);
	CHECK_INT(r.status, 401);
	CHECK(header(&r, "Content-Type", "application/json", v, sizeof(v)) == 0);
	res_free(&r);

	/* a good login: the cookie and its flags */
	CHECK_INT(login("agent1", pw, "127.0.0.8", ck, sizeof(ck), &r), 0);
	CHECK(header(&r, "Location", "/", v, sizeof(v)) == 0);
	CHECK(cookie_value(&r, "__Host-fsrelay", pre, sizeof(pre), line, sizeof(line)) == 0);
	CHECK_INT(strlen(pre), 64);	/* 256 bits */
	CHECK(strstr(line, "; HttpOnly") != NULL);
	CHECK(strstr(line, "; Secure") != NULL);
	CHECK(strstr(line, "; SameSite=Strict") != NULL);
	CHECK(strstr(line, "; Path=/") != NULL);
	CHECK(strstr(line, "Domain") == NULL);
	res_free(&r);
	CHECK(req(&r, "/", ck, NULL, NULL, "127.0.0.8") == 0);
	CHECK_INT(r.status, 200);
	CHECK(r.body.p && strstr(r.body.p, "Agent Un") != NULL);
	CHECK(header(&r, "Cache-Control", "no-store", v, sizeof(v)) == 0);
	check_security_headers(&r, "GET /");
	CHECK(csrf_of(&r, csrf, sizeof(csrf)) == 0);
	res_free(&r);
	/* a new token at every login */
	CHECK_INT(login("agent1", pw, "127.0.0.8", ck2, sizeof(ck2), NULL), 0);
	CHECK(strcmp(ck, ck2) != 0);

	/* the API's session object */
	CHECK(req(&r, "/api/v1/session", ck, NULL, NULL, "127.0.0.8") == 0);
	CHECK_INT(r.status, 200);
	CHECK(r.body.p && strstr(r.body.p, "\"agent\":\"agent1\"") != NULL);
	CHECK(r.body.p && strstr(r.body.p, csrf) != NULL);
	res_free(&r);

	/* a state change without CSRF: 403 and nothing done */
	CHECK(req(&r, "/deconnexion", ck, "", NULL, "127.0.0.8") == 0);
	CHECK_INT(r.status, 403);
	CHECK(r.body.p && strstr(r.body.p, "rien n&#39;a été fait") != NULL);
	res_free(&r);
	CHECK(req(&r, "/deconnexion", ck, "csrf=0000", NULL, "127.0.0.8") == 0);
	CHECK_INT(r.status, 403);
	res_free(&r);
	snprintf(post, sizeof(post), "csrf=%s", csrf);
	CHECK(req(&r, "/deconnexion", ck2, post, NULL, "127.0.0.8") == 0);	/* other session's */
	CHECK_INT(r.status, 403);
	res_free(&r);
	CHECK(req(&r, "/", ck, NULL, NULL, "127.0.0.8") == 0);
	CHECK_INT(r.status, 200);	/* still logged in */
	res_free(&r);
	/* with the X-CSRF-Token header: done */
	snprintf(hdr, sizeof(hdr), "X-CSRF-Token: %s", csrf);
	CHECK(req(&r, "/deconnexion", ck, "", hdr, "127.0.0.8") == 0);
	CHECK_INT(r.status, 303);
	CHECK(header(&r, "Set-Cookie", "__Host-fsrelay=;", v, sizeof(v)) == 0);
	res_free(&r);
	CHECK(req(&r, "/", ck, NULL, NULL, "127.0.0.8") == 0);
	CHECK_INT(r.status, 303);	/* logged out */
	res_free(&r);
	CHECK(req(&r, "/", ck2, NULL, NULL, "127.0.0.8") == 0);
	CHECK_INT(r.status, 200);	/* the other session lives on */
	res_free(&r);

	/* 404 and the static file */
	CHECK(req(&r, "/dossiers/inexistant", ck2, NULL, NULL, "127.0.0.8") == 0);
	CHECK_INT(r.status, 404);
	check_security_headers(&r, "404");
	res_free(&r);
	CHECK(req(&r, "/static/style.css", NULL, NULL, NULL, "127.0.0.8") == 0);
	CHECK_INT(r.status, 200);
	CHECK(header(&r, "Content-Type", "text/css", v, sizeof(v)) == 0);
	res_free(&r);

	role_pages(ck2);

	/* lockout per account: agent2, failures from two addresses */
	for (i = 1; i <= 4; i++)
		CHECK_INT(login("agent2", "faux-mot-de-passe", i % 2 ? "127.0.0.6" : "127.0.0.7", ck,
		    sizeof(ck), NULL), 401);
	CHECK_INT(login("agent2", "faux-mot-de-passe", "127.0.0.6", ck, sizeof(ck), &r), 429);
	CHECK(r.body.p && strstr(r.body.p, "bloquée pendant 15 minutes") != NULL);
	res_free(&r);
	CHECK_INT(login("agent2", pw, "127.0.0.8", ck, sizeof(ck), NULL), 429);	/* any address */
	CHECK_INT(login("agent1", pw, "127.0.0.8", ck, sizeof(ck), NULL), 0);	/* other account */

	/* lockout per address: five unknown ids from 127.0.0.10 */
	for (i = 1; i <= 4; i++) {
		char id[32];

		snprintf(id, sizeof(id), "inconnu%d", i);
		CHECK_INT(login(id, "faux-mot-de-passe", "127.0.0.10", ck, sizeof(ck), NULL), 401);
	}
	CHECK_INT(login("inconnu5", "faux-mot-de-passe", "127.0.0.10", ck, sizeof(ck), NULL), 429);
	CHECK_INT(login("responsable", pw, "127.0.0.10", ck, sizeof(ck), NULL), 429);
	CHECK_INT(login("responsable", pw, "127.0.0.8", ck, sizeof(ck), NULL), 0);

	curl_global_cleanup();
	return t_done();
}
