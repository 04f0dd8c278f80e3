// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * usage: jit-lines PROG_ID...
 *
 * Where each source line of a loaded BPF program landed in its JIT image, for bench/profile.sh: a
 * sample of `perf record` in a BPF program is named bpf_prog_<tag>_<function>+<offset>, and the
 * program's JIT line info maps that offset back to a line of bpf/traceloop.bpf.c. Prints one line
 * per line-info record: the function's kernel address in hex (as /proc/kallsyms lists it), the
 * offset of the record's first instruction in that function's image in decimal, the source line
 * number and its text.
 * bpftool can print the same only when built with libbfd, which Debian's is not.
 */
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int dump(__u32 id)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info), nks, nfl, nli, nl, lsz;
	__u64 *ks, *jli;
	__u32 *fl;
	struct bpf_line_info *li;
	struct btf *btf;
	int fd = bpf_prog_get_fd_by_id(id);

	if (fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len)) {
		fprintf(stderr, "jit-lines: program %u: cannot read its info\n", id);
		return 1;
	}
	nks = info.nr_jited_ksyms;
	nfl = info.nr_jited_func_lens;
	nli = info.nr_jited_line_info;
	nl = info.nr_line_info;
	lsz = info.line_info_rec_size;
	ks = calloc(nks + 1, sizeof(*ks));
	fl = calloc(nfl + 1, sizeof(*fl));
	jli = calloc(nli + 1, sizeof(*jli));
	li = calloc(nl + 1, lsz ? lsz : sizeof(*li));
	if (!ks || !fl || !jli || !li)
		return 1;
	__u32 btf_id = info.btf_id;

	memset(&info, 0, sizeof(info));
	info.nr_jited_ksyms = nks;
	info.jited_ksyms = (__u64)(unsigned long)ks;
	info.nr_jited_func_lens = nfl;
	info.jited_func_lens = (__u64)(unsigned long)fl;
	info.nr_jited_line_info = nli;
	info.jited_line_info_rec_size = sizeof(__u64);
	info.jited_line_info = (__u64)(unsigned long)jli;
	info.nr_line_info = nl;
	info.line_info_rec_size = lsz;
	info.line_info = (__u64)(unsigned long)li;
	len = sizeof(info);
	if (bpf_obj_get_info_by_fd(fd, &info, &len)) {
		fprintf(stderr, "jit-lines: program %u: cannot read its line info\n", id);
		return 1;
	}
	btf = btf__load_from_kernel_by_id(btf_id);
	/* jited_line_info[i] is the address of line_info[i]'s first instruction. */
	for (__u32 i = 0; i < nli && i < nl; i++) {
		struct bpf_line_info *l = (void *)((char *)li + (size_t)i * lsz);
		const char *text = btf ? btf__name_by_offset(btf, l->line_off) : NULL;
		__u32 f = 0;

		for (__u32 k = 0; k < nks && k < nfl; k++)
			if (jli[i] >= ks[k] && jli[i] < ks[k] + fl[k])
				f = k;
		printf("%llx %llu %u %s\n", (unsigned long long)ks[f], (unsigned long long)(jli[i] - ks[f]),
		       BPF_LINE_INFO_LINE_NUM(l->line_col), text ? text : "");
	}
	btf__free(btf);
	return 0;
}

int main(int argc, char **argv)
{
	int failed = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: jit-lines PROG_ID...\n");
		return 2;
	}
	for (int i = 1; i < argc; i++)
		failed |= dump((__u32)strtoul(argv[i], NULL, 10));
	return failed;
}
