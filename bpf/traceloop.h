/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The layout shared by the eBPF programs and the recorder: ring buffers, records,
 * and control events. The C# mirror is recorder/Traceloop.Recorder/Bpf/ (RecordLayout.cs,
 * SyscallCaptures.cs, KernelMaps.cs); change both together and bump TL_FORMAT_VERSION.
 *
 * A ring is one BPF array map (BPF_F_MMAPABLE, one element) per container, split into
 * nsub sub-rings (a power of two, fixed when the programs are loaded) of sub_size bytes each:
 *
 *   [ struct tl_ring_hdr (64 bytes) ][ struct tl_sub_hdr (64 bytes) x nsub ]
 *   [ sub-ring 0: sub_size bytes + overhang TL_MAX_RECORD ] ... [ sub-ring nsub - 1 ... ]
 *
 * A writer takes the sub-ring of its CPU (smp_processor_id & (nsub - 1)) and reserves
 * [pos, pos + len) with one atomic add on that sub-ring's own head, which sits alone on its
 * cache line: threads of one container on different CPUs never write the same line. The add
 * must stay atomic: a syscall program can be preempted between a load and a store, and a plain
 * add was measured losing increments. The record lives at data[pos & (sub_size - 1)] of its
 * sub-ring and is always contiguous in memory: one that would cross the end runs on into that
 * sub-ring's overhang instead of wrapping. Positions are absolute per sub-ring and only grow, so
 * the reader can tell a live record from a stale one: a committed record's first word is
 * (pos ^ sub-ring key). The keys are random per ring, different for each sub-ring and unknown to
 * the recorded container, so bytes a container writes (a write() payload) cannot pass for a
 * record header, and a record of one sub-ring cannot pass for one of another. The reader merges
 * the sub-rings by timestamp.
 */
#ifndef TRACELOOP_H
#define TRACELOOP_H

#define TL_FORMAT_VERSION 2

#define TL_RING_HDR_SIZE 64
#define TL_SUB_HDR_SIZE 64
#define TL_MAX_RECORD 4096
#define TL_MAX_STR 1024
#define TL_MAX_ARGV 32
#define TL_MAX_PAYLOAD 3072 /* all payloads of one record together */
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
	TL_KIND_SIGNAL = 4,    /* struct tl_signal: a signal is being delivered */
	TL_KIND_TLS = 5,       /* struct tl_tls: plaintext handed to or returned by a TLS library */
	TL_KIND_TCP = 6,       /* struct tl_tcp: a TCP socket of the container changed state */
};

/* struct tl_rec.flags */
enum tl_rec_flags {
	TL_REC_TRUNCATED = 1 << 0, /* a payload was cut at its size limit */
};

/* struct tl_payload.kind */
enum tl_payload_kind {
	TL_PAYLOAD_STR = 1,     /* a NUL-free string read from user memory */
	TL_PAYLOAD_BYTES = 2,   /* raw bytes: a buffer's first bytes, or a whole struct */
	TL_PAYLOAD_STRV = 3,    /* an argv-style array: each string followed by its NUL */
	TL_PAYLOAD_COUNT = 4,   /* a __u32 count computed in the kernel (getdents64 entries) */
};

/* struct tl_payload.flags */
enum tl_payload_flags {
	TL_PAYLOAD_TRUNCATED = 1 << 0, /* cut at its size limit (for STRV: fewer strings than there were) */
	TL_PAYLOAD_FAULT = 1 << 1,     /* the user pointer could not be read */
	TL_PAYLOAD_REREAD = 1 << 2,    /* read at exit because it was not paged in at entry */
};

/*
 * What to copy from user memory for one syscall, set by the recorder per syscall number in
 * the captures map. A syscall with no items (getppid) costs one array lookup more.
 */
#define TL_MAX_CAPTURES 8

enum tl_capture_kind {
	TL_CAP_STR = 1,     /* NUL-terminated string at args[arg] */
	TL_CAP_BYTES = 2,   /* bytes at args[arg]; how many: size_src */
	TL_CAP_STRV = 3,    /* NULL-terminated array of string pointers at args[arg] */
	TL_CAP_DIRENTS = 4, /* count the linux_dirent64 records in args[arg] (return value bytes) */
	TL_CAP_STRV_COUNT = 5, /* count the pointers of a NULL-terminated array (execve's envp) */
	TL_CAP_IOVEC = 6,   /* struct iovec[args[size_arg]] at args[arg] and the start of each buffer (layout below) */
	TL_CAP_MSGHDR = 7,  /* struct user_msghdr at args[arg] with its name, iovecs and control data (layout below) */
};

/*
 * TL_CAP_IOVEC payload (the recorder's Decoding/Structs/IoVec.cs reads it), little-endian, unpadded:
 *   u32 count; u32 reserved;  iovecs that follow: min(vlen, TL_MAX_IOV)
 *   struct iovec iov[count];  16 bytes each, as in user memory
 *   then per iovec, in order, while the payload has room: u32 got; u8 data[got]
 * got is min(iov_len, max_bytes); with size_src TL_SIZE_RET (readv at exit) iov_len is first
 * limited to what the return value leaves for this buffer.
 *
 * TL_CAP_MSGHDR payload (Decoding/Structs/MsgHdr.cs):
 *   struct user_msghdr (56 bytes); u32 name_len; u8 name[name_len] (at most TL_MAX_SOCKADDR);
 *   the TL_CAP_IOVEC payload of msg_iov and msg_iovlen; u32 control_len; u8 control[control_len]
 *   (at most the item's limit). A NULL pointer contributes a zero length.
 */
#define TL_MAX_IOV 32
#define TL_MAX_SOCKADDR 128

enum tl_size_src {
	TL_SIZE_FIXED = 0,   /* size */
	TL_SIZE_ARG = 1,     /* args[size_arg] */
	TL_SIZE_RET = 2,     /* the return value; nothing when it is negative */
	TL_SIZE_ARG_PTR = 3, /* *(__u32 *)args[size_arg]: a socklen_t * */
	TL_SIZE_ARG_MUL = 4, /* args[size_arg] * size: arrays such as pollfd[nfds] */
	TL_SIZE_RET_MUL = 5, /* return value * size: epoll_event[n] */
	/* each capped at limit */
};

enum tl_capture_flags {
	TL_CAP_DATA = 1 << 0,    /* a data buffer: limit is the configured max_bytes, not size */
	TL_CAP_IF_OK = 1 << 1,   /* at exit, only when the syscall succeeded */
	TL_CAP_NO_REREAD = 1 << 2, /* never read again at exit (execve: the old memory is gone) */
	TL_CAP_IF_ARG = 1 << 3,  /* only when (__u32)args[sel_arg] == sel_value (prctl's option, ioctl's request) */
	TL_CAP_STACK = 1 << 4,   /* the pointer is the user stack pointer, not args[arg] (rt_sigreturn's frame) */
	TL_CAP_IF_ARG_IN = 1 << 5, /* only when (__u32)args[sel_arg] is below 32 and its bit is set in sel_value (epoll_ctl's op) */
};

struct tl_capture {
	__u8 kind;     /* enum tl_capture_kind, 0 ends the list */
	__u8 arg;      /* argument holding the pointer */
	__u8 at_exit;  /* 0: read at entry; 1: at exit */
	__u8 size_src; /* enum tl_size_src */
	__u8 size_arg;
	__u8 flags;    /* enum tl_capture_flags */
	__u16 size;    /* the fixed size, or the element size of a *_MUL source */
	__u16 limit;   /* at most this many bytes (TL_CAP_DATA: the configured max_bytes instead; TL_CAP_STR: when not 0) */
	__u8 sel_arg;  /* TL_CAP_IF_ARG, TL_CAP_IF_ARG_IN: the argument compared with sel_value */
	__u8 pad;
	__u32 sel_value;
	__u32 offset;  /* added to the pointer (msghdr.msg_namelen is at 8; the signal mask of a frame at 296) */
};

struct tl_syscall_captures {
	__u8 enter;    /* number of items read at entry */
	__u8 exit;     /* number read at exit */
	__u8 pad[6];
	struct tl_capture items[TL_MAX_CAPTURES];
};

/* Everything in the ring header is set by the recorder before the ring is published. */
struct tl_ring_hdr {
	__u64 unused[2]; /* format 1's head and records; zero */
	__u64 key;       /* the ring's key; sub-ring keys are drawn apart from it */
	__u64 size;      /* bytes of data of all sub-rings together (a power of two) */
	__u32 nsub;      /* sub-rings (a power of two) */
	__u32 pad;
	__u64 sub_size;  /* bytes of data of one sub-ring: size / nsub */
	__u64 reserved[2];
};

/* One per sub-ring, each on its own 64-byte line. */
struct tl_sub_hdr {
	__u64 head;    /* bytes reserved in the sub-ring since the ring was created; only grows */
	__u64 records; /* records reserved in the sub-ring since the ring was created; only grows */
	__u64 key;     /* set by the recorder before the ring is published */
	__u64 reserved[5];
};

/* Every record starts with this header; len is a multiple of 8. */
struct tl_rec {
	__u64 tag;   /* pos ^ sub-ring key; written last, it commits the record */
	__u32 seq;   /* low 32 bits of the sub-ring's record counter at reservation */
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

/* A signal about to be delivered to a thread (its handler runs, or the default action). */
struct tl_signal {
	struct tl_rec h;
	__s32 signo;
	__s32 code;      /* si_code */
	__u64 handler;   /* the action's sa_handler: 0 SIG_DFL, 1 SIG_IGN, else an address */
	__u8 info[48];   /* the kernel_siginfo as the kernel holds it */
	char comm[TL_COMM_LEN];
};

/*
 * A TCP state change (tracepoint sock/inet_sock_set_state) of a socket the container made. It
 * may fire in softirq context, on any task: pid and tid are the task's only when that task is
 * the container's, else 0. The container is the socket's cgroup (cgroup v2), so on hosts that
 * key containers by a v1 hierarchy there are no such records.
 */
struct tl_tcp {
	struct tl_rec h;
	__u64 sk;       /* the socket's kernel address: the records of one connection share it */
	__s32 oldstate; /* TCP_ESTABLISHED = 1 ... TCP_NEW_SYN_RECV = 12, as in the kernel */
	__s32 newstate;
	__u16 family;   /* AF_INET or AF_INET6 */
	__u16 sport;    /* host byte order */
	__u16 dport;    /* host byte order */
	__u16 pad;
	__u8 saddr[16]; /* AF_INET: the first 4 bytes */
	__u8 daddr[16];
	char comm[TL_COMM_LEN];
};

struct tl_proc_exit {
	struct tl_rec h;
	__s32 exit_code; /* as wait(2) encodes it: (status << 8) | termsig, 0x80 for a core dump */
	__u32 is_leader; /* the thread group's last thread: the process is gone */
	char comm[TL_COMM_LEN];
};

/* struct tl_tls.direction */
enum tl_tls_direction {
	TL_TLS_WRITE = 1, /* plaintext given to the library to encrypt and send */
	TL_TLS_READ = 2,  /* plaintext the library received and decrypted */
};

/* struct tl_tls.library */
enum tl_tls_library {
	TL_TLS_OPENSSL = 1, /* SSL_write, SSL_read, SSL_write_ex, SSL_read_ex */
	TL_TLS_GO = 2,      /* crypto/tls.(*Conn).Write and Read */
};

/*
 * One call of a TLS library's write or read, written when it returns (h.ts). At most one
 * payload follows (TL_PAYLOAD_BYTES, arg 1): the plaintext, cut at cfg.max_tls_bytes, or FAULT
 * when it could not be read. The socket is found at dump time: the ciphertext syscalls the
 * returning thread made between start and h.ts (docs/TLS.md).
 */
struct tl_tls {
	struct tl_rec h;
	__u8 direction;  /* enum tl_tls_direction */
	__u8 library;    /* enum tl_tls_library */
	__u16 npayloads;
	__s32 fd;        /* the socket, or -1 when the library does not say */
	__s64 ret;       /* bytes written or read; 0 or less: the library's failure */
	__u64 start;     /* CLOCK_BOOTTIME, ns: when the call was entered */
	char comm[TL_COMM_LEN];
	/* struct tl_payload items follow */
};

/* Value of the containers map (key: cgroup id in the default hierarchy). */
struct tl_container {
	__u32 slot;      /* index into the rings map, or TL_SLOT_PENDING */
	__u32 main_pid;  /* the first process to exec in the container */
	__u64 missed;    /* events dropped while the container had no ring */
	__u64 parent;    /* for nested cgroups: the container's own cgroup id, else 0 */
	__u32 level;     /* enum tl_capture_level flags: what the kernel leaves out of its records */
	__u32 pad;
};

/*
 * Capture levels (value of the capture_levels map, copied into struct tl_container.level at
 * cgroup_mkdir): what the kernel never copies from a container's memory, so it never enters the
 * ring. 0 is full capture.
 */
enum tl_capture_level {
	TL_LEVEL_NO_PAYLOAD = 1 << 0, /* data buffers (TL_CAP_DATA), iovec buffers and msghdr control data */
	TL_LEVEL_NO_ARGV = 1 << 1,    /* execve's argv strings: only their count is kept */
};

enum tl_control_kind {
	TL_CTL_CGROUP_NEW = 1,  /* the kernel adopted a new container cgroup */
	TL_CTL_CGROUP_GONE = 2, /* a recorded cgroup was removed */
	TL_CTL_MAIN_EXIT = 3,   /* a container's main process ended (its last thread exited) */
	TL_CTL_OOM_VICTIM = 4,  /* the OOM killer chose a process of a container: pid */
	TL_CTL_FATAL_SIGNAL = 5, /* a fatal signal is being delivered: status signo, pid, tid */
	TL_CTL_SYSCALL_ERROR = 6, /* a watched syscall failed with a watched errno: nr, status -errno, pid, tid */
};

/* Key of the watched_errors map: a syscall number and the errno that makes its failure a trigger. */
struct tl_watched_error {
	__u32 nr;
	__u32 err;
};

/* Crash triggers emit at most one control message per container per interval. */
#define TL_TRIGGER_INTERVAL_NS 1000000000ull

/* Key of the excluded_pods map: a pod cgroup's directory name, NUL-padded. */
#define TL_POD_NAME_LEN 96

struct tl_pod_name {
	char name[TL_POD_NAME_LEN];
};

/*
 * A process of a recorded container ran a new program (the exec_notices ring): the recorder's
 * TLS service reads what it maps. Apart from the control ring, so an exec storm never takes
 * the room of a crash notice.
 */
struct tl_exec_notice {
	__u64 cgroup_id; /* the key of the container (or nested cgroup) it runs in */
	__u64 ts;        /* boot time, ns */
	__u32 pid;       /* the process (thread group) that called execve */
	__u32 pad;
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
	__u32 tid;     /* for FATAL_SIGNAL, SYSCALL_ERROR: the thread */
	__s32 nr;      /* for SYSCALL_ERROR: the syscall */
};

/*
 * Pinned state (see docs/ARCHITECTURE.md, "Surviving a restart"). The programs, maps and rings
 * outlive the recorder under a bpffs directory; a restarted recorder takes them over only when
 * the meta map says they are exactly what it would load itself.
 */
/*
 * Since Linux 6.11 a uretprobe on x86-64 returns through a syscall of its own, which the recorder's
 * own TLS uretprobes make in the probed thread: the program did not call it, so it is not recorded.
 */
#if defined(__TARGET_ARCH_x86)
#define TL_NR_URETPROBE 335
#else
#define TL_NR_URETPROBE 0xffffffffu
#endif

#define TL_STATE_VERSION 5

/* The one value of the meta map, written by the recorder after everything else is pinned. */
struct tl_meta {
	__u32 format_version; /* TL_FORMAT_VERSION of the records in the rings */
	__u32 state_version;  /* TL_STATE_VERSION: the set of maps and the structs below */
	__u8 build[32];       /* SHA-256 of the BPF object and everything it was loaded with */
	__u64 created;        /* when the state was made: Unix time, ns */
	__u64 ring_size;
	__u32 max_slots;
	__u32 pad;
};

/* How a container's recording began: what its oldest events are. */
enum tl_origin {
	TL_ORIGIN_FIRST_SYSCALL = 1, /* a ring from its cgroup's creation: nothing before it was missed */
	TL_ORIGIN_ADOPTED = 2,       /* already running when the recorder started with no pinned state */
	TL_ORIGIN_LATE_RING = 3,     /* no ring was ready at creation: events until it came are counted as lost */
};

/*
 * Value of the slot_owners map (key: slot), written only by the recorder: which container a
 * ring belongs to, so a restarted recorder can name the rings of containers that ended.
 */
struct tl_slot_owner {
	__u64 cgroup_id;   /* 0: the slot has no container */
	__u64 first_seen;  /* Unix time, ns */
	__u64 exited;      /* Unix time, ns; 0 while it runs */
	__u64 since;       /* Unix time, ns: when recording began */
	__s32 exit_status; /* valid when flags has TL_OWNER_EXIT_STATUS */
	__u32 main_pid;
	__u32 origin;      /* enum tl_origin */
	__u32 flags;       /* enum tl_owner_flags */
	char path[TL_PATH_LEN]; /* the cgroup path from the hierarchy root */
};

enum tl_owner_flags {
	TL_OWNER_EXIT_STATUS = 1 << 0,
};

/* Load-time configuration, in .rodata so the verifier sees constants. */
struct tl_config {
	__u64 sub_mask;      /* sub-ring size - 1 */
	__u64 sub_stride;    /* sub-ring size + TL_MAX_RECORD: from one sub-ring's data to the next */
	__u32 nsub_mask;     /* sub-rings - 1 */
	__u32 sub_lines;     /* bytes of the sub-ring headers: nsub * 64 */
	__u32 max_str;       /* string payload limit, <= TL_MAX_STR */
	__u32 max_bytes;     /* data buffer payload limit, <= TL_MAX_STR */
	__u32 max_argv;      /* argv strings kept, <= TL_MAX_ARGV */
	__u32 cgroup_subsys; /* 0: key by cgroup v2 id; n: by the id in the v1 hierarchy of subsystem n - 1 */
	__s32 hierarchy_id;  /* the hierarchy whose mkdir/rmdir matter: 0 for v2 */
	__u32 metrics;       /* 1: count syscalls per container (the syscall_* maps below); 0: not at all */
	__u32 max_tls_bytes; /* TLS plaintext payload limit, <= TL_MAX_PAYLOAD (--max-tls-bytes) */
	__u32 watch_errors;  /* 1: tl_sys_exit looks failing calls up in watched_errors; 0: never */
};

/*
 * Syscall metrics (docs/METRICS.md), counted at sys_exit of containers with a ring when the
 * recorder loads with metrics on. A container (its own cgroup id: a nested cgroup counts for its
 * container) gets a row the first time a syscall program looks it up; the row maps its syscalls
 * to series, which are entries of a per-CPU array drawn from a node-wide pool. So a counted call
 * costs two array lookups, which the kernel inlines, where a hash keyed by (container, syscall)
 * cost some 25 ns. Rows and series go back to their pools when the recorder forgets the
 * container, zeroed first.
 *
 * Latency buckets are log2 of nanoseconds: bucket 0 holds calls under 2^10 ns, bucket b holds
 * [2^(b+9), 2^(b+10)) ns, the last one everything from 2^32 ns (4.3 s) on.
 */
#define TL_METRICS_BUCKETS 24
#define TL_METRICS_FIRST_SHIFT 10
/*
 * Distinct syscalls counted per container; later ones are folded into the TL_METRICS_OTHER series.
 * runc's init alone makes some 65 distinct calls in a container before its process starts.
 */
#define TL_METRICS_MAX_SYSCALLS 128
#define TL_METRICS_OTHER 0xfffffffeu /* not -1: a sys_exit whose orig_ax the kernel set to -1 (no restart) is its own series */

/*
 * A row's places: syscalls below TL_METRICS_ROW_NRS by number, then -1 (rt_sigreturn's exit, and
 * every call the kernel will not restart), then the other series. Numbers no kernel has go through
 * the metrics_wide hash instead: only failing calls (ENOSYS) have them.
 */
#define TL_METRICS_ROW_NRS 512
#define TL_METRICS_ROW_UNNUMBERED TL_METRICS_ROW_NRS
#define TL_METRICS_ROW_OTHER (TL_METRICS_ROW_NRS + 1)
#define TL_METRICS_ROW_LEN (TL_METRICS_ROW_NRS + 2)

/* A container's syscalls: the index of each one's series in syscall_stats, 0 for none yet. */
struct tl_metrics_row {
	__u32 count;     /* places taken against TL_METRICS_MAX_SYSCALLS (may pass it by the calls that found it full) */
	__u32 pad;
	__u32 series[TL_METRICS_ROW_LEN];
};

/* Key of metrics_wide: a syscall number outside the row, of the container with that row. */
struct tl_metrics_wide_key {
	__u32 row;
	__u32 nr;
};

struct tl_syscall_stats {
	__u64 calls;
	__u64 errors;    /* returned -1..-4095 */
	__u64 ns;        /* time inside the calls that were timed (entered while counting) */
	__u64 buckets[TL_METRICS_BUCKETS]; /* the timed calls; their sum is the histogram's count */
};

struct tl_errno_key {
	__u64 cgroup_id;
	__u32 nr;        /* the syscall, or TL_METRICS_OTHER */
	__u32 err;       /* the positive errno */
};

/* Indexes of the metrics_drops per-CPU counters. */
enum tl_metrics_drop {
	TL_METRICS_FOLDED = 0,   /* calls counted under TL_METRICS_OTHER: the container was at its syscall cap */
	TL_METRICS_MAP_FULL = 1, /* calls or errors not counted at all: a map had no room */
	TL_METRICS_NDROPS = 2,
};

#endif
