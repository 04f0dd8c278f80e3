// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Ring-layout prototype (issue 14): tp_btf sys_enter and sys_exit write one fixed 48-byte
 * record per event of one cgroup's tasks into the layout the loader chose (ring.h). Only the
 * reservation differs between the modes; the filter, the record and the commit are the same,
 * so the difference between two modes is the cost of their reservation.
 */
#include "../../bpf/vmlinux_min.h"
#include <bpf/bpf_helpers.h>
#include "ring.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

const volatile struct proto_cfg cfg = { .mode = MODE_SHARED };
#define mode (cfg.mode)

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct shared_ring);
} shared SEC(".maps");

/* B: element i is CPU i's sub-ring; the loader sets max_entries to the possible CPUs. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sub_ring);
} subrings SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct chunk_cursor);
} cursors SEC(".maps");

static __always_inline int recorded(struct task_struct *task)
{
	return task->cgroups->dfl_cgrp->kn->id == cfg.target_cgid;
}

/* Returns where the record goes and its position and key; NULL if there is no room (never for these sizes). */
static __always_inline struct rec *reserve(__u64 *pos, __u64 *key, __u32 *seq, __u32 *cpu_out)
{
	__u32 zero = 0, cpu = bpf_get_smp_processor_id();
	__u64 p, s;

	*cpu_out = cpu;
	if (mode == MODE_SHARED) {
		struct shared_ring *r = bpf_map_lookup_elem(&shared, &zero);

		if (!r)
			return 0;
		/* Both counters sit on the header's one cache line, as in traceloop's struct tl_ring_hdr. */
		p = __sync_fetch_and_add(&r->hdr.head, REC_SIZE);
		s = __sync_fetch_and_add(&r->hdr.records, 1);
		*pos = p;
		*seq = (__u32)s;
		*key = r->hdr.key;
		return (struct rec *)(r->data + (p & (RING_SIZE - 1)));
	}
	if (mode == MODE_PERCPU || mode == MODE_PERCPU_ATOMIC) {
		struct sub_ring *r = bpf_map_lookup_elem(&subrings, &cpu);

		if (!r)
			return 0;
		if (mode == MODE_PERCPU_ATOMIC) {
			p = __sync_fetch_and_add(&r->hdr.head, REC_SIZE);
			s = __sync_fetch_and_add(&r->hdr.records, 1);
		} else {
			/*
			 * Only this CPU writes this header. Safe only while no other writer of this
			 * sub-ring can run on this CPU between the load and the store (see README,
			 * "Ring designs": preemption of syscall tracepoint programs).
			 */
			p = r->hdr.head;
			s = r->hdr.records;
			r->hdr.head = p + REC_SIZE;
			r->hdr.records = s + 1;
		}
		*pos = p;
		*seq = (__u32)s;
		*key = r->hdr.key;
		return (struct rec *)(r->data + (p & (SUBRING_SIZE - 1)));
	}
	/* MODE_CHUNK */
	struct shared_ring *r = bpf_map_lookup_elem(&shared, &zero);
	struct chunk_cursor *c = bpf_map_lookup_elem(&cursors, &zero);

	if (!r || !c)
		return 0;
	if (c->pos + REC_SIZE > c->end) {
		p = __sync_fetch_and_add(&r->hdr.head, CHUNK);
		c->pos = p;
		c->end = p + CHUNK;
		c->chunks++;
	}
	p = c->pos;
	c->pos = p + REC_SIZE;
	s = c->records++;
	*pos = p;
	*seq = (__u32)s;
	*key = r->hdr.key;
	return (struct rec *)(r->data + (p & (RING_SIZE - 1)));
}

static __always_inline void write_record(struct task_struct *task, __u8 kind, __u32 nr, long ret)
{
	__u64 pos, key, ts = bpf_ktime_get_boot_ns();
	__u32 seq, cpu;
	struct rec *e = reserve(&pos, &key, &seq, &cpu);

	if (!e)
		return;
	e->seq = seq;
	e->len = REC_SIZE;
	e->kind = kind;
	e->flags = 0;
	e->ts = ts;
	e->pid = task->tgid;
	e->tid = task->pid;
	e->nr = nr;
	e->cpu = cpu;
	e->ret = ret;
	/* x86-64 keeps stores in order: a compiler barrier, then the tag commits the record. */
	asm volatile("" ::: "memory");
	*(volatile __u64 *)&e->tag = pos ^ key;
}

SEC("tp_btf/sys_enter")
int proto_sys_enter(__u64 *ctx)
{
	struct task_struct *task = bpf_get_current_task_btf();

	if (!recorded(task))
		return 0;
	write_record(task, 1, (__u32)ctx[1], 0);
	return 0;
}

SEC("tp_btf/sys_exit")
int proto_sys_exit(__u64 *ctx)
{
	struct pt_regs *regs = (struct pt_regs *)ctx[0];
	struct task_struct *task = bpf_get_current_task_btf();

	if (!recorded(task))
		return 0;
	write_record(task, 2, (__u32)regs->orig_ax, (long)ctx[1]);
	return 0;
}
