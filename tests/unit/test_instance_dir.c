/*
 * test_instance_dir - the directory kept in the instance (issue 12 point
 * 4): read from the store's rows (not a regenerated CSV) it is the model a
 * file import gives; asked again, the same copy comes back without a new
 * read; after an import (store_directory_replace counts the version mark
 * up) the next ask reads the new directory, and the old copy stays valid
 * for a caller still holding it; a row the checks refuse is refused when
 * read back from the store as well, with the file's line numbering.
 */
#include "adapters/store.h"
#include "adapters/store_int.h"
#include "relay/directory.h"
#include "relay/instance.h"
#include "tests/unit/t.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
load_files(struct directory *d, const char *annex)
{
	struct buf b;
	char err[512];

	directory_init(d);
	buf_init(&b, 16 * 1024 * 1024);
	CHECK_INT(buf_read_file(&b, annex), 0);
	CHECK_INT(directory_parse_entries(d, b.p, b.len, err, sizeof(err)), 0);
	b.len = 0;
	CHECK_INT(buf_read_file(&b, "config/structures-hauts-de-seine.csv"), 0);
	CHECK_INT(directory_parse_structures(d, b.p, b.len, err, sizeof(err)), 0);
	b.len = 0;
	CHECK_INT(buf_read_file(&b, "config/topics.csv"), 0);
	CHECK_INT(directory_parse_topics(d, b.p, b.len, err, sizeof(err)), 0);
	buf_free(&b);
}

static int
same(const struct directory *a, const struct directory *b)
{
	size_t i;

	if (a->n_entries != b->n_entries || a->n_structures != b->n_structures ||
	    a->n_topics != b->n_topics)
		return 0;
	for (i = 0; i < a->n_entries; i++)
		if (strcmp(a->entries[i].email, b->entries[i].email) != 0 ||
		    strcmp(a->entries[i].partner, b->entries[i].partner) != 0 ||
		    a->entries[i].role != b->entries[i].role ||
		    strcmp(a->entries[i].rule, b->entries[i].rule) != 0)
			return 0;
	for (i = 0; i < a->n_structures; i++)
		if (strcmp(a->structures[i].insee, b->structures[i].insee) != 0)
			return 0;
	for (i = 0; i < a->n_topics; i++)
		if (strcmp(a->topics[i].label, b->topics[i].label) != 0)
			return 0;
	return 1;
}

int
main(void)
{
	char dir[] = "/tmp/test_instance_dir.XXXXXX", path[256], err[512];
	const struct directory *d1, *d2, *d3;
	struct directory files, smaller;
	struct instance in;
	struct buf changes;
	int n = 0;

	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	memset(&in, 0, sizeof(in));
	snprintf(path, sizeof(path), "%s/fsrelay.db", dir);
	CHECK_INT(store_open(&in.st, path, 1, err, sizeof(err)), 0);
	if (in.st == NULL)
		return t_done();
	load_files(&files, "config/annex6-hauts-de-seine.csv");
	CHECK(files.n_entries > 10);
	buf_init(&changes, 1024 * 1024);
	CHECK_INT(store_begin(in.st), 0);
	CHECK_INT(store_directory_replace(in.st, &files, &changes, &n), 0);
	CHECK_INT(store_commit(in.st), 0);

	/* Read from the rows: the same model as the files. */
	d1 = instance_directory(&in, err, sizeof(err));
	CHECK(d1 != NULL);
	CHECK(d1 && same(d1, &files));
	/* Kept: the same copy, the store's rows not read again. */
	CHECK_INT(sqlite3_exec(in.st->db, "UPDATE referents SET name = 'X'", NULL, NULL,
	    NULL), SQLITE_OK);
	d2 = instance_directory(&in, err, sizeof(err));
	CHECK(d2 == d1);

	/* An import: read again, the old copy still readable. */
	smaller = files;
	smaller.n_entries = files.n_entries - 1;
	CHECK_INT(store_begin(in.st), 0);
	changes.len = 0;
	CHECK_INT(store_directory_replace(in.st, &smaller, &changes, &n), 0);
	CHECK_INT(store_commit(in.st), 0);
	d3 = instance_directory(&in, err, sizeof(err));
	CHECK(d3 != NULL && d3 != d1);
	CHECK(d3 && d3->n_entries == files.n_entries - 1);
	CHECK(d1->n_entries == files.n_entries && d1->entries[0].email != NULL);

	/* A row the checks refuse, read back from the store: refused too (with
	 * the reason's line number as in the file).  Its version moved, so it
	 * is read again. */
	CHECK_INT(sqlite3_exec(in.st->db, "UPDATE referents SET role = 'boss' WHERE id ="
	    " (SELECT min(id) FROM referents);"
	    " UPDATE relay_marks SET value = value + 1 WHERE name = 'directory.version'",
	    NULL, NULL, NULL), SQLITE_OK);
	CHECK(instance_directory(&in, err, sizeof(err)) == NULL);
	CHECK(strstr(err, "lecture de l'annuaire") != NULL);

	buf_free(&changes);
	directory_free(&files);
	instance_close(&in);
	return t_done();
}
