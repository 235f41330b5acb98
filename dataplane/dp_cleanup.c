/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * After rte_eal_cleanup(), DPDK 22.11 leaves the hugepage files of memory
 * it allocated for itself at init (and the runtime folder) in place. We are
 * the primary and the last user of our file prefix, so remove them: a
 * stopped concentrator leaves no hugepage behind. A control plane still
 * attached keeps its mappings until it notices and exits.
 */
#include <dirent.h>
#include <mntent.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "dp.h"
#include "sl_log.h"

static unsigned remove_matching(const char *dir, const char *prefix)
{
	size_t plen = strlen(prefix);
	struct dirent *de;
	unsigned n = 0;
	char path[512];
	DIR *d = opendir(dir);

	if (d == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' || strncmp(de->d_name, prefix, plen) != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (unlink(path) == 0)
			n++;
	}
	closedir(d);
	return n;
}

void dp_cleanup_files(const char *file_prefix)
{
	char prefix[64], run[256];
	struct mntent *me;
	unsigned n = 0;
	FILE *mounts = setmntent("/proc/mounts", "r");

	/* EAL names its hugepage files <file-prefix>map_<n>. */
	snprintf(prefix, sizeof(prefix), "%smap_", file_prefix);
	while (mounts != NULL && (me = getmntent(mounts)) != NULL)
		if (strcmp(me->mnt_type, "hugetlbfs") == 0)
			n += remove_matching(me->mnt_dir, prefix);
	if (mounts != NULL)
		endmntent(mounts);
	snprintf(run, sizeof(run), "/var/run/dpdk/%s", file_prefix);
	remove_matching(run, "");
	rmdir(run);
	if (n > 0)
		SL_DEBUG("removed %u hugepage files left by EAL", n);
}
