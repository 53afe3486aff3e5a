/*
 * test_deploy - relay/deploy: the verdicts `fsrelay check` gives a
 * deployment (modes, owners, account, unit, clock).
 */
#include <string.h>
#include <sys/stat.h>

#include "relay/deploy.h"
#include "tests/unit/t.h"

int
main(void)
{
	char why[512];

	/* The configuration: root:fsrelay 0640 is right. */
	CHECK_INT(deploy_config_file(S_IFREG | 0640, 0, 105, why, sizeof(why)), DEPLOY_OK);
	CHECK_INT(deploy_config_file(S_IFREG | 0600, 105, 105, why, sizeof(why)), DEPLOY_WARN);
	CHECK(strstr(why, "modifiable par le compte du service") != NULL);
	CHECK_INT(deploy_config_file(S_IFREG | 0660, 0, 105, why, sizeof(why)), DEPLOY_ERROR);
	CHECK(strstr(why, "mode 0660") != NULL);
	CHECK_INT(deploy_config_file(S_IFREG | 0642, 0, 105, why, sizeof(why)), DEPLOY_ERROR);
	CHECK_INT(deploy_config_file(S_IFREG | 0644, 0, 105, why, sizeof(why)), DEPLOY_WARN);
	CHECK(strstr(why, "lisible par tous") != NULL);
	CHECK_INT(deploy_config_file(S_IFREG | 0400, 105, 105, why, sizeof(why)), DEPLOY_OK);
	/* Its directory: 0750. */
	CHECK_INT(deploy_config_dir(S_IFDIR | 0750, why, sizeof(why)), DEPLOY_OK);
	CHECK_INT(deploy_config_dir(S_IFDIR | 0770, why, sizeof(why)), DEPLOY_ERROR);
	CHECK_INT(deploy_config_dir(S_IFDIR | 0755, why, sizeof(why)), DEPLOY_WARN);
	/* data_dir: the service's own, 0700. */
	CHECK_INT(deploy_data_dir(S_IFDIR | 0700, 105, 105, why, sizeof(why)), DEPLOY_OK);
	CHECK_INT(deploy_data_dir(S_IFDIR | 0750, 105, 105, why, sizeof(why)), DEPLOY_ERROR);
	CHECK(strstr(why, "chmod 0700") != NULL);
	CHECK_INT(deploy_data_dir(S_IFDIR | 0700, 0, 105, why, sizeof(why)), DEPLOY_ERROR);
	CHECK(strstr(why, "uid 0") != NULL);
	/* The database: 0600, the service's own (issue 16, point 6). */
	CHECK_INT(deploy_database("fsrelay.db", S_IFREG | 0600, 105, 105, why, sizeof(why)),
	    DEPLOY_OK);
	CHECK_INT(deploy_database("fsrelay.db", S_IFREG | 0644, 105, 105, why, sizeof(why)),
	    DEPLOY_ERROR);
	CHECK(strstr(why, "fsrelay.db : permissions 0644 trop ouvertes") != NULL);
	CHECK_INT(deploy_database("fsrelay.db-wal", S_IFREG | 0640, 105, 105, why,
	    sizeof(why)), DEPLOY_ERROR);
	CHECK(strstr(why, "fsrelay.db-wal") != NULL);
	CHECK_INT(deploy_database("fsrelay.db", S_IFREG | 0600, 0, 105, why, sizeof(why)),
	    DEPLOY_ERROR);
	/* The account. */
	CHECK_INT(deploy_account(0, why, sizeof(why)), DEPLOY_WARN);
	CHECK(strstr(why, "root") != NULL);
	CHECK_INT(deploy_account(105, why, sizeof(why)), DEPLOY_OK);
	/* The unit, the clock. */
	CHECK_INT(deploy_unit(0, why, sizeof(why)), DEPLOY_WARN);
	CHECK_INT(deploy_unit(1, why, sizeof(why)), DEPLOY_OK);
	CHECK_INT(deploy_clock("no", why, sizeof(why)), DEPLOY_WARN);
	CHECK(strstr(why, "non synchronisée") != NULL);
	CHECK_INT(deploy_clock("yes", why, sizeof(why)), DEPLOY_OK);
	CHECK_INT(deploy_clock(NULL, why, sizeof(why)), DEPLOY_OK);
	/* The parser's sandbox. */
	CHECK_INT(deploy_sandbox(0, NULL, 6, why, sizeof(why)), DEPLOY_OK);
	CHECK_INT(deploy_sandbox(0, NULL, 0, why, sizeof(why)), DEPLOY_WARN);
	CHECK(strstr(why, "Landlock absent") != NULL);
	CHECK_INT(deploy_sandbox(-1, "appel interdit non bloqué", 6, why, sizeof(why)),
	    DEPLOY_ERROR);
	CHECK(strstr(why, "appel interdit non bloqué") != NULL);
	return t_done();
}
