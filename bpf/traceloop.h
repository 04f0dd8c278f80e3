/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The layout shared by the eBPF programs and the recorder: ring buffers, records,
 * and control events. The C# mirror is recorder/Traceloop.Recorder/Records/RecordLayout.cs;
 * change both together and bump TL_FORMAT_VERSION.
 *
 * A ring is one BPF array map (BPF_F_MMAPABLE, one element) per container:
 *
 *   [ struct tl_ring_hdr (64 bytes) ][ data: ring_size bytes ][ overhang: TL_MAX_RECORD bytes ]
 *
 * Writers reserve [pos, pos + len) with one atomic add on hdr.head; the record lives at
 * data[pos & (ring_size - 1)] and is always contiguous in memory: one that would cross the
 * end of data runs on into the overhang instead of wrapping. Positions are absolute and only
 * grow, so the reader can tell a live record from a stale one: a committed record's first
 * word is (pos ^ hdr.key). The key is random per ring and unknown to the recorded container,
 * so bytes a container writes (a write() payload) cannot pass for a record header.
 */
#ifndef TRACELOOP_H
#define TRACELOOP_H

#define TL_FORMAT_VERSION 1

#define TL_RING_HDR_SIZE 64
#define TL_MAX_RECORD 4096
#define TL_MAX_STR 1024
#define TL_NARGS 6
#define TL_COMM_LEN 16
#define TL_NAME_LEN 128
#define TL_PATH_LEN 512

/* Slot value meaning "this container is known but has no ring yet". */
#define TL_SLOT_PENDING 0xffffffffu

enum tl_kind {
	TL_KIND_ENTER = 1,     /* struct tl_enter */
	TL_KIND_EXIT = 2,      /* struct tl_exit */
	TL_KIND_PROC_EXIT = 3, /* struct tl_proc_exit: a thread ended */
};

/* struct tl_rec.flags */
enum tl_rec_flags {
	TL_REC_TRUNCATED = 1 << 0, /* a payload was cut at its size limit */
};

/* struct tl_payload.kind */
enum tl_payload_kind {
	TL_PAYLOAD_STR = 1,   /* a NUL-free string read from user memory */
	TL_PAYLOAD_BYTES = 2, /* raw bytes */
};

/* struct tl_payload.flags */
enum tl_payload_flags {
	TL_PAYLOAD_TRUNCATED = 1 << 0,
	TL_PAYLOAD_FAULT = 1 << 1, /* the user pointer could not be read */
};

struct tl_ring_hdr {
	__u64 head;    /* bytes reserved since the ring was created; only grows */
	__u64 records; /* records reserved since the ring was created; only grows */
	__u64 key;     /* set by the recorder before the ring is published */
	__u64 size;    /* bytes of data (a power of two), set by the recorder */
	__u64 reserved[4];
};

/* Every record starts with this header; len is a multiple of 8. */
struct tl_rec {
	__u64 tag;   /* pos ^ ring key; written last, it commits the record */
	__u32 seq;   /* low 32 bits of the ring's record counter at reservation */
	__u16 len;   /* bytes, header and payloads included */
	__u8 kind;   /* enum tl_kind */
	__u8 flags;  /* enum tl_rec_flags */
	__u64 ts;    /* CLOCK_BOOTTIME, ns */
	__u32 pid;   /* thread group id, as seen from the root pid namespace */
	__u32 tid;
};

/*
 * Variable-length data follows the fixed part of a record as a sequence of these,
 * each padded to 8 bytes. Records without payloads (getppid) pay nothing for them.
 */
struct tl_payload {
	__u8 kind;   /* enum tl_payload_kind */
	__u8 arg;    /* argument index the payload belongs to */
	__u8 flags;  /* enum tl_payload_flags */
	__u8 pad;
	__u16 len;   /* bytes of data that follow */
	__u16 pad2;
	/* __u8 data[len], then padding to 8 */
};

struct tl_enter {
	struct tl_rec h;
	__u32 nr;
	__u16 npayloads;
	__u16 pad;
	char comm[TL_COMM_LEN];
	__u64 args[TL_NARGS];
	/* struct tl_payload items follow */
};

struct tl_exit {
	struct tl_rec h;
	__u32 nr;
	__u16 npayloads;
	__u16 pad;
	__s64 ret;
	/* struct tl_payload items follow */
};

struct tl_proc_exit {
	struct tl_rec h;
	__s32 exit_code; /* as wait(2) encodes it: (status << 8) | termsig, 0x80 for a core dump */
	__u32 is_leader; /* the thread group's last thread: the process is gone */
	char comm[TL_COMM_LEN];
};

/* Value of the containers map (key: cgroup id in the default hierarchy). */
struct tl_container {
	__u32 slot;      /* index into the rings map, or TL_SLOT_PENDING */
	__u32 main_pid;  /* the first process to exec in the container */
	__u64 missed;    /* events dropped while the container had no ring */
	__u64 parent;    /* for nested cgroups: the container's own cgroup id, else 0 */
};

enum tl_control_kind {
	TL_CTL_CGROUP_NEW = 1,  /* the kernel adopted a new container cgroup */
	TL_CTL_CGROUP_GONE = 2, /* a recorded cgroup was removed */
	TL_CTL_MAIN_EXIT = 3,   /* a container's main process ended (its last thread exited) */
};

/* Low-rate notifications to the recorder through a BPF ring buffer. */
struct tl_control {
	__u32 kind;
	__u32 slot;
	__u64 cgroup_id;
	__u64 parent_id; /* container cgroup this one nests in, or 0 */
	__u64 ts;
	__s32 status;  /* for MAIN_EXIT: the wait status, as struct tl_proc_exit.exit_code */
	__u32 pid;     /* for MAIN_EXIT: the main process */
	char path[TL_PATH_LEN]; /* for CGROUP_NEW: the cgroup path from the hierarchy root */
};

/* Load-time configuration, in .rodata so the verifier sees constants. */
struct tl_config {
	__u64 ring_mask;     /* ring size - 1 */
	__u32 max_str;       /* string payload limit, <= TL_MAX_STR */
	__u32 cgroup_subsys; /* 0: key by cgroup v2 id; n: by the id in the v1 hierarchy of subsystem n - 1 */
	__s32 hierarchy_id;  /* the hierarchy whose mkdir/rmdir matter: 0 for v2 */
	__u32 pad;
};

#endif
