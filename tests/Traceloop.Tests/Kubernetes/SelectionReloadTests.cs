using System.Collections.Concurrent;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Traceloop.Recorder.Kubernetes;
using Traceloop.Tests.Containers;

namespace Traceloop.Tests.Kubernetes;

/// <summary>
/// A selection reload through the real configuration stack: a JSON file watched with
/// reloadOnChange, the options registered as the recorder registers them (Bind, ValidateOnStart,
/// SelectionOptionsValidator), so the options monitor that start-up validation creates is live
/// and throws inside the reload callback when the new selection does not validate.
/// </summary>
/// <remarks>
/// That throw is the framework's: the file watcher cancels its token on a thread-pool task
/// (PhysicalFilesWatcher.CancelToken), so the monitor's OptionsValidationException faults that
/// task and reaches TaskScheduler.UnobservedTaskException when it is finalized; it is not an
/// unhandled exception, and ChangeToken.OnChange re-registers in a finally, so later reloads still
/// arrive. What this test holds PodSelection to: nothing of its own escapes on either path.
/// </remarks>
public sealed class SelectionReloadTests
{
    [Fact]
    public async Task AnInvalidSelectorInTheConfigFileIsRefused_TheLastGoodSelectionStays_AndALaterValidOneApplies()
    {
        var unhandled = new ConcurrentQueue<object>();
        var unobserved = new ConcurrentQueue<AggregateException>();
        void OnUnhandled(object? sender, UnhandledExceptionEventArgs e) => unhandled.Enqueue(e.ExceptionObject);
        void OnUnobserved(object? sender, UnobservedTaskExceptionEventArgs e) => unobserved.Enqueue(e.Exception);
        AppDomain.CurrentDomain.UnhandledException += OnUnhandled;
        TaskScheduler.UnobservedTaskException += OnUnobserved;
        string dir = Directory.CreateTempSubdirectory("traceloop-selection-").FullName;
        try
        {
            string file = Path.Combine(dir, "traceloop.json");
            await File.WriteAllTextAsync(file, Config("tier!=db"));
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
            services.AddOptions<SelectionOptions>().Bind(configuration.GetSection("Selection")).ValidateOnStart();
            services.AddSingleton<IValidateOptions<SelectionOptions>, SelectionOptionsValidator>();
            using ServiceProvider provider = services.BuildServiceProvider();
            // What the host does before it starts the hosted services; it also creates the options monitor.
            provider.GetRequiredService<IStartupValidator>().Validate();

            using var h = new RegistryHarness();
            var pods = new PodCache();
            using var selection = new PodSelection(h.Registry, h.Exclusions, pods,
                provider.GetRequiredService<IOptionsFactory<SelectionOptions>>(),
                provider.GetServices<IOptionsChangeTokenSource<SelectionOptions>>(),
                NullLogger<PodSelection>.Instance);
            pods.Upsert(new PodInfo("shop", "db", RegistryHarness.PodUid(1), new Dictionary<string, string> { ["tier"] = "db" }, "node-1", "Running", "1", []));
            pods.Upsert(new PodInfo("kube-system", "dns", RegistryHarness.PodUid(2), new Dictionary<string, string>(), "node-1", "Running", "1", []));
            await selection.StartAsync(CancellationToken.None);
            Assert.Equal(1, selection.ExcludedCount);

            await ConfigFileReload.ReplaceAsync(file, Config("app in ("));
            await ConfigFileReload.Until(() => selection.RefusedReloads == 1);
            Assert.Equal(1, selection.ExcludedCount);
            Assert.Contains("pod" + RegistryHarness.PodUid(1), h.Kernel.ExcludedPodCgroups);

            await ConfigFileReload.ReplaceAsync(file, Config("tier=db"));
            await ConfigFileReload.Until(() => h.Exclusions.IsExcluded(RegistryHarness.PodUid(2)));
            Assert.False(h.Exclusions.IsExcluded(RegistryHarness.PodUid(1)));
            Assert.Equal(1, selection.RefusedReloads);

            await selection.StopAsync(CancellationToken.None);
            // Finalize the reload tasks so a fault among them is reported now, not after the test.
            GC.Collect();
            GC.WaitForPendingFinalizers();
            Assert.Empty(unhandled);
            Assert.DoesNotContain(unobserved.SelectMany(e => e.Flatten().InnerExceptions),
                e => e.ToString().Contains(nameof(PodSelection), StringComparison.Ordinal));
        }
        finally
        {
            AppDomain.CurrentDomain.UnhandledException -= OnUnhandled;
            TaskScheduler.UnobservedTaskException -= OnUnobserved;
            Directory.Delete(dir, recursive: true);
        }
    }

    private static string Config(string selector) => $$"""{ "Selection": { "LabelSelector": "{{selector}}" } }""";
}
