// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * ring-proto OBJECT MODE CGROUP: loads ring.bpf.o recording the tasks of the cgroup v2
 * directory CGROUP into the layout MODE (shared, percpu, percpu-atomic, chunk), prints
 * "ready 2" once both programs are attached, and on SIGTERM or SIGINT detaches them, reads the
 * rings back and prints one line:
 *
 *   stats MODE records R held H lost L torn T chunks C merge_ns M
 *
 * R: records reserved; H: records whose tag is valid now; L = R - H (overwritten, as an
 * overwritable ring does, plus torn); T: records the ring's size should still hold but that are
 * not valid (a reservation race would show here; it must be 0); C: chunks taken (chunk mode);
 * M (per-CPU modes): how long merging the held records of all sub-rings into one timestamp
 * order took, as a dump would (a k-way merge with a binary heap over the sub-rings).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/types.h>
#include "ring.h"

static int fail(const char *what, int err)
{
	fprintf(stderr, "ring-proto: %s: %s\n", what, strerror(err));
	return 1;
}

static __u64 random_key(void)
{
	__u64 k = 0;

	if (getrandom(&k, sizeof(k), 0) != sizeof(k))
		k = 0x9e3779b97f4a7c15ull;
	return k | 1;
}

/* The held records of each sub-ring, oldest first: what a dump merges. */
struct run {
	struct rec *recs;
	__u64 n, next;
};

static struct run runs[MAX_CPUS];

/* Valid records among the positions a ring of `size` bytes still holds below head (kept in *keep when given). */
static void scan(const __u8 *data, __u64 size, __u64 head, __u64 key, __u64 *held, __u64 *window, struct run *keep)
{
	__u64 lowest = head > size ? head - size : 0;

	/* Fixed-size records from position 0: every position is a multiple of REC_SIZE. */
	lowest = (lowest + REC_SIZE - 1) / REC_SIZE * REC_SIZE;
	for (__u64 p = lowest; p + REC_SIZE <= head; p += REC_SIZE) {
		__u64 tag;

		memcpy(&tag, data + (p & (size - 1)), sizeof(tag));
		(*window)++;
		if (tag == (p ^ key)) {
			(*held)++;
			if (keep)
				memcpy(&keep->recs[keep->n++], data + (p & (size - 1)), REC_SIZE);
		}
	}
}

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/*
 * Merges the runs into one order by timestamp (ties: CPU, then the sub-ring's order) with a
 * binary heap of run indexes, writing the records to out; returns the nanoseconds it took.
 */
static long long merge(int nruns, struct rec *out, __u64 *merged)
{
	int heap[MAX_CPUS], n = 0;
	long long t0 = now_ns();

#define HEAD_TS(r) (runs[r].recs[runs[r].next].ts)
#define LESS(a, b) (HEAD_TS(a) < HEAD_TS(b) || (HEAD_TS(a) == HEAD_TS(b) && (a) < (b)))
	for (int r = 0; r < nruns; r++) {
		if (runs[r].n == 0)
			continue;
		int i = n++;
		heap[i] = r;
		while (i > 0 && LESS(heap[i], heap[(i - 1) / 2])) {
			int t = heap[i];
			heap[i] = heap[(i - 1) / 2];
			heap[(i - 1) / 2] = t;
			i = (i - 1) / 2;
		}
	}
	*merged = 0;
	while (n > 0) {
		int r = heap[0];

		out[(*merged)++] = runs[r].recs[runs[r].next++];
		if (runs[r].next == runs[r].n)
			heap[0] = heap[--n];
		for (int i = 0;;) {
			int l = 2 * i + 1, m = i;

			if (l < n && LESS(heap[l], heap[m]))
				m = l;
			if (l + 1 < n && LESS(heap[l + 1], heap[m]))
				m = l + 1;
			if (m == i)
				break;
			int t = heap[i];
			heap[i] = heap[m];
			heap[m] = t;
			i = m;
		}
	}
#undef LESS
#undef HEAD_TS
	return now_ns() - t0;
}

int main(int argc, char **argv)
{
	struct bpf_link *links[2];
	struct bpf_program *prog;
	struct bpf_object *obj;
	struct bpf_map *rodata = NULL, *m;
	int ncpus, nlinks = 0, sig, err, mode;
	__u64 records = 0, held = 0, window = 0, chunks = 0, merged = 0;
	long long merge_ns = 0;
	struct stat st;
	sigset_t stop;

	if (argc != 4) {
		fprintf(stderr, "usage: ring-proto OBJECT shared|percpu|percpu-atomic|chunk CGROUP_DIR\n");
		return 2;
	}
	if (!strcmp(argv[2], "shared"))
		mode = MODE_SHARED;
	else if (!strcmp(argv[2], "percpu"))
		mode = MODE_PERCPU;
	else if (!strcmp(argv[2], "percpu-atomic"))
		mode = MODE_PERCPU_ATOMIC;
	else if (!strcmp(argv[2], "chunk"))
		mode = MODE_CHUNK;
	else
		return fail("unknown mode", EINVAL);
	/* On cgroup v2 a cgroup's id is its directory's inode number (kernfs node id). */
	if (stat(argv[3], &st))
		return fail(argv[3], errno);
	libbpf_set_strict_mode(LIBBPF_STRICT_ALL);
	ncpus = libbpf_num_possible_cpus();
	if (ncpus <= 0 || ncpus > MAX_CPUS)
		return fail("possible CPUs", ERANGE);

	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	sigprocmask(SIG_BLOCK, &stop, NULL);

	obj = bpf_object__open_file(argv[1], NULL);
	if (!obj)
		return fail(argv[1], errno);
	bpf_object__for_each_map(m, obj) {
		const char *name = bpf_map__name(m);
		size_t len = strlen(name);

		if (len >= 7 && !strcmp(name + len - 7, ".rodata"))
			rodata = m;
	}
	if (!rodata)
		return fail("no .rodata map", ENOENT);
	{
		/* cfg is the only constant of the program, so .rodata is exactly it. */
		size_t size;
		struct proto_cfg *cfg = (struct proto_cfg *)bpf_map__initial_value(rodata, &size);

		if (!cfg || size != sizeof(*cfg))
			return fail(".rodata layout", EINVAL);
		cfg->mode = (__u32)mode;
		cfg->target_cgid = st.st_ino;
	}
	m = bpf_object__find_map_by_name(obj, "subrings");
	/* The other modes leave the per-CPU rings unused: one element keeps them small. */
	if (!m || bpf_map__set_max_entries(m, mode == MODE_PERCPU || mode == MODE_PERCPU_ATOMIC ? ncpus : 1))
		return fail("subrings", EINVAL);
	err = bpf_object__load(obj);
	if (err)
		return fail("load", -err);

	int shared_fd = bpf_object__find_map_fd_by_name(obj, "shared");
	int sub_fd = bpf_object__find_map_fd_by_name(obj, "subrings");
	int cur_fd = bpf_object__find_map_fd_by_name(obj, "cursors");
	struct shared_ring *sr = calloc(1, sizeof(*sr));
	struct sub_ring *sub = calloc(1, sizeof(*sub));
	struct chunk_cursor *cur = calloc(ncpus, sizeof(*cur));
	__u32 zero = 0;

	if (!sr || !sub || !cur)
		return fail("calloc", ENOMEM);
	sr->hdr.key = random_key();
	if (bpf_map_update_elem(shared_fd, &zero, sr, 0))
		return fail("set the shared ring's key", errno);
	if (mode == MODE_PERCPU || mode == MODE_PERCPU_ATOMIC)
		for (__u32 cpu = 0; cpu < (__u32)ncpus; cpu++) {
			sub->hdr.key = random_key();
			if (bpf_map_update_elem(sub_fd, &cpu, sub, 0))
				return fail("set a sub-ring's key", errno);
		}

	bpf_object__for_each_program(prog, obj) {
		struct bpf_link *link = bpf_program__attach(prog);

		if (!link)
			return fail(bpf_program__name(prog), errno);
		links[nlinks++] = link;
	}
	printf("ready %d\n", nlinks);
	fflush(stdout);

	sigwait(&stop, &sig);
	while (nlinks > 0)
		bpf_link__destroy(links[--nlinks]);

	if (mode == MODE_SHARED || mode == MODE_CHUNK) {
		if (bpf_map_lookup_elem(shared_fd, &zero, sr))
			return fail("read the shared ring", errno);
	}
	if (mode == MODE_SHARED) {
		records = sr->hdr.records;
		scan(sr->data, RING_SIZE, sr->hdr.head, sr->hdr.key, &held, &window, NULL);
	} else if (mode == MODE_CHUNK) {
		__u64 head = sr->hdr.head, lowest = head > RING_SIZE ? head - RING_SIZE : 0;

		if (bpf_map_lookup_elem(cur_fd, &zero, cur))
			return fail("read the cursors", errno);
		for (int c = 0; c < ncpus; c++) {
			records += cur[c].records;
			chunks += cur[c].chunks;
		}
		/*
		 * Records sit at chunk + i * REC_SIZE; a chunk's unfilled tail (a CPU's current chunk, or
		 * 16 bytes per chunk) holds none. The window is what the ring holds: every filled slot of
		 * a chunk that has not been reserved over again.
		 */
		for (__u64 chunk = lowest / CHUNK * CHUNK; chunk < head; chunk += CHUNK) {
			if (chunk < lowest)
				continue;
			for (__u64 p = chunk; p + REC_SIZE <= chunk + CHUNK; p += REC_SIZE) {
				__u64 tag;

				memcpy(&tag, sr->data + (p & (RING_SIZE - 1)), sizeof(tag));
				if (tag == (p ^ sr->hdr.key))
					held++;
				else {
					/* Unfilled: beyond the cursor of the CPU that owns the chunk. */
					int open = 0;

					for (int c = 0; c < ncpus; c++)
						if (cur[c].end == chunk + CHUNK && p >= cur[c].pos)
							open = 1;
					if (!open)
						window++;
				}
			}
		}
		window += held;
	} else {
		struct rec *out = calloc((size_t)ncpus * (SUBRING_SIZE / REC_SIZE + 1), sizeof(*out));

		if (!out)
			return fail("calloc", ENOMEM);
		for (__u32 cpu = 0; cpu < (__u32)ncpus; cpu++) {
			if (bpf_map_lookup_elem(sub_fd, &cpu, sub))
				return fail("read a sub-ring", errno);
			records += sub->hdr.records;
			runs[cpu].recs = calloc(SUBRING_SIZE / REC_SIZE + 1, sizeof(struct rec));
			if (!runs[cpu].recs)
				return fail("calloc", ENOMEM);
			scan(sub->data, SUBRING_SIZE, sub->hdr.head, sub->hdr.key, &held, &window, &runs[cpu]);
		}
		merge_ns = merge(ncpus, out, &merged);
		if (merged != held)
			return fail("merge", EPROTO);
	}
	printf("stats %s records %llu held %llu lost %llu torn %llu chunks %llu merge_ns %lld\n", argv[2],
	       (unsigned long long)records, (unsigned long long)held, (unsigned long long)(records - held),
	       (unsigned long long)(window - held), (unsigned long long)chunks, merge_ns);
	fflush(stdout);
	bpf_object__close(obj);
	return 0;
}
