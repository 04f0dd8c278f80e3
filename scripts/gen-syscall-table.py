#!/usr/bin/env python3
"""Generates the recorder's x86-64 syscall table and errno table.

Sources of truth:
  * syscall numbers and names: asm/unistd_64.h from linux-libc-dev
    (`#define __NR_<name> <nr>`);
  * parameter names and C types: the kernel's syscall tracepoint formats,
    <tracefs>/events/syscalls/sys_enter_<name>/format, which the kernel builds
    from the SYSCALL_DEFINEn() declarations, so they hold the real argument order;
  * errno names: asm-generic/errno-base.h and errno.h; messages: glibc's
    strerror(), which is the text strace prints. The kernel-internal restart
    codes (512-516) that reach user space get strace's texts.

Output (deterministic: sorted, no timestamps):
  recorder/Traceloop.Recorder/Decoding/SyscallTable.g.cs
  recorder/Traceloop.Recorder/Decoding/ErrnoTable.g.cs

The tracepoint formats belong to the running kernel, so generate on a kernel
with CONFIG_FTRACE_SYSCALLS and the syscalls you care about configured in
(modules, kexec...): a syscall without a format file is emitted with
ParamsKnown=false and six raw arguments. Run as root if tracefs is not mounted:
the script mounts it on /sys/kernel/tracing and unmounts it afterwards.

Parameter kinds (ParamKind), decided from the C type and the name:
  * Pointer: any type containing '*', and the pointer typedefs cap_user_*_t;
    except String below. execve's argv/envp are Pointer too: string arrays are
    the decoder's business.
  * String: `char *` / `const char *` holding a NUL-terminated string: the
    path-like names in PATH_NAMES in any syscall, plus the per-syscall names in
    STRING_PARAMS (mount's dev_name, xattr names...). Buffers that come with a
    length (read's buf, sethostname's name) stay Pointer.
  * Fd: an integer type whose name is in FD_NAMES (mmap's `unsigned long fd`
    included: -1 there is "no file").
  * Size: size_t. Long: long, loff_t, off_t. ULong: unsigned long, u64.
    Int: int and the int typedefs (pid_t, clockid_t...). UInt: unsigned int,
    u32, uid_t, gid_t, umode_t.
  * Unknown: any other type; the script warns so the mapping can be extended.
"""

import argparse
import os
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
OUT_DIR = REPO / "recorder" / "Traceloop.Recorder" / "Decoding"
DEFAULT_UNISTD = "/usr/include/x86_64-linux-gnu/asm/unistd_64.h"
DEFAULT_ERRNO_DIR = "/usr/include/asm-generic"
TRACEFS_CANDIDATES = ("/sys/kernel/tracing", "/sys/kernel/debug/tracing")

# The x86-64 entry points whose SYSCALL_DEFINE name (and so tracepoint name)
# differs from the __NR_ name (arch/x86/entry/syscalls/syscall_64.tbl).
TRACEPOINT_NAMES = {
    "stat": "newstat",
    "lstat": "newlstat",
    "fstat": "newfstat",
    "uname": "newuname",
    "sendfile": "sendfile64",
    "umount2": "umount",
}

FD_NAMES = frozenset({
    "fd", "oldfd", "newfd", "dfd", "olddfd", "newdfd", "epfd", "fd_in", "fd_out",
    "in_fd", "out_fd", "fdin", "fdout", "fildes", "from_dfd", "to_dfd", "group_fd",
    "fs_fd", "ruleset_fd", "fanotify_fd", "mountdirfd", "pidfd", "ufd", "mqdes",
})

PATH_NAMES = frozenset({"filename", "pathname", "path", "oldname", "newname"})

# NUL-terminated strings the generic path names miss, keyed by tracepoint name.
STRING_PARAMS = {
    "acct": {"name"},
    "umount": {"name"},
    "mount": {"dev_name", "dir_name", "type"},
    "quotactl": {"special"},
    "uselib": {"library"},
    "swapon": {"specialfile"},
    "swapoff": {"specialfile"},
    "pivot_root": {"new_root", "put_old"},
    "move_mount": {"from_pathname", "to_pathname"},
    "name_to_handle_at": {"name"},
    "getxattr": {"name"}, "lgetxattr": {"name"}, "fgetxattr": {"name"},
    "setxattr": {"name"}, "lsetxattr": {"name"}, "fsetxattr": {"name"},
    "removexattr": {"name"}, "lremovexattr": {"name"}, "fremovexattr": {"name"},
    "getxattrat": {"name"}, "setxattrat": {"name"}, "removexattrat": {"name"},
    "mq_open": {"u_name"},
    "mq_unlink": {"u_name"},
    "memfd_create": {"uname"},
    "fsopen": {"_fs_name"},
    "fsconfig": {"_key"},
    "add_key": {"_type", "_description"},
    "request_key": {"_type", "_description", "_callout_info"},
}

INT_TYPES = {
    "int": "Int", "pid_t": "Int", "clockid_t": "Int", "key_t": "Int",
    "key_serial_t": "Int", "mqd_t": "Int", "timer_t": "Int", "rwf_t": "Int",
    "__s32": "Int", "s32": "Int",
    "unsigned int": "UInt", "unsigned": "UInt", "u32": "UInt", "__u32": "UInt",
    "uid_t": "UInt", "gid_t": "UInt", "qid_t": "UInt", "umode_t": "UInt",
    "long": "Long", "loff_t": "Long", "off_t": "Long", "__kernel_old_time_t": "Long",
    "unsigned long": "ULong", "u64": "ULong", "__u64": "ULong", "aio_context_t": "ULong",
    "size_t": "Size",
}

POINTER_TYPEDEFS = frozenset({"cap_user_header_t", "cap_user_data_t"})

# Codes the kernel uses internally that a tracepoint still sees as a return
# value when a signal interrupts a syscall; texts as strace prints them.
KERNEL_ERRNOS = [
    (512, "ERESTARTSYS", "To be restarted if SA_RESTART is set"),
    (513, "ERESTARTNOINTR", "To be restarted"),
    (514, "ERESTARTNOHAND", "To be restarted if no handler"),
    (515, "ENOIOCTLCMD", None),  # strace prints strerror(): "Unknown error 515"
    (516, "ERESTART_RESTARTBLOCK", "Interrupted by signal"),
]


def warn(msg):
    print(f"gen-syscall-table: {msg}", file=sys.stderr)


def parse_unistd(path):
    syscalls = {}
    for line in Path(path).read_text().splitlines():
        m = re.match(r"#define\s+__NR_(\w+)\s+(\d+)\s*$", line)
        if m:
            syscalls[int(m.group(2))] = m.group(1)
    if not syscalls:
        sys.exit(f"no __NR_ definitions in {path}")
    return syscalls


def find_tracefs(requested):
    """Returns (events/syscalls dir, mountpoint we mounted or None)."""
    if requested:
        d = Path(requested) / "events" / "syscalls"
        if not d.is_dir():
            sys.exit(f"{d} does not exist: is this a tracefs with CONFIG_FTRACE_SYSCALLS?")
        return d, None
    for c in TRACEFS_CANDIDATES:
        d = Path(c) / "events" / "syscalls"
        if d.is_dir():
            return d, None
    mnt = TRACEFS_CANDIDATES[0]
    r = subprocess.run(["mount", "-t", "tracefs", "nodev", mnt], capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"tracefs is not mounted and mounting it on {mnt} failed "
                 f"(needs root, or pass --tracefs DIR): {r.stderr.strip()}")
    warn(f"mounted tracefs on {mnt}; it is unmounted when done")
    d = Path(mnt) / "events" / "syscalls"
    if not d.is_dir():
        subprocess.run(["umount", mnt], check=False)
        sys.exit(f"{d} does not exist: the kernel lacks CONFIG_FTRACE_SYSCALLS")
    return d, mnt


def parse_format(path):
    """The fields after __syscall_nr as (name, C type)."""
    params = []
    seen_nr = False
    for line in path.read_text().splitlines():
        m = re.match(r"\s*field:(.+?);\s*offset:", line)
        if not m:
            continue
        decl = m.group(1).strip()
        if not seen_nr:
            seen_nr = decl.endswith("__syscall_nr")
            continue
        m = re.match(r"(.*?)\s*\b(\w+)$", decl)
        if not m:
            sys.exit(f"{path}: cannot parse field '{decl}'")
        ctype = re.sub(r"\s+", " ", m.group(1)).strip()
        params.append((m.group(2), ctype))
    if not seen_nr:
        sys.exit(f"{path}: no __syscall_nr field")
    return params


def param_kind(tracepoint, name, ctype):
    base = re.sub(r"^const\s+", "", ctype)
    if "*" in ctype or base in POINTER_TYPEDEFS:
        is_char_ptr = re.fullmatch(r"(const )?char \*", ctype) is not None
        if is_char_ptr and (name in PATH_NAMES or name in STRING_PARAMS.get(tracepoint, ())):
            return "String"
        return "Pointer"
    kind = "Int" if base.startswith("enum ") else INT_TYPES.get(base)
    if kind is None:
        warn(f"{tracepoint}: unmapped type '{ctype}' of '{name}': ParamKind.Unknown")
        return "Unknown"
    if name in FD_NAMES:
        return "Fd"
    return kind


def cs_string(s):
    out = []
    for ch in s:
        if ch in "\\\"":
            out.append("\\" + ch)
        elif 0x20 <= ord(ch) < 0x7F:
            out.append(ch)
        else:
            out.append(f"\\u{ord(ch):04x}")
    return '"' + "".join(out) + '"'


def package_version(pkg):
    try:
        r = subprocess.run(["dpkg-query", "-W", "-f", "${Version}", pkg],
                           capture_output=True, text=True, check=False)
        return r.stdout.strip() or None
    except OSError:
        return None


def header(sources):
    lines = ["// <auto-generated>",
             "// Generated by scripts/gen-syscall-table.py from"]
    lines += [f"//   {s}" for s in sources]
    lines += ["// Do not edit: change the script and regenerate (docs/SYSCALL_TABLE.md).",
              "// </auto-generated>", ""]
    return lines


def gen_syscalls(unistd, syscalls_dir, kernel, out):
    syscalls = parse_unistd(unistd)
    libc_dev = package_version("linux-libc-dev")
    unistd_src = unistd + (f" (linux-libc-dev {libc_dev})" if libc_dev else "")
    lines = header([unistd_src, f"the sys_enter_* tracepoint formats of Linux {kernel}"])
    lines += ["namespace Traceloop.Recorder.Decoding;", "",
              "internal static partial class SyscallTable", "{",
              "    private static SyscallInfo[] CreateEntries() =>", "    ["]
    missing = []
    for nr in sorted(syscalls):
        name = syscalls[nr]
        tracepoint = TRACEPOINT_NAMES.get(name, name)
        fmt = syscalls_dir / f"sys_enter_{tracepoint}" / "format"
        if not fmt.is_file():
            missing.append(name)
            lines.append(f"        new({nr}, {cs_string(name)}, SyscallInfo.RawArgs, false),")
            continue
        params = ", ".join(
            f"new({cs_string(p)}, {cs_string(t)}, ParamKind.{param_kind(tracepoint, p, t)})"
            for p, t in parse_format(fmt))
        lines.append(f"        new({nr}, {cs_string(name)}, [{params}], true),")
    lines += ["    ];", "}", ""]
    out.write_text("\n".join(lines))
    print(f"{out.relative_to(REPO)}: {len(syscalls)} syscalls, "
          f"{len(missing)} without a tracepoint format: {' '.join(missing)}")


def parse_errno(path):
    errnos = {}
    for line in Path(path).read_text().splitlines():
        # Aliases (EWOULDBLOCK, EDEADLOCK) are defined by name, not number, so
        # they do not match and the primary name is the one kept.
        m = re.match(r"#define\s+(E\w+)\s+(\d+)\b", line)
        if m:
            nr = int(m.group(2))
            if nr in errnos:
                sys.exit(f"{path}: errno {nr} defined twice ({errnos[nr]}, {m.group(1)})")
            errnos[nr] = m.group(1)
    return errnos


def gen_errnos(errno_dir, out):
    base = os.path.join(errno_dir, "errno-base.h")
    generic = os.path.join(errno_dir, "errno.h")
    errnos = parse_errno(base) | parse_errno(generic)
    entries = [(nr, name, os.strerror(nr)) for nr, name in errnos.items()]
    entries += [(nr, name, msg or os.strerror(nr)) for nr, name, msg in KERNEL_ERRNOS]
    lines = header([f"{base} and {generic}, messages from glibc strerror();",
                    "ERESTARTSYS..ERESTART_RESTARTBLOCK (512-516) with strace's texts"])
    lines += ["namespace Traceloop.Recorder.Decoding;", "",
              "internal static partial class ErrnoTable", "{",
              "    private static ErrnoEntry[] CreateEntries() =>", "    ["]
    for nr, name, msg in sorted(entries):
        lines.append(f"        new({nr}, {cs_string(name)}, {cs_string(msg)}),")
    lines += ["    ];", "}", ""]
    out.write_text("\n".join(lines))
    print(f"{out.relative_to(REPO)}: {len(entries)} errnos")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--unistd", default=DEFAULT_UNISTD, help="asm/unistd_64.h to read")
    ap.add_argument("--errno-dir", default=DEFAULT_ERRNO_DIR,
                    help="directory holding errno-base.h and errno.h")
    ap.add_argument("--tracefs", help="a mounted tracefs (default: find or mount one)")
    ap.add_argument("--kernel", default=os.uname().release,
                    help="kernel release the tracefs belongs to, for the header")
    args = ap.parse_args()

    if os.strerror(2) != "No such file or directory":
        sys.exit("os.strerror() is not glibc's English text: run under glibc with LC_ALL=C")

    syscalls_dir, mounted = find_tracefs(args.tracefs)
    try:
        gen_syscalls(args.unistd, syscalls_dir, args.kernel, OUT_DIR / "SyscallTable.g.cs")
    finally:
        if mounted:
            subprocess.run(["umount", mounted], check=False)
    gen_errnos(args.errno_dir, OUT_DIR / "ErrnoTable.g.cs")


if __name__ == "__main__":
    main()
