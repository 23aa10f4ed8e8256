/* fuzz_ocistate: the container state an OCI hook reads on stdin. What is
 * read must be bounded and NUL-terminated, and an accepted state has an
 * id. */
#include <stdint.h>
#include <string.h>

#include "fuzz_common.h"
#include "ocistate.h"

FUZZ_QUIET_INITIALIZE

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_strndup(data, size);
	struct ocistate st;
	const char *why = NULL;

	int rc = ocistate_parse(text, &st, &why);
	FUZZ_CHECK(memchr(st.id, '\0', sizeof(st.id)) && memchr(st.status, '\0', sizeof(st.status)) &&
		   memchr(st.name, '\0', sizeof(st.name)), "a field not terminated");
	if (rc == 0)
		FUZZ_CHECK(st.id[0] != '\0' && why == NULL && st.pid >= 0, "accepted without an id");
	else
		FUZZ_CHECK(why != NULL, "refused without a reason");
	free(text);
	return 0;
}
