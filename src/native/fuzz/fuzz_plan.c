/*
 * libFuzzer target for the plan parser, the one part of nsbox-init that reads structured input.
 * Build: node scripts/build-native.mjs --fuzz; run: build/fuzz-plan src/native/fuzz/corpus
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../plan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct plan plan;
	const char *why;
	int bad;
	if (plan_parse(data, size, &plan, &why, &bad) == 0) {
		/* Touch everything the init would read, so out-of-bounds pointers show up under ASan. */
		size_t total = 0;
		for (unsigned i = 0; i < plan.argc; i++)
			total += strlen(plan.argv[i]);
		for (unsigned i = 0; i < plan.envc; i++)
			total += strlen(plan.envp[i]);
		for (unsigned i = 0; i < plan.n_fs_ops; i++) {
			const struct fs_op *op = &plan.fs_ops[i];
			total += strlen(op->target);
			if (op->source)
				total += strlen(op->source);
			if (op->link_to)
				total += strlen(op->link_to);
			for (uint32_t j = 0; j < op->content_len; j++)
				total += op->content[j];
		}
		total += strlen(plan.exec_file) + strlen(plan.exec_path);
		if (plan.hostname)
			total += strlen(plan.hostname);
		if (plan.cwd)
			total += strlen(plan.cwd);
		if (plan.argv[plan.argc] != NULL || plan.envp[plan.envc] != NULL)
			__builtin_trap();
		(void)total;
		plan_free(&plan);
	}
	return 0;
}
