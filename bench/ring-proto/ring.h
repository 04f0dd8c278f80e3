/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Shared by ring.bpf.c and ring.c: the three ring layouts the prototype compares. Records are
 * a fixed 48 bytes, like a getppid exit record of traceloop (header + nr + ret), so that every
 * layout can be scanned by position without parsing, and a committed record is recognized
 * the way traceloop does it: its first word is (pos ^ key).
 */
#ifndef RING_PROTO_H
#define RING_PROTO_H

enum proto_mode {
	MODE_SHARED = 1,      /* A: one ring, head reserved with an atomic add (traceloop today) */
	MODE_PERCPU = 2,      /* B: one sub-ring per CPU, plain (non-atomic) head update */
	MODE_PERCPU_ATOMIC = 3, /* B with the same atomic add as A, on the CPU's own head */
	MODE_CHUNK = 4,       /* C: one ring; a CPU reserves CHUNK bytes with one atomic add, fills them alone */
};

#define REC_SIZE 48
#define RING_SIZE (1u << 20)       /* A and C: the ring's data bytes */
#define SUBRING_SIZE (1u << 19)    /* B: each CPU's sub-ring (2 CPUs: the same 1 MiB as A) */
#define CHUNK 4096                 /* C: bytes a CPU takes at once; 85 records, 16 bytes unused */
#define MAX_CPUS 256

struct ring_hdr {
	__u64 head;    /* bytes reserved; only grows */
	__u64 records; /* records reserved */
	__u64 key;
	__u64 pad[5];  /* the header is one cache line; data starts on the next */
};

struct shared_ring {
	struct ring_hdr hdr;
	__u8 data[RING_SIZE + REC_SIZE]; /* the overhang: a record is contiguous even at the end */
};

struct sub_ring {
	struct ring_hdr hdr;
	__u8 data[SUBRING_SIZE + REC_SIZE];
};

/* Load-time settings, in .rodata: constants to the verifier, which drops the other modes' code. */
struct proto_cfg {
	__u32 mode;   /* enum proto_mode */
	__u32 pad;
	__u64 target_cgid; /* the recorded cgroup's id (cgroup v2) */
};

/* C: what one CPU holds of its current chunk (a PERCPU_ARRAY value). */
struct chunk_cursor {
	__u64 pos;     /* next record's absolute position */
	__u64 end;     /* the chunk's end: the next record must fit before it */
	__u64 records;
	__u64 chunks;
};

struct rec {
	__u64 tag;   /* pos ^ key, written last */
	__u32 seq;
	__u16 len;
	__u8 kind;
	__u8 flags;
	__u64 ts;
	__u32 pid;
	__u32 tid;
	__u32 nr;
	__u32 cpu;
	__s64 ret;
};

#endif
