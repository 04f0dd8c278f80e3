// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * empty-hook OBJECT: loads and attaches every program of OBJECT (empty.bpf.o), prints
 * "ready" once they are attached, and detaches them on SIGTERM or SIGINT.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <bpf/libbpf.h>

int main(int argc, char **argv)
{
	struct bpf_link *links[8];
	struct bpf_program *prog;
	struct bpf_object *obj;
	sigset_t stop;
	int nlinks = 0, sig, err;

	if (argc != 2) {
		fprintf(stderr, "usage: empty-hook OBJECT\n");
		return 2;
	}
	libbpf_set_strict_mode(LIBBPF_STRICT_ALL);

	/* Block the stop signals before attaching, so none is lost between "ready" and sigwait. */
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	sigprocmask(SIG_BLOCK, &stop, NULL);

	obj = bpf_object__open_file(argv[1], NULL);
	if (!obj) {
		fprintf(stderr, "empty-hook: open %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	err = bpf_object__load(obj);
	if (err) {
		fprintf(stderr, "empty-hook: load: %s\n", strerror(-err));
		return 1;
	}
	bpf_object__for_each_program(prog, obj) {
		struct bpf_link *link;

		if (nlinks == (int)(sizeof(links) / sizeof(links[0]))) {
			fprintf(stderr, "empty-hook: too many programs\n");
			return 1;
		}
		link = bpf_program__attach(prog);
		if (!link) {
			fprintf(stderr, "empty-hook: attach %s: %s\n", bpf_program__name(prog), strerror(errno));
			return 1;
		}
		links[nlinks++] = link;
	}
	printf("ready %d\n", nlinks);
	fflush(stdout);

	sigwait(&stop, &sig);
	while (nlinks > 0)
		bpf_link__destroy(links[--nlinks]);
	bpf_object__close(obj);
	return 0;
}
