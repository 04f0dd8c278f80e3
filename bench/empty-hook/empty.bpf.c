// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The floor of hooking every syscall: the same attach points as the recorder
 * (tp_btf/sys_enter and tp_btf/sys_exit), with programs that do nothing.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

/* BTF-enabled tracing programs must be GPL-compatible. */
char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("tp_btf/sys_enter")
int empty_sys_enter(void *ctx)
{
	return 0;
}

SEC("tp_btf/sys_exit")
int empty_sys_exit(void *ctx)
{
	return 0;
}
