#!/usr/bin/env python3
"""Captures what strace prints for chosen raw syscall arguments, as test data.

Each case is issued as a raw syscall by a libc-free static program (probe.c) under
    strace -qq -e trace=<names> -e inject=<names>:error=ENOSYS ./probe
so the kernel never runs it and strace decodes the arguments on entry; return values are
captured one case at a time with inject=<name>:retval=<value>. The output is written to
../StraceCaptures.g.cs. Needs gcc and strace (the committed file came from strace 6.1):

    python3 tests/Traceloop.Tests/Decoding/Flags/Capture/capture.py
"""
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, '..', 'StraceCaptures.g.cs')
M = (1 << 64) - 1
NR = {}
for line in open('/usr/include/x86_64-linux-gnu/asm/unistd_64.h'):
    m = re.match(r'#define __NR_(\w+) (\d+)', line)
    if m:
        NR[m.group(1)] = int(m.group(2))

AT_FDCWD = -100


def bits(width=32):
    return [1 << b for b in range(width)] + [0, (1 << width) - 1]


def vary(name, base, index, values):
    out = []
    for v in values:
        args = list(base) + [0] * (6 - len(base))
        args[index] = v
        out.append((name, args))
    return out


CASES = []


def add(name, base, index, values):
    CASES.extend(vary(name, base, index, values))


# open and openat: access mode first, unknown bits as hex, the mode only with O_CREAT/O_TMPFILE.
add('openat', [AT_FDCWD, 0, 0, 0o644], 2, bits() + [0x80000, 0x80241, 0x241, 0x42, 0x410000, 0x4c2, 0x101000, 0x40000000, 0x80000 | 0x40000000])
add('openat', [3, 0, 0x41, 0], 3, [0, 0o644, 0o4755, 0o777, 0o100644, 0xffffffff])
add('openat', [0, 0, 0x80000, 0], 0, [AT_FDCWD, 3, -1, 0xffffffff])
add('open', [0, 0, 0o600], 1, [0, 1, 2, 3, 0x41, 0x241, 0x80000, 0x20000, 0x410002])
add('creat', [0, 0], 1, [0o644, 0])
add('pipe2', [0, 0], 1, [0, 0x80000, 0x800, 0x80800, 0x4000, 1, 0x80])
add('dup3', [3, 4, 0], 2, [0, 0x80000, 1])
# *at flags, access modes, statx.
add('newfstatat', [AT_FDCWD, 0, 0, 0], 3, bits())
add('unlinkat', [AT_FDCWD, 0, 0], 2, [0, 0x200, 0x100, 0x201])
add('unlinkat', [AT_FDCWD, 0, 0x200], 0, [AT_FDCWD, 5, -1])
add('fchownat', [AT_FDCWD, 0, 0, 0, 0], 4, [0, 0x100, 0x1000, 0x1100, 0x10])
add('linkat', [AT_FDCWD, 0, AT_FDCWD, 0, 0], 4, [0, 0x400, 0x1000])
add('utimensat', [AT_FDCWD, 0, 0, 0], 3, [0, 0x100])
add('execveat', [AT_FDCWD, 0, 0, 0, 0], 4, [0, 0x1000, 0x100])
add('access', [0, 0], 1, bits(8) + [5, 6, 7])
add('faccessat', [AT_FDCWD, 0, 0], 2, [0, 1, 2, 4, 7, 8])
add('faccessat2', [AT_FDCWD, 0, 4, 0], 3, bits())
add('statx', [AT_FDCWD, 0, 0, 0x7ff, 0], 2, bits() + [0x6000, 0x2100, 0x1000])
add('statx', [AT_FDCWD, 0, 0, 0, 0], 3, bits() + [0x7ff, 0xfff, 0x17ff, 0x3fff, 0x7fe])
add('renameat2', [AT_FDCWD, 0, AT_FDCWD, 0, 0], 4, bits(8))
# Modes.
add('chmod', [0, 0], 1, [0, 0o7, 0o22, 0o644, 0o755, 0o4755, 0o7777, 0o100644, 0xffffffff])
add('fchmod', [3, 0], 1, [0o600])
add('fchmodat', [AT_FDCWD, 0, 0], 2, [0o644])
add('mkdir', [0, 0], 1, [0o755, 0])
add('mkdirat', [AT_FDCWD, 0, 0], 2, [0o700])
add('umask', [0], 0, [0, 0o22, 0o77, 0o777])
add('mknod', [0, 0, 0x103], 1, [0o100644, 0o20644, 0o60600, 0o10644, 0o140755, 0o644, 0])
add('mknod', [0, 0o20644, 0], 2, [0, 0x103, 0x801, 0x123456789])
add('mknodat', [AT_FDCWD, 0, 0o60600, 0x803], 2, [0o60600, 0o100600])
# Memory.
add('mmap', [0, 4096, 3, 0x22, -1, 0], 0, [0, 0x7f0000000000])
add('mmap', [0, 4096, 0, 0x22, -1, 0], 2, bits() + [3, 5, 7])
add('mmap', [0, 4096, 3, 0, -1, 0], 3, bits() + [0x22, 0x12, 0x812, 0x20022, 0x40022, 0x40000022, 0x54040022, 0x100022, 0x3, 0x4])
add('mmap', [0, 4096, 1, 2, 3, 0], 4, [3, -1, 0xffffffff])
add('mmap', [0, 4096, 1, 2, 3, 0], 5, [0, 0x1000, 0x7000, -1])
add('mprotect', [0x7f0000000000, 4096, 0], 2, bits() + [3, 5, 7])
add('pkey_mprotect', [0x1000, 4096, 1, 0], 2, [0, 1])
add('munmap', [0, 4096], 0, [0, 0x7f0000000000])
add('brk', [0], 0, [0, 0x55d4a000])
add('mremap', [0x1000, 4096, 8192, 0, 0x5000], 3, bits(8) + [3])
add('madvise', [0x1000, 4096, 0], 2, list(range(0, 27)) + [100, 101, 102, -1])
add('msync', [0x1000, 4096, 0], 2, bits(8))
add('mlockall', [0], 0, bits(8))
add('mlock2', [0x1000, 4096, 0], 2, [0, 1, 2])
add('memfd_create', [0, 0], 1, bits() + [0x7, 0x54000005])
# clone: the stack first, the pointers only when a flag uses them, the exit signal last.
add('clone', [0, 0x7000, 0x8000, 0x9000, 0xa000], 0, [0, 0x11, 0x1200011, 0x3d0f00, 0x3d0f00 | 0x41, 0x3d0f00 | 0xff, 0x100, 0x80000, 0x100000, 0x1000, 0x200000, 0x1000000, 0x4111, 0x20, 0x400000, 0xffffffff, M])
add('clone', [0x11, 0, 0, 0, 0], 1, [0, 0x7ffc00000000])
add('unshare', [0], 0, bits() + [0x11])
add('setns', [3, 0], 1, bits())
# Sockets.
add('socket', [0, 1, 0], 0, list(range(0, 47)) + [-1])
add('socket', [2, 0, 0], 1, list(range(0, 12)) + [0x80001, 0x801, 0x80802, 0x40000001, 0x10, 0x80000, 0x800, 0xffffffff])
add('socket', [2, 1, 0], 2, list(range(0, 20)) + [33, 41, 46, 47, 50, 51, 58, 92, 103, 108, 132, 136, 137, 255, 256, 262, 263, -1])
add('socket', [10, 2, 0], 2, [0, 17, 6, 58])
add('socket', [1, 1, 0], 2, [0, 1, 6])
add('socket', [16, 3, 0], 2, list(range(0, 24)) + [31, 32])
add('socket', [17, 3, 0], 2, [0, 0x300, 0x8, 0x608, 0xdd86, 0x81, 0x3, 0x1234])
add('socketpair', [1, 1, 0, 0], 1, [1, 2, 5, 0x80001, 0x80805])
add('setsockopt', [3, 0, 0, 0, 4], 1, list(range(0, 300)) + [-1])
add('setsockopt', [3, 1, 0, 0, 4], 2, list(range(0, 80)) + [-1])
add('setsockopt', [3, 6, 0, 0, 4], 2, list(range(0, 40)))
add('setsockopt', [3, 0, 0, 0, 4], 2, list(range(0, 70)))
add('setsockopt', [3, 41, 0, 0, 4], 2, list(range(0, 80)))
add('setsockopt', [3, 17, 0, 0, 4], 2, list(range(0, 6)) + [100, 101, 102, 103, 104, 105])
add('setsockopt', [3, 255, 0, 0, 4], 2, [0, 1, 2])
add('setsockopt', [3, 1000, 0, 0, 4], 2, [0, 1, -1])
add('getsockopt', [3, 1, 0, 0, 0], 2, [1, 2, 3, 4, 7, 8, 9, 17])
add('getsockopt', [3, 6, 0, 0, 0], 2, [1, 2, 3, 11])
add('shutdown', [3, 0], 1, [0, 1, 2, 3, -1])
add('sendto', [3, 0, 0, 0, 0, 0], 3, bits())
add('recvfrom', [3, 0, 0, 0, 0, 0], 3, [0, 0x40, 0x2, 0x100, 0x40000040])
add('sendmsg', [3, 0, 0], 2, [0, 0x4000, 0x8000])
add('recvmsg', [3, 0, 0], 2, [0, 0x40000000, 0x2000])
add('sendmmsg', [3, 0, 1, 0], 3, [0, 0x4000])
add('recvmmsg', [3, 0, 1, 0, 0], 3, [0, 0x10000])
add('accept4', [3, 0, 0, 0], 3, [0, 0x800, 0x80000, 0x80800, 1, 0xffffffff])
# fcntl: the command decides the third argument and whether there is one.
add('fcntl', [3, 0, 0], 1, list(range(0, 48)) + list(range(1024, 1040)) + [-1])
add('fcntl', [3, 2, 0], 2, [0, 1, 2, 3, -1])
add('fcntl', [3, 4, 0], 2, [0, 1, 2, 0x800, 0x8000, 0x80000, 0x40000000, 0x8802, -1])
add('fcntl', [3, 0, 0], 2, [0, 5, -1])
add('fcntl', [3, 1030, 0], 2, [0, 5, -1])
add('fcntl', [3, 8, 0], 2, [0, 1234, -1])
add('fcntl', [3, 10, 0], 2, [0, 5, 29, 34, 64, 65])
add('fcntl', [3, 1024, 0], 2, [0, 1, 2, 3, -1])
add('fcntl', [3, 1026, 0], 2, [0, 1, 0x3f, 0x80000000, 0x8000003f, 0x40])
add('fcntl', [3, 1031, 0], 2, [0, 4096, -1])
add('fcntl', [3, 1033, 0], 2, [0, 1, 3, 0x1f, 0x20, -1])
add('fcntl', [3, 0x40f, 0], 2, [0, 0x1000])
add('fcntl', [3, 6, 0], 2, [0, 0x1000])
# wait.
add('wait4', [-1, 0, 0, 0], 2, bits() + [0x40000001, 0x3])
add('waitid', [1, 5, 0, 0, 0], 3, [0, 4, 5, 0x1000004, 0x40000004])
add('waitid', [0, 5, 0, 4, 0], 0, [0, 1, 2, 3, 4, -1])
# Signals.
add('kill', [1, 0], 1, list(range(0, 70)) + [-1, 0x100000009])
add('tkill', [1, 0], 1, [9, 15, 0])
add('tgkill', [1, 1, 0], 2, [9, 0, 32, 34, 64])
add('rt_sigaction', [0, 0, 0, 8], 0, [2, 0, 17, 32, 34, 64, 65])
add('rt_sigprocmask', [0, 0, 0, 8], 0, [0, 1, 2, 3, -1])
add('rt_sigqueueinfo', [1, 0, 0], 1, [10])
add('rt_tgsigqueueinfo', [1, 1, 0, 0], 2, [12])
add('pidfd_send_signal', [3, 0, 0, 0], 1, [15])
# lseek and descriptor flags.
add('lseek', [3, 0, 0], 2, [0, 1, 2, 3, 4, 5, -1])
add('epoll_ctl', [3, 0, 4, 0], 1, [0, 1, 2, 3, 4, -1])
add('epoll_create1', [0], 0, [0, 0x80000, 1, 0x80001])
add('eventfd2', [0, 0], 1, [0, 1, 2, 0x800, 0x80000, 0x80801, 0x40000000])
add('timerfd_create', [0, 0], 0, list(range(0, 13)) + [-1])
add('timerfd_create', [1, 0], 1, [0, 0x800, 0x80000, 0x80800, 1, 4])
add('timerfd_settime', [3, 0, 0, 0], 1, [0, 1, 2, 3, 4])
add('signalfd4', [3, 0, 8, 0], 3, [0, 0x800, 0x80000, 0x80800, 1])
add('inotify_init1', [0], 0, [0, 0x800, 0x80000, 1])
add('inotify_add_watch', [3, 0, 0], 2, bits() + [0x18, 0xfff, 0x40000100])
add('getrandom', [0, 8, 0], 2, bits(8))
add('flock', [3, 0], 1, [0, 1, 2, 3, 4, 5, 6, 8, 0x20, 0x40, 0x80, 0xe0, 0x100, -1])
add('rseq', [0, 0x20, 0, 0x53053053], 0, [0, 0x7f0000001000])
add('set_robust_list', [0, 24], 0, [0, 0x7f0000001000])
add('set_tid_address', [0], 0, [0, 0x7f0000001000])
# ioctl.
add('ioctl', [3, 0, 0x1000], 1, list(range(0x5401, 0x5461)) + [0x80045430, 0x40045431, 0x80045432, 0x80045439, 0x80045440, 0, 1, 0x1234, 0xdeadbeef, 0xc0045401, 0x40086602])
for cmd in [0x5401, 0x5402, 0x5409, 0x540a, 0x540b, 0x540c, 0x540e, 0x5413, 0x541b, 0x5421, 0x5422, 0x5425, 0x5437, 0x5441, 0x5450, 0x5451, 0x545c, 0x5460, 0x1234]:
    add('ioctl', [3, cmd, 0], 2, [0, 1, 0x1000, -1])
# prctl, arch_prctl, personality, rlimits.
add('prctl', [0, 0, 0, 0, 0], 0, list(range(0, 72)) + [0x59616d61, 1000, -1])
add('prctl', [1, 0, 0, 0, 0], 1, [0, 9, 15, 34, 128, 129])
add('prctl', [4, 0, 0, 0, 0], 1, [0, 1, 2, 3])
add('prctl', [15, 0, 0, 0, 0], 1, [0, 0x7f0000001000])
add('prctl', [23, 0, 0, 0, 0], 1, list(range(0, 43)))
add('prctl', [22, 0, 0, 0, 0], 1, [0, 1, 2, 3])
add('prctl', [38, 0, 0, 0, 0], 1, [1])
add('prctl', [29, 0, 0, 0, 0], 1, [50000, -1])
add('prctl', [0x59616d61, 0, 0, 0, 0], 1, [0, 1234, -1])
add('prctl', [36, 0, 0, 0, 0], 1, [1])
add('prctl', [35, 1, 0x1000, 0, 0], 1, [1])
add('arch_prctl', [0, 0x1000], 0, [0x1001, 0x1002, 0x1003, 0x1004, 0x1011, 0x1012, 0x1021, 0x1022, 0x2001, 0x2002, 0x2003, 0x3001, 0, -1])
add('arch_prctl', [0x1002, 0], 1, [0, 0x7f0000001000])
add('arch_prctl', [0x1003, 0], 1, [0, 0x7f0000001000])
add('personality', [0], 0, [0, 8, 0x20000, 0x40008, 0x400000, 0x8000000, 0xffffffff, 6, 0x10, 1, 0x12, 0xfffe0000, 0x40000000, 0xff])
add('prlimit64', [0, 0, 0, 0], 1, list(range(0, 17)) + [-1])
add('getrlimit', [0, 0], 0, [0, 7, 16])
add('setrlimit', [0, 0], 0, [3])
# futex.
add('futex', [0x1000, 0, 1, 0, 0x2000, 0], 1, list(range(0, 15)) + [128 + x for x in range(0, 15)] + [256, 265, 267, 384, 393, 395, 257, 0x7fffffff, -1])
add('futex', [0x1000, 0x89, 0, 0, 0, 0], 5, [0xffffffff, 1, 0])
add('futex', [0x1000, 0x85, 1, 1, 0x2000, 0], 5, [0x4000001, 0x84001002, 0x70000000, 0x0f000000, 0xffffffff])
add('futex', [0x1000, 0x84, 1, 2, 0x2000, 0], 5, [0, 7])
# mount.
add('mount', [0, 0, 0, 0, 0], 3, bits() + [0xc0ed0000, 0xc0ed0001, 0xc0ed5000, 0xc0ed0200, 0x5000, 0x12345678])
add('umount2', [0, 0], 1, bits(8))

RETURNS = [
    ('fcntl', [3, 1, 0], [0, 1, 2, 3]),
    ('fcntl', [3, 3, 0], [0, 1, 2, 0x8002, 0x88802, 0x40000000]),
    ('fcntl', [3, 0x40a, 0], [0, 3, 0x1f, 0x40]),
    ('fcntl', [3, 0x401, 0], [0, 1, 2, 3]),
    ('fcntl', [3, 0xb, 0], [0, 29, 34, 100]),
    ('fcntl', [3, 9, 0], [1234]),
    ('fcntl', [3, 0, 0], [5]),
    ('personality', [0xffffffff], [0, 8, 0x40008, 0x20000, 1]),
    ('umask', [0o22], [0, 0o22, 0o777]),
    ('mmap', [0, 4096, 3, 0x22, -1, 0], [0x7f0000000000, 0, 0x1000]),
    ('brk', [0], [0x55d4a000, 0]),
    ('mremap', [0x1000, 4096, 8192, 1, 0], [0x7f0000000000]),
    ('prctl', [3, 0, 0, 0, 0], [0, 1, 2, 3]),
    ('prctl', [21, 0, 0, 0, 0], [2]),
    ('lseek', [3, 0, 2], [4096]),
    ('clone', [0x11, 0, 0, 0, 0], [1234]),
]


def compile_probe(cases, workdir):
    with open(os.path.join(workdir, 'cases.h'), 'w') as f:
        for name, args in cases:
            f.write('{%d, {%s}},\n' % (NR[name], ', '.join('0x%xUL' % (a & M) for a in args)))
    exe = os.path.join(workdir, 'probe')
    subprocess.check_call(['gcc', '-static', '-nostdlib', '-O1', '-fno-stack-protector', '-I', workdir,
                           '-o', exe, os.path.join(HERE, 'probe.c')])
    return exe


def trace(cases, inject, workdir):
    exe = compile_probe(cases, workdir)
    names = ','.join(sorted({n for n, _ in cases}))
    r = subprocess.run(['strace', '-qq', '-e', 'trace=' + names, '-e', 'inject=%s:%s' % (names, inject), exe],
                       capture_output=True, text=True)
    lines = [l for l in r.stderr.splitlines() if not l.startswith('+++') and not l.startswith('strace:')]
    if len(lines) != len(cases):
        sys.exit('strace printed %d lines for %d cases:\n%s' % (len(lines), len(cases), r.stderr[-2000:]))
    return lines


def cs(s):
    return '"' + s.replace('\\', '\\\\').replace('"', '\\"') + '"'


def main():
    version = subprocess.run(['strace', '-V'], capture_output=True, text=True).stdout.splitlines()[0]
    with tempfile.TemporaryDirectory() as workdir:
        calls = []
        for (name, args), line in zip(CASES, trace(CASES, 'error=ENOSYS', workdir)):
            call, _, _ = line.rpartition(' = ')
            calls.append((name, args, call.rstrip()))
        rets = []
        for name, args, values in RETURNS:
            for v in values:
                line = trace([(name, args)], 'retval=%d' % v, workdir)[0]
                ret = re.search(r'\)\s+= (.*) \(INJECTED\)$', line).group(1)
                rets.append((name, args, v, ret))
    with open(OUT, 'w') as f:
        f.write('// <auto-generated>\n')
        f.write('// Captured by tests/Traceloop.Tests/Decoding/Flags/Capture/capture.py from %s:\n' % version)
        f.write('// each call issued raw by Capture/probe.c under strace -qq -e trace=... -e inject=...:error=ENOSYS,\n')
        f.write('// each return value under inject=...:retval=N. Do not edit: change the script and rerun it.\n')
        f.write('// </auto-generated>\n\nnamespace Traceloop.Tests.Decoding.Flags;\n\n')
        f.write('internal static class StraceCaptures\n{\n')
        f.write('    public static readonly StraceCall[] Calls =\n    [\n')
        for name, args, call in calls:
            f.write('        new(%s, [%s], %s),\n' % (cs(name), ', '.join('0x%xUL' % (a & M) for a in args), cs(call)))
        f.write('    ];\n\n    public static readonly StraceReturn[] Returns =\n    [\n')
        for name, args, v, ret in rets:
            a = list(args) + [0] * (6 - len(args))
            f.write('        new(%s, [%s], %d, %s),\n' % (cs(name), ', '.join('0x%xUL' % (x & M) for x in a), v, cs(ret)))
        f.write('    ];\n}\n')
    print('%d calls, %d returns -> %s' % (len(calls), len(rets), os.path.relpath(OUT)))


if __name__ == '__main__':
    main()
