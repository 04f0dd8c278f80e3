using System.Text.Json.Nodes;

namespace Traceloop.FunctionalTests.Containers;

/// <summary>The bundle's config.json: runc's default spec, with containerd's default capabilities and a kubelet cgroup path.</summary>
internal static class OciConfig
{
    // containerd's default set, which pods get unless their security context says otherwise.
    private static readonly string[] Capabilities =
    [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID",
        "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
    ];

    public static JsonObject Create(ContainerSpec spec, string rootfs, string cgroupPath)
    {
        var env = new Dictionary<string, string>
        {
            ["PATH"] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            ["HOME"] = "/root",
        };
        foreach (var (name, value) in spec.Env ?? new Dictionary<string, string>())
        {
            env[name] = value;
        }

        var mounts = new JsonArray(
            Mount("/proc", "proc", "proc"),
            Mount("/dev", "tmpfs", "tmpfs", "nosuid", "strictatime", "mode=755", "size=65536k"),
            Mount("/dev/pts", "devpts", "devpts", "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"),
            Mount("/dev/shm", "tmpfs", "shm", "nosuid", "noexec", "nodev", "mode=1777", "size=65536k"),
            Mount("/dev/mqueue", "mqueue", "mqueue", "nosuid", "noexec", "nodev"),
            Mount("/sys", "sysfs", "sysfs", "nosuid", "noexec", "nodev", "ro"),
            Mount("/sys/fs/cgroup", "cgroup", "cgroup", "nosuid", "noexec", "nodev", "relatime", "ro"),
            // The rootfs is read-only and shared by every container; /tmp is each container's own scratch space.
            Mount("/tmp", "tmpfs", "tmpfs", "nosuid", "nodev", "mode=1777", "size=65536k"));
        foreach ((string hostPath, string containerPath) in spec.ReadOnlyBinds ?? [])
        {
            mounts.Add(Mount(containerPath, "bind", hostPath, "rbind", "ro"));
        }
        var namespaces = new JsonArray(Namespace("pid"), Namespace("ipc"), Namespace("uts"), Namespace("mount"));
        if (spec.Network)
        {
            // Sharing the host's network namespace, name resolution should work like the host's.
            foreach (string file in new[] { "/etc/resolv.conf", "/etc/hosts" }.Where(File.Exists))
            {
                mounts.Add(Mount(file, "bind", file, "rbind", "ro"));
            }
        }
        else
        {
            // runc brings up lo, and only lo, in a network namespace it creates.
            namespaces.Add(Namespace("network"));
        }

        var resources = new JsonObject { ["devices"] = new JsonArray(new JsonObject { ["allow"] = false, ["access"] = "rwm" }) };
        if (spec.MemoryLimitBytes is long limit)
        {
            // OCI's swap is memory plus swap: equal to the limit means no swap, so the OOM killer acts at the limit.
            resources["memory"] = new JsonObject { ["limit"] = limit, ["swap"] = limit };
        }

        return new JsonObject
        {
            ["ociVersion"] = "1.0.2",
            ["process"] = new JsonObject
            {
                ["terminal"] = false,
                ["user"] = new JsonObject { ["uid"] = 0, ["gid"] = 0 },
                ["args"] = new JsonArray(spec.Args.Select(arg => (JsonNode?)arg).ToArray()),
                ["env"] = new JsonArray(env.Select(kv => (JsonNode?)$"{kv.Key}={kv.Value}").ToArray()),
                ["cwd"] = "/",
                ["capabilities"] = new JsonObject
                {
                    ["bounding"] = Strings(Capabilities),
                    ["effective"] = Strings(Capabilities),
                    ["permitted"] = Strings(Capabilities),
                },
                ["rlimits"] = new JsonArray(
                    Rlimit("RLIMIT_NOFILE", 1024),
                    // No core files: a crash test would otherwise write one wherever core_pattern points on the host.
                    Rlimit("RLIMIT_CORE", 0)),
                ["noNewPrivileges"] = true,
            },
            ["root"] = new JsonObject { ["path"] = rootfs, ["readonly"] = true },
            ["hostname"] = "traceloop-test",
            ["mounts"] = mounts,
            ["linux"] = new JsonObject
            {
                ["cgroupsPath"] = cgroupPath,
                ["resources"] = resources,
                ["namespaces"] = namespaces,
                ["maskedPaths"] = Strings(
                    "/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
                    "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/proc/scsi"),
                ["readonlyPaths"] = Strings("/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"),
            },
        };
    }

    private static JsonNode Mount(string destination, string type, string source, params string[] options) =>
        new JsonObject { ["destination"] = destination, ["type"] = type, ["source"] = source, ["options"] = Strings(options) };

    private static JsonNode Namespace(string type) => new JsonObject { ["type"] = type };

    private static JsonNode Rlimit(string type, long limit) => new JsonObject { ["type"] = type, ["hard"] = limit, ["soft"] = limit };

    private static JsonArray Strings(params string[] values) => new(values.Select(value => (JsonNode?)value).ToArray());
}
