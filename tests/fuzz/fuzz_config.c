/* SPDX-License-Identifier: BSD-3-Clause */
/* Fuzz the whole config pipeline: libconfig text -> schema -> validate. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cfg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cfg_error err[4];
	struct sl_config cfg;
	char *text = malloc(size + 1);

	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (cfg_load_string(&cfg, "fuzz.conf", text, err, 4) == 0)
		cfg_free(&cfg);
	free(text);
	return 0;
}
