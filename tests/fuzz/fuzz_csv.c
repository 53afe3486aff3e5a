/*
 * fuzz_csv - feeds arbitrary bytes to the CSV reader, the three directory
 * parsers, the cross-file validation, routing and the coverage check.
 * Input: the whole buffer is tried as each file; then, split at NUL bytes,
 * as annex6 \0 structures \0 topics (the reader refuses NUL, so the
 * fuzzer can build a consistent set of three files in one input).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "relay/csv.h"
#include "relay/directory.h"
#include "relay/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_reader(const char *p, size_t len)
{
	struct csv_reader r;
	const char *errstr;
	char **f;
	size_t n, i, total = 0;

	if (csv_reader_init(&r, p, len, &errstr) == 0)
		while (csv_next_row(&r, &f, &n, &errstr) == 1)
			for (i = 0; i < n; i++)
				total += strlen(f[i]);
	if (total > len)
		abort();	/* fields can only shrink the input */
	csv_reader_free(&r);
}

static int
pin_some(const char *addr, void *arg)
{
	(void)arg;
	return addr[0] != '\0' && (addr[0] & 1);
}

/* Route every topic for every structure (bounded) and the coverage check. */
static void
fuzz_routes(const struct directory *dir)
{
	struct dir_coverage_counts c;
	struct dir_ladder l;
	struct buf report;
	char err[256];
	size_t i, j, k, m;

	for (i = 0; i < dir->n_structures && i < 16; i++)
		for (j = 0; j < dir->n_topics && j < 16; j++) {
			if (directory_route(dir, dir->topics[j].partner,
			    dir->topics[j].topic, dir->structures[i].id, &l,
			    err, sizeof(err)) == -1)
				continue;
			if (l.n == 0 || l.rungs[0].n == 0)
				abort();
			for (k = 0; k < l.n; k++)
				for (m = 0; m < l.rungs[k].n; m++)
					if (l.rungs[k].idx[m] >= dir->n_entries ||
					    !dir_address_valid(dir->entries[
					    l.rungs[k].idx[m]].email))
						abort();
			dir_ladder_free(&l);
		}
	if (dir->n_structures * dir->n_topics <= 256) {
		buf_init(&report, 1 << 16);
		(void)directory_coverage(dir, pin_some, NULL, &report, &c);
		buf_free(&report);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *part[3];
	size_t plen[3], i, off = 0;
	struct directory dir;
	char err[512];
	const char *z;

	fuzz_reader(p, size);
	directory_init(&dir);
	(void)directory_parse_entries(&dir, p, size, err, sizeof(err));
	(void)directory_parse_structures(&dir, p, size, err, sizeof(err));
	(void)directory_parse_topics(&dir, p, size, err, sizeof(err));
	directory_free(&dir);

	for (i = 0; i < 3; i++) {
		part[i] = p + off;
		z = off < size ? memchr(p + off, '\0', size - off) : NULL;
		plen[i] = z != NULL ? (size_t)(z - (p + off)) : size - off;
		off += plen[i] + (z != NULL);
	}
	directory_init(&dir);
	if (directory_parse_entries(&dir, part[0], plen[0], err,
	    sizeof(err)) == 0 &&
	    directory_parse_structures(&dir, part[1], plen[1], err,
	    sizeof(err)) == 0 &&
	    directory_parse_topics(&dir, part[2], plen[2], err,
	    sizeof(err)) == 0) {
		(void)directory_validate(&dir, err, sizeof(err));
		fuzz_routes(&dir);
	}
	directory_free(&dir);
	return 0;
}
