/*
 * directory - the Annex 6 referent directory: parsing and validation of the
 * three CSV files, lookups, the routing ladder and the coverage check (see
 * directory.h).  Trusts nothing in the CSV text (relay/csv checks the bytes,
 * this module every column); trusts its callers' ids only after checking
 * their syntax.  No I/O.
 */
#include "relay/directory.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "relay/csv.h"
#include "relay/config.h"

/* Column order of each file, exactly as in the headers. */
static const char *const entry_cols[] = {
	"partner", "partner_name", "structure", "topic", "role", "name",
	"title", "email", "phone", "phone_scope", "rule"
};
enum { E_PARTNER, E_PNAME, E_STRUCT, E_TOPIC, E_ROLE, E_NAME, E_TITLE,
	E_EMAIL, E_PHONE, E_SCOPE, E_RULE };

static const char *const structure_cols[] = {
	"structure", "name", "insee", "address", "email", "phone", "hours"
};
enum { S_ID, S_NAME, S_INSEE, S_ADDRESS, S_EMAIL, S_PHONE, S_HOURS };

static const char *const topic_cols[] = {
	"partner", "topic", "label", "bouquet_theme"
};
enum { T_PARTNER, T_TOPIC, T_LABEL, T_THEME };

static const char *const role_names[] = {
	[DIR_ROLE_PRIMARY] = "primary",
	[DIR_ROLE_SECONDARY] = "secondary",
	[DIR_ROLE_ESCALATION] = "escalation",
	[DIR_ROLE_FUNCTIONAL] = "functional",
	[DIR_ROLE_CONTACT] = "contact",
	[DIR_ROLE_URGENT_PHONE] = "urgent-phone"
};

static const char *const phone_scopes[] = {
	"", "public", "service", "internal-only"
};

/* Short labels for messages; the convention's names are long. */
static const struct {
	const char	*id;
	const char	*label;
} partner_labels[] = {
	{ "caf", "CAF" },
	{ "cnav", "CNAV" },
	{ "cpam", "CPAM" },
	{ "dgfip", "DGFiP" },
	{ "laposte", "La Poste" },
	{ "prefecture", "Préfecture" },
	{ "msa", "MSA" },
	{ "pole-emploi", "France Travail (Pôle emploi)" },
	{ "cdad", "CDAD" }
};

#define FILE_ENTRIES	"annexe 6"
#define FILE_STRUCTURES	"structures"
#define FILE_TOPICS	"thèmes"

/* What a table parse needs: the file, its columns, a row callback. */
struct dir_table {
	const char		*what;
	const char *const	*cols;
	size_t			 ncols;
	int			(*row)(void *, const char *const *, size_t, char *, size_t);
	void			*ctx;
};

struct entry_vec {
	struct dir_entry	*v;
	size_t			 n, cap;
};

struct structure_vec {
	struct dir_structure	*v;
	size_t			 n, cap;
};

struct topic_vec {
	struct dir_topic	*v;
	size_t			 n, cap;
};

static int	dir_err(char *, size_t, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
static int	dir_col_err(char *, size_t, const char *, size_t, const char *,
		    const char *, ...) __attribute__((format(printf, 6, 7)));
static int	dir_text_ok(const char *);
static int	dir_id_ok(const char *, int);
static int	dir_phone_ok(const char *);
static int	dir_insee_ok(const char *);
static int	dir_in_list(const char *, const char *const *, size_t);
static int	dir_role_parse(const char *, enum dir_role *);
static int	dir_local_ok(const char *, size_t);
static int	dir_domain_ok(const char *, size_t);
static int	dir_check_header(const struct dir_table *, char **, size_t,
		    char *, size_t);
static int	dir_take_row(const struct dir_table *, const char *const *, size_t,
		    size_t, char *, size_t);
static int	dir_take_rows(const struct dir_table *, const struct dir_rows *,
		    char *, size_t);
static int	dir_parse_table(const struct dir_table *, const char *,
		    size_t, char *, size_t);
static int	entry_check(const char *const *, size_t, char *, size_t);
static int	entry_row(void *, const char *const *, size_t, char *, size_t);
static int	entry_cmp(const void *, const void *);
static int	entries_check_set(const struct dir_entry *, size_t, char *,
		    size_t);
static void	entry_free(struct dir_entry *);
static void	entries_free(struct dir_entry *, size_t);
static int	structure_row(void *, const char *const *, size_t, char *, size_t);
static void	structures_free(struct dir_structure *, size_t);
static int	topic_row(void *, const char *const *, size_t, char *, size_t);
static void	topics_free(struct dir_topic *, size_t);
static int	route_rank(const struct dir_entry *, const char *,
		    const char *, const char *);
static int	ladder_has(const struct directory *, const struct dir_ladder *,
		    const size_t *, size_t, const char *);
static size_t	ladder_add(const struct directory *, struct dir_ladder *,
		    const size_t *, const int *, size_t, int, int,
		    enum dir_role);
static int	route_check_args(const struct directory *, const char *,
		    const char *, const char *, char *, size_t);
static void	cov_line(struct buf *, int *, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
static void	cov_case(const struct directory *, const struct dir_structure *,
		    const struct dir_topic *, int (*)(const char *, void *),
		    void *, struct buf *, int *, struct dir_coverage_counts *);
static void	cov_urgent(const struct directory *,
		    const struct dir_structure *, const char *, struct buf *,
		    int *, struct dir_coverage_counts *);

/* Format a message into err; returns -1 for the caller to pass on. */
static int
dir_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* "<file>, ligne N, colonne C : <message>"; returns -1. */
static int
dir_col_err(char *err, size_t errlen, const char *what, size_t line,
    const char *col, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return dir_err(err, errlen, "%s, ligne %zu, colonne %s : %s", what,
	    line, col, msg);
}

/*
 * 1 if s (valid UTF-8) holds no control character: C0, DEL, C1, the line
 * and paragraph separators and the bidirectional controls (which would let
 * a row display other than it reads).
 */
static int
dir_text_ok(const char *s)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i;

	for (i = 0; u[i] != '\0'; i++) {
		if (u[i] < 0x20 || u[i] == 0x7f)
			return 0;
		if (u[i] == 0xc2 && u[i + 1] >= 0x80 && u[i + 1] <= 0x9f)
			return 0;
		if (u[i] == 0xe2 && u[i + 1] == 0x80 &&
		    ((u[i + 2] >= 0x8e && u[i + 2] <= 0x8f) ||
		    (u[i + 2] >= 0xa8 && u[i + 2] <= 0xae)))
			return 0;
		if (u[i] == 0xe2 && u[i + 1] == 0x81 &&
		    u[i + 2] >= 0xa6 && u[i + 2] <= 0xa9)
			return 0;
	}
	return 1;
}

/* 1 if s is [a-z0-9-]+ of at most DIR_ID_MAX bytes, or "*" if star. */
static int
dir_id_ok(const char *s, int star)
{
	size_t i;

	if (s == NULL)
		return 0;
	if (star && strcmp(s, "*") == 0)
		return 1;
	for (i = 0; s[i] != '\0'; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return 0;
	return i > 0 && i <= DIR_ID_MAX;
}

/* 1 if s is a phone number (or a list of them): digits, spaces, + . / ( ) -,
 * at least one digit, at most 128 bytes. */
static int
dir_phone_ok(const char *s)
{
	size_t i, digits = 0;

	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] >= '0' && s[i] <= '9')
			digits++;
		else if (strchr(" +./()-", s[i]) == NULL)
			return 0;
	}
	return digits > 0 && i <= 128;
}

/* 1 if s is an INSEE commune code: 5 digits, or 2A/2B and 3 digits. */
static int
dir_insee_ok(const char *s)
{
	size_t i;

	if (strlen(s) != 5)
		return 0;
	for (i = 0; i < 5; i++) {
		if (s[i] >= '0' && s[i] <= '9')
			continue;
		if (i == 1 && s[0] == '2' && (s[1] == 'A' || s[1] == 'B'))
			continue;
		return 0;
	}
	return 1;
}

static int
dir_in_list(const char *s, const char *const *list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(s, list[i]) == 0)
			return 1;
	return 0;
}

static int
dir_role_parse(const char *s, enum dir_role *role)
{
	size_t i;

	for (i = 0; i < FS_ARRAY_LEN(role_names); i++)
		if (strcmp(s, role_names[i]) == 0) {
			*role = (enum dir_role)i;
			return 0;
		}
	return -1;
}

const char *
dir_role_name(enum dir_role role)
{
	if ((size_t)role < FS_ARRAY_LEN(role_names))
		return role_names[role];
	return "?";
}

/* Local part: printable ASCII without specials, dots only between atoms. */
static int
dir_local_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > 64 || s[0] == '.' || s[n - 1] == '.')
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c <= 0x20 || c >= 0x7f || strchr("\"(),:;<>@[\\]", c))
			return 0;
		if (c == '.' && s[i + 1] == '.')
			return 0;
	}
	return 1;
}

/* Domain: labels [A-Za-z0-9-]{1,63}, no '-' at either end, >= one dot. */
static int
dir_domain_ok(const char *s, size_t n)
{
	size_t i, label = 0, dots = 0;

	if (n == 0 || n > 253)
		return 0;
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (c == '.') {
			if (label == 0 || s[i - 1] == '-')
				return 0;
			dots++;
			label = 0;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-'))
			return 0;
		if (c == '-' && label == 0)
			return 0;
		if (++label > 63)
			return 0;
	}
	return dots > 0 && label > 0 && s[n - 1] != '-';
}

int
dir_address_valid(const char *addr)
{
	const char *at;
	size_t len;

	if (addr == NULL)
		return 0;
	len = strnlen(addr, DIR_ADDR_MAX + 1);
	if (len == 0 || len > DIR_ADDR_MAX)
		return 0;
	at = strchr(addr, '@');
	if (at == NULL || strchr(at + 1, '@') != NULL)
		return 0;
	return dir_local_ok(addr, (size_t)(at - addr)) &&
	    dir_domain_ok(at + 1, len - (size_t)(at - addr) - 1);
}

/* The first row must be exactly the file's header. */
static int
dir_check_header(const struct dir_table *t, char **f, size_t n, char *err,
    size_t errlen)
{
	size_t i;

	if (n != t->ncols)
		return dir_err(err, errlen, "%s, ligne 1 : en-tête de %zu "
		    "colonnes au lieu de %zu", t->what, n, t->ncols);
	for (i = 0; i < n; i++) {
		if (strcmp(f[i], t->cols[i]) == 0)
			continue;
		if (!dir_text_ok(f[i]) || strlen(f[i]) > DIR_ID_MAX)
			return dir_err(err, errlen, "%s, ligne 1, colonne %zu "
			    ": en-tête « %s » attendu", t->what, i + 1,
			    t->cols[i]);
		return dir_err(err, errlen, "%s, ligne 1, colonne %zu : "
		    "en-tête « %s » au lieu de « %s »", t->what, i + 1, f[i],
		    t->cols[i]);
	}
	return 0;
}

/*
 * Read a whole table: header, then each row (right number of columns, no
 * control character) handed to t->row.
 */
/* One row of a table, from a file or from the store: its shape, then the
 * table's own checks. */
static int
dir_take_row(const struct dir_table *t, const char *const *f, size_t n, size_t line,
    char *err, size_t errlen)
{
	size_t i;

	if (n != t->ncols)
		return dir_err(err, errlen, "%s, ligne %zu : %zu colonnes au "
		    "lieu de %zu", t->what, line, n, t->ncols);
	for (i = 0; i < n; i++)
		if (!dir_text_ok(f[i]))
			return dir_col_err(err, errlen, t->what, line,
			    t->cols[i], "caractère de contrôle interdit");
	return t->row(t->ctx, f, line, err, errlen);
}

/* Every row of src (the store's rows, numbered as the file's lines: the
 * header is line 1). */
static int
dir_take_rows(const struct dir_table *t, const struct dir_rows *src, char *err,
    size_t errlen)
{
	const char *const *f;
	size_t n, line = 1;
	int rc;

	while ((rc = src->next(src->arg, &f, &n)) == 1)
		if (dir_take_row(t, f, n, ++line, err, errlen) == -1)
			return -1;
	if (rc < 0)
		return dir_err(err, errlen, "%s : lecture impossible", t->what);
	return 0;
}

static int
dir_parse_table(const struct dir_table *t, const char *csv, size_t len,
    char *err, size_t errlen)
{
	struct csv_reader r;
	const char *errstr = NULL;
	char **f;
	size_t n;
	int rc, ret = -1;

	if (csv_reader_init(&r, csv, len, &errstr) == -1) {
		dir_err(err, errlen, "%s, %s", t->what, errstr);
		goto out;
	}
	rc = csv_next_row(&r, &f, &n, &errstr);
	if (rc == 0)
		dir_err(err, errlen, "%s : fichier vide (en-tête attendu)",
		    t->what);
	if (rc == -1)
		dir_err(err, errlen, "%s, %s", t->what, errstr);
	if (rc != 1 || dir_check_header(t, f, n, err, errlen) == -1)
		goto out;
	while ((rc = csv_next_row(&r, &f, &n, &errstr)) == 1)
		if (dir_take_row(t, (const char *const *)f, n, csv_row_line(&r), err,
		    errlen) == -1)
			goto out;
	if (rc == -1) {
		dir_err(err, errlen, "%s, %s", t->what, errstr);
		goto out;
	}
	ret = 0;
out:
	csv_reader_free(&r);
	return ret;
}

/* Column checks of one annex6 row. */
static int
entry_check(const char *const *f, size_t line, char *err, size_t errlen)
{
	const char *w = FILE_ENTRIES;
	enum dir_role role;

	if (!dir_id_ok(f[E_PARTNER], 0))
		return dir_col_err(err, errlen, w, line, "partner",
		    "identifiant invalide (attendu : [a-z0-9-]+)");
	if (f[E_PNAME][0] == '\0')
		return dir_col_err(err, errlen, w, line, "partner_name",
		    "nom du partenaire vide");
	if (!dir_id_ok(f[E_STRUCT], 1))
		return dir_col_err(err, errlen, w, line, "structure",
		    "identifiant invalide (attendu : [a-z0-9-]+ ou *)");
	if (!dir_id_ok(f[E_TOPIC], 1))
		return dir_col_err(err, errlen, w, line, "topic",
		    "identifiant invalide (attendu : [a-z0-9-]+ ou *)");
	if (dir_role_parse(f[E_ROLE], &role) == -1)
		return dir_col_err(err, errlen, w, line, "role",
		    "rôle inconnu (attendu : primary, secondary, escalation, "
		    "functional, contact ou urgent-phone)");
	if (f[E_EMAIL][0] != '\0' && !dir_address_valid(f[E_EMAIL]))
		return dir_col_err(err, errlen, w, line, "email",
		    "adresse « %s » invalide", f[E_EMAIL]);
	if (f[E_PHONE][0] != '\0' && !dir_phone_ok(f[E_PHONE]))
		return dir_col_err(err, errlen, w, line, "phone",
		    "numéro de téléphone invalide");
	if (!dir_in_list(f[E_SCOPE], phone_scopes, FS_ARRAY_LEN(phone_scopes)))
		return dir_col_err(err, errlen, w, line, "phone_scope",
		    "portée inconnue (attendu : vide, public, service ou "
		    "internal-only)");
	if (f[E_PHONE][0] != '\0' && f[E_SCOPE][0] == '\0')
		return dir_col_err(err, errlen, w, line, "phone_scope",
		    "portée requise quand un numéro est donné");
	if (role == DIR_ROLE_URGENT_PHONE && (f[E_PHONE][0] == '\0' ||
	    strcmp(f[E_SCOPE], "internal-only") != 0))
		return dir_col_err(err, errlen, w, line, "phone_scope",
		    "un rôle urgent-phone demande un numéro internal-only");
	if (f[E_EMAIL][0] == '\0' && f[E_PHONE][0] == '\0')
		return dir_col_err(err, errlen, w, line, "email",
		    "ni adresse ni téléphone");
	return 0;
}

static int
entry_row(void *ctx, const char *const *f, size_t line, char *err, size_t errlen)
{
	struct entry_vec *vec = ctx;
	struct dir_entry *e;

	if (entry_check(f, line, err, errlen) == -1)
		return -1;
	if (vec->n == vec->cap) {
		vec->cap = vec->cap ? vec->cap * 2 : 16;
		vec->v = xreallocarray(vec->v, vec->cap, sizeof(*vec->v));
	}
	e = &vec->v[vec->n++];
	memset(e, 0, sizeof(*e));
	(void)dir_role_parse(f[E_ROLE], &e->role);
	e->partner = xstrdup(f[E_PARTNER]);
	e->partner_name = xstrdup(f[E_PNAME]);
	e->structure = xstrdup(f[E_STRUCT]);
	e->topic = xstrdup(f[E_TOPIC]);
	e->name = xstrdup(f[E_NAME]);
	e->title = xstrdup(f[E_TITLE]);
	e->email = xstrdup(f[E_EMAIL]);
	e->email_lc = xstrdup(f[E_EMAIL]);
	fs_ascii_lower(e->email_lc);
	e->phone = xstrdup(f[E_PHONE]);
	e->phone_scope = xstrdup(f[E_SCOPE]);
	e->rule = xstrdup(f[E_RULE]);
	e->line = line;
	return 0;
}

/* Order by partner, structure, topic, address, line. */
static int
entry_cmp(const void *a, const void *b)
{
	const struct dir_entry *x = *(const struct dir_entry *const *)a;
	const struct dir_entry *y = *(const struct dir_entry *const *)b;
	int c;

	if ((c = strcmp(x->partner, y->partner)) != 0 ||
	    (c = strcmp(x->structure, y->structure)) != 0 ||
	    (c = strcmp(x->topic, y->topic)) != 0 ||
	    (c = strcmp(x->email_lc, y->email_lc)) != 0)
		return c;
	return x->line < y->line ? -1 : x->line > y->line;
}

/*
 * Whole-file rules, in O(n log n): one partner_name per partner; one
 * address once per (partner, structure, topic).
 */
static int
entries_check_set(const struct dir_entry *v, size_t n, char *err,
    size_t errlen)
{
	const struct dir_entry **s;
	size_t i;
	int ret = 0;

	if (n < 2)
		return 0;
	s = xreallocarray(NULL, n, sizeof(*s));
	for (i = 0; i < n; i++)
		s[i] = &v[i];
	qsort(s, n, sizeof(*s), entry_cmp);
	for (i = 1; i < n && ret == 0; i++) {
		const struct dir_entry *a = s[i - 1], *b = s[i];

		if (strcmp(a->partner, b->partner) != 0)
			continue;
		if (strcmp(a->partner_name, b->partner_name) != 0)
			ret = dir_col_err(err, errlen, FILE_ENTRIES, b->line,
			    "partner_name", "« %s » n'a pas le même nom qu'à "
			    "la ligne %zu", b->partner, a->line);
		else if (b->email_lc[0] != '\0' &&
		    strcmp(a->structure, b->structure) == 0 &&
		    strcmp(a->topic, b->topic) == 0 &&
		    strcmp(a->email_lc, b->email_lc) == 0)
			ret = dir_col_err(err, errlen, FILE_ENTRIES, b->line,
			    "email", "adresse déjà donnée ligne %zu pour le "
			    "même partenaire, structure et thème", a->line);
	}
	free(s);
	return ret;
}

static void
entry_free(struct dir_entry *e)
{
	free(e->partner);
	free(e->partner_name);
	free(e->structure);
	free(e->topic);
	free(e->name);
	free(e->title);
	free(e->email);
	free(e->email_lc);
	free(e->phone);
	free(e->phone_scope);
	free(e->rule);
}

static void
entries_free(struct dir_entry *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		entry_free(&v[i]);
	free(v);
}

void
directory_init(struct directory *dir)
{
	memset(dir, 0, sizeof(*dir));
}

static int
load_entries(struct directory *dir, const char *csv, size_t len, const struct dir_rows *src,
    char *err, size_t errlen)
{
	struct entry_vec vec = { NULL, 0, 0 };
	struct dir_table t = { FILE_ENTRIES, entry_cols,
	    FS_ARRAY_LEN(entry_cols), entry_row, &vec };

	if ((src ? dir_take_rows(&t, src, err, errlen) :
	    dir_parse_table(&t, csv, len, err, errlen)) == -1 ||
	    entries_check_set(vec.v, vec.n, err, errlen) == -1) {
		entries_free(vec.v, vec.n);
		return -1;
	}
	entries_free(dir->entries, dir->n_entries);
	dir->entries = vec.v;
	dir->n_entries = vec.n;
	return 0;
}

int
directory_parse_entries(struct directory *dir, const char *csv, size_t len, char *err,
    size_t errlen)
{
	return load_entries(dir, csv, len, NULL, err, errlen);
}

int
directory_take_entries(struct directory *dir, const struct dir_rows *src, char *err,
    size_t errlen)
{
	return load_entries(dir, NULL, 0, src, err, errlen);
}

static int
structure_row(void *ctx, const char *const *f, size_t line, char *err, size_t errlen)
{
	struct structure_vec *vec = ctx;
	const char *w = FILE_STRUCTURES;
	struct dir_structure *s;
	size_t i;

	if (!dir_id_ok(f[S_ID], 0))
		return dir_col_err(err, errlen, w, line, "structure",
		    "identifiant invalide (attendu : [a-z0-9-]+)");
	for (i = 0; i < vec->n; i++)
		if (strcmp(vec->v[i].id, f[S_ID]) == 0)
			return dir_col_err(err, errlen, w, line, "structure",
			    "« %s » déjà décrite", f[S_ID]);
	if (f[S_NAME][0] == '\0')
		return dir_col_err(err, errlen, w, line, "name", "nom vide");
	if (!dir_insee_ok(f[S_INSEE]))
		return dir_col_err(err, errlen, w, line, "insee",
		    "code INSEE invalide (5 caractères attendus)");
	if (f[S_EMAIL][0] != '\0' && !dir_address_valid(f[S_EMAIL]))
		return dir_col_err(err, errlen, w, line, "email",
		    "adresse « %s » invalide", f[S_EMAIL]);
	if (f[S_PHONE][0] != '\0' && !dir_phone_ok(f[S_PHONE]))
		return dir_col_err(err, errlen, w, line, "phone",
		    "numéro de téléphone invalide");
	if (vec->n == vec->cap) {
		vec->cap = vec->cap ? vec->cap * 2 : 16;
		vec->v = xreallocarray(vec->v, vec->cap, sizeof(*vec->v));
	}
	s = &vec->v[vec->n++];
	s->id = xstrdup(f[S_ID]);
	s->name = xstrdup(f[S_NAME]);
	s->insee = xstrdup(f[S_INSEE]);
	s->address = xstrdup(f[S_ADDRESS]);
	s->email = xstrdup(f[S_EMAIL]);
	s->phone = xstrdup(f[S_PHONE]);
	s->hours = xstrdup(f[S_HOURS]);
	return 0;
}

static void
structures_free(struct dir_structure *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(v[i].id);
		free(v[i].name);
		free(v[i].insee);
		free(v[i].address);
		free(v[i].email);
		free(v[i].phone);
		free(v[i].hours);
	}
	free(v);
}

static int
load_structures(struct directory *dir, const char *csv, size_t len, const struct dir_rows *src,
    char *err, size_t errlen)
{
	struct structure_vec vec = { NULL, 0, 0 };
	struct dir_table t = { FILE_STRUCTURES, structure_cols,
	    FS_ARRAY_LEN(structure_cols), structure_row, &vec };

	if ((src ? dir_take_rows(&t, src, err, errlen) :
	    dir_parse_table(&t, csv, len, err, errlen)) == -1) {
		structures_free(vec.v, vec.n);
		return -1;
	}
	structures_free(dir->structures, dir->n_structures);
	dir->structures = vec.v;
	dir->n_structures = vec.n;
	return 0;
}

int
directory_parse_structures(struct directory *dir, const char *csv, size_t len, char *err,
    size_t errlen)
{
	return load_structures(dir, csv, len, NULL, err, errlen);
}

int
directory_take_structures(struct directory *dir, const struct dir_rows *src, char *err,
    size_t errlen)
{
	return load_structures(dir, NULL, 0, src, err, errlen);
}

static int
topic_row(void *ctx, const char *const *f, size_t line, char *err, size_t errlen)
{
	struct topic_vec *vec = ctx;
	const char *w = FILE_TOPICS;
	struct dir_topic *t;
	size_t i;

	if (!dir_id_ok(f[T_PARTNER], 0))
		return dir_col_err(err, errlen, w, line, "partner",
		    "identifiant invalide (attendu : [a-z0-9-]+)");
	if (!dir_id_ok(f[T_TOPIC], 0))
		return dir_col_err(err, errlen, w, line, "topic",
		    "identifiant invalide (attendu : [a-z0-9-]+)");
	for (i = 0; i < vec->n; i++)
		if (strcmp(vec->v[i].partner, f[T_PARTNER]) == 0 &&
		    strcmp(vec->v[i].topic, f[T_TOPIC]) == 0)
			return dir_col_err(err, errlen, w, line, "topic",
			    "« %s » déjà décrit pour %s", f[T_TOPIC],
			    f[T_PARTNER]);
	if (f[T_LABEL][0] == '\0')
		return dir_col_err(err, errlen, w, line, "label",
		    "libellé vide");
	if (vec->n == vec->cap) {
		vec->cap = vec->cap ? vec->cap * 2 : 16;
		vec->v = xreallocarray(vec->v, vec->cap, sizeof(*vec->v));
	}
	t = &vec->v[vec->n++];
	t->partner = xstrdup(f[T_PARTNER]);
	t->topic = xstrdup(f[T_TOPIC]);
	t->label = xstrdup(f[T_LABEL]);
	t->theme = xstrdup(f[T_THEME]);
	return 0;
}

static void
topics_free(struct dir_topic *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(v[i].partner);
		free(v[i].topic);
		free(v[i].label);
		free(v[i].theme);
	}
	free(v);
}

static int
load_topics(struct directory *dir, const char *csv, size_t len, const struct dir_rows *src,
    char *err, size_t errlen)
{
	struct topic_vec vec = { NULL, 0, 0 };
	struct dir_table t = { FILE_TOPICS, topic_cols,
	    FS_ARRAY_LEN(topic_cols), topic_row, &vec };

	if ((src ? dir_take_rows(&t, src, err, errlen) :
	    dir_parse_table(&t, csv, len, err, errlen)) == -1) {
		topics_free(vec.v, vec.n);
		return -1;
	}
	topics_free(dir->topics, dir->n_topics);
	dir->topics = vec.v;
	dir->n_topics = vec.n;
	return 0;
}

int
directory_parse_topics(struct directory *dir, const char *csv, size_t len, char *err,
    size_t errlen)
{
	return load_topics(dir, csv, len, NULL, err, errlen);
}

int
directory_take_topics(struct directory *dir, const struct dir_rows *src, char *err,
    size_t errlen)
{
	return load_topics(dir, NULL, 0, src, err, errlen);
}

int
directory_validate(const struct directory *dir, char *err, size_t errlen)
{
	const struct dir_entry *e;
	size_t i;

	for (i = 0; i < dir->n_entries; i++) {
		e = &dir->entries[i];
		if (strcmp(e->topic, "*") != 0 &&
		    directory_find_topic(dir, e->partner, e->topic) == NULL)
			return dir_col_err(err, errlen, FILE_ENTRIES, e->line,
			    "topic", "thème « %s » absent de topics.csv pour "
			    "%s", e->topic, e->partner);
		if (strcmp(e->structure, "*") != 0 &&
		    directory_find_structure(dir, e->structure) == NULL)
			return dir_col_err(err, errlen, FILE_ENTRIES, e->line,
			    "structure", "structure « %s » absente du fichier "
			    "des structures", e->structure);
	}
	return 0;
}

void
directory_id_fold(char *dst, size_t dstlen, const char *s)
{
	size_t i;

	if (dstlen == 0)
		return;
	for (i = 0; s != NULL && s[i] != '\0' && i + 1 < dstlen; i++)
		dst[i] = s[i] >= 'A' && s[i] <= 'Z' ? (char)(s[i] - 'A' + 'a') : s[i];
	dst[i] = '\0';
}

const struct dir_structure *
directory_find_structure(const struct directory *dir, const char *id)
{
	size_t i;

	if (id == NULL)
		return NULL;
	for (i = 0; i < dir->n_structures; i++)
		if (strcmp(dir->structures[i].id, id) == 0)
			return &dir->structures[i];
	return NULL;
}

const struct dir_topic *
directory_find_topic(const struct directory *dir, const char *partner,
    const char *topic)
{
	size_t i;

	if (partner == NULL || topic == NULL)
		return NULL;
	for (i = 0; i < dir->n_topics; i++)
		if (strcmp(dir->topics[i].partner, partner) == 0 &&
		    strcmp(dir->topics[i].topic, topic) == 0)
			return &dir->topics[i];
	return NULL;
}

const char *
directory_partner_name(const struct directory *dir, const char *partner)
{
	size_t i;

	if (partner == NULL)
		return NULL;
	for (i = 0; i < dir->n_entries; i++)
		if (strcmp(dir->entries[i].partner, partner) == 0)
			return dir->entries[i].partner_name;
	return NULL;
}

int
directory_partner_known(const struct directory *dir, const char *partner)
{
	return directory_partner_name(dir, partner) != NULL;
}

const char *
directory_partner_label(const struct directory *dir, const char *partner)
{
	const char *name;
	size_t i;

	if (partner == NULL)
		return "?";
	for (i = 0; i < FS_ARRAY_LEN(partner_labels); i++)
		if (strcmp(partner_labels[i].id, partner) == 0)
			return partner_labels[i].label;
	name = directory_partner_name(dir, partner);
	return name != NULL ? name : partner;
}

/*
 * -1 if e is not a candidate for the case; else its specificity: 2 for
 * the exact structure, plus 1 for the exact topic.
 */
static int
route_rank(const struct dir_entry *e, const char *partner, const char *topic,
    const char *structure)
{
	int rank = 0;

	if (strcmp(e->partner, partner) != 0 || e->email_lc[0] == '\0')
		return -1;
	if (e->role != DIR_ROLE_PRIMARY && e->role != DIR_ROLE_SECONDARY &&
	    e->role != DIR_ROLE_ESCALATION && e->role != DIR_ROLE_FUNCTIONAL)
		return -1;
	if (strcmp(e->structure, structure) == 0)
		rank += 2;
	else if (strcmp(e->structure, "*") != 0)
		return -1;
	if (strcmp(e->topic, topic) == 0)
		rank += 1;
	else if (strcmp(e->topic, "*") != 0)
		return -1;
	return rank;
}

/* 1 if addr (lowercased) is already in the ladder or in the pending rung. */
static int
ladder_has(const struct directory *dir, const struct dir_ladder *l,
    const size_t *pend, size_t npend, const char *addr)
{
	size_t i, j;

	for (i = 0; i < l->n; i++)
		for (j = 0; j < l->rungs[i].n; j++)
			if (strcmp(dir->entries[l->rungs[i].idx[j]].email_lc,
			    addr) == 0)
				return 1;
	for (j = 0; j < npend; j++)
		if (strcmp(dir->entries[pend[j]].email_lc, addr) == 0)
			return 1;
	return 0;
}

/*
 * Append one rung: the candidates of this role among the winners
 * (rank == best) or the losers, less the addresses already placed.
 * Returns the number of rows in the rung (0: nothing appended).
 */
static size_t
ladder_add(const struct directory *dir, struct dir_ladder *l,
    const size_t *cand, const int *rank, size_t ncand, int best, int winners,
    enum dir_role role)
{
	size_t *idx, n = 0, i;
	const struct dir_entry *e;

	idx = xreallocarray(NULL, ncand, sizeof(*idx));
	for (i = 0; i < ncand; i++) {
		e = &dir->entries[cand[i]];
		if ((rank[i] == best) != winners || e->role != role ||
		    ladder_has(dir, l, idx, n, e->email_lc))
			continue;
		idx[n++] = cand[i];
	}
	if (n == 0) {
		free(idx);
		return 0;
	}
	l->rungs = xreallocarray(l->rungs, l->n + 1, sizeof(*l->rungs));
	l->rungs[l->n].idx = idx;
	l->rungs[l->n].n = n;
	l->n++;
	return n;
}

/* The case's ids must be well formed and, when the tables are loaded,
 * known. */
static int
route_check_args(const struct directory *dir, const char *partner,
    const char *topic, const char *structure, char *err, size_t errlen)
{
	if (!dir_id_ok(partner, 0))
		return dir_err(err, errlen, "identifiant de partenaire "
		    "invalide");
	if (!dir_id_ok(topic, 0))
		return dir_err(err, errlen, "identifiant de thème invalide");
	if (!dir_id_ok(structure, 0))
		return dir_err(err, errlen, "identifiant de structure "
		    "invalide");
	if (dir->n_structures > 0 &&
	    directory_find_structure(dir, structure) == NULL)
		return dir_err(err, errlen, "structure « %s » inconnue",
		    structure);
	if (dir->n_topics > 0 &&
	    directory_find_topic(dir, partner, topic) == NULL)
		return dir_err(err, errlen, "%s : thème « %s » inconnu",
		    directory_partner_label(dir, partner), topic);
	return 0;
}

int
directory_route(const struct directory *dir, const char *partner,
    const char *topic, const char *structure, struct dir_ladder *ladder,
    char *err, size_t errlen)
{
	static const enum dir_role order[] = { DIR_ROLE_PRIMARY,
	    DIR_ROLE_SECONDARY, DIR_ROLE_ESCALATION, DIR_ROLE_FUNCTIONAL };
	size_t *cand, ncand = 0, i;
	int *rank, best = -1, functional_used = 0;

	ladder->rungs = NULL;
	ladder->n = 0;
	if (route_check_args(dir, partner, topic, structure, err,
	    errlen) == -1)
		return -1;
	cand = xreallocarray(NULL, dir->n_entries, sizeof(*cand));
	rank = xreallocarray(NULL, dir->n_entries, sizeof(*rank));
	for (i = 0; i < dir->n_entries; i++) {
		rank[ncand] = route_rank(&dir->entries[i], partner, topic,
		    structure);
		if (rank[ncand] < 0)
			continue;
		if (rank[ncand] > best)
			best = rank[ncand];
		cand[ncand++] = i;
	}
	if (ladder_add(dir, ladder, cand, rank, ncand, best, 1,
	    DIR_ROLE_PRIMARY) == 0)
		functional_used = ladder_add(dir, ladder, cand, rank, ncand,
		    best, 1, DIR_ROLE_FUNCTIONAL) > 0;
	if (ladder->n > 0) {
		for (i = 1; i < FS_ARRAY_LEN(order); i++)
			if (order[i] != DIR_ROLE_FUNCTIONAL || !functional_used)
				ladder_add(dir, ladder, cand, rank, ncand,
				    best, 1, order[i]);
		for (i = 0; i < FS_ARRAY_LEN(order); i++)
			ladder_add(dir, ladder, cand, rank, ncand, best, 0,
			    order[i]);
	}
	free(cand);
	free(rank);
	if (ladder->n == 0)
		return dir_err(err, errlen, "%s – %s – %s : aucun référent",
		    directory_partner_label(dir, partner), topic, structure);
	return 0;
}

void
dir_ladder_free(struct dir_ladder *ladder)
{
	size_t i;

	for (i = 0; i < ladder->n; i++)
		free(ladder->rungs[i].idx);
	free(ladder->rungs);
	ladder->rungs = NULL;
	ladder->n = 0;
}

/* Append one report line; remember (in *full) that the report overflowed. */
static void
cov_line(struct buf *report, int *full, const char *fmt, ...)
{
	char *s;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		fatalx("mémoire insuffisante");
	if (*full || buf_append(report, s, (size_t)n) == -1 ||
	    buf_append(report, "\n", 1) == -1)
		*full = 1;
	free(s);
}

/* One structure x topic: route it and report what is missing. */
static void
cov_case(const struct directory *dir, const struct dir_structure *s,
    const struct dir_topic *t, int (*key_pinned)(const char *, void *),
    void *arg, struct buf *report, int *full, struct dir_coverage_counts *c)
{
	struct dir_ladder l;
	const char *addr;
	char err[256];
	size_t i, j;

	if (directory_route(dir, t->partner, t->topic, s->id, &l, err,
	    sizeof(err)) == -1) {
		c->gaps++;
		cov_line(report, full, "GAP %s %s %s : aucun référent", s->id,
		    t->partner, t->topic);
		return;
	}
	if (l.n < 2) {
		c->warnings++;
		cov_line(report, full, "WARN %s %s %s : pas de référent de "
		    "secours", s->id, t->partner, t->topic);
	}
	for (i = 0; key_pinned != NULL && i < l.n; i++)
		for (j = 0; j < l.rungs[i].n; j++) {
			addr = dir->entries[l.rungs[i].idx[j]].email_lc;
			if (key_pinned(addr, arg))
				continue;
			if (i == 0) {
				c->gaps++;
				cov_line(report, full, "GAP %s %s %s : clé "
				    "non épinglée pour %s", s->id, t->partner,
				    t->topic, addr);
			} else {
				c->warnings++;
				cov_line(report, full, "WARN %s %s %s : clé "
				    "non épinglée pour %s (échelon %zu)",
				    s->id, t->partner, t->topic, addr, i);
			}
		}
	dir_ladder_free(&l);
}

/* One structure x partner: the internal-only numbers that apply. */
static void
cov_urgent(const struct directory *dir, const struct dir_structure *s,
    const char *partner, struct buf *report, int *full,
    struct dir_coverage_counts *c)
{
	const struct dir_entry *e;
	size_t i, internal = 0, urgent = 0;

	for (i = 0; i < dir->n_entries; i++) {
		e = &dir->entries[i];
		if (strcmp(e->partner, partner) != 0 || e->phone[0] == '\0' ||
		    (strcmp(e->structure, "*") != 0 &&
		    strcmp(e->structure, s->id) != 0))
			continue;
		if (e->role == DIR_ROLE_URGENT_PHONE)
			urgent++;
		if (strcmp(e->phone_scope, "internal-only") == 0)
			internal++;
	}
	if (internal == 0)
		return;
	c->infos++;
	if (urgent > 0)
		cov_line(report, full, "INFO %s %s : %zu numéro(s) à usage "
		    "interne uniquement, dont %zu ligne(s) d'urgence", s->id,
		    partner, internal, urgent);
	else
		cov_line(report, full, "INFO %s %s : %zu numéro(s) à usage "
		    "interne uniquement", s->id, partner, internal);
}

int
directory_coverage(const struct directory *dir,
    int (*key_pinned)(const char *email_lc, void *arg), void *arg,
    struct buf *report, struct dir_coverage_counts *counts)
{
	struct dir_coverage_counts c = { 0, 0, 0 };
	size_t i, j, k;
	int full = 0;

	for (i = 0; i < dir->n_structures; i++) {
		for (j = 0; j < dir->n_topics; j++) {
			for (k = 0; k < j; k++)
				if (strcmp(dir->topics[k].partner,
				    dir->topics[j].partner) == 0)
					break;
			if (k == j)
				cov_urgent(dir, &dir->structures[i],
				    dir->topics[j].partner, report, &full, &c);
			cov_case(dir, &dir->structures[i], &dir->topics[j],
			    key_pinned, arg, report, &full, &c);
		}
	}
	if (counts != NULL)
		*counts = c;
	if (full)
		return -1;
	return c.gaps > INT_MAX ? INT_MAX : (int)c.gaps;
}

void
directory_free(struct directory *dir)
{
	entries_free(dir->entries, dir->n_entries);
	structures_free(dir->structures, dir->n_structures);
	topics_free(dir->topics, dir->n_topics);
	memset(dir, 0, sizeof(*dir));
}

/* 1 if partner was already met before entry i of the directory. */
static int
partner_seen_before(const struct directory *dir, size_t i)
{
	size_t j;

	for (j = 0; j < i; j++)
		if (strcmp(dir->entries[j].partner, dir->entries[i].partner) == 0)
			return 1;
	return 0;
}

/* 1 if the domain at of entry k was already met among the partner's
 * entries before k. */
static int
domain_seen_before(const struct directory *dir, size_t k, const char *dom)
{
	size_t j;
	const char *at;

	for (j = 0; j < k; j++)
		if (strcmp(dir->entries[j].partner, dir->entries[k].partner) == 0 &&
		    (at = strchr(dir->entries[j].email_lc, '@')) != NULL && strcmp(at + 1, dom) == 0)
			return 1;
	return 0;
}

size_t
directory_domain_warnings(const struct directory *dir, const struct config *cfg,
    struct buf *out)
{
	struct buf bare;
	size_t i, k, d, n = 0, nbare = 0;

	buf_init(&bare, 4096);
	for (i = 0; i < dir->n_entries; i++) {
		const char *id = dir->entries[i].partner, *at;
		const struct partner_conf *pc = config_partner(cfg, id);
		int addresses = 0;

		if (partner_seen_before(dir, i))
			continue;
		for (k = i; k < dir->n_entries; k++) {
			if (strcmp(dir->entries[k].partner, id) != 0 ||
			    (at = strchr(dir->entries[k].email_lc, '@')) == NULL)
				continue;
			addresses = 1;
			if (pc == NULL || pc->n_domains == 0 || domain_seen_before(dir, k, at + 1))
				continue;
			for (d = 0; d < pc->n_domains; d++)
				if (strcmp(pc->domains[d], at + 1) == 0)
					break;
			if (d == pc->n_domains) {
				buf_printf(out, "[partner %s] domains : le domaine %s de ses "
				    "référents n'y est pas (un collègue de ce domaine serait un "
				    "expéditeur étranger)\n", id, at + 1);
				n++;
			}
		}
		if (pc != NULL && pc->n_domains > 0)
			continue;
		if (!addresses) {
			buf_printf(out, "partenaire %s : aucun domaine (ni domains dans la "
			    "configuration, ni adresse dans l'annuaire) : toute réponse hors "
			    "destinataires d'un dossier sera étrangère\n", id);
			n++;
		} else
			buf_printf(&bare, "%s%s", nbare++ ? ", " : "", id);
	}
	if (nbare > 0 && bare.p != NULL) {
		buf_printf(out, "partenaire%s sans domains dans la configuration : %s (seuls "
		    "les domaines de l'annuaire comptent pour leurs réponses ; France Travail "
		    "répond aussi de francetravail.fr)\n", nbare > 1 ? "s" : "", bare.p);
		n++;
	}
	buf_free(&bare);
	return n;
}

static char
ascii_fold(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* Edit distance (Levenshtein) of a and b, ASCII case folded; both at most
 * 200 bytes (longer: SIZE_MAX). */
static size_t
edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j, row[201], diag, up;

	if (la > 200 || lb > 200)
		return SIZE_MAX;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		diag = row[0];
		row[0] = i;
		for (j = 1; j <= lb; j++) {
			size_t best;
			int same = ascii_fold(a[i - 1]) == ascii_fold(b[j - 1]);

			up = row[j];
			best = diag + (same ? 0 : 1);
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

void
directory_topic_unknown(const struct directory *dir, const char *partner, const char *topic,
    char *err, size_t errlen)
{
	const char *near = NULL;
	size_t i, best = SIZE_MAX, d, longer, n = 0;
	struct buf list;

	buf_init(&list, 16384);
	for (i = 0; i < dir->n_topics; i++) {
		const char *t = dir->topics[i].topic;

		if (strcmp(dir->topics[i].partner, partner) != 0)
			continue;
		buf_printf(&list, "%s%s", n++ ? ", " : "", t);
		d = edit_distance(topic, t);
		longer = strlen(topic) > strlen(t) ? strlen(topic) : strlen(t);
		if (d < best && d * 2 <= longer) {
			best = d;
			near = t;
		}
	}
	if (n == 0)
		fs_seterr(err, errlen, "motif inconnu « %s » pour %s (aucun motif dans "
		    "l'annuaire pour ce partenaire)", topic, directory_partner_label(dir, partner));
	else if (near != NULL)
		fs_seterr(err, errlen, "motif inconnu « %s » pour %s ; le plus proche : « %s » ;"
		    " motifs de %s : %s", topic, directory_partner_label(dir, partner), near,
		    directory_partner_label(dir, partner), list.p);
	else
		fs_seterr(err, errlen, "motif inconnu « %s » pour %s ; motifs de %s : %s", topic,
		    directory_partner_label(dir, partner), directory_partner_label(dir, partner),
		    list.p);
	buf_free(&list);
}

void
directory_topics_list(const struct directory *dir, struct buf *out)
{
	size_t i, j;

	for (i = 0; i < dir->n_topics; i++) {
		const char *p = dir->topics[i].partner;

		for (j = 0; j < i && strcmp(dir->topics[j].partner, p) != 0; j++)
			;
		if (j < i)
			continue;	/* this partner's line is written */
		buf_printf(out, "  %s :", p);
		for (j = i; j < dir->n_topics; j++)
			if (strcmp(dir->topics[j].partner, p) == 0)
				buf_printf(out, "%s %s", j == i ? "" : ",", dir->topics[j].topic);
		buf_printf(out, "\n");
	}
}
