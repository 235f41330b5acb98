/* SPDX-License-Identifier: BSD-3-Clause */
/* Client profiles (see sl_profile.h). */
#include <stdio.h>
#include <stdlib.h>

#include "sl_profile.h"

char *sl_profile_render(const struct sl_profile *p, struct sl_pki_error *e)
{
	(void)p;
	snprintf(e->msg, sizeof(e->msg), "profile: not built yet");
	return NULL;
}

int sl_profile_split(const struct sl_profile *p, const char *dir,
		     const char *key_pem_enc, const char *password,
		     struct sl_pki_error *e)
{
	(void)p; (void)dir; (void)key_pem_enc; (void)password;
	snprintf(e->msg, sizeof(e->msg), "profile: not built yet");
	return -1;
}
