// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The benchmark floor: the cheapest syscall hook there is, an empty
 * raw_tracepoint pair on sys_enter and sys_exit. What the agent costs above
 * this is what phiaudit itself adds; what this costs above "no BPF" is the
 * price of hooking every syscall at all, which no syscall-hook design can
 * avoid. bench_syscalls loads it through the skeleton (struct floor_bpf).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("raw_tp/sys_enter")
int floor_sys_enter(void *ctx)
{
	return 0;
}

SEC("raw_tp/sys_exit")
int floor_sys_exit(void *ctx)
{
	return 0;
}
