using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Traceloop.Recorder.Bpf;
using Traceloop.Recorder.Kubernetes;
using Traceloop.Tests.Containers;

namespace Traceloop.Tests.Kubernetes;

/// <summary>
/// Capture levels reloaded through the real configuration stack, as the recorder registers them:
/// a level that does not parse is refused and the restricted namespace stays restricted, in the
/// kernel's map and in its running container's entry; a valid change reaches both.
/// </summary>
public sealed class CaptureReloadTests
{
    private static readonly CaptureLevel Strict = CaptureLevel.NoPayload | CaptureLevel.NoArgv;

    [Fact]
    public async Task ABadLevelInTheConfigFileIsRefused_TheNamespaceStaysRestricted_AndALaterValidChangeApplies()
    {
        string dir = Directory.CreateTempSubdirectory("traceloop-capture-").FullName;
        try
        {
            string file = Path.Combine(dir, "traceloop.json");
            await File.WriteAllTextAsync(file, Config("no-payload,no-argv"));
            IConfigurationRoot configuration = new ConfigurationBuilder()
                .AddJsonFile(source =>
                {
                    source.Path = file;
                    source.ReloadOnChange = true;
                    source.ReloadDelay = 50;
                    source.ResolveFileProvider();
                })
                .Build();
            var services = new ServiceCollection();
            services.AddOptions<CaptureOptions>().Bind(configuration.GetSection(CaptureOptions.Section)).ValidateOnStart();
            services.AddSingleton<IValidateOptions<CaptureOptions>, CaptureOptionsValidator>();
            using ServiceProvider provider = services.BuildServiceProvider();
            provider.GetRequiredService<IStartupValidator>().Validate();

            using var h = new RegistryHarness();
            var pods = new PodCache();
            string paid = RegistryHarness.PodUid(1), shop = RegistryHarness.PodUid(2);
            pods.Upsert(new PodInfo("payments", "api", paid, new Dictionary<string, string>(), "node-1", "Running", "1", []));
            pods.Upsert(new PodInfo("shop", "web", shop, new Dictionary<string, string>(), "node-1", "Running", "1", []));
            using var rules = new CaptureRules(h.Registry, h.Levels, pods,
                provider.GetRequiredService<IOptionsFactory<CaptureOptions>>(),
                provider.GetServices<IOptionsChangeTokenSource<CaptureOptions>>(),
                NullLogger<CaptureRules>.Instance);
            await rules.StartAsync(CancellationToken.None);
            var running = h.Start(paid, RegistryHarness.ContainerId(1));
            Assert.Equal(Strict, h.Kernel.Containers[running.CgroupId].level);
            Assert.Equal(CaptureLevel.Full, h.Levels.For(shop));

            await ConfigFileReload.ReplaceAsync(file, Config("no-secrets"));
            await ConfigFileReload.Until(() => rules.RefusedReloads == 1);
            Assert.Equal(Strict, h.Kernel.CaptureLevels[$"pod{paid}"]);
            Assert.Equal(Strict, h.Kernel.Containers[running.CgroupId].level);

            await ConfigFileReload.ReplaceAsync(file, Config("no-payload"));
            await ConfigFileReload.Until(() => h.Kernel.Containers[running.CgroupId].level == CaptureLevel.NoPayload);
            Assert.Equal(CaptureLevel.NoPayload, h.Kernel.CaptureLevels[$"pod{paid}"]);
            Assert.Equal(1, rules.RefusedReloads);
            await rules.StopAsync(CancellationToken.None);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static string Config(string level) =>
        $$"""{ "Capture": { "Default": "full", "Rules": [ { "Namespaces": "payments", "Level": "{{level}}" } ] } }""";
}
