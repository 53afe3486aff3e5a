/*
 * test_directory - the Annex 6 directory on the real files of config/
 * (routing ladders and refusals of directory_route, coverage gaps) and
 * on small crafted files (each validation refusal, the ladder rules,
 * addresses).  Runs from the top of the tree (tests/run does).
 */
#include <stdlib.h>
#include <string.h>

#include "relay/config.h"
#include "relay/directory.h"
#include "relay/util.h"
#include "tests/unit/t.h"

#define ANNEX6		"config/annex6-hauts-de-seine.csv"
#define STRUCTURES	"config/structures-hauts-de-seine.csv"
#define TOPICS		"config/topics.csv"

#define HDR "partner,partner_name,structure,topic,role,name,title,email," \
	    "phone,phone_scope,rule\n"
#define SHDR "structure,name,insee,address,email,phone,hours\n"
#define THDR "partner,topic,label,bouquet_theme\n"

static int
load_file(const char *path, struct buf *b)
{
	buf_init(b, 1 << 20);
	if (buf_read_file(b, path) == -1) {
		fprintf(stderr, "cannot read %s (run from the top of the tree)\n",
		    path);
		return -1;
	}
	return 0;
}

/* Load the three real files and validate them; 0 if all went well. */
static int
load_real(struct directory *dir)
{
	struct buf a, s, t;
	char err[512] = "";
	int ok = 0;

	directory_init(dir);
	if (load_file(ANNEX6, &a) == -1 || load_file(STRUCTURES, &s) == -1 ||
	    load_file(TOPICS, &t) == -1)
		return -1;
	if (directory_parse_entries(dir, a.p, a.len, err, sizeof(err)) == -1 ||
	    directory_parse_structures(dir, s.p, s.len, err,
	    sizeof(err)) == -1 ||
	    directory_parse_topics(dir, t.p, t.len, err, sizeof(err)) == -1 ||
	    directory_validate(dir, err, sizeof(err)) == -1) {
		fprintf(stderr, "load: %s\n", err);
		ok = -1;
	}
	buf_free(&a);
	buf_free(&s);
	buf_free(&t);
	return ok;
}

/* Route and write the ladder as "a,b|c|d" (display addresses), or
 * "ERR:<message>". */
static const char *
route(const struct directory *dir, const char *partner, const char *topic,
    const char *structure)
{
	static char out[2048];
	struct dir_ladder l;
	char err[256];
	size_t i, j;

	out[0] = '\0';
	if (directory_route(dir, partner, topic, structure, &l, err,
	    sizeof(err)) == -1) {
		fs_strlcpy(out, "ERR:", sizeof(out));
		fs_strlcat(out, err, sizeof(out));
		if (l.n != 0 || l.rungs != NULL)
			fs_strlcat(out, " (ladder not empty!)", sizeof(out));
		return out;
	}
	for (i = 0; i < l.n; i++) {
		if (l.rungs[i].n == 0)
			fs_strlcat(out, "(empty rung!)", sizeof(out));
		for (j = 0; j < l.rungs[i].n; j++) {
			if (j > 0)
				fs_strlcat(out, ",", sizeof(out));
			fs_strlcat(out, dir->entries[l.rungs[i].idx[j]].email,
			    sizeof(out));
		}
		if (i + 1 < l.n)
			fs_strlcat(out, "|", sizeof(out));
	}
	dir_ladder_free(&l);
	CHECK(l.n == 0 && l.rungs == NULL);
	return out;
}

static void
test_real_load(const struct directory *dir)
{
	const struct dir_structure *s;
	const struct dir_topic *t;

	CHECK_INT(dir->n_entries, 40);
	CHECK_INT(dir->n_structures, 9);
	CHECK_INT(dir->n_topics, 21);
	s = directory_find_structure(dir, "fontenay-aux-roses");
	CHECK(s != NULL && strcmp(s->insee, "92032") == 0);
	CHECK(s != NULL && strcmp(s->address,
	    "34 rue des Bénards, 92260 Fontenay-aux-Roses") == 0);
	CHECK(directory_find_structure(dir, "paris") == NULL);
	t = directory_find_topic(dir, "dgfip", "produits-locaux");
	CHECK(t != NULL && strcmp(t->theme, "Budget") == 0);
	CHECK(directory_find_topic(dir, "caf", "produits-locaux") == NULL);
	CHECK_STR(directory_partner_name(dir, "dgfip"),
	    "DDFiP des Hauts-de-Seine");
	CHECK(directory_partner_name(dir, "urssaf") == NULL);
	CHECK_INT(directory_partner_known(dir, "cdad"), 1);
	CHECK_INT(directory_partner_known(dir, "urssaf"), 0);
	CHECK_STR(directory_partner_label(dir, "pole-emploi"),
	    "France Travail (Pôle emploi)");
	CHECK_STR(directory_partner_label(dir, "dgfip"), "DGFiP");
	CHECK_STR(directory_partner_label(dir, "urssaf"), "urssaf");
	/* the rule column survives quoting */
	CHECK_STR(dir->entries[0].rule, "subject must contain 'France "
	    "Services' plus nom, prénom and numéro allocataire or date de "
	    "naissance");
	CHECK_STR(dir->entries[0].email_lc,
	    "partenaires.cafnanterre@caf.cnafmail.fr");
	CHECK_INT(dir->entries[3].role, DIR_ROLE_URGENT_PHONE);
	CHECK_STR(dir->entries[3].phone_scope, "internal-only");
	CHECK_INT(dir->entries[1].line, 3);
}

static void
test_real_routes(const struct directory *dir)
{
	CHECK_STR(route(dir, "dgfip", "impots-particuliers",
	    "fontenay-aux-roses"),
	    "delphine.kaczmar@dgfip.finances.gouv.fr|"
	    "anne-gaelle.civet@dgfip.finances.gouv.fr|"
	    "sip.sceaux@dgfip.finances.gouv.fr");
	CHECK_STR(route(dir, "caf", "prestations-familiales",
	    "fontenay-aux-roses"),
	    "partenaires.cafnanterre@caf.cnafmail.fr|"
	    "djouara.bakouch@cafnanterre.cnafmail.fr|"
	    "ariel.mathot@cafnanterre.cnafmail.fr");
	CHECK_STR(route(dir, "caf", "logement", "colombes"),
	    "partenaires.cafnanterre@caf.cnafmail.fr|"
	    "djouara.bakouch@cafnanterre.cnafmail.fr|"
	    "ariel.mathot@cafnanterre.cnafmail.fr");
	CHECK_STR(route(dir, "cdad", "sauj", "fontenay-aux-roses"),
	    "accueil.tj-nanterre@justice.fr|cdad-hauts-de-seine@justice.fr");
	CHECK_STR(route(dir, "cdad", "acces-au-droit", "fontenay-aux-roses"),
	    "cdad-hauts-de-seine@justice.fr");
	CHECK_STR(route(dir, "msa", "retraite", "fontenay-aux-roses"),
	    "amoudry.valerie@msa75.msa.fr");
	CHECK_STR(route(dir, "cnav", "retraite", "antony"),
	    "cnavpartenariats92@cnav.fr");
	CHECK_STR(route(dir, "pole-emploi", "emploi", "antony"),
	    "Rachid.bouziane@pole-emploi.fr|"
	    "Veronique.barriere@pole-emploi.fr");
	CHECK_STR(route(dir, "pole-emploi", "emploi", "fontenay-aux-roses"),
	    "ERR:France Travail (Pôle emploi) – emploi – fontenay-aux-roses "
	    ": aucun référent");
	CHECK_STR(route(dir, "dgfip", "produits-locaux", "antony"),
	    "ERR:DGFiP – produits-locaux – antony : aucun référent");
	CHECK_STR(route(dir, "dgfip", "produits-locaux", "fontenay-aux-roses"),
	    "denise.thibault1@dgfip.finances.gouv.fr|"
	    "sebastien.ravaux@dgfip.finances.gouv.fr|"
	    "sgc.fontenay@dgfip.finances.gouv.fr");
	CHECK_STR(route(dir, "laposte", "courrier", "sceaux"),
	    "isabelle.benichou@laposte.fr|"
	    "eloise.setze@laposte.fr,maria.xavier@laposte.fr");
	CHECK_STR(route(dir, "prefecture", "titres", "chaville"),
	    "sgc-france-services@hauts-de-seine.gouv.fr|"
	    "muriel.ledoux@hauts-de-seine.gouv.fr|"
	    "josiane.ninel@hauts-de-seine.gouv.fr");
	CHECK_STR(route(dir, "dgfip", "amendes", "fontenay-aux-roses"),
	    "ERR:DGFiP – amendes – fontenay-aux-roses : aucun référent");
	CHECK_STR(route(dir, "cpam", "droits", "levallois"),
	    "aurelie.chapelle@assurance-maladie.fr|"
	    "sebastien.dufour@assurance-maladie.fr");
	/* the case's ids are checked against the loaded tables */
	CHECK_STR(route(dir, "caf", "impots-particuliers", "antony"),
	    "ERR:CAF : thème « impots-particuliers » inconnu");
	CHECK_STR(route(dir, "caf", "logement", "paris"),
	    "ERR:structure « paris » inconnue");
	CHECK_STR(route(dir, "caf", "*", "antony"),
	    "ERR:identifiant de thème invalide");
	CHECK_STR(route(dir, "CAF", "logement", "antony"),
	    "ERR:identifiant de partenaire invalide");
	CHECK_STR(route(dir, "caf", "logement", "*"),
	    "ERR:identifiant de structure invalide");
	CHECK_STR(route(dir, "caf", "logement", ""),
	    "ERR:identifiant de structure invalide");
}

static int
pin_all(const char *addr, void *arg)
{
	(void)addr;
	(void)arg;
	return 1;
}

/* Pins every address but the ones listed in arg (NULL-terminated). */
static int
pin_but(const char *addr, void *arg)
{
	const char *const *no = arg;

	for (; *no != NULL; no++)
		if (strcmp(*no, addr) == 0)
			return 0;
	return 1;
}

static void
test_real_coverage(const struct directory *dir)
{
	static const char *const unpinned[] = {
		"partenaires.cafnanterre@caf.cnafmail.fr",
		"ariel.mathot@cafnanterre.cnafmail.fr",
		"rachid.bouziane@pole-emploi.fr", NULL
	};
	struct dir_coverage_counts c;
	struct buf r;
	int n;

	buf_init(&r, 1 << 20);
	n = directory_coverage(dir, pin_all, NULL, &r, &c);
	CHECK_INT(n, 27);	/* 8 + 9 + 9 + 1, see below */
	CHECK_INT(c.gaps, 27);
	CHECK(r.p != NULL);
	if (r.p == NULL)
		return;
	/* DGFiP produits-locaux everywhere but Fontenay */
	CHECK(strstr(r.p, "GAP antony dgfip produits-locaux : aucun "
	    "référent\n") != NULL);
	CHECK(strstr(r.p, "GAP asnieres-sur-seine dgfip produits-locaux : "
	    "aucun référent\n") != NULL);
	CHECK(strstr(r.p, "GAP fontenay-aux-roses dgfip produits-locaux")
	    == NULL);
	/* DGFiP amendes and MSA santé everywhere */
	CHECK(strstr(r.p, "GAP fontenay-aux-roses dgfip amendes : aucun "
	    "référent\n") != NULL);
	CHECK(strstr(r.p, "GAP levallois dgfip amendes : aucun référent\n")
	    != NULL);
	CHECK(strstr(r.p, "GAP fontenay-aux-roses msa sante : aucun "
	    "référent\n") != NULL);
	CHECK(strstr(r.p, "GAP chaville msa sante : aucun référent\n")
	    != NULL);
	/* Pôle emploi: Fontenay only */
	CHECK(strstr(r.p, "GAP fontenay-aux-roses pole-emploi emploi : aucun "
	    "référent\n") != NULL);
	CHECK(strstr(r.p, "GAP antony pole-emploi") == NULL);
	/* no backup: warnings, not gaps */
	CHECK(strstr(r.p, "WARN fontenay-aux-roses msa retraite : pas de "
	    "référent de secours\n") != NULL);
	CHECK(strstr(r.p, "WARN antony cnav retraite : pas de référent de "
	    "secours\n") != NULL);
	CHECK(strstr(r.p, "WARN antony caf logement") == NULL);
	CHECK(strstr(r.p, "INFO fontenay-aux-roses caf : 1 numéro(s) à "
	    "usage interne uniquement, dont 1 ligne(s) d'urgence\n") != NULL);
	CHECK(strstr(r.p, "INFO fontenay-aux-roses dgfip") == NULL);
	CHECK(strstr(r.p, "clé non épinglée") == NULL);
	CHECK(c.warnings > 0 && c.infos > 0);
	buf_free(&r);

	/* unpinned keys: rung 0 is a gap, later rungs a warning */
	buf_init(&r, 1 << 20);
	n = directory_coverage(dir, pin_but, (void *)(uintptr_t)unpinned, &r,
	    &c);
	/* 9 structures x 5 CAF topics; Rachid serves 3 structures, the
	 * callback sees his address lowercased */
	CHECK_INT(n, 27 + 9 * 5 + 3);
	CHECK(r.p != NULL && strstr(r.p, "GAP sceaux pole-emploi emploi : clé "
	    "non épinglée pour rachid.bouziane@pole-emploi.fr\n") != NULL);
	CHECK(r.p != NULL && strstr(r.p, "GAP antony caf naissance : clé non "
	    "épinglée pour partenaires.cafnanterre@caf.cnafmail.fr\n") != NULL);
	CHECK(r.p != NULL && strstr(r.p, "WARN antony caf naissance : clé non "
	    "épinglée pour ariel.mathot@cafnanterre.cnafmail.fr (échelon 2)\n")
	    != NULL);
	buf_free(&r);

	/* a report too small says so, and still counts */
	buf_init(&r, 100);
	CHECK_INT(directory_coverage(dir, NULL, NULL, &r, &c), -1);
	CHECK_INT(c.gaps, 27);
	buf_free(&r);
}

static int
parse_entries(struct directory *dir, const char *csv, char *err,
    size_t errlen)
{
	return directory_parse_entries(dir, csv, strlen(csv), err, errlen);
}

/* The error of parsing one annex6 row after the header, or "". */
static const char *
entry_error(const char *rows)
{
	static char err[512];
	struct directory dir;
	char *csv = xasprintf(HDR "%s", rows);

	directory_init(&dir);
	err[0] = '\0';
	if (parse_entries(&dir, csv, err, sizeof(err)) == 0) {
		err[0] = '\0';
		CHECK(dir.n_entries > 0);
	} else
		CHECK(dir.n_entries == 0 && dir.entries == NULL);
	directory_free(&dir);
	free(csv);
	return err;
}

static void
test_entry_errors(void)
{
	char err[256];
	struct directory dir;

	CHECK_STR(entry_error("caf,CAF,*,*,primary,A,,a@b.fr,,,\n"), "");
	CHECK_STR(entry_error("caf,CAF,*,*,boss,A,,a@b.fr,,,\n"),
	    "annexe 6, ligne 2, colonne role : rôle inconnu (attendu : "
	    "primary, secondary, escalation, functional, contact ou "
	    "urgent-phone)");
	CHECK_STR(entry_error("caf,CAF,*,*,primary,A,,a@b.fr,,\n"),
	    "annexe 6, ligne 2 : 10 colonnes au lieu de 11");
	CHECK_STR(entry_error("CAF,CAF,*,*,primary,A,,a@b.fr,,,\n"),
	    "annexe 6, ligne 2, colonne partner : identifiant invalide "
	    "(attendu : [a-z0-9-]+)");
	CHECK_STR(entry_error("*,CAF,*,*,primary,A,,a@b.fr,,,\n"),
	    "annexe 6, ligne 2, colonne partner : identifiant invalide "
	    "(attendu : [a-z0-9-]+)");
	CHECK_STR(entry_error("caf,,*,*,primary,A,,a@b.fr,,,\n"),
	    "annexe 6, ligne 2, colonne partner_name : nom du partenaire "
	    "vide");
	CHECK(strstr(entry_error("caf,CAF,Antony,*,primary,A,,a@b.fr,,,\n"),
	    "colonne structure : identifiant invalide") != NULL);
	CHECK(strstr(entry_error("caf,CAF,*,a b,primary,A,,a@b.fr,,,\n"),
	    "colonne topic : identifiant invalide") != NULL);
	CHECK_STR(entry_error("caf,CAF,*,*,primary,A,,a@@b.fr,,,\n"),
	    "annexe 6, ligne 2, colonne email : adresse « a@@b.fr » invalide");
	CHECK(strstr(entry_error("caf,CAF,*,*,primary,A,,<a@b.fr>,,,\n"),
	    "colonne email : adresse") != NULL);
	CHECK(strstr(entry_error("caf,CAF,*,*,primary,A,,a@b.fr,01 02,secret,"
	    "\n"), "colonne phone_scope : portée inconnue") != NULL);
	CHECK(strstr(entry_error("caf,CAF,*,*,primary,A,,a@b.fr,01 02,,\n"),
	    "colonne phone_scope : portée requise") != NULL);
	CHECK(strstr(entry_error("caf,CAF,*,*,primary,A,,a@b.fr,appeler,"
	    "public,\n"), "colonne phone : numéro de téléphone invalide")
	    != NULL);
	CHECK(strstr(entry_error("caf,CAF,*,*,urgent-phone,A,,,01 02,public,"
	    "\n"), "urgent-phone demande un numéro internal-only") != NULL);
	CHECK(strstr(entry_error("caf,CAF,*,*,contact,A,,,,,\n"),
	    "colonne email : ni adresse ni téléphone") != NULL);
	/* control characters, even quoted */
	CHECK_STR(entry_error("caf,CAF,*,*,primary,\"A\nB\",,a@b.fr,,,\n"),
	    "annexe 6, ligne 2, colonne name : caractère de contrôle "
	    "interdit");
	CHECK_STR(entry_error("caf,CAF,*,*,primary,A,\x01,a@b.fr,,,\n"),
	    "annexe 6, ligne 2, colonne title : caractère de contrôle "
	    "interdit");
	CHECK(strstr(entry_error("caf,CAF,*,*,primary,A,\xc2\x85,a@b.fr,,,\n"),
	    "caractère de contrôle") != NULL);
	CHECK(strstr(entry_error("caf,CAF,*,*,primary,A\xe2\x80\xae,,a@b.fr,,,"
	    "\n"), "caractère de contrôle") != NULL);
	CHECK(strstr(entry_error("caf,CAF,*,*,primary,A,,a@b.fr,,,\x7f\n"),
	    "colonne rule : caractère de contrôle") != NULL);
	/* whole-file rules */
	CHECK_STR(entry_error("caf,CAF,*,*,primary,A,,a@b.fr,,,\n"
	    "caf,CAF 92,*,*,secondary,B,,b@b.fr,,,\n"),
	    "annexe 6, ligne 3, colonne partner_name : « caf » n'a pas le "
	    "même nom qu'à la ligne 2");
	CHECK_STR(entry_error("caf,CAF,*,*,primary,A,,a@b.fr,,,\n"
	    "cpam,CPAM,*,*,primary,A,,a@b.fr,,,\n"
	    "caf,CAF,*,*,secondary,B,,A@B.fr,,,\n"),
	    "annexe 6, ligne 4, colonne email : adresse déjà donnée ligne 2 "
	    "pour le même partenaire, structure et thème");
	CHECK_STR(entry_error("caf,CAF,a,*,primary,A,,a@b.fr,,,\n"
	    "caf,CAF,b,*,primary,A,,a@b.fr,,,\n"), "");
	/* header, syntax */
	directory_init(&dir);
	CHECK_INT(parse_entries(&dir, "", err, sizeof(err)), -1);
	CHECK_STR(err, "annexe 6 : fichier vide (en-tête attendu)");
	CHECK_INT(parse_entries(&dir, "partner,partner_name\n", err,
	    sizeof(err)), -1);
	CHECK_STR(err, "annexe 6, ligne 1 : en-tête de 2 colonnes au lieu "
	    "de 11");
	CHECK_INT(parse_entries(&dir, "partner,partner_name,structure,topic,"
	    "rol,name,title,email,phone,phone_scope,rule\n", err,
	    sizeof(err)), -1);
	CHECK_STR(err, "annexe 6, ligne 1, colonne 5 : en-tête « rol » au "
	    "lieu de « role »");
	CHECK_INT(parse_entries(&dir, HDR "caf,\"CAF,*\n", err, sizeof(err)),
	    -1);
	CHECK_STR(err, "annexe 6, ligne 2 : guillemet non fermé");
	/* a header alone is an empty directory */
	CHECK_INT(parse_entries(&dir, HDR, err, sizeof(err)), 0);
	CHECK_INT(dir.n_entries, 0);
	/* a failed parse leaves the directory as it was */
	CHECK_INT(parse_entries(&dir, HDR "caf,CAF,*,*,primary,A,,a@b.fr,,,\n",
	    err, sizeof(err)), 0);
	CHECK_INT(parse_entries(&dir, HDR "caf,CAF,*,*,oops,A,,a@b.fr,,,\n",
	    err, sizeof(err)), -1);
	CHECK_INT(dir.n_entries, 1);
	CHECK_STR(dir.entries[0].email, "a@b.fr");
	/* a successful one replaces it */
	CHECK_INT(parse_entries(&dir, "\xef\xbb\xbf" HDR
	    "cpam,CPAM,*,*,primary,A,,X@Y.fr,,,\r\n"
	    "cpam,CPAM,*,*,secondary,B,,z@y.fr,,,\r\n", err, sizeof(err)), 0);
	CHECK_INT(dir.n_entries, 2);
	CHECK_STR(dir.entries[0].email, "X@Y.fr");
	CHECK_STR(dir.entries[0].email_lc, "x@y.fr");
	CHECK_INT(dir.entries[1].line, 3);
	directory_free(&dir);
	CHECK(dir.entries == NULL && dir.n_entries == 0);
}

static void
test_other_files(void)
{
	struct directory dir;
	char err[256];
	const char *s;

	directory_init(&dir);
	s = SHDR "a,A,92032,,,,\na,B,92033,,,,\n";
	CHECK_INT(directory_parse_structures(&dir, s, strlen(s), err,
	    sizeof(err)), -1);
	CHECK_STR(err, "structures, ligne 3, colonne structure : « a » déjà "
	    "décrite");
	s = SHDR "a,A,9203,,,,\n";
	CHECK_INT(directory_parse_structures(&dir, s, strlen(s), err,
	    sizeof(err)), -1);
	CHECK_STR(err, "structures, ligne 2, colonne insee : code INSEE "
	    "invalide (5 caractères attendus)");
	s = SHDR "a,A,92O32,,,,\n";
	CHECK_INT(directory_parse_structures(&dir, s, strlen(s), err,
	    sizeof(err)), -1);
	s = SHDR "a,A,92032,,x@,,\n";
	CHECK_INT(directory_parse_structures(&dir, s, strlen(s), err,
	    sizeof(err)), -1);
	CHECK_STR(err, "structures, ligne 2, colonne email : adresse « x@ » "
	    "invalide");
	s = SHDR "a,,92032,,,,\n";
	CHECK_INT(directory_parse_structures(&dir, s, strlen(s), err,
	    sizeof(err)), -1);
	s = SHDR "ajaccio,Ajaccio,2A004,,,,\n";
	CHECK_INT(directory_parse_structures(&dir, s, strlen(s), err,
	    sizeof(err)), 0);
	CHECK_STR(dir.structures[0].insee, "2A004");

	s = THDR "caf,x,X,\ncaf,x,Y,\n";
	CHECK_INT(directory_parse_topics(&dir, s, strlen(s), err,
	    sizeof(err)), -1);
	CHECK_STR(err, "thèmes, ligne 3, colonne topic : « x » déjà décrit "
	    "pour caf");
	s = THDR "caf,*,X,\n";
	CHECK_INT(directory_parse_topics(&dir, s, strlen(s), err,
	    sizeof(err)), -1);
	s = THDR "caf,x,,\n";
	CHECK_INT(directory_parse_topics(&dir, s, strlen(s), err,
	    sizeof(err)), -1);
	CHECK_STR(err, "thèmes, ligne 2, colonne label : libellé vide");
	s = "partner,topic,label,theme\n";
	CHECK_INT(directory_parse_topics(&dir, s, strlen(s), err,
	    sizeof(err)), -1);
	CHECK_STR(err, "thèmes, ligne 1, colonne 4 : en-tête « theme » au "
	    "lieu de « bouquet_theme »");
	s = THDR "caf,x,X,\ncpam,x,Y,T\n";
	CHECK_INT(directory_parse_topics(&dir, s, strlen(s), err,
	    sizeof(err)), 0);

	/* cross-file validation */
	s = HDR "caf,CAF,ajaccio,x,primary,A,,a@b.fr,,,\n";
	CHECK_INT(parse_entries(&dir, s, err, sizeof(err)), 0);
	CHECK_INT(directory_validate(&dir, err, sizeof(err)), 0);
	s = HDR "caf,CAF,ajaccio,x,primary,A,,a@b.fr,,,\n"
	    "caf,CAF,*,y,primary,A,,a@b.fr,,,\n";
	CHECK_INT(parse_entries(&dir, s, err, sizeof(err)), 0);
	CHECK_INT(directory_validate(&dir, err, sizeof(err)), -1);
	CHECK_STR(err, "annexe 6, ligne 3, colonne topic : thème « y » absent "
	    "de topics.csv pour caf");
	s = HDR "caf,CAF,bastia,*,primary,A,,a@b.fr,,,\n";
	CHECK_INT(parse_entries(&dir, s, err, sizeof(err)), 0);
	CHECK_INT(directory_validate(&dir, err, sizeof(err)), -1);
	CHECK_STR(err, "annexe 6, ligne 2, colonne structure : structure "
	    "« bastia » absente du fichier des structures");
	directory_free(&dir);
}

/* The ladder rules of directory_route (relay/directory.h), on crafted rows. */
static void
test_ladder_rules(void)
{
	struct directory dir;
	char err[256];

	directory_init(&dir);
	/* no primary: functional is rung 0 and is not repeated; escalation
	 * has its rung; contact and phone-only rows never route */
	CHECK_INT(parse_entries(&dir, HDR
	    "p,P,*,*,escalation,E,,e@x.fr,,,\n"
	    "p,P,*,*,functional,F,,f@x.fr,,,\n"
	    "p,P,*,*,secondary,S,,s@x.fr,,,\n"
	    "p,P,*,*,contact,C,,c@x.fr,,,\n"
	    "p,P,*,*,urgent-phone,U,,,01,internal-only,\n", err, sizeof(err)),
	    0);
	CHECK_STR(route(&dir, "p", "t", "s"), "f@x.fr|s@x.fr|e@x.fr");

	/* exact structure beats exact topic, which beats "*"; losers follow
	 * in role order; an address keeps its first place only */
	CHECK_INT(parse_entries(&dir, HDR
	    "p,P,*,*,primary,A,,any@x.fr,,,\n"
	    "p,P,*,t,primary,B,,topic@x.fr,,,\n"
	    "p,P,s,*,secondary,C,,struct2@x.fr,,,\n"
	    "p,P,s,*,primary,D,,struct@x.fr,,,\n"
	    "p,P,*,t,secondary,E,,Struct@X.fr,,,\n"
	    "p,P,*,t,escalation,F,,boss@x.fr,,,\n"
	    "p,P,*,*,functional,G,,desk@x.fr,,,\n"
	    "p,P,s,u,primary,H,,other-topic@x.fr,,,\n"
	    "q,Q,s,t,primary,I,,other-partner@x.fr,,,\n", err, sizeof(err)),
	    0);
	CHECK_STR(route(&dir, "p", "t", "s"), "struct@x.fr|struct2@x.fr|"
	    "any@x.fr,topic@x.fr|boss@x.fr|desk@x.fr");
	CHECK_STR(route(&dir, "p", "t", "r"), "topic@x.fr|Struct@X.fr|"
	    "boss@x.fr|any@x.fr|desk@x.fr");
	CHECK_STR(route(&dir, "p", "v", "r"), "any@x.fr|desk@x.fr");
	CHECK_STR(route(&dir, "q", "t", "s"), "other-partner@x.fr");
	CHECK_STR(route(&dir, "q", "t", "r"),
	    "ERR:Q – t – r : aucun référent");
	CHECK_STR(route(&dir, "zz", "t", "s"),
	    "ERR:zz – t – s : aucun référent");

	/* winners without primary nor functional: refused, even though a
	 * less specific row has a primary (rung 0 comes from the winners) */
	CHECK_INT(parse_entries(&dir, HDR
	    "p,P,*,*,primary,A,,any@x.fr,,,\n"
	    "p,P,s,*,secondary,B,,b@x.fr,,,\n", err, sizeof(err)), 0);
	CHECK_STR(route(&dir, "p", "t", "s"), "ERR:P – t – s : aucun référent");
	CHECK_STR(route(&dir, "p", "t", "r"), "any@x.fr");

	/* an address without email is not a candidate, even as primary */
	CHECK_INT(parse_entries(&dir, HDR
	    "p,P,*,*,primary,A,,,01 02,service,\n"
	    "p,P,*,*,secondary,B,,b@x.fr,,,\n", err, sizeof(err)), 0);
	CHECK_STR(route(&dir, "p", "t", "s"), "ERR:P – t – s : aucun référent");
	directory_free(&dir);
}

static void
test_addresses(void)
{
	static const char *const good[] = {
		"a@b.fr", "Rachid.bouziane@pole-emploi.fr",
		"sgc-france-services@hauts-de-seine.gouv.fr",
		"x+tag@sub.example.org", "a_b'c@x-y.z9.fr", "o'brien@ex.ie",
	};
	static const char *const bad[] = {
		"", "a", "@b.fr", "a@", "a@b", "a@b.", "a@.b.fr", "a@b..fr",
		"a@@b.fr", "a@b@c.fr", "a b@c.fr", "a@b c.fr", "<a@b.fr>",
		"a@b.fr>", "a\r\n@b.fr", "a@b.fr\r\nRCPT TO:<x@y.fr>",
		"a\t@b.fr", "\"a\"@b.fr", "a,b@c.fr", "a;b@c.fr", ".a@b.fr",
		"a.@b.fr", "a..b@c.fr", "a@-b.fr", "a@b-.fr", "a@b.fr-",
		"a@b_c.fr", "é@b.fr", "a@bé.fr", "a@[127.0.0.1]",
		"a(b)@c.fr", "a\\b@c.fr", "a:b@c.fr", "a\x7f@b.fr",
	};
	char long_local[80], long_addr[300];
	size_t i;

	for (i = 0; i < FS_ARRAY_LEN(good); i++)
		if (!dir_address_valid(good[i])) {
			fprintf(stderr, "refused: %s\n", good[i]);
			CHECK(0);
		} else
			CHECK(1);
	for (i = 0; i < FS_ARRAY_LEN(bad); i++)
		if (dir_address_valid(bad[i])) {
			fprintf(stderr, "accepted: %s\n", bad[i]);
			CHECK(0);
		} else
			CHECK(1);
	CHECK_INT(dir_address_valid(NULL), 0);
	memset(long_local, 'a', 64);
	fs_strlcpy(long_local + 64, "@b.fr", sizeof(long_local) - 64);
	CHECK_INT(dir_address_valid(long_local), 1);
	memset(long_local, 'a', 65);
	fs_strlcpy(long_local + 65, "@b.fr", sizeof(long_local) - 65);
	CHECK_INT(dir_address_valid(long_local), 0);
	/* 255 bytes: too long even with short labels */
	fs_strlcpy(long_addr, "a@", sizeof(long_addr));
	for (i = 0; i < 84; i++)
		fs_strlcat(long_addr, "bb.", sizeof(long_addr));
	fs_strlcat(long_addr, "fr", sizeof(long_addr));
	CHECK_INT(strlen(long_addr), 256);
	CHECK_INT(dir_address_valid(long_addr), 0);
	long_addr[strlen(long_addr) - 6] = '\0';	/* 252 bytes */
	fs_strlcat(long_addr, "fr", sizeof(long_addr));
	CHECK_INT(dir_address_valid(long_addr), 1);
	CHECK_STR(dir_role_name(DIR_ROLE_URGENT_PHONE), "urgent-phone");
	CHECK_STR(dir_role_name(DIR_ROLE_FUNCTIONAL), "functional");
}

/* fsrelay check's partner domains (issue 14, point 2). */
static void
test_domain_warnings(const struct directory *dir)
{
	struct config cfg;
	struct directory one;
	struct buf out;
	char err[512];

	CHECK_INT(config_parse(&cfg, "data_dir = d\nrelay_address = a@b.fr\n[partner msa]\n"
	    "domains = autre-msa.fr\n[partner pole-emploi]\n"
	    "domains = pole-emploi.fr, francetravail.fr\n", "/etc", err, sizeof(err)), 0);
	buf_init(&out, 65536);
	CHECK(directory_domain_warnings(dir, &cfg, &out) == 2);
	CHECK(out.p != NULL && strstr(out.p, "[partner msa] domains : le domaine msa75.msa.fr de "
	    "ses référents n'y est pas (un collègue de ce domaine serait un expéditeur "
	    "étranger)\n") != NULL);
	CHECK(out.p != NULL && strstr(out.p, "partenaires sans domains dans la configuration : "
	    "caf, cnav, cpam, dgfip, laposte, prefecture, cdad (") != NULL);
	CHECK(out.p != NULL && strstr(out.p, "pole-emploi") == NULL);
	buf_free(&out);
	config_free(&cfg);

	/* a partner with a phone only and no domains: no domain at all */
	directory_init(&one);
	CHECK_INT(parse_entries(&one, HDR "cdad,Point-justice,*,*,urgent-phone,Accueil,,,"
	    "01 02 03 04 05,internal-only,\n", err, sizeof(err)), 0);
	CHECK_INT(config_parse(&cfg, "data_dir = d\nrelay_address = a@b.fr\n", "/etc", err,
	    sizeof(err)), 0);
	buf_init(&out, 65536);
	CHECK(directory_domain_warnings(&one, &cfg, &out) == 1);
	CHECK(out.p != NULL && strcmp(out.p, "partenaire cdad : aucun domaine (ni domains dans "
	    "la configuration, ni adresse dans l'annuaire) : toute réponse hors destinataires "
	    "d'un dossier sera étrangère\n") == 0);
	buf_free(&out);
	config_free(&cfg);
	directory_free(&one);
}

int
main(void)
{
	struct directory dir;

	if (load_real(&dir) == 0) {
		CHECK(1);
		test_real_load(&dir);
		test_real_routes(&dir);
		test_real_coverage(&dir);
		test_domain_warnings(&dir);
	} else
		CHECK(0);
	directory_free(&dir);
	test_entry_errors();
	test_other_files();
	test_ladder_rules();
	test_addresses();
	return t_done();
}
