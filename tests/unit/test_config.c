/* test_config - the configuration parser: keys, types, bounds, errors. */
#include "relay/config.h"
#include "relay/util.h"
#include "tests/unit/t.h"

#include <stdlib.h>

static int
parse(const char *text, struct config *cfg, char *err)
{
	int r = config_parse(cfg, text, "/etc/fsrelay", err, 512);

	return r;
}

static void
expect_error(const char *text, const char *needle)
{
	struct config cfg;
	char err[512] = "";

	CHECK_INT(parse(text, &cfg, err), -1);
	if (!CHECK(strstr(err, needle) != NULL))
		fprintf(stderr, "    error was: %s (wanted %s)\n", err, needle);
	config_free(&cfg);
}

int
main(void)
{
	struct config cfg;
	char err[512];
	struct buf example;

	CHECK_INT(parse("data_dir = data\nrelay_address = Relais@Example.FR\n"
	    "smtp_url = smtps://mx.example.fr:465\ntest_clock = yes\n"
	    "[partner cpam]\ndomains = assurance-maladie.fr, Ameli.FR\ndeadline_days = 5\n"
	    "trust_auth_results = oui\n[partner msa]\ndeadline_days = 4\n",
	    &cfg, err), 0);
	CHECK_STR(cfg.data_dir, "/etc/fsrelay/data");
	CHECK_STR(cfg.relay_address, "relais@example.fr");
	CHECK_INT(cfg.test_clock, 1);
	CHECK_INT(cfg.notification_hours, 72);
	CHECK_INT(cfg.deadline_days, 3);
	CHECK(config_partner(&cfg, "cpam") != NULL);
	CHECK_INT(config_partner(&cfg, "cpam")->n_domains, 2);
	CHECK_STR(config_partner(&cfg, "cpam")->domains[1], "ameli.fr");
	CHECK_INT(config_partner(&cfg, "cpam")->deadline_days, 5);
	CHECK_INT(config_partner(&cfg, "cpam")->trust_auth_results, 1);
	CHECK_INT(config_partner(&cfg, "msa")->trust_auth_results, 0);
	CHECK(config_partner(&cfg, "caf") == NULL);
	/* subject_prefix: « France Services » for the CAF by default, none
	 * for the others (annexe 5 CAF) */
	CHECK_STR(config_subject_prefix(&cfg, "caf"), "France Services");
	CHECK(config_subject_prefix(&cfg, "cpam") == NULL);
	config_free(&cfg);
	CHECK_INT(parse("data_dir = d\nrelay_address = a@b.fr\n[partner caf]\nsubject_prefix =\n"
	    "[partner msa]\nsubject_prefix = Maison France Services\n", &cfg, err), 0);
	CHECK(config_subject_prefix(&cfg, "caf") == NULL);	/* set empty: none */
	CHECK_STR(config_subject_prefix(&cfg, "msa"), "Maison France Services");
	config_free(&cfg);
	expect_error("data_dir = d\nrelay_address = a@b.fr\n[partner caf]\nsubject_prefix = "
	    "[FS] x\n", "subject_prefix : texte UTF-8 de 64 octets au plus, sans crochets");
	expect_error("data_dir = d\nrelay_address = a@b.fr\n[partner caf]\nsubject_prefix = "
	    "\xff\xfe\n", "subject_prefix");
	expect_error("data_dir = d\nrelay_address = a@b.fr\n[partner caf]\nsubject_prefix = "
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n", "64 octets");

	/* the controller for the CNIL (issue 14): a SIREN with its Luhn key,
	 * a phone number; every key of the table (more than 32 of them) */
	CHECK(config_siren_valid("732829320") && config_siren_valid("356000000"));
	CHECK(!config_siren_valid("732829321") && !config_siren_valid("123456789"));
	CHECK(!config_siren_valid("73282932") && !config_siren_valid("7328293200") &&
	    !config_siren_valid("732 829 320") && !config_siren_valid(NULL));
	CHECK(config_phone_valid("01 41 13 20 00") && config_phone_valid("+33 1.41.13.20.00"));
	CHECK(!config_phone_valid("0141") && !config_phone_valid("01 41 13 20 00 poste 3") &&
	    !config_phone_valid("33+141132000") && !config_phone_valid(""));
	CHECK_INT(parse("data_dir = d\nrelay_address = a@b.fr\n"
	    "organisation_name = Commune de Fontenay-aux-Roses\norganisation_siren = 219200326\n"
	    "organisation_address = 10 rue Boucicaut\nbreach_contact_name = Mme X\n"
	    "breach_contact_phone = 01 41 13 20 00\nsubcontractors = hébergeur\n"
	    "cross_border = aucun\nrelay_name = Relais\n", &cfg, err), 0);
	CHECK_STR(cfg.organisation_siren, "219200326");
	CHECK_STR(cfg.breach_contact_phone, "01 41 13 20 00");
	CHECK_STR(cfg.cross_border, "aucun");
	CHECK_STR(cfg.relay_name, "Relais");
	config_free(&cfg);
	expect_error("data_dir = d\nrelay_address = a@b.fr\norganisation_siren = 219200327\n",
	    "organisation_siren : « 219200327 » n'est pas un numéro SIREN (9 chiffres, clé de Luhn)");
	expect_error("data_dir = d\nrelay_address = a@b.fr\nbreach_contact_phone = appeler\n",
	    "breach_contact_phone : « appeler » n'est pas un numéro de téléphone");
	expect_error("data_dir = d\nrelay_address = a@b.fr\ncross_border = a\ncross_border = b\n",
	    "donnée deux fois");
	/* retention (issue 14): defaults and bounds */
	CHECK_INT(parse("data_dir = d\nrelay_address = a@b.fr\n", &cfg, err), 0);
	CHECK_INT(cfg.stale_case_days, 180);
	CHECK_INT(cfg.stale_grace_days, 30);
	CHECK_INT(cfg.index_retention_days, 365);
	config_free(&cfg);
	expect_error("data_dir = d\nrelay_address = a@b.fr\nstale_case_days = 29\n", "hors limites");
	expect_error("data_dir = d\nrelay_address = a@b.fr\nstale_grace_days = 0\n", "hors limites");
	expect_error("data_dir = d\nrelay_address = a@b.fr\nindex_retention_days = 3651\n",
	    "hors limites");

	expect_error("data_dir = d\nrelay_address = a@b.fr\nsmpt_url = x\n", "clé inconnue « smpt_url »");
	expect_error("data_dir = d\nrelay_address = a@b.fr\n[partner caf]\nfoo = 1\n",
	    "clé inconnue « foo » dans [partner caf]");
	expect_error("data_dir = d\nrelay_address = a@b.fr\n[partner caf]\ntrust_auth_results = 1\n",
	    "trust_auth_results attend yes ou no");
	expect_error("data_dir = d\nrelay_address = a@b.fr\n[serveur]\nx = 1\n", "section inconnue");
	expect_error("data_dir = d\nrelay_address = a@b.fr\ntest_clock = peut-être\n", "yes ou no");
	expect_error("data_dir = d\nrelay_address = a@b.fr\nnotification_hours = 0\n", "hors limites");
	expect_error("data_dir = d\nrelay_address = a@b.fr\nnotification_hours = 72h\n", "hors limites");
	expect_error("data_dir = d\nrelay_address = pas-une-adresse\n", "adresse invalide");
	expect_error("data_dir = d\nrelay_address = a@b.fr\nsmtp_url = smtps://h:1/chemin\n", "URL invalide");
	expect_error("data_dir = d\nrelay_address = a@b.fr\nsmtp_url = smtp://h:25\n", "smtps://");
	expect_error("data_dir = d\nrelay_address = a@b.fr\nsmtp_url = smtps://h:465\nsmtp_starttls = yes\n",
	    "smtp_starttls");
	expect_error("relay_address = a@b.fr\n", "data_dir");
	expect_error("data_dir = d\n", "relay_address");
	expect_error("data_dir = d\ndata_dir = e\nrelay_address = a@b.fr\n", "deux fois");
	expect_error("data_dir = d\nrelay_address = a@b.fr\n[partner c@f]\ndomains = x.fr\n",
	    "identifiant invalide");
	expect_error("data_dir = d\nrelay_address = a@b.fr\n[partner caf]\ndomains = pas_un_domaine\n",
	    "domaine invalide");
	{
		char *long_line = xmalloc(300);

		memset(long_line, 'a', 299);
		long_line[0] = 'x';
		long_line[1] = '=';
		long_line[299] = '\0';
		expect_error(long_line, "trop longue");
		free(long_line);
	}

	/* The shipped example must parse. */
	buf_init(&example, 65536);
	CHECK_INT(buf_read_file(&example, "config/fsrelay.conf.example"), 0);
	CHECK_INT(config_parse(&cfg, example.p ? example.p : "", "/etc/fsrelay", err,
	    sizeof(err)), 0);
	/* France Travail answers from both its domains (Pôle emploi until
	 * 2024-01-01): the shipped configuration lists both */
	if (CHECK(config_partner(&cfg, "pole-emploi") != NULL)) {
		CHECK_INT(config_partner(&cfg, "pole-emploi")->n_domains, 2);
		CHECK_STR(config_partner(&cfg, "pole-emploi")->domains[0], "pole-emploi.fr");
		CHECK_STR(config_partner(&cfg, "pole-emploi")->domains[1], "francetravail.fr");
	}
	config_free(&cfg);
	buf_free(&example);

	CHECK_INT(config_load(&cfg, "/nonexistent/fsrelay.conf", err, sizeof(err)), -1);
	CHECK(strstr(err, "lecture impossible") != NULL);
	config_free(&cfg);
	return t_done();
}
