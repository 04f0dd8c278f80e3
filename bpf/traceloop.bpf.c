// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Traceloop's kernel side: every syscall of every recorded container goes into that
 * container's own overwritable ring. See traceloop.h for the ring and record layout and
 * docs/ARCHITECTURE.md for the design.
 *
 * Hot path (sys_enter/sys_exit of any task on the host): one helper call for the cgroup id
 * and one hash lookup. Only tasks of recorded containers go further.
 */
#include "vmlinux_min.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "traceloop.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define NR_open 2
#define NR_execve 59
#define NR_openat 257
#define NR_execveat 322
#define NR_openat2 437

const volatile struct tl_config cfg = {
	.ring_mask = (1 << 20) - 1,
	.max_str = 256,
};

struct ring {
	struct tl_ring_hdr hdr;
	__u8 data[];
};

/* cgroup id -> container; filled by the kernel at cgroup_mkdir and by the recorder. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, struct tl_container);
} containers SEC(".maps");

/*
 * slot -> ring map. The inner map template is set by the recorder before load
 * (bpf_map__set_inner_map_fd) so that its value size matches the configured ring size.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 256);
	__type(key, __u32);
	__type(value, __u32);
} rings SEC(".maps");

/*
 * Slots whose ring the recorder has already created. The kernel takes one the instant a
 * container's cgroup appears, so no syscall of a new container waits for user space.
 */
struct {
	__uint(type, BPF_MAP_TYPE_QUEUE);
	__uint(max_entries, 256);
	__type(value, __u32);
} free_slots SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 * 1024);
} control SEC(".maps");

struct scratch {
	char str[TL_MAX_STR];
	struct tl_control ctl;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct scratch);
} scratch_map SEC(".maps");

/*
 * The key of the current task's container: its cgroup v2 id, or on v1-only hosts its cgroup
 * in one controller's hierarchy. The branch is on a load-time constant, so the verifier
 * removes the one not taken. On the v2 path every value comes from direct loads through the
 * BTF-typed task: helper calls are what a syscall hook pays most for on CPUs with return-thunk
 * mitigations, so the hot path makes as few as it can.
 */
static __always_inline __u64 task_cgroup_id(struct task_struct *task)
{
	struct cgroup_subsys_state *css = 0;

	if (cfg.cgroup_subsys == 0)
		return task->cgroups->dfl_cgrp->kn->id;
	bpf_probe_read_kernel(&css, sizeof(css), &task->cgroups->subsys[(cfg.cgroup_subsys - 1) & 15]);
	return BPF_CORE_READ(css, cgroup, kn, id);
}

static __always_inline struct ring *container_ring(struct tl_container *c)
{
	__u32 slot = c->slot;
	__u32 zero = 0;
	void *inner = bpf_map_lookup_elem(&rings, &slot);

	if (!inner) {
		__sync_fetch_and_add(&c->missed, 1);
		return 0;
	}
	return bpf_map_lookup_elem(inner, &zero);
}

/* Tells the recorder about a container (low rate: starts and ends, never syscalls). */
static __always_inline void notify(struct scratch *s, __u32 kind, __u32 slot, __u64 cgroup_id, __u64 parent_id,
				   __s32 status, __u32 pid)
{
	s->ctl.kind = kind;
	s->ctl.slot = slot;
	s->ctl.cgroup_id = cgroup_id;
	s->ctl.parent_id = parent_id;
	s->ctl.ts = bpf_ktime_get_boot_ns();
	s->ctl.status = status;
	s->ctl.pid = pid;
	bpf_ringbuf_output(&control, &s->ctl, sizeof(s->ctl), 0);
}

/*
 * Reserves len bytes (a multiple of 8, <= TL_MAX_RECORD) and returns where to write them.
 * The record is contiguous: near the end of data it runs on into the overhang.
 */
static __always_inline void *reserve(struct ring *r, __u32 len, __u64 *pos, __u32 *seq)
{
	__u64 p = __sync_fetch_and_add(&r->hdr.head, len);
	__u64 s = __sync_fetch_and_add(&r->hdr.records, 1);

	*pos = p;
	*seq = (__u32)s;
	return r->data + (p & cfg.ring_mask);
}

static __always_inline void fill_header(struct tl_rec *h, __u32 seq, __u32 len, __u8 kind, __u8 flags,
					__u64 ts, struct task_struct *task)
{
	h->seq = seq;
	h->len = len;
	h->kind = kind;
	h->flags = flags;
	h->ts = ts;
	h->pid = task->tgid;
	h->tid = task->pid;
}

static __always_inline void copy_comm(char *dst, struct task_struct *task)
{
	/* Two 8-byte loads instead of the bpf_get_current_comm helper call. */
	*(__u64 *)dst = *(__u64 *)&task->comm[0];
	*(__u64 *)(dst + 8) = *(__u64 *)&task->comm[8];
}

/* Publishes a record: every byte of it must be written before the tag. */
static __always_inline void commit(struct ring *r, struct tl_rec *h, __u64 pos)
{
	__u64 tag = pos ^ r->hdr.key;

	/*
	 * x86-64 keeps stores in program order, so a compiler barrier suffices for the
	 * reader's "tag valid => body complete". Weakly ordered CPUs need a store-release.
	 */
	asm volatile("" ::: "memory");
	*(volatile __u64 *)&h->tag = tag;
}

static __always_inline int string_arg(long nr)
{
	switch (nr) {
	case NR_open:
	case NR_execve:
		return 0;
	case NR_openat:
	case NR_execveat:
	case NR_openat2:
		return 1;
	}
	return -1;
}

static __always_inline unsigned long reg_arg(struct pt_regs *regs, int i)
{
	switch (i) {
	case 0: return regs->di;
	case 1: return regs->si;
	case 2: return regs->dx;
	case 3: return regs->r10;
	case 4: return regs->r8;
	default: return regs->r9;
	}
}

SEC("tp_btf/sys_enter")
int tl_sys_enter(__u64 *ctx)
{
	struct pt_regs *regs = (struct pt_regs *)ctx[0];
	long nr = (long)ctx[1];
	struct task_struct *task = bpf_get_current_task_btf();
	__u64 cgid = task_cgroup_id(task);
	struct tl_container *c = bpf_map_lookup_elem(&containers, &cgid);
	struct scratch *s = 0;
	struct tl_enter *e;
	struct ring *r;
	__u32 len = sizeof(struct tl_enter), slen = 0, seq, zero = 0;
	__u8 pflags = 0, rflags = 0;
	__u64 pos, ts;
	int sarg;

	if (!c)
		return 0;
	r = container_ring(c);
	if (!r)
		return 0;

	ts = bpf_ktime_get_boot_ns();

	sarg = string_arg(nr);
	if (sarg >= 0) {
		s = bpf_map_lookup_elem(&scratch_map, &zero);
		if (s) {
			long n = bpf_probe_read_user_str(s->str, cfg.max_str, (void *)reg_arg(regs, sarg));

			if (n < 0) {
				pflags = TL_PAYLOAD_FAULT;
			} else {
				slen = n > 0 ? n - 1 : 0; /* without the NUL */
				if (n >= cfg.max_str) {
					pflags = TL_PAYLOAD_TRUNCATED;
					rflags = TL_REC_TRUNCATED;
				}
			}
			slen &= TL_MAX_STR - 1;
			len += sizeof(struct tl_payload) + ((slen + 7) & ~7u);
		}
	}

	e = reserve(r, len, &pos, &seq);
	fill_header(&e->h, seq, len, TL_KIND_ENTER, rflags, ts, task);
	e->nr = nr;
	e->npayloads = s ? 1 : 0;
	e->pad = 0;
	copy_comm(e->comm, task);
	e->args[0] = regs->di;
	e->args[1] = regs->si;
	e->args[2] = regs->dx;
	e->args[3] = regs->r10;
	e->args[4] = regs->r8;
	e->args[5] = regs->r9;
	if (s) {
		struct tl_payload *p = (struct tl_payload *)(e + 1);

		p->kind = TL_PAYLOAD_STR;
		p->arg = sarg;
		p->flags = pflags;
		p->pad = 0;
		p->len = slen;
		p->pad2 = 0;
		bpf_probe_read_kernel(p + 1, slen, s->str);
	}
	commit(r, &e->h, pos);
	return 0;
}

SEC("tp_btf/sys_exit")
int tl_sys_exit(__u64 *ctx)
{
	struct pt_regs *regs = (struct pt_regs *)ctx[0];
	long ret = (long)ctx[1];
	struct task_struct *task = bpf_get_current_task_btf();
	__u64 cgid = task_cgroup_id(task);
	struct tl_container *c = bpf_map_lookup_elem(&containers, &cgid);
	struct tl_exit *x;
	struct ring *r;
	__u64 pos;
	__u32 seq;

	if (!c)
		return 0;
	r = container_ring(c);
	if (!r)
		return 0;

	x = reserve(r, sizeof(*x), &pos, &seq);
	fill_header(&x->h, seq, sizeof(*x), TL_KIND_EXIT, 0, bpf_ktime_get_boot_ns(), task);
	x->nr = regs->orig_ax;
	x->npayloads = 0;
	x->pad = 0;
	x->ret = ret;
	commit(r, &x->h, pos);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int tl_process_exit(__u64 *ctx)
{
	struct task_struct *task = (struct task_struct *)ctx[0];
	__u64 cgid = task_cgroup_id(task);
	struct tl_container *c = bpf_map_lookup_elem(&containers, &cgid);
	struct tl_proc_exit *x;
	struct ring *r;
	__u64 pos;
	__u32 seq, zero = 0;

	if (!c)
		return 0;
	r = container_ring(c);
	if (!r)
		return 0;

	x = reserve(r, sizeof(*x), &pos, &seq);
	fill_header(&x->h, seq, sizeof(*x), TL_KIND_PROC_EXIT, 0, bpf_ktime_get_boot_ns(), task);
	x->exit_code = BPF_CORE_READ(task, exit_code);
	/* do_exit drops signal->live before this tracepoint: zero means the last thread. */
	x->is_leader = BPF_CORE_READ(task, signal, live.counter) == 0;
	copy_comm(x->comm, task);
	commit(r, &x->h, pos);

	if (x->is_leader && c->parent == 0 && c->main_pid == x->h.pid) {
		/* The container is over (its cgroup may live on until the runtime deletes it). */
		struct scratch *s = bpf_map_lookup_elem(&scratch_map, &zero);

		if (s) {
			s->ctl.path[0] = 0;
			notify(s, TL_CTL_MAIN_EXIT, c->slot, cgid, 0, x->exit_code, x->h.pid);
		}
	}
	return 0;
}

SEC("tp_btf/sched_process_exec")
int tl_process_exec(__u64 *ctx)
{
	struct task_struct *task = (struct task_struct *)ctx[0];
	__u64 cgid = task_cgroup_id(task);
	struct tl_container *c = bpf_map_lookup_elem(&containers, &cgid);
	struct pid *pid;
	struct upid up = {};
	unsigned int level;

	if (!c || c->parent != 0)
		return 0;
	/*
	 * The main process is pid 1 of the container's pid namespace. "The first exec in the
	 * cgroup" would be wrong: runc's init re-executes itself (from a memfd) inside it first.
	 */
	pid = BPF_CORE_READ(task, thread_pid);
	level = BPF_CORE_READ(pid, level);
	bpf_probe_read_kernel(&up, sizeof(up), &pid->numbers[level & 31]);
	if (up.nr == 1)
		c->main_pid = task->tgid;
	return 0;
}

/*
 * Container runtimes name a container's cgroup after its id: 64 hex digits, sometimes
 * wrapped ("cri-containerd-<id>.scope", "docker-<id>.scope", "libpod-<id>.scope").
 * Pod and QoS cgroups ("pod<uid>", "besteffort") never hold such a run.
 */
struct hex_run {
	const char *name;
	int run;
	int found;
};

static long hex_run_step(__u32 i, struct hex_run *h)
{
	char ch = h->name[i & (TL_NAME_LEN - 1)];

	if (ch == 0)
		return 1;
	if ((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f')) {
		if (++h->run >= 64) {
			h->found = 1;
			return 1;
		}
	} else {
		h->run = 0;
	}
	return 0;
}

/* bpf_loop keeps the verifier from walking every path of 128 unrolled iterations. */
static __always_inline int looks_like_container(const char *name)
{
	struct hex_run h = { .name = name };

	bpf_loop(TL_NAME_LEN, hex_run_step, &h, 0);
	return h.found;
}

SEC("tp_btf/cgroup_mkdir")
int tl_cgroup_mkdir(__u64 *ctx)
{
	struct cgroup *cgrp = (struct cgroup *)ctx[0];
	struct tl_container fresh = {}, *parent;
	struct scratch *s;
	__u64 id, parent_id;
	__u32 zero = 0, slot;

	/* Only the hierarchy whose ids task_cgroup_id() returns. */
	if (BPF_CORE_READ(cgrp, root, hierarchy_id) != cfg.hierarchy_id)
		return 0;
	s = bpf_map_lookup_elem(&scratch_map, &zero);
	if (!s)
		return 0;

	id = BPF_CORE_READ(cgrp, kn, id);
	parent_id = BPF_CORE_READ(cgrp, self.parent, cgroup, kn, id);
	__builtin_memset(&s->ctl, 0, sizeof(s->ctl));
	/* The tracepoint's own path argument is the full path from the hierarchy root. */
	bpf_probe_read_kernel_str(s->ctl.path, sizeof(s->ctl.path), (const char *)ctx[1]);
	bpf_probe_read_kernel_str(s->str, TL_NAME_LEN, BPF_CORE_READ(cgrp, kn, name));

	parent = bpf_map_lookup_elem(&containers, &parent_id);
	if (parent) {
		/* A cgroup made inside a container (systemd in a container, runc exec --cgroup). */
		fresh.slot = parent->slot;
		fresh.parent = parent->parent ? parent->parent : parent_id;
	} else {
		if (!looks_like_container(s->str))
			return 0;
		if (bpf_map_pop_elem(&free_slots, &slot))
			slot = TL_SLOT_PENDING;
		fresh.slot = slot;
	}
	if (bpf_map_update_elem(&containers, &id, &fresh, BPF_NOEXIST)) {
		/* The recorder registered it first (its startup scan), or the map is full. */
		if (!parent && fresh.slot != TL_SLOT_PENDING)
			bpf_map_push_elem(&free_slots, &fresh.slot, 0);
		return 0;
	}

	notify(s, TL_CTL_CGROUP_NEW, fresh.slot, id, fresh.parent, 0, 0);
	return 0;
}

SEC("tp_btf/cgroup_rmdir")
int tl_cgroup_rmdir(__u64 *ctx)
{
	struct cgroup *cgrp = (struct cgroup *)ctx[0];
	struct tl_container *c;
	struct scratch *s;
	__u64 id;
	__u32 zero = 0;

	if (BPF_CORE_READ(cgrp, root, hierarchy_id) != cfg.hierarchy_id)
		return 0;
	id = BPF_CORE_READ(cgrp, kn, id);
	c = bpf_map_lookup_elem(&containers, &id);
	if (!c)
		return 0;
	s = bpf_map_lookup_elem(&scratch_map, &zero);
	if (!s)
		return 0;
	s->ctl.path[0] = 0;
	notify(s, TL_CTL_CGROUP_GONE, c->slot, id, c->parent, 0, 0);
	return 0;
}
