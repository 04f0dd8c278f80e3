// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Traceloop's kernel side: every syscall of every recorded container goes into that
 * container's own overwritable ring. See traceloop.h for the ring and record layout and
 * docs/ARCHITECTURE.md for the design.
 *
 * Hot path (sys_enter/sys_exit of any task on the host): a task this CPU last found not recorded
 * leaves before any helper call (struct unrecorded_task); any other is looked up through its
 * cgroup, mostly in a per-CPU view of the last container (struct container_view). Only tasks of
 * recorded containers go further, and the exit of a call that stayed on its CPU skips the lookup:
 * its entry left what it needs (struct inflight).
 */
#include "vmlinux_min.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "traceloop.h"

/*
 * Benchmark-only ablations (bench/ablate.sh compiles them with -DTL_ABLATE=n; the recorder's own
 * build never sets it, so these branches do not exist in its object). Each level keeps what the
 * one before it kept and cuts what follows, so the cost of a stage under a real workload is the
 * difference between two rows:
 *   1  the syscall programs return once they know the container and its ring: lookups only
 *   2  ... and once they have read the clock
 *   3  full records, but nothing is captured from user memory (no capture plan is looked up)
 *   4  capture plans run, but bpf_probe_read_user of a data buffer is skipped (its bytes are stale)
 */
#ifndef TL_ABLATE
#define TL_ABLATE 0
#endif

char LICENSE[] SEC("license") = "Dual BSD/GPL";


const volatile struct tl_config cfg = {
	.sub_mask = (1 << 20) - 1,
	.sub_stride = (1 << 20) + TL_MAX_RECORD,
	.nsub_mask = 0,
	.sub_lines = TL_SUB_HDR_SIZE,
	.max_str = 256,
	.max_bytes = 64,
	.max_argv = 16,
	.max_tls_bytes = 64,
};

struct ring {
	struct tl_ring_hdr hdr;
	__u8 rest[]; /* the sub-ring headers, then the sub-rings */
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

/* Syscall number -> what to copy from user memory (set by the recorder). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 512);
	__type(key, __u32);
	__type(value, struct tl_syscall_captures);
} captures SEC(".maps");

/*
 * Pods the recorder's selection leaves out, by their cgroup's directory name ("pod<uid>",
 * "kubepods-besteffort-pod<uid>.slice"): a container created inside one is never adopted, so
 * it costs one lookup per syscall like any host process and leaves nothing in any ring.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, struct tl_pod_name);
	__type(value, __u8);
} excluded_pods SEC(".maps");

/*
 * Capture levels by pod cgroup directory name, like excluded_pods; the all-zero name holds the
 * level of every container whose pod has no entry (and of containers outside Kubernetes).
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4097);
	__type(key, struct tl_pod_name);
	__type(value, __u32);
} capture_levels SEC(".maps");

/*
 * Threads whose entry string could not be read (not paged in yet): thread id -> syscall.
 * Their exit reads it again. refetch_pending keeps the common exit from looking here.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, __u32);
} refetch SEC(".maps");

__u64 refetch_pending;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 * 1024);
} control SEC(".maps");

/*
 * Notices the control ring had no room for. The recorder reads it and, when it grew, reconciles
 * its registry against the containers map, so a lost notice costs a delay, not a container.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} control_drops SEC(".maps");

/*
 * The pinned state's identity and the owners of the rings. No program touches them: they are
 * declared here so they are created, pinned and freed with the rest of the object.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct tl_meta);
} meta SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 256);
	__type(key, __u32);
	__type(value, struct tl_slot_owner);
} slot_owners SEC(".maps");

/* Payloads are gathered here first so a record can be reserved at its exact size. */
#define TL_SCRATCH 8192

struct scratch {
	__u8 buf[TL_SCRATCH];
	char name[TL_NAME_LEN];
	struct tl_pod_name parent;
	struct tl_control ctl;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct scratch);
} scratch_map SEC(".maps");

/* The task's cgroup in the v2 hierarchy: its address keys the syscall programs' container views. */
static __always_inline struct cgroup *task_dfl_cgroup(struct task_struct *task)
{
	return task->cgroups->dfl_cgrp;
}

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
		return task_dfl_cgroup(task)->kn->id;
	bpf_probe_read_kernel(&css, sizeof(css), &task->cgroups->subsys[(cfg.cgroup_subsys - 1) & 15]);
	return BPF_CORE_READ(css, cgroup, kn, id);
}

static __always_inline struct ring *container_ring(struct tl_container *c);

/*
 * The ring of the container keyed cgid, or NULL when it is not recorded (the common case) or has
 * no ring yet; *out is the container, or NULL.
 */
static __always_inline struct ring *cgroup_ring(__u64 cgid, struct tl_container **out)
{
	struct tl_container *c = bpf_map_lookup_elem(&containers, &cgid);

	*out = c;
	return c ? container_ring(c) : 0;
}

/* The ring of the task's container, as cgroup_ring. */
static __always_inline struct ring *task_ring(struct task_struct *task, struct tl_container **out)
{
	return cgroup_ring(task_cgroup_id(task), out);
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
	if (bpf_ringbuf_output(&control, &s->ctl, sizeof(s->ctl), 0)) {
		__u32 zero = 0;
		__u64 *drops = bpf_map_lookup_elem(&control_drops, &zero);

		if (drops)
			__sync_fetch_and_add(drops, 1);
	}
}

/*
 * Reserves len bytes (a multiple of 8, <= TL_MAX_RECORD) in the sub-ring of this CPU and
 * returns where to write them, with the tag that will commit them. The record is contiguous:
 * near the end of its sub-ring it runs on into that sub-ring's overhang. Programs run with
 * migration disabled, so the CPU cannot change between here and the commit.
 */
static __always_inline void *reserve(struct ring *r, __u32 len, __u64 *tag, __u32 *seq)
{
	__u32 i = bpf_get_smp_processor_id() & cfg.nsub_mask;
	struct tl_sub_hdr *sh = (struct tl_sub_hdr *)(r->rest + i * TL_SUB_HDR_SIZE);
	__u64 p = __sync_fetch_and_add(&sh->head, len);
	__u64 s = __sync_fetch_and_add(&sh->records, 1);

	*tag = p ^ sh->key;
	*seq = (__u32)s;
	return r->rest + cfg.sub_lines + i * cfg.sub_stride + (p & cfg.sub_mask);
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
static __always_inline void commit(struct tl_rec *h, __u64 tag)
{
	/*
	 * x86-64 keeps stores in program order, so a compiler barrier suffices for the
	 * reader's "tag valid => body complete". Weakly ordered CPUs need a store-release.
	 */
	asm volatile("" ::: "memory");
	*(volatile __u64 *)&h->tag = tag;
}

/* What one capture pass works on; passed to tl_capture_item, which may write it. */
struct cap_ctx {
	__u64 args[TL_NARGS];
	__u64 sp;        /* the user stack pointer (TL_CAP_STACK) */
	long ret;
	__u32 nenter;    /* items below this index are entry items */
	__u32 off;       /* payload bytes gathered so far */
	__u16 npayloads;
	__u8 flags;      /* enum tl_rec_flags */
	__u8 reread;     /* this pass re-reads entry strings at exit */
	__u8 faulted;    /* an entry string could not be read */
	__u32 level;     /* the container's enum tl_capture_level */
};

static __always_inline __u64 ctx_arg(struct cap_ctx *c, __u32 i)
{
	switch (i) {
	case 0: return c->args[0];
	case 1: return c->args[1];
	case 2: return c->args[2];
	case 3: return c->args[3];
	case 4: return c->args[4];
	default: return c->args[5];
	}
}

static __always_inline __u32 round8(__u32 n)
{
	return (n + 7) & ~7u;
}

/* Scratch offsets are masked to the lower half so that a read of up to TL_MAX_STR * 2 fits. */
#define SCRATCH_AT(s, off) ((s)->buf + ((off) & (TL_SCRATCH / 2 - 1)))

struct strv_ctx {
	__u64 argv;
	__u32 start;  /* where the strings begin in scratch */
	__u32 used;   /* bytes written after start */
	__u32 room;
	__u8 truncated;
};

/*
 * Loop bodies that write scratch at a growing offset are global functions: inlined in their
 * bpf_loop callback, the offset would be precise and no two iterations' states alike, so the
 * verifier would walk every iteration. The callback then carries scalars only, and scratch is
 * looked up again here rather than passed in a context the callee may overwrite.
 */
__attribute__((noinline)) int tl_strv_string(struct strv_ctx *v, __u32 i)
{
	struct scratch *s;
	__u64 ptr = 0;
	__u32 zero = 0, room;
	long n;

	s = bpf_map_lookup_elem(&scratch_map, &zero);
	if (!v || !s)
		return 1;
	if (bpf_probe_read_user(&ptr, sizeof(ptr), (void *)(v->argv + i * 8)) || !ptr)
		return 1;
	if (v->used >= v->room) {
		v->truncated = 1;
		return 1;
	}
	room = v->room - v->used;
	if (room > cfg.max_str)
		room = cfg.max_str;
	n = bpf_probe_read_user_str(SCRATCH_AT(s, v->start + v->used), room & (TL_MAX_STR * 2 - 1), (void *)ptr);
	if (n <= 0) {
		v->truncated = 1;
		return 1;
	}
	if (n >= room)
		v->truncated = 1; /* this string, or the ones after it, did not fit */
	v->used += n;
	return 0;
}

static long strv_step(__u32 i, struct strv_ctx *v)
{
	return tl_strv_string(v, i) ? 1 : 0;
}

struct count_ctx {
	__u64 array;
	__u32 count;
};

static long count_step(__u32 i, struct count_ctx *k)
{
	__u64 ptr = 0;

	if (bpf_probe_read_user(&ptr, sizeof(ptr), (void *)(k->array + i * 8)) || !ptr)
		return 1;
	k->count++;
	return 0;
}

struct dirent_ctx {
	__u64 buf;
	__u32 pos;
	__u32 len;
	__u32 count;
};

static long dirent_step(__u32 i, struct dirent_ctx *d)
{
	__u16 reclen = 0;

	if (d->pos + 19 > d->len)
		return 1;
	/* struct linux_dirent64: d_ino, d_off (8 bytes each), then d_reclen. */
	if (bpf_probe_read_user(&reclen, sizeof(reclen), (void *)(d->buf + d->pos + 16)) || reclen == 0)
		return 1;
	d->count++;
	d->pos += reclen;
	return 0;
}

struct iov_ctx {
	__u64 iov;
	__u64 left;      /* bytes the return value leaves for the buffers still to come */
	__u32 cursor;    /* where the next buffer's block goes in scratch */
	__u32 end;       /* the first scratch offset past the payload's room */
	__u8 bounded;    /* left applies (readv at exit) */
	__u8 truncated;
};

/* One iovec's block of the TL_CAP_IOVEC layout; a global function for the reason tl_strv_string is. */
__attribute__((noinline)) int tl_iov_buffer(struct iov_ctx *v, __u32 i)
{
	__u64 vec[2] = {};
	struct scratch *s;
	__u32 zero = 0, size;
	__u64 want;
	__u8 *at;

	s = bpf_map_lookup_elem(&scratch_map, &zero);
	if (!v || !s)
		return 1;
	if (bpf_probe_read_user(vec, sizeof(vec), (void *)(v->iov + i * 16)))
		return 1;
	want = vec[1];
	if (v->bounded) {
		want = want < v->left ? want : v->left;
		v->left -= want;
	}
	size = want < cfg.max_bytes ? want : cfg.max_bytes;
	if (!vec[0])
		size = 0;
	if (v->cursor + 4 + size > v->end) {
		v->truncated = 1;
		return 1;
	}
	at = SCRATCH_AT(s, v->cursor);
	if (size && bpf_probe_read_user(at + 4, size & (TL_MAX_STR * 2 - 1), (void *)vec[0]))
		return 1; /* this buffer and the ones after it show as addresses */
	*(__u32 *)at = size;
	if (size < want)
		v->truncated = 1;
	v->cursor += 4 + size;
	return 0;
}

static long iov_step(__u32 i, struct iov_ctx *v)
{
	return tl_iov_buffer(v, i) ? 1 : 0;
}

/*
 * Writes the TL_CAP_IOVEC layout (traceloop.h) of vlen iovecs at iov into scratch at start,
 * within end; returns where it ended. bound < 0: no bound (data written by the program).
 */
static __always_inline __u32 gather_iov(struct scratch *s, __u32 start, __u32 end, __u64 iov, __u64 vlen, long bound,
					__u8 buffers, __u8 *truncated)
{
	struct iov_ctx v = { .iov = iov, .left = bound < 0 ? 0 : bound, .end = end, .bounded = bound >= 0 };
	__u32 count = vlen < TL_MAX_IOV ? vlen : TL_MAX_IOV;
	__u8 *at;

	if (start + 8 > end)
		return start;
	if (!iov)
		count = 0;
	if (start + 8 + count * 16 > end)
		count = (end - start - 8) / 16;
	at = SCRATCH_AT(s, start);
	if (count && bpf_probe_read_user(at + 8, (count * 16) & (TL_MAX_STR - 1), (void *)iov))
		count = 0;
	*(__u32 *)at = count;
	*(__u32 *)(at + 4) = 0;
	if (count < vlen && iov)
		*truncated = 1;
	v.cursor = start + 8 + count * 16;
	/* Without buffers the layout ends after the array: the reader shows each base as an address. */
	if (buffers)
		bpf_loop(count, iov_step, &v, 0);
	if (v.truncated)
		*truncated = 1;
	return v.cursor;
}

/* A u32 length and then up to max bytes from user memory at ptr (none for NULL or a fault). */
static __always_inline __u32 gather_block(struct scratch *s, __u32 start, __u32 end, __u64 ptr, __u64 len, __u32 max,
					  __u8 *truncated)
{
	__u32 size = len < max ? len : max;
	__u8 *at;

	if (start + 4 > end)
		return start;
	if (!ptr)
		size = 0;
	if (start + 4 + size > end)
		size = end - start - 4;
	if (size > TL_MAX_STR - 1)
		size = TL_MAX_STR - 1; /* what the read below can take; the table's limits are far lower */
	at = SCRATCH_AT(s, start);
	if (size && bpf_probe_read_user(at + 4, size & (TL_MAX_STR - 1), (void *)ptr))
		size = 0;
	*(__u32 *)at = size;
	if (size < len && ptr)
		*truncated = 1;
	return start + 4 + size;
}

/* The TL_CAP_MSGHDR layout (traceloop.h); returns the payload's length, or -1 when the msghdr cannot be read. */
static __always_inline long gather_msghdr(struct cap_ctx *c, struct scratch *s, struct tl_capture *it, __u32 start,
					  __u32 room, __u64 ptr, __u8 *truncated)
{
	__u64 name, iov, iovlen, control, controllen;
	__u32 namelen, end = start + room, at;
	__u8 *hdr;

	if (room < 56 || !ptr)
		return -1;
	hdr = SCRATCH_AT(s, start);
	if (bpf_probe_read_user(hdr, 56, (void *)ptr))
		return -1;
	name = *(__u64 *)hdr;
	namelen = *(__u32 *)(hdr + 8);
	iov = *(__u64 *)(hdr + 16);
	iovlen = *(__u64 *)(hdr + 24);
	control = *(__u64 *)(hdr + 32);
	controllen = *(__u64 *)(hdr + 40);
	at = gather_block(s, start + 56, end, name, namelen, TL_MAX_SOCKADDR, truncated);
	if (c->level & TL_LEVEL_NO_PAYLOAD) {
		/* The array, but no buffer and no control data. */
		at = gather_iov(s, at, end, iov, iovlen, -1, 0, truncated);
		return gather_block(s, at, end, 0, 0, 0, truncated) - start;
	}
	at = gather_iov(s, at, end, iov, iovlen, it->size_src == TL_SIZE_RET ? c->ret : -1, 1, truncated);
	at = gather_block(s, at, end, control, controllen, it->limit, truncated);
	return at - start;
}

static __always_inline __u32 capture_size(struct cap_ctx *c, struct tl_capture *it, __u32 limit)
{
	__u64 n = 0;
	__u32 len = 0;

	switch (it->size_src) {
	case TL_SIZE_FIXED:
		n = it->size;
		break;
	case TL_SIZE_ARG:
		n = ctx_arg(c, it->size_arg);
		break;
	case TL_SIZE_RET:
		n = c->ret < 0 ? 0 : c->ret;
		break;
	case TL_SIZE_ARG_PTR:
		/* A NULL length pointer (recv's addrlen) reads as 0 without a fault; see tl_capture_item. */
		n = ctx_arg(c, it->size_arg);
		if (n)
			bpf_probe_read_user(&len, sizeof(len), (void *)n);
		n = len;
		break;
	case TL_SIZE_ARG_MUL:
		n = ctx_arg(c, it->size_arg);
		n = n > TL_MAX_PAYLOAD ? TL_MAX_PAYLOAD : n * it->size;
		break;
	case TL_SIZE_RET_MUL:
		n = c->ret < 0 ? 0 : c->ret;
		n = n > TL_MAX_PAYLOAD ? TL_MAX_PAYLOAD : n * it->size;
		break;
	}
	return n > limit ? limit : n;
}

/*
 * Reads size bytes of user memory at ptr into dst (scratch). A read of up to TL_STACK_READ bytes
 * (a data buffer at the default --max-bytes, or a small struct) goes through a buffer on the
 * stack: the kernel's hardened usercopy checks every destination of a user read, and one on the
 * task's stack passes at its first test, where a map value takes it through its heap and vmalloc
 * tests, a few calls each paid with a return thunk on a mitigated CPU.
 */
#define TL_STACK_READ 128

static __always_inline long read_user(__u8 *dst, __u32 size, __u64 ptr)
{
	__u64 buf[TL_STACK_READ / 8];
	__u32 n = size;
	long err;
	int i;

	if (n > TL_STACK_READ)
		return bpf_probe_read_user(dst, size & (TL_MAX_STR * 2 - 1), (void *)ptr);
	barrier_var(n);
	if (n > TL_STACK_READ || n == 0)
		return 0;
	err = bpf_probe_read_user(buf, n, (void *)ptr);
	if (err)
		return err;
#pragma unroll
	for (i = 0; i < TL_STACK_READ / 8; i++)
		if (i * 8 < n)
			((__u64 *)dst)[i] = buf[i];
	return 0;
}

/*
 * Takes one capture item into scratch; returns 1 when the pass should stop. A global function,
 * so the verifier checks it once, on its own, rather than once per path of every caller and
 * loop iteration: with the iovec and msghdr gatherers inlined, sys_exit passed the verifier's
 * limit of a million instructions. The price is that it sees pointers only as its arguments:
 * c (the caller's stack, which it may write) holds no pointer it relies on.
 */
__attribute__((noinline)) int tl_capture_item(struct cap_ctx *c, struct scratch *s, struct tl_capture *it, __u32 idx)
{
	__u32 off, room, want, size;
	struct tl_payload *p;
	__u8 *data, kind;
	__u64 ptr;
	long n;

	if (!c || !s || !it)
		return 1;
	off = c->off;
	kind = it->kind;
	/* Capture levels: a data buffer is not read at all (the argument stays an address), argv becomes its count. */
	if ((c->level & TL_LEVEL_NO_PAYLOAD) && kind == TL_CAP_BYTES && (it->flags & TL_CAP_DATA))
		return 0;
	if ((c->level & TL_LEVEL_NO_ARGV) && kind == TL_CAP_STRV)
		kind = TL_CAP_STRV_COUNT;
	/* At exit, entry items run again only to re-read a string that faulted at entry. */
	if (idx < c->nenter && c->reread != 1)
		return 0;
	if (idx < c->nenter && (it->kind != TL_CAP_STR || (it->flags & TL_CAP_NO_REREAD)))
		return 0;
	if ((it->flags & TL_CAP_IF_ARG) && (__u32)ctx_arg(c, it->sel_arg) != it->sel_value)
		return 0;
	if (it->flags & TL_CAP_IF_ARG_IN) {
		__u32 v = (__u32)ctx_arg(c, it->sel_arg);

		if (v >= 32 || !(it->sel_value & (1u << v)))
			return 0;
	}
	if (c->ret < 0 && (it->flags & TL_CAP_IF_OK))
		return 0;
	if (off + sizeof(*p) + 8 > TL_MAX_PAYLOAD)
		return 1;
	room = TL_MAX_PAYLOAD - off - sizeof(*p);
	p = (struct tl_payload *)(s->buf + (off & (TL_SCRATCH / 2 - 1)));
	data = (__u8 *)(p + 1);
	ptr = (it->flags & TL_CAP_STACK) ? c->sp : ctx_arg(c, it->arg);
	/*
	 * A NULL pointer is not read, nor a member of a NULL struct (recvmsg's msg_namelen): ptr stays
	 * 0 and each kind below records it as the failed read it would be, byte for byte. The read
	 * would only fault, and even a fault the helper absorbs takes the recorded thread through the
	 * page-fault handler with interrupts off, about 0.5 us here: recv's NULL address and length
	 * cost three a call, and redis-benchmark a third of its recording cost.
	 */
	if (ptr)
		ptr += it->offset;
	p->kind = TL_PAYLOAD_BYTES;
	p->arg = it->arg;
	p->flags = idx < c->nenter && c->reread ? TL_PAYLOAD_REREAD : 0;
	p->pad = 0;
	p->len = 0;
	p->pad2 = 0;

	switch (kind) {
	case TL_CAP_STR:
		p->kind = TL_PAYLOAD_STR;
		size = room < cfg.max_str ? room : cfg.max_str;
		if (it->limit && size > it->limit)
			size = it->limit;
		n = ptr ? bpf_probe_read_user_str(data, size & (TL_MAX_STR * 2 - 1), (void *)ptr) : -14; /* -EFAULT */
		if (n < 0) {
			p->flags |= TL_PAYLOAD_FAULT;
			if (!c->reread && ptr)
				c->faulted = 1;
			break;
		}
		if (n >= size) {
			p->flags |= TL_PAYLOAD_TRUNCATED;
			c->flags |= TL_REC_TRUNCATED;
		}
		p->len = n > 0 ? n - 1 : 0;
		break;
	case TL_CAP_BYTES:
		want = capture_size(c, it, 0xffff);
		size = (it->flags & TL_CAP_DATA) ? cfg.max_bytes : it->limit;
		size = want < size ? want : size;
		size = size < room ? size : room;
		if (size > TL_MAX_STR)
			size = TL_MAX_STR;
		if (size && TL_ABLATE != 4 && (!ptr || read_user(data, size, ptr))) {
			p->flags |= TL_PAYLOAD_FAULT;
			break;
		}
		if (size < want) {
			p->flags |= TL_PAYLOAD_TRUNCATED;
			c->flags |= TL_REC_TRUNCATED;
		}
		p->len = size;
		break;
	case TL_CAP_STRV: {
		struct strv_ctx v = {
			.argv = ptr,
			.start = off + sizeof(*p),
			.room = room < TL_MAX_STR * 2 ? room : TL_MAX_STR * 2,
		};

		p->kind = TL_PAYLOAD_STRV;
		if (ptr)
			bpf_loop(cfg.max_argv, strv_step, &v, 0);
		if (v.truncated) {
			p->flags |= TL_PAYLOAD_TRUNCATED;
			c->flags |= TL_REC_TRUNCATED;
		}
		p->len = v.used;
		break;
	}
	case TL_CAP_STRV_COUNT: {
		struct count_ctx k = { .array = ptr };

		if (!ptr)
			return 0;
		p->kind = TL_PAYLOAD_COUNT;
		bpf_loop(4096, count_step, &k, 0);
		*(__u32 *)data = k.count;
		p->len = sizeof(__u32);
		break;
	}
	case TL_CAP_DIRENTS: {
		struct dirent_ctx d = { .buf = ptr, .len = c->ret < 0 ? 0 : c->ret };

		/* An empty read (end of directory) still counts: strace prints 0 entries. */
		if (c->ret < 0)
			return 0;
		p->kind = TL_PAYLOAD_COUNT;
		bpf_loop(4096, dirent_step, &d, 0);
		*(__u32 *)data = d.count;
		p->len = sizeof(__u32);
		break;
	}
	case TL_CAP_IOVEC: {
		__u8 truncated = 0;
		__u32 start = off + sizeof(*p);

		p->len = gather_iov(s, start, start + room, ptr, ctx_arg(c, it->size_arg),
				    it->size_src == TL_SIZE_RET ? c->ret : -1, !(c->level & TL_LEVEL_NO_PAYLOAD), &truncated) - start;
		if (truncated) {
			p->flags |= TL_PAYLOAD_TRUNCATED;
			c->flags |= TL_REC_TRUNCATED;
		}
		break;
	}
	case TL_CAP_MSGHDR: {
		__u8 truncated = 0;

		n = gather_msghdr(c, s, it, off + sizeof(*p), room, ptr, &truncated);
		if (n < 0) {
			p->flags |= TL_PAYLOAD_FAULT;
			break;
		}
		p->len = n;
		if (truncated) {
			p->flags |= TL_PAYLOAD_TRUNCATED;
			c->flags |= TL_REC_TRUNCATED;
		}
		break;
	}
	default:
		return 1;
	}
	/*
	 * The padding up to 8 bytes goes into the record with the payload. Scratch is per CPU, not per
	 * container: left as it was, it would carry up to 7 bytes of whatever another container's call
	 * on this CPU gathered there last. (room kept off + sizeof(*p) + len within TL_MAX_PAYLOAD.)
	 */
	if (p->len & 7) {
		__u64 *tail = (__u64 *)SCRATCH_AT(s, off + sizeof(*p) + (p->len & ~7u));

		*tail &= (1ull << ((p->len & 7) * 8)) - 1;
	}
	c->off = off + sizeof(*p) + round8(p->len);
	c->npayloads++;
	return 0;
}

/*
 * Runs one capture pass over items [first, first + count). The items are called directly, not
 * through bpf_loop: the loop is bounded by TL_MAX_CAPTURES and its body is one call of a global
 * function the verifier checks once, so it stays cheap to verify, and a read or write with one
 * data buffer does not pay bpf_loop's helper call, its indirect callback and two map lookups
 * per item.
 */
static __always_inline void capture(struct cap_ctx *c, struct scratch *s, struct tl_syscall_captures *spec,
				    __u32 first, __u32 count)
{
	__u32 i;

	for (i = 0; i < TL_MAX_CAPTURES; i++) {
		__u32 idx = first + i;

		if (i >= count || idx >= TL_MAX_CAPTURES)
			break;
		if (tl_capture_item(c, s, &spec->items[idx & (TL_MAX_CAPTURES - 1)], idx))
			break;
	}
}

/*
 * Copies the gathered payloads (n bytes of scratch, n a multiple of 8) behind the record's fixed
 * part. The common small case (one data buffer of --max-bytes 64, or a short path) is copied
 * word by word, inline: a helper call costs more than a few loads and stores.
 */
#define TL_INLINE_COPY 128

static __always_inline void copy_payloads(void *dst, struct scratch *s, __u32 n)
{
	__u64 *d = dst, *from = (__u64 *)s->buf;
	int i;

	if (n > TL_MAX_PAYLOAD)
		n = TL_MAX_PAYLOAD;
	if (n > TL_INLINE_COPY) {
		bpf_probe_read_kernel(dst, n, s->buf);
		return;
	}
#pragma unroll
	for (i = 0; i < TL_INLINE_COPY / 8; i++)
		if (i * 8 < n)
			d[i] = from[i];
}

static __always_inline void regs_args(struct pt_regs *regs, __u64 *args)
{
	args[0] = regs->di;
	args[1] = regs->si;
	args[2] = regs->dx;
	args[3] = regs->r10;
	args[4] = regs->r8;
	args[5] = regs->r9;
}

/*
 * Syscall metrics (traceloop.h, docs/METRICS.md). Only compiled in when cfg.metrics is set: the
 * verifier drops the calls below as dead code otherwise, so metrics off costs nothing.
 *
 * A call's entry time waits in the CPU's in-flight slot (struct inflight, below); only when the
 * task leaves the CPU inside the call does tl_metrics_switch put it in task local storage, for an
 * exit on any CPU. Task storage rather than a tid-keyed hash: after the first use it is a pointer
 * the kernel caches in the task, where a hash would cost a lookup and an update per call (and
 * entries for threads that never came back).
 */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, __u64);
} syscall_start SEC(".maps");

/*
 * The series: entries of a per-CPU array, drawn from free_series by a container's first call of a
 * syscall. Sized by the recorder (--metrics-series n: n + 1 entries, as index 0 means "none"),
 * which fills free_series with 1..n and zeroes a series on every CPU before it puts it back. Preallocated, so the memory is
 * the stated budget from the start: sizeof(struct tl_syscall_stats) per series per possible CPU.
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 8192);
	__type(key, __u32);
	__type(value, struct tl_syscall_stats);
} syscall_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_QUEUE);
	__uint(max_entries, 8192);
	__type(value, __u32);
} free_series SEC(".maps");

/* Rows (struct tl_metrics_row), one per counted container, sized and queued like the series. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 129);
	__type(key, __u32);
	__type(value, struct tl_metrics_row);
} metrics_rows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_QUEUE);
	__uint(max_entries, 129);
	__type(value, __u32);
} free_metrics_rows SEC(".maps");

/* Container (its own cgroup id) -> its row. Looked up only when a CPU's container view is refilled. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 128);
	__type(key, __u64);
	__type(value, __u32);
} metrics_row_ids SEC(".maps");

/* Syscall numbers outside a row (struct tl_metrics_wide_key) -> their series. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192);
	__type(key, struct tl_metrics_wide_key);
	__type(value, __u32);
} metrics_wide SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 128 * TL_METRICS_MAX_SYSCALLS);
	__type(key, struct tl_errno_key);
	__type(value, __u64);
} syscall_errors SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, TL_METRICS_NDROPS);
	__type(key, __u32);
	__type(value, __u64);
} metrics_drops SEC(".maps");

static __always_inline void metrics_drop(__u32 reason)
{
	__u64 *n = bpf_map_lookup_elem(&metrics_drops, &reason);

	if (n)
		*n += 1;
}

static __always_inline void metrics_enter(struct task_struct *task, __u64 now)
{
	__u64 *start;

	if (!cfg.metrics)
		return;
	start = bpf_task_storage_get(&syscall_start, task, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (start)
		*start = now;
}

static __always_inline __u32 metrics_bucket(__u64 ns)
{
	__u32 log = 0;

	if (ns >> 32) { ns >>= 32; log += 32; }
	if (ns >> 16) { ns >>= 16; log += 16; }
	if (ns >> 8) { ns >>= 8; log += 8; }
	if (ns >> 4) { ns >>= 4; log += 4; }
	if (ns >> 2) { ns >>= 2; log += 2; }
	if (ns >> 1) log += 1;
	if (log < TL_METRICS_FIRST_SHIFT)
		return 0;
	log -= TL_METRICS_FIRST_SHIFT - 1;
	return log < TL_METRICS_BUCKETS ? log : TL_METRICS_BUCKETS - 1;
}

/*
 * An index from the queue pool, filed under key in ids unless another CPU filed one first: the
 * index filed, 0 when the pool is empty (or ids full). *won says whether it is this call's.
 */
static __always_inline __u32 metrics_file_index(void *ids, void *pool, void *key, int *won)
{
	__u32 fresh, *found;

	*won = 0;
	if (bpf_map_pop_elem(pool, &fresh))
		return 0;
	if (bpf_map_update_elem(ids, key, &fresh, BPF_NOEXIST)) {
		bpf_map_push_elem(pool, &fresh, 0);
		found = bpf_map_lookup_elem(ids, key);
		return found ? *found : 0;
	}
	*won = 1;
	return fresh;
}

/*
 * The row of the container metrics_id, taken from free_metrics_rows on its first lookup; 0 when
 * none is left (its calls are then counted as not fitting). Called where a CPU refills its
 * container view, which keeps the row, so a syscall pays for this hash lookup only then.
 */
static __always_inline __u32 metrics_row_of(__u64 metrics_id)
{
	__u32 *row;
	int won;

	if (!cfg.metrics)
		return 0;
	row = bpf_map_lookup_elem(&metrics_row_ids, &metrics_id);
	return row ? *row : metrics_file_index(&metrics_row_ids, &free_metrics_rows, &metrics_id, &won);
}

/*
 * Puts a fresh series into *place unless another CPU did first; returns the one in place, 0 if
 * none. *won says whether it is this call's.
 */
static __always_inline __u32 metrics_claim(__u32 *place, int *won)
{
	__u32 fresh, old;

	*won = 0;
	if (bpf_map_pop_elem(&free_series, &fresh))
		return 0;
	old = __sync_val_compare_and_swap(place, 0, fresh);
	if (old) {
		bpf_map_push_elem(&free_series, &fresh, 0);
		return old;
	}
	*won = 1;
	return fresh;
}

/* The container's other series, made on first use. */
static __always_inline __u32 metrics_other(struct tl_metrics_row *r)
{
	__u32 s = r->series[TL_METRICS_ROW_OTHER];
	int won;

	return s ? s : metrics_claim(&r->series[TL_METRICS_ROW_OTHER], &won);
}

/*
 * The container's first call of a syscall: a new series, or past the cap the other series. place
 * is the syscall's place in the row, or NULL for a number outside it (metrics_wide).
 */
static __always_inline __u32 metrics_new_series(struct tl_metrics_row *r, __u32 *place, struct tl_metrics_wide_key *wk)
{
	__u32 s, *found;
	int won;

	/*
	 * A place of the cap is taken before the series is filed, so the cap is never passed. Two CPUs
	 * making a syscall's first call together both take one; the one that loses the filing gives its
	 * place back, as does a call that finds no series free, so a container gets all 128 places.
	 */
	if (r->count >= TL_METRICS_MAX_SYSCALLS || __sync_fetch_and_add(&r->count, 1) >= TL_METRICS_MAX_SYSCALLS) {
		/* The cap filled meanwhile, maybe by another CPU filing this very syscall. */
		found = place ? place : bpf_map_lookup_elem(&metrics_wide, wk);
		s = found ? *(volatile __u32 *)found : 0;
		if (s)
			return s;
		metrics_drop(TL_METRICS_FOLDED);
		return metrics_other(r);
	}
	s = place ? metrics_claim(place, &won) : metrics_file_index(&metrics_wide, &free_series, wk, &won);
	if (!won)
		__sync_fetch_and_add(&r->count, -1);
	return s;
}

/*
 * The series of syscall nr in row r (index row) when its place is still empty or it has none: the
 * first call of a syscall, a call folded into the other series, -1, or a number no kernel has.
 * 0 when there is no room for one.
 */
static __always_inline __u32 metrics_series_slow(struct tl_metrics_row *r, __u32 row, __u32 nr)
{
	struct tl_metrics_wide_key wk = { .row = row, .nr = nr };
	__u32 i, s, *found;

	if (nr < TL_METRICS_ROW_NRS || nr == 0xffffffffu) {
		i = nr < TL_METRICS_ROW_NRS ? nr : TL_METRICS_ROW_UNNUMBERED;
		/* Bounded again behind a barrier, as in metrics_exit: the verifier must see the bound on the register that indexes. */
		barrier_var(i);
		if (i > TL_METRICS_ROW_UNNUMBERED)
			return 0;
		s = r->series[i];
		return s ? s : metrics_new_series(r, &r->series[i], &wk);
	}
	if (nr == TL_METRICS_OTHER)
		return metrics_other(r); /* syscall(-2): no series of its own, so it cannot pass for the other series */
	found = bpf_map_lookup_elem(&metrics_wide, &wk);
	return found ? *found : metrics_new_series(r, 0, &wk);
}

_Static_assert((TL_METRICS_ROW_NRS & (TL_METRICS_ROW_NRS - 1)) == 0, "metrics_exit masks syscall numbers by it");

/*
 * Counts one call of the container metrics_id, whose row is row. start is the call's entry time,
 * 0 when it is not known here: then it is taken from the task's storage, where every recorded
 * entry leaves it.
 */
static __always_inline void metrics_exit(struct task_struct *task, __u64 metrics_id, __u32 row, __u32 nr, long ret,
					 __u64 now, __u64 start)
{
	struct tl_metrics_row *r;
	struct tl_syscall_stats *st;
	__u32 s = 0;

	if (!cfg.metrics)
		return;
	/* Row 0 means none: the container found no room for a row. */
	r = row ? bpf_map_lookup_elem(&metrics_rows, &row) : 0;
	if (r) {
		/*
		 * The common case first: a syscall the container already has a series for. The index is
		 * masked behind a barrier: clang may bound one copy of nr and index with another, which
		 * the verifier then rejects as unbounded (TL_ABLATE=3 builds did, here and in
		 * metrics_series_slow); the mask costs one instruction and holds whatever registers clang
		 * picks.
		 */
		if (nr < TL_METRICS_ROW_NRS) {
			__u32 i = nr;

			barrier_var(i);
			s = r->series[i & (TL_METRICS_ROW_NRS - 1)];
		}
		if (!s)
			s = metrics_series_slow(r, row, nr);
	}
	st = s ? bpf_map_lookup_elem(&syscall_stats, &s) : 0;
	if (!st) {
		metrics_drop(TL_METRICS_MAP_FULL);
		return;
	}
	/*
	 * Plain adds: the values are this CPU's, and a program is not migrated while it runs. Only a
	 * preempting task's syscall on the same CPU could interleave, which costs at most a count.
	 */
	st->calls += 1;
	if (!start) {
		__u64 *stored = bpf_task_storage_get(&syscall_start, task, 0, 0);

		if (stored) {
			start = *stored;
			*stored = 0;
		}
	}
	if (start && now >= start) {
		__u64 ns = now - start;
		__u32 b = metrics_bucket(ns);

		st->ns += ns;
		if (b < TL_METRICS_BUCKETS)
			st->buckets[b] += 1;
	}
	if (ret < 0 && ret >= -4095) {
		struct tl_errno_key ek = { .cgroup_id = metrics_id, .nr = nr, .err = -ret };
		__u64 one = 1, *n;

		/* A call counted in the other series has its errors there too. */
		if (r && s == r->series[TL_METRICS_ROW_OTHER])
			ek.nr = TL_METRICS_OTHER;

		st->errors += 1;
		n = bpf_map_lookup_elem(&syscall_errors, &ek);
		if (n) {
			*n += 1;
		} else if (bpf_map_update_elem(&syscall_errors, &ek, &one, BPF_NOEXIST)) {
			n = bpf_map_lookup_elem(&syscall_errors, &ek);
			if (n)
				*n += 1;
			else
				metrics_drop(TL_METRICS_MAP_FULL);
		}
	}
}

/* Watched (syscall, errno) pairs, filled by the recorder when the syscall-error trigger is on. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, struct tl_watched_error);
	__type(value, __u8);
} watched_errors SEC(".maps");

/* cgroup id -> when it last sent a trigger, so a retry loop cannot flood the control ring. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1024);
	__type(key, __u64);
	__type(value, __u64);
} trigger_last SEC(".maps");

static __always_inline int trigger_due(__u64 cgid, __u64 now)
{
	__u64 *last = bpf_map_lookup_elem(&trigger_last, &cgid);

	if (last && now - *last < TL_TRIGGER_INTERVAL_NS)
		return 0;
	bpf_map_update_elem(&trigger_last, &cgid, &now, BPF_ANY);
	return 1;
}

static __always_inline void notify_trigger(struct tl_container *c, __u64 cgid, __u32 kind, __s32 status,
					   __u32 pid, __u32 tid, __s32 nr)
{
	__u32 zero = 0;
	struct scratch *s = bpf_map_lookup_elem(&scratch_map, &zero);

	if (!s)
		return;
	s->ctl.path[0] = 0;
	s->ctl.tid = tid;
	s->ctl.nr = nr;
	/* A nested cgroup reports its container's id: that is the one the recorder knows. */
	notify(s, kind, c->slot, c->parent ? c->parent : cgid, 0, status, pid);
}

/*
 * The syscall-error trigger, run by tl_sys_exit for every failing call on the host when the
 * recorder watches any (cfg.watch_errors, a load-time constant: with none the verifier drops this
 * as dead code). It used to be a program of its own on sys_exit, which cost every syscall on the
 * host a second dispatch; it stays ahead of the container lookup, as that program was, so a
 * container without a ring (pending) still reports its failures.
 */
static __always_inline void watch_error(struct task_struct *task, __u64 cgid, __u32 nr, long ret)
{
	struct tl_watched_error key = { .nr = nr, .err = -ret };
	struct tl_container *c;

	if (!bpf_map_lookup_elem(&watched_errors, &key))
		return;
	c = bpf_map_lookup_elem(&containers, &cgid);
	if (c && trigger_due(cgid, bpf_ktime_get_boot_ns()))
		notify_trigger(c, cgid, TL_CTL_SYSCALL_ERROR, (__s32)ret, task->tgid, task->pid, nr);
}

/*
 * What a syscall's exit needs from its entry, left by tl_sys_enter in a per-CPU slot, so that the
 * exit of a call that never left its CPU skips the container lookup (a hash lookup: with the clock
 * read, the most expensive step of the hot path) and, with metrics on, the task storage read of
 * its start time.
 *
 * The slot belongs to the exit only while it is certain to be this very call's entry: same task
 * (its address and its thread id, since a freed task_struct is soon reused: a new thread's first
 * sys_exit, the return from clone, has no entry of its own), still in the same cgroups, and not
 * switched out since (its context switch count is unchanged). A call that blocked, was preempted
 * or migrated fails the last test and takes the full path, as does any task whose entry was not
 * recorded here. "Same cgroups" compares the task's css_set, one load from the task, where its
 * cgroup id is three more dependent loads that a busy service's working set keeps evicting. A
 * task's css_set names its cgroup in every hierarchy, and a move gives the task another one: the
 * old one is freed only after an RCU grace period, so the new one cannot have its address. The count only grows, so an entry left behind by a call that moved to another CPU
 * can never match later; one left by a thread that died in its call (exit_group) names a thread id
 * no other thread has while the pid space does not wrap.
 */
struct inflight {
	__u64 task;       /* the task; 0 once its exit took the slot */
	__u64 regs;       /* its pt_regs, 0 with task: an exit that finds its own skips the unrecorded-task test */
	__u64 switches;   /* its nvcsw + nivcsw at entry */
	__u64 cset;       /* the task's css_set at entry (task->cgroups) */
	__u64 ts;         /* the entry record's time */
	__u64 metrics_id; /* the container's own cgroup id: what the metrics are keyed by */
	__u32 slot;       /* the ring the entry went to; TL_SLOT_SKIP: its exit records nothing */
	__u32 level;      /* the container's capture level at entry */
	__u32 tid;        /* the task's thread id at entry (execve by a thread other than the leader changes it) */
	__u32 metrics_row; /* the container's metrics row (0: none) */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct inflight);
} inflight SEC(".maps");

/* Only the two counters, read through a CO-RE flavor: vmlinux_min.h's task_struct stays what most programs need. */
struct task_struct___switches {
	unsigned long nvcsw;
	unsigned long nivcsw;
} __attribute__((preserve_access_index));

static __always_inline __u64 task_switches(struct task_struct *task)
{
	struct task_struct___switches *t = (void *)task;

	return t->nvcsw + t->nivcsw;
}

/*
 * The uretprobe syscall (TL_NR_URETPROBE) is left out of the recording: its entry returns at
 * once after claiming the CPU's in-flight slot with this mark, so that its exit, which comes back
 * with orig_ax set to -1 like rt_sigreturn's and so cannot be told apart by number, leaves too.
 * An exit that misses the slot (the task was switched out in between, which such a short call
 * rarely is) is recorded without its entry.
 */
#define TL_SLOT_SKIP 0xffffffffu

/* Claims the CPU's in-flight slot for the current call of task; the caller fills in the rest. */
static __always_inline struct inflight *inflight_claim(struct task_struct *task, struct pt_regs *regs, __u32 slot)
{
	__u32 zero = 0;
	struct inflight *in = bpf_map_lookup_elem(&inflight, &zero);

	if (!in)
		return 0;
	in->task = (__u64)task;
	in->regs = (__u64)regs;
	in->tid = task->pid;
	in->switches = task_switches(task);
	in->cset = (__u64)task->cgroups;
	in->slot = slot;
	return in;
}

/* The ring of a slot; NULL when the slot has none (the caller then takes its full path). */
static __always_inline struct ring *slot_ring(__u32 slot)
{
	__u32 zero = 0;
	void *inner = bpf_map_lookup_elem(&rings, &slot);

	return inner ? bpf_map_lookup_elem(inner, &zero) : 0;
}

/*
 * Generations of the containers map: [0] is bumped by tl_cgroup_mkdir after it adds an entry and
 * by tl_cgroup_rmdir when a recorded cgroup goes, [1] by the recorder after each of its writes
 * (LibbpfKernel). A CPU's cached view of a container (below) holds while both stand, so no write
 * of the map is ever missed by the syscall programs: a capture level the recorder tightens, or a
 * container it releases, applies from the next call.
 * [2] counts the moves of tasks to another cgroup. A program that remembers a task as not recorded
 * (struct unrecorded_task) reads all three again once its entry is stored, so that no clear is
 * missed.
 * Each entry has one writer side, so that the recorder's plain updates never race with the
 * kernel's atomic adds.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 3);
	__type(key, __u32);
	__type(value, __u64);
} containers_gen SEC(".maps");

#define TL_SLOT_NONE 0xfffffffeu /* a cached view of a cgroup that is not recorded */

/*
 * The last container entry a syscall program of this CPU looked up, for sys_enter and sys_exit:
 * threads of one container keep running on a CPU, so most calls find theirs here and skip the
 * container hash lookup (with the clock, what an unrecorded call pays most for), and so do
 * the host's unrecorded processes, whose view says TL_SLOT_NONE.
 *
 * On a v2-keyed host a view is keyed by the address of the task's cgroup, two loads from the
 * task, where its id takes two more through the cgroup's kernfs node: every syscall of the host
 * makes them, and under a busy service each is a likely cache miss. An address outlives its
 * cgroup, so a view must not: tl_cgroup_rmdir bumps containers_gen[0] when a recorded cgroup
 * goes, before its memory can be freed and taken by another cgroup, and a new cgroup that is
 * recorded bumps it at tl_cgroup_mkdir or the recorder's write. A view of an unrecorded cgroup
 * whose address a new unrecorded cgroup takes says, rightly, not recorded. On a v1-keyed host
 * the key is the id (task_cgroup_id).
 */
struct container_view {
	__u64 key;        /* 0 while being written (no cgroup has address or id 0) */
	__u64 gen[2];     /* containers_gen when the entry was read */
	__u64 metrics_id; /* the container's own cgroup id (its parent's for a nested cgroup) */
	__u32 slot;       /* the entry's slot (maybe TL_SLOT_PENDING), or TL_SLOT_NONE */
	__u32 level;
	__u32 metrics_row; /* its metrics row (0: none, or metrics off) */
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct container_view);
} container_views SEC(".maps");

/*
 * Fills *v with the view of the task's container and returns 1, or returns 0 when the task's
 * cgroup is not recorded. gen is containers_gen as the caller read it before (read_gens), so that
 * a write after that read is never cached as current. The cached view is written with its key
 * zeroed first and set last, and read between two reads of that key, so a reader never mixes a
 * view with one written in between (by a program that interrupted it on the same CPU).
 */
static __always_inline int container_view(struct task_struct *task, struct container_view *v, __u64 *gen)
{
	__u32 zero = 0;
	struct container_view *k = bpf_map_lookup_elem(&container_views, &zero);
	struct cgroup *cg = 0;
	struct tl_container *c;
	__u64 gen0 = gen[0], gen1 = gen[1], key, cgid;

	if (!k)
		return 0;
	/* The branch is on a load-time constant, as in task_cgroup_id. */
	if (cfg.cgroup_subsys == 0) {
		cg = task_dfl_cgroup(task);
		key = (__u64)cg;
	} else {
		key = task_cgroup_id(task);
	}
	if (*(volatile __u64 *)&k->key == key) {
		asm volatile("" ::: "memory");
		v->gen[0] = k->gen[0];
		v->gen[1] = k->gen[1];
		v->metrics_id = k->metrics_id;
		v->metrics_row = k->metrics_row;
		v->slot = k->slot;
		v->level = k->level;
		asm volatile("" ::: "memory");
		if (*(volatile __u64 *)&k->key == key && v->gen[0] == gen0 && v->gen[1] == gen1)
			return v->slot != TL_SLOT_NONE;
	}
	cgid = cg ? cg->kn->id : key;
	c = bpf_map_lookup_elem(&containers, &cgid);
	v->gen[0] = gen0;
	v->gen[1] = gen1;
	v->slot = c ? c->slot : TL_SLOT_NONE;
	v->level = c ? c->level : 0;
	v->metrics_id = c && c->parent ? c->parent : cgid;
	/* A pending container counts nothing (no ring): it gets its row once the recorder gives it one. */
	v->metrics_row = c && c->slot != TL_SLOT_PENDING ? metrics_row_of(v->metrics_id) : 0;
	*(volatile __u64 *)&k->key = 0;
	asm volatile("" ::: "memory");
	k->gen[0] = gen0;
	k->gen[1] = gen1;
	k->metrics_id = v->metrics_id;
	k->metrics_row = v->metrics_row;
	k->slot = v->slot;
	k->level = v->level;
	asm volatile("" ::: "memory");
	*(volatile __u64 *)&k->key = key;
	return c != 0;
}

/* A recorded container without a ring (pending): counts the event it loses. */
static __always_inline void count_missed(__u64 cgid)
{
	struct tl_container *c = bpf_map_lookup_elem(&containers, &cgid);

	if (c)
		__sync_fetch_and_add(&c->missed, 1);
}

/*
 * The last task of this CPU found not recorded, known by the address of its pt_regs, which the
 * syscall tracepoints pass in: it lies on the task's own kernel stack, so no two live tasks share
 * it. The host's unrecorded syscalls, nearly all of a node's, compare it before any helper call
 * and leave at once: the first helper call a syscall's programs make was the dearest part of their
 * path (docs/ARCHITECTURE.md, "What an unrecorded process pays").
 *
 * The test is that one compare with this CPU's own entry, nothing shared: an entry holds until an
 * event that may make its task recorded clears it, on every CPU (forget_unrecorded):
 * - a task moved to another cgroup (tl_cgroup_attach, tl_cgroup_transfer: in the mover's context,
 *   once the move is done);
 * - a container added to the containers map, by tl_cgroup_mkdir or by the recorder (LibbpfKernel
 *   zeroes the map after each of its writes);
 * - a new task (tl_task_fork): a stack outlives its task in the kernel's stack cache and goes to
 *   the next new task, so an entry equal to the new task's pt_regs address is cleared before that
 *   task can run. No other task can be writing that address meanwhile.
 * Each of the others bumps its generation in containers_gen before it clears, and a program that
 * remembers a task reads the generations again once its entry is stored: a clear that raced with
 * its store has bumped one, and it clears its entry itself (remember_unrecorded).
 * The one gap is a move of a task that runs on another CPU meanwhile: its calls between the move
 * and the tracepoint's clear are not recorded, as if the move had come that much later.
 * The map is pinned: after a takeover the recorder must still reach the one the programs use.
 */
struct unrecorded_task {
	__u64 regs; /* 0: none */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct unrecorded_task);
} unrecorded_tasks SEC(".maps");

/* containers_gen, as the container view is checked against it and a remembered task re-checked. */
static __always_inline void read_gens(__u64 *gen)
{
	__u32 zero = 0, one = 1, two = 2;
	__u64 *g0 = bpf_map_lookup_elem(&containers_gen, &zero);
	__u64 *g1 = bpf_map_lookup_elem(&containers_gen, &one);
	__u64 *g2 = bpf_map_lookup_elem(&containers_gen, &two);

	gen[0] = g0 ? *(volatile __u64 *)g0 : 0;
	gen[1] = g1 ? *(volatile __u64 *)g1 : 0;
	gen[2] = g2 ? *(volatile __u64 *)g2 : 0;
}

/* 1 when the task whose pt_regs are at regs is this CPU's known unrecorded task. */
static __always_inline int known_unrecorded(struct pt_regs *regs)
{
	__u32 zero = 0;
	struct unrecorded_task *u = bpf_map_lookup_elem(&unrecorded_tasks, &zero);

	return u && *(volatile __u64 *)&u->regs == (__u64)regs;
}

/*
 * Remembers the task as not recorded, as found under the generations gen (read before its lookup).
 * The exchange is a full barrier, so the generations read after it are at least as new as any
 * clear that missed the store: a change since gen means such a clear may have come first, and the
 * entry is dropped rather than trusted.
 */
static __always_inline void remember_unrecorded(struct pt_regs *regs, __u64 *gen)
{
	__u32 zero = 0;
	struct unrecorded_task *u = bpf_map_lookup_elem(&unrecorded_tasks, &zero);
	__u64 now[3];

	if (!u)
		return;
	__sync_lock_test_and_set(&u->regs, (__u64)regs);
	read_gens(now);
	if (now[0] != gen[0] || now[1] != gen[1] || now[2] != gen[2])
		*(volatile __u64 *)&u->regs = 0;
}

/* bpf_loop's bound over the CPUs: the loop ends at the first CPU the map has no entry for. */
#define TL_MAX_CPUS 8192

static long forget_step(__u32 cpu, __u64 *regs)
{
	__u32 zero = 0;
	struct unrecorded_task *u = bpf_map_lookup_percpu_elem(&unrecorded_tasks, &zero, cpu);

	if (!u)
		return 1;
	/* Read before written: a CPU whose entry is another task's keeps its cache line. */
	if (!*regs || *(volatile __u64 *)&u->regs == *regs)
		*(volatile __u64 *)&u->regs = 0;
	return 0;
}

/* Clears every CPU's entry for the pt_regs address regs, or every entry when regs is 0. */
static __always_inline void forget_unrecorded(__u64 regs)
{
	bpf_loop(TL_MAX_CPUS, forget_step, &regs, 0);
}

/* A new task (thread or process): it may have been given the stack of a task that ended. */
SEC("tp_btf/sched_process_fork")
int tl_task_fork(__u64 *ctx)
{
	struct task_struct *child = (struct task_struct *)ctx[1];

	forget_unrecorded((__u64)bpf_task_pt_regs(child));
	return 0;
}

/*
 * Bumps a generation ahead of clears. The add's result is used so that it fetches: a fetching
 * atomic is fully ordered (the BPF memory model), so no CPU sees the clears before the new
 * generation. x86-64 keeps stores in order anyway; arm64's plain atomic add would not.
 */
static __always_inline void bump_before_clears(__u64 *g)
{
	__u64 old = __sync_fetch_and_add(g, 1);

	asm volatile("" ::"r"(old));
}

/* containers_gen[2], then every CPU's entry: a task moved to another cgroup. */
static __always_inline void moved_tasks(void)
{
	__u32 two = 2;
	__u64 *g = bpf_map_lookup_elem(&containers_gen, &two);

	if (g)
		bump_before_clears(g);
	forget_unrecorded(0);
}

/* A task moved to another cgroup (cgroup.procs, cgroup.threads); for a whole process, once for all its threads. */
SEC("tp_btf/cgroup_attach_task")
int tl_cgroup_attach(__u64 *ctx)
{
	moved_tasks();
	return 0;
}

/* Tasks moved out of a cgroup by the kernel (cgroup v1's cpuset when its CPUs go). */
SEC("tp_btf/cgroup_transfer_tasks")
int tl_cgroup_transfer(__u64 *ctx)
{
	moved_tasks();
	return 0;
}

SEC("tp_btf/sys_enter")
int tl_sys_enter(__u64 *ctx)
{
	struct pt_regs *regs = (struct pt_regs *)ctx[0];
	__u32 nr = (__u32)ctx[1], zero = 0, seq, len = sizeof(struct tl_enter);
	struct task_struct *task;
	struct container_view v;
	struct tl_syscall_captures *spec;
	struct cap_ctx cc;
	struct inflight *in;
	struct tl_enter *e;
	struct ring *r;
	__u64 tag, ts, gen[3];

	if (known_unrecorded(regs))
		return 0;
	read_gens(gen);
	task = bpf_get_current_task_btf();
	if (!container_view(task, &v, gen)) {
		remember_unrecorded(regs, gen);
		return 0;
	}
	if (nr == TL_NR_URETPROBE) {
		inflight_claim(task, regs, TL_SLOT_SKIP);
		return 0;
	}
	if (TL_ABLATE == 1)
		return 0;
	ts = bpf_ktime_get_boot_ns();
	if (TL_ABLATE == 2)
		return ts == 0;
	r = slot_ring(v.slot);
	if (!r) {
		/*
		 * A pending container: a call whose exit finds a ring must not be timed from an older start
		 * its exit never cleared. A call with a ring leaves its start in the in-flight slot, and
		 * tl_sched_switch moves it to task storage only if the call leaves the CPU before its exit.
		 */
		count_missed(task_cgroup_id(task));
		metrics_enter(task, ts);
		return 0;
	}

	/* Zeroed only here: the host's unrecorded syscalls, which leave above, need not pay the stores. */
	__builtin_memset(&cc, 0, sizeof(cc));
	regs_args(regs, cc.args);
	cc.sp = regs->sp;
	cc.level = v.level;
	spec = TL_ABLATE == 3 ? 0 : bpf_map_lookup_elem(&captures, &nr);
	if (spec && spec->enter) {
		struct scratch *s = bpf_map_lookup_elem(&scratch_map, &zero);

		if (s)
			capture(&cc, s, spec, 0, spec->enter);
		if (cc.off > TL_MAX_PAYLOAD)
			cc.off = TL_MAX_PAYLOAD;
		len += cc.off;
	}

	e = reserve(r, len, &tag, &seq);
	fill_header(&e->h, seq, len, TL_KIND_ENTER, cc.flags, ts, task);
	e->nr = nr;
	e->npayloads = cc.npayloads;
	e->pad = 0;
	copy_comm(e->comm, task);
	e->args[0] = cc.args[0];
	e->args[1] = cc.args[1];
	e->args[2] = cc.args[2];
	e->args[3] = cc.args[3];
	e->args[4] = cc.args[4];
	e->args[5] = cc.args[5];
	if (cc.off) {
		struct scratch *s = bpf_map_lookup_elem(&scratch_map, &zero);

		if (s)
			copy_payloads(e + 1, s, cc.off);
	}
	commit(&e->h, tag);

	in = inflight_claim(task, regs, v.slot);
	if (in) {
		in->ts = ts;
		in->metrics_id = v.metrics_id;
		in->metrics_row = v.metrics_row;
		in->level = cc.level;
	}

	if (cc.faulted) {
		__u32 tid = task->pid;

		if (!bpf_map_update_elem(&refetch, &tid, &nr, BPF_ANY))
			__sync_fetch_and_add(&refetch_pending, 1);
	}
	return 0;
}

SEC("tp_btf/sys_exit")
int tl_sys_exit(__u64 *ctx)
{
	struct pt_regs *regs = (struct pt_regs *)ctx[0];
	long ret = (long)ctx[1];
	struct task_struct *task;
	struct container_view v;
	struct tl_syscall_captures *spec;
	struct cap_ctx cc;
	__u32 nr, zero = 0, seq, len = sizeof(struct tl_exit);
	struct inflight *in;
	struct tl_exit *x;
	struct ring *r = 0;
	__u64 tag, now, metrics_id = 0, start = 0, gen[3];
	__u32 metrics_row = 0, level = 0;
	int own_entry;

	/*
	 * A call whose recorded entry is in this CPU's in-flight slot (the same pt_regs: most recorded
	 * calls) skips the unrecorded-task test, a hint only: the tests below decide whose entry it is.
	 * Any other call takes the test, before watch_error too, which acts only for a recorded
	 * container.
	 */
	in = bpf_map_lookup_elem(&inflight, &zero);
	own_entry = in && in->regs == (__u64)regs;
	if (!own_entry && known_unrecorded(regs))
		return 0;
	task = bpf_get_current_task_btf();
	nr = regs->orig_ax;
	/* Most calls succeed: they leave at the first test. */
	if (cfg.watch_errors && ret < 0 && ret >= -4095)
		watch_error(task, task_cgroup_id(task), nr, ret);
	if (in && in->task == (__u64)task && in->switches == task_switches(task)) {
		/*
		 * This task's own entry, on this CPU, with nothing else run in between, so its start time
		 * holds. (A dead thread's entry cannot be left for a new thread on a reused task_struct to
		 * take: with metrics on, tl_metrics_switch clears the slot at its last switch.)
		 */
		in->task = 0;
		in->regs = 0;
		if (in->slot == TL_SLOT_SKIP)
			return 0;
		start = in->ts;
		/* Its ring too, unless execve gave the thread the leader's id or the call moved it to another cgroup. */
		if (in->tid == task->pid && in->cset == (__u64)task->cgroups) {
			r = slot_ring(in->slot);
			metrics_id = in->metrics_id;
			metrics_row = in->metrics_row;
			level = in->level;
		}
	}
	if (!r) {
		read_gens(gen);
		if (!container_view(task, &v, gen)) {
			remember_unrecorded(regs, gen);
			return 0;
		}
		r = slot_ring(v.slot);
		if (!r) {
			count_missed(task_cgroup_id(task));
			return 0;
		}
		metrics_id = v.metrics_id;
		metrics_row = v.metrics_row;
		level = v.level;
	}
	__builtin_memset(&cc, 0, sizeof(cc));
	cc.level = level;

	if (TL_ABLATE == 1)
		return 0;
	/* One clock read for the record and the metrics: the syscall ended here, before any capture. */
	now = bpf_ktime_get_boot_ns();
	if (TL_ABLATE == 2)
		return now == 0;
	metrics_exit(task, metrics_id, metrics_row, nr, ret, now, start);
	spec = TL_ABLATE == 3 ? 0 : bpf_map_lookup_elem(&captures, &nr);
	if (spec && (spec->exit || refetch_pending)) {
		struct scratch *s = bpf_map_lookup_elem(&scratch_map, &zero);

		regs_args(regs, cc.args);
		cc.sp = regs->sp;
		cc.ret = ret;
		if (s) {
			__u32 first = spec->enter;

			if (refetch_pending && spec->enter) {
				__u32 tid = task->pid, *pending = bpf_map_lookup_elem(&refetch, &tid);

				if (pending) {
					if (*pending == nr) {
						cc.reread = 1;
						first = 0;
					}
					bpf_map_delete_elem(&refetch, &tid);
					__sync_fetch_and_add(&refetch_pending, -1);
				}
			}
			/* One pass over the entry items to re-read and the exit items. */
			cc.nenter = spec->enter;
			capture(&cc, s, spec, first, spec->enter + spec->exit - first);
		}
		if (cc.off > TL_MAX_PAYLOAD)
			cc.off = TL_MAX_PAYLOAD;
		len += cc.off;
	}

	x = reserve(r, len, &tag, &seq);
	fill_header(&x->h, seq, len, TL_KIND_EXIT, cc.flags, now, task);
	x->nr = nr;
	x->npayloads = cc.npayloads;
	x->pad = 0;
	x->ret = ret;
	if (cc.off) {
		struct scratch *s = bpf_map_lookup_elem(&scratch_map, &zero);

		if (s)
			copy_payloads(x + 1, s, cc.off);
	}
	commit(&x->h, tag);
	return 0;
}

/*
 * With metrics on, a task leaving its CPU inside a recorded call takes the call's start time with
 * it, into task storage, where its exit finds it on whatever CPU it resumes (the full path of
 * tl_sys_exit). An entry used to store it there itself, a helper call on every recorded syscall;
 * now only calls that block, are preempted or migrate pay it, once each, here. Every other context
 * switch of the host costs one per-CPU lookup and a compare. Not loaded with metrics off.
 */
SEC("tp_btf/sched_switch")
int tl_metrics_switch(__u64 *ctx)
{
	struct task_struct *prev = (struct task_struct *)ctx[1];
	__u32 zero = 0;
	struct inflight *in = bpf_map_lookup_elem(&inflight, &zero);

	if (!in || in->task != (__u64)prev)
		return 0;
	/* The exit cannot match any more (the switch count moved); the slot is free. */
	in->task = 0;
	in->regs = 0;
	if (in->slot != TL_SLOT_SKIP)
		metrics_enter(prev, in->ts);
	return 0;
}

SEC("tp_btf/signal_deliver")
int tl_signal_deliver(__u64 *ctx)
{
	int sig = (int)ctx[0];
	struct kernel_siginfo *info = (struct kernel_siginfo *)ctx[1];
	struct k_sigaction *ka = (struct k_sigaction *)ctx[2];
	struct task_struct *task = bpf_get_current_task_btf();
	struct tl_container *c;
	struct tl_signal *x;
	struct ring *r;
	__u64 tag;
	__u32 seq;

	r = task_ring(task, &c);
	if (!r)
		return 0;
	x = reserve(r, sizeof(*x), &tag, &seq);
	fill_header(&x->h, seq, sizeof(*x), TL_KIND_SIGNAL, 0, bpf_ktime_get_boot_ns(), task);
	x->signo = sig;
	x->code = BPF_CORE_READ(info, si_code);
	x->handler = (__u64)BPF_CORE_READ(ka, sa.sa_handler);
	bpf_probe_read_kernel(x->info, sizeof(x->info), info);
	copy_comm(x->comm, task);
	commit(&x->h, tag);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int tl_process_exit(__u64 *ctx)
{
	struct task_struct *task = (struct task_struct *)ctx[0];
	struct tl_container *c;
	struct tl_proc_exit *x;
	struct ring *r;
	__u64 tag;
	__u32 seq, zero = 0, is_leader;
	__s32 exit_code;

	if (refetch_pending) {
		/* A thread that dies inside a syscall whose string faulted never reaches its exit. */
		__u32 tid = task->pid;

		if (!bpf_map_delete_elem(&refetch, &tid))
			__sync_fetch_and_add(&refetch_pending, -1);
	}
	r = task_ring(task, &c);
	if (!c)
		return 0;
	exit_code = BPF_CORE_READ(task, exit_code);
	/* do_exit drops signal->live before this tracepoint: zero means the last thread. */
	is_leader = BPF_CORE_READ(task, signal, live.counter) == 0;

	if (r) {
		x = reserve(r, sizeof(*x), &tag, &seq);
		fill_header(&x->h, seq, sizeof(*x), TL_KIND_PROC_EXIT, 0, bpf_ktime_get_boot_ns(), task);
		x->exit_code = exit_code;
		x->is_leader = is_leader;
		copy_comm(x->comm, task);
		commit(&x->h, tag);
	}

	/*
	 * The container is over (its cgroup may live on until the runtime deletes it). Said with or
	 * without a ring: a container that got none (every slot taken) still has its crash counted
	 * as a refusal by the recorder, not left unseen.
	 */
	if (is_leader && c->parent == 0 && c->main_pid == task->tgid) {
		struct scratch *s = bpf_map_lookup_elem(&scratch_map, &zero);

		if (s) {
			s->ctl.path[0] = 0;
			notify(s, TL_CTL_MAIN_EXIT, c->slot, task_cgroup_id(task), 0, exit_code, task->tgid);
		}
	}
	return 0;
}

/*
 * Exec notices for the TLS service, in a ring of their own: an exec storm fills this one and
 * never the control ring, whose crash notices matter more. 64 KiB holds about 2000 notices;
 * the recorder reads them within milliseconds, and what did not fit is counted (exec_drops)
 * and caught by its periodic sweep instead. Nothing reads it when the recorder runs with
 * --tls off: every notice is then a counted drop, one failed reservation per exec.
 */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 * 1024);
} exec_notices SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} exec_drops SEC(".maps");

SEC("tp_btf/sched_process_exec")
int tl_process_exec(__u64 *ctx)
{
	struct task_struct *task = (struct task_struct *)ctx[0];
	__u64 cgid = task_cgroup_id(task);
	struct tl_container *c = bpf_map_lookup_elem(&containers, &cgid);
	struct tl_exec_notice *n;
	struct pid *pid;
	struct upid up = {};
	unsigned int level;
	__u32 zero = 0;

	if (!c)
		return 0;
	n = bpf_ringbuf_reserve(&exec_notices, sizeof(*n), 0);
	if (n) {
		n->cgroup_id = cgid;
		n->ts = bpf_ktime_get_boot_ns();
		n->pid = task->tgid;
		n->pad = 0;
		bpf_ringbuf_submit(n, 0);
	} else {
		__u64 *drops = bpf_map_lookup_elem(&exec_drops, &zero);

		if (drops)
			__sync_fetch_and_add(drops, 1);
	}
	if (c->parent != 0)
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
	__u64 id, parent_id, *gen;
	__u32 zero = 0, slot, *level;

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
	bpf_probe_read_kernel_str(s->name, TL_NAME_LEN, BPF_CORE_READ(cgrp, kn, name));

	parent = bpf_map_lookup_elem(&containers, &parent_id);
	if (parent) {
		/* A cgroup made inside a container (systemd in a container, runc exec --cgroup). */
		fresh.slot = parent->slot;
		fresh.parent = parent->parent ? parent->parent : parent_id;
		fresh.level = parent->level;
	} else {
		if (!looks_like_container(s->name))
			return 0;
		__builtin_memset(&s->parent, 0, sizeof(s->parent));
		bpf_probe_read_kernel_str(s->parent.name, sizeof(s->parent.name), BPF_CORE_READ(cgrp, self.parent, cgroup, kn, name));
		if (bpf_map_lookup_elem(&excluded_pods, &s->parent))
			return 0;
		level = bpf_map_lookup_elem(&capture_levels, &s->parent);
		if (!level) {
			/* The default: the all-zero name. s->parent is rebuilt from the name on each call. */
			__builtin_memset(&s->parent, 0, sizeof(s->parent));
			level = bpf_map_lookup_elem(&capture_levels, &s->parent);
		}
		fresh.level = level ? *level : 0;
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
	/* A task moved in at once may have cached the cgroup as unrecorded, in a view or by its pt_regs. */
	gen = bpf_map_lookup_elem(&containers_gen, &zero);
	if (gen)
		bump_before_clears(gen);
	forget_unrecorded(0);

	notify(s, TL_CTL_CGROUP_NEW, fresh.slot, id, fresh.parent, 0, 0);
	return 0;
}

SEC("tp_btf/cgroup_rmdir")
int tl_cgroup_rmdir(__u64 *ctx)
{
	struct cgroup *cgrp = (struct cgroup *)ctx[0];
	struct tl_container *c;
	struct scratch *s;
	__u64 id, *gen;
	__u32 zero = 0;

	if (BPF_CORE_READ(cgrp, root, hierarchy_id) != cfg.hierarchy_id)
		return 0;
	id = BPF_CORE_READ(cgrp, kn, id);
	c = bpf_map_lookup_elem(&containers, &id);
	if (!c)
		return 0;
	/* The syscall programs' views of it end here: its address may soon be another cgroup's (struct container_view). */
	gen = bpf_map_lookup_elem(&containers_gen, &zero);
	if (gen)
		__sync_fetch_and_add(gen, 1);
	s = bpf_map_lookup_elem(&scratch_map, &zero);
	if (!s)
		return 0;
	s->ctl.path[0] = 0;
	notify(s, TL_CTL_CGROUP_GONE, c->slot, id, c->parent, 0, 0);
	return 0;
}

/*
 * Crash triggers. They only send control messages (the container's ring already holds the
 * events): the OOM killer's choice, and the optional fatal-signal and syscall-error triggers.
 * The OOM and fatal-signal triggers are programs of their own, which the recorder leaves unloaded
 * when they are off (bpf_program__set_autoload); the syscall-error trigger is part of tl_sys_exit
 * behind a load-time constant (watch_error above). Off, the syscall hot path costs exactly what
 * it did without them.
 */

/* Linux 6.9+: mark_victim(struct task_struct *, uid_t). The recorder loads it only there. */
SEC("tp_btf/mark_victim")
int tl_oom_victim(__u64 *ctx)
{
	struct task_struct *task = (struct task_struct *)ctx[0];
	__u64 cgid = task_cgroup_id(task);
	struct tl_container *c = bpf_map_lookup_elem(&containers, &cgid);

	if (c)
		notify_trigger(c, cgid, TL_CTL_OOM_VICTIM, 0, task->tgid, task->pid, 0);
	return 0;
}

static __always_inline int is_fatal_signal(int sig)
{
	/* SIGILL, SIGTRAP, SIGABRT, SIGBUS, SIGFPE, SIGSEGV, SIGSYS: faults and aborts. */
	return sig == 4 || sig == 5 || sig == 6 || sig == 7 || sig == 8 || sig == 11 || sig == 31;
}

SEC("tp_btf/signal_deliver")
int tl_fatal_signal(__u64 *ctx)
{
	int sig = (int)ctx[0];
	struct task_struct *task;
	struct tl_container *c;
	__u64 cgid;

	if (!is_fatal_signal(sig))
		return 0;
	task = bpf_get_current_task_btf();
	cgid = task_cgroup_id(task);
	c = bpf_map_lookup_elem(&containers, &cgid);
	if (c && trigger_due(cgid, bpf_ktime_get_boot_ns()))
		notify_trigger(c, cgid, TL_CTL_FATAL_SIGNAL, sig, task->tgid, task->pid, 0);
	return 0;
}

/*
 * TCP state changes of the sockets recorded containers made: which peer a connect() reached or
 * failed to reach, when a connection was reset. The container is the socket's own cgroup (set
 * when it was created, copied to accepted sockets from their listener), not the current task's:
 * the handshake's later steps and resets arrive in softirq context on whatever task ran.
 */
SEC("tp_btf/inet_sock_set_state")
int tl_tcp_state(__u64 *ctx)
{
	struct sock *sk = (struct sock *)ctx[0];
	struct task_struct *task = bpf_get_current_task_btf();
	struct tl_container *c;
	struct tl_tcp *x;
	struct ring *r;
	__u64 cgid, tag;
	__u32 seq;
	__u16 family;

	/* A v1-keyed host has no v2 cgroup id in its containers map: nothing to match. */
	if (cfg.cgroup_subsys != 0)
		return 0;
	if (BPF_CORE_READ(sk, sk_protocol) != 6 /* IPPROTO_TCP */)
		return 0;
	cgid = BPF_CORE_READ(sk, sk_cgrp_data.cgroup, kn, id);
	r = cgroup_ring(cgid, &c);
	if (!r)
		return 0;
	x = reserve(r, sizeof(*x), &tag, &seq);
	fill_header(&x->h, seq, sizeof(*x), TL_KIND_TCP, 0, bpf_ktime_get_boot_ns(), task);
	/* The task is the socket's owner only when it is in the container (connect, close). */
	if (task_cgroup_id(task) != cgid) {
		x->h.pid = 0;
		x->h.tid = 0;
	}
	x->sk = (__u64)sk;
	x->oldstate = (__s32)ctx[1];
	x->newstate = (__s32)ctx[2];
	family = BPF_CORE_READ(sk, __sk_common.skc_family);
	x->family = family;
	x->sport = BPF_CORE_READ(sk, __sk_common.skc_num);
	x->dport = __builtin_bswap16(BPF_CORE_READ(sk, __sk_common.skc_dport));
	x->pad = 0;
	__builtin_memset(x->saddr, 0, sizeof(x->saddr) + sizeof(x->daddr));
	if (family == 10 /* AF_INET6 */) {
		BPF_CORE_READ_INTO((struct in6_addr *)x->saddr, sk, __sk_common.skc_v6_rcv_saddr);
		BPF_CORE_READ_INTO((struct in6_addr *)x->daddr, sk, __sk_common.skc_v6_daddr);
	} else {
		BPF_CORE_READ_INTO((__u32 *)x->saddr, sk, __sk_common.skc_rcv_saddr);
		BPF_CORE_READ_INTO((__u32 *)x->daddr, sk, __sk_common.skc_daddr);
	}
	copy_comm(x->comm, task);
	commit(&x->h, tag);
	return 0;
}

/*
 * TLS plaintext (docs/TLS.md). The recorder attaches these per library file with
 * bpf_program__attach_uprobe_opts, never automatically (their section names no target).
 * A uprobe fires for every process that runs the file, recorded or not, so each program
 * first asks, as the syscall hooks do, whether the task's container is recorded.
 *
 * x86-64 user registers as a uprobe's context holds them (struct pt_regs, whose layout is
 * the user ABI's). Declared here without CO-RE: the layout does not change between kernels,
 * and vmlinux_min.h's pt_regs names only what the syscall hooks read.
 */
struct tl_uregs {
	__u64 r15, r14, r13, r12, bp, bx, r11, r10, r9, r8, ax, cx, dx, si, di, orig_ax, ip, cs, flags, sp, ss;
};

/* A call in flight: what its return needs from its entry. */
struct tl_tls_call {
	__u64 buf;      /* the plaintext buffer */
	__u64 count;    /* SSL_*_ex: where the library stores the byte count; 0 otherwise */
	__u64 start;    /* CLOCK_BOOTTIME at entry: the dump finds the socket among the syscalls after it */
	__u8 direction; /* enum tl_tls_direction */
	__u8 pad[7];
};

/*
 * OpenSSL calls return on the thread that made them: keyed by thread. A Go call may return
 * on another thread than it entered on (the goroutine moved), so it is keyed by the
 * goroutine, whose address Go keeps in R14.
 */
struct tl_tls_key {
	__u64 id;      /* thread id (OpenSSL) or goroutine address (Go) */
	__u32 tgid;
	__u32 library; /* enum tl_tls_library */
};

/* LRU: a call whose thread or goroutine died before returning leaves an entry nobody deletes. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 8192);
	__type(key, struct tl_tls_key);
	__type(value, struct tl_tls_call);
} tls_calls SEC(".maps");

static __always_inline int tls_enter(__u64 id, __u32 library, __u8 direction, __u64 buf, __u64 count)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct tl_tls_key key = { .id = id, .tgid = task->tgid, .library = library };
	struct tl_tls_call call = { .buf = buf, .count = count, .direction = direction };
	struct tl_container *c;

	if (!task_ring(task, &c))
		return 0;
	call.start = bpf_ktime_get_boot_ns();
	bpf_map_update_elem(&tls_calls, &key, &call, BPF_ANY);
	return 0;
}

/* Writes the record of the call entered under key, which returned ret. */
static __always_inline int tls_return(__u64 id, __u32 library, long ret)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct tl_tls_key key = { .id = id, .tgid = task->tgid, .library = library };
	struct tl_tls_call *call = bpf_map_lookup_elem(&tls_calls, &key);
	struct tl_container *c;
	struct tl_payload *p;
	struct scratch *s;
	struct tl_tls *x;
	struct ring *r;
	__u32 zero = 0, seq, len = sizeof(struct tl_tls), n = 0;
	__u8 flags = 0, pflags = 0, direction;
	__u64 buf, count, start, tag;

	if (!call)
		return 0;
	buf = call->buf;
	count = call->count;
	start = call->start;
	direction = call->direction;
	bpf_map_delete_elem(&tls_calls, &key);

	r = task_ring(task, &c);
	s = bpf_map_lookup_elem(&scratch_map, &zero);
	if (!r || !s)
		return 0;
	if (count) {
		/* SSL_write_ex and SSL_read_ex return 1 and store the byte count. */
		__u64 done = 0;

		ret = ret == 1 && !bpf_probe_read_user(&done, sizeof(done), (void *)count) ? (long)done : 0;
	}
	if (ret > 0) {
		/* Its own limit: plaintext is worth more bytes than ciphertext buffers are. */
		n = ret < cfg.max_tls_bytes ? ret : cfg.max_tls_bytes;
		if (n > TL_MAX_PAYLOAD)
			n = TL_MAX_PAYLOAD;
		if (n < ret) {
			flags |= TL_REC_TRUNCATED;
			pflags |= TL_PAYLOAD_TRUNCATED;
		}
		if (bpf_probe_read_user(s->buf, n, (void *)buf)) {
			pflags |= TL_PAYLOAD_FAULT;
			n = 0;
		}
		len += sizeof(struct tl_payload) + round8(n);
	}

	x = reserve(r, len, &tag, &seq);
	fill_header(&x->h, seq, len, TL_KIND_TLS, flags, bpf_ktime_get_boot_ns(), task);
	x->direction = direction;
	x->library = library;
	x->npayloads = ret > 0;
	x->fd = -1;
	x->ret = ret;
	x->start = start;
	copy_comm(x->comm, task);
	if (ret > 0) {
		p = (struct tl_payload *)(x + 1);
		p->kind = TL_PAYLOAD_BYTES;
		p->arg = 1;
		p->flags = pflags;
		p->pad = 0;
		p->len = n;
		p->pad2 = 0;
		if (n > TL_MAX_PAYLOAD)
			n = TL_MAX_PAYLOAD;
		bpf_probe_read_kernel(p + 1, n, s->buf);
	}
	commit(&x->h, tag);
	return 0;
}

static __always_inline __u64 current_tid(void)
{
	return bpf_get_current_task_btf()->pid;
}

/* int SSL_write(SSL *ssl, const void *buf, int num) */
SEC("uprobe")
int tl_tls_ssl_write(struct tl_uregs *regs)
{
	return tls_enter(current_tid(), TL_TLS_OPENSSL, TL_TLS_WRITE, regs->si, 0);
}

/* int SSL_read(SSL *ssl, void *buf, int num) */
SEC("uprobe")
int tl_tls_ssl_read(struct tl_uregs *regs)
{
	return tls_enter(current_tid(), TL_TLS_OPENSSL, TL_TLS_READ, regs->si, 0);
}

/* int SSL_write_ex(SSL *s, const void *buf, size_t num, size_t *written) */
SEC("uprobe")
int tl_tls_ssl_write_ex(struct tl_uregs *regs)
{
	return tls_enter(current_tid(), TL_TLS_OPENSSL, TL_TLS_WRITE, regs->si, regs->cx);
}

/* int SSL_read_ex(SSL *ssl, void *buf, size_t num, size_t *readbytes) */
SEC("uprobe")
int tl_tls_ssl_read_ex(struct tl_uregs *regs)
{
	return tls_enter(current_tid(), TL_TLS_OPENSSL, TL_TLS_READ, regs->si, regs->cx);
}

/* The return of any of the four: the result is an int in eax. */
SEC("uretprobe")
int tl_tls_ssl_return(struct tl_uregs *regs)
{
	return tls_return(current_tid(), TL_TLS_OPENSSL, (int)regs->ax);
}

/*
 * func (c *Conn) Write(b []byte) (int, error) and Read, Go 1.17+ register ABI: c in RAX, b's
 * pointer, length and capacity in RBX, RCX, RDI; the goroutine in R14.
 */
SEC("uprobe")
int tl_tls_go_write(struct tl_uregs *regs)
{
	return tls_enter(regs->r14, TL_TLS_GO, TL_TLS_WRITE, regs->bx, 0);
}

SEC("uprobe")
int tl_tls_go_read(struct tl_uregs *regs)
{
	return tls_enter(regs->r14, TL_TLS_GO, TL_TLS_READ, regs->bx, 0);
}

/* On each RET of Write and Read (never a uretprobe: Go moves stacks): n in RAX. */
SEC("uprobe")
int tl_tls_go_return(struct tl_uregs *regs)
{
	return tls_return(regs->r14, TL_TLS_GO, (long)regs->ax);
}
