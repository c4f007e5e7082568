using System.Globalization;
using System.Text.Json.Nodes;
using FluentAssertions;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Scheduler.Jobs.Execution;
using Scheduler.Service;
using Scheduler.Tests.Infrastructure;

namespace Scheduler.Tests.Deployment;

/// <summary>
/// The kustomize manifests, checked offline as the cluster would receive them: each overlay renders with
/// <c>kubectl kustomize</c>, every rendered object passes the offline schema validator (Kubernetes and Prometheus
/// Operator schemas, unknown fields rejected), and the wiring holds: Service 7005 → the container's <c>http</c> port
/// 8080, probes on paths the app serves, only environment variables the service reads, everything Production
/// requires provided, the security context, shutdown timing, spreading, scraping and network policy.
/// </summary>
public sealed class ManifestTests
{
    private static readonly string[] OverlayNames = ["dev", "prod"];

    /// <summary>What the Done-when of the deployment issue lists for an overlay, by kind and name.</summary>
    private static readonly (string Kind, string Name)[] RequiredObjects =
    [
        ("Deployment", Manifests.AppName),
        ("Service", Manifests.AppName),
        ("PodDisruptionBudget", Manifests.AppName),
        ("ServiceMonitor", Manifests.AppName),
        ("PrometheusRule", Manifests.AppName),
        ("ConfigMap", Manifests.DashboardConfigMapName),
        ("ConfigMap", Manifests.ConfigMapName),
        ("NetworkPolicy", Manifests.AppName),
    ];

    [TestCaseSource(nameof(OverlayNames))]
    public async Task Overlay_RendersWithKubectlKustomize_WithEveryPartInItsNamespace(string overlay)
    {
        var rendered = await Manifests.OverlayAsync(overlay);

        foreach (var (kind, name) in RequiredObjects)
        {
            rendered.Find(kind, name).Should().NotBeNull($"k8s/overlays/{overlay} must render {kind} {name}");
        }

        rendered.Objects.Should().OnlyContain(o => Manifests.Text(o["metadata"]!["namespace"]) == Manifests.Overlays[overlay],
            $"every object of the {overlay} overlay goes to namespace {Manifests.Overlays[overlay]}");
        rendered.OfKind("Secret").Should().BeEmpty("the Secret's values are never in the repository; it is created in the cluster");
        Manifests.Map(rendered.Get("ConfigMap", Manifests.DashboardConfigMapName)["metadata"]!["labels"])
            .Should().Contain("grafana_dashboard", "1", "Grafana's sidecar picks dashboards up by this label");
    }

    [Test]
    public async Task DevOverlay_PullsTheMovingDevTagOnEveryStart()
    {
        var rendered = await Manifests.OverlayAsync("dev");

        var container = Manifests.Items(rendered.Get("Deployment", Manifests.AppName)["spec"]!["template"]!["spec"]!["containers"])
            .Single(c => Manifests.Text(c["name"]) == Manifests.AppName);
        Manifests.Text(container["image"]).Should().EndWith(":dev");
        Manifests.Text(container["imagePullPolicy"]).Should().Be("Always", "a node that already has an older :dev image must not start it");
    }

    [TestCaseSource(nameof(OverlayNames))]
    public async Task Overlay_PassesTheOfflineSchemaValidation(string overlay)
    {
        var rendered = await Manifests.OverlayAsync(overlay);

        var result = await Manifests.ValidateAsync(rendered.Yaml, $"{overlay}.yaml");

        result.ExitCode.Should().Be(0, $"every object of k8s/overlays/{overlay} must match its schema:\n{result.Output}");
        result.StandardOutput.Should().Contain($"manifests: {rendered.Objects.Count} valid");
        foreach (var o in rendered.Objects)
        {
            result.StandardOutput.Should().Contain($"ok    {Manifests.Text(o["kind"])}/{Manifests.Text(o["metadata"]!["name"])} ");
        }
    }

    [Test]
    public async Task Validator_RejectsUnknownFields_WrongTypes_MissingFields_AndKindsWithoutASchema()
    {
        var prod = (await Manifests.OverlayAsync("prod")).Yaml;
        var broken = prod
            .Replace("readOnlyRootFilesystem: true", "readOnlyRootFileSystem: true", StringComparison.Ordinal)
            .Replace("honorLabels: false", "honorLabel: false", StringComparison.Ordinal)
            .Replace("maxUnavailable: 1", "maxUnavailable: [1]", StringComparison.Ordinal)
            + "---\napiVersion: v1\nkind: Service\nmetadata:\n  name: no-ports\nspec:\n  ports:\n  - targetPort: http\n"
            + "---\napiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: widget\n";

        var result = await Manifests.ValidateAsync(broken, "broken.yaml");

        result.ExitCode.Should().Be(1, result.Output);
        result.StandardOutput.Should().MatchRegex(@"error Deployment/scheduler-service .*strict: .*readOnlyRootFileSystem", "an unknown field is an error");
        result.StandardOutput.Should().MatchRegex(@"error ServiceMonitor/scheduler-service .*strict: .*honorLabel", "a misspelt CRD field is an error");
        result.StandardOutput.Should().MatchRegex(@"error PodDisruptionBudget/scheduler-service .*schema: .*maxUnavailable", "a wrong type is an error");
        result.StandardOutput.Should().MatchRegex(@"error Service/no-ports .*schema: .*port", "a missing required field is an error");
        result.StandardOutput.Should().MatchRegex(@"error Widget/widget .*no schema", "a kind without a schema is never passed unvalidated");
    }

    [Test]
    public async Task SecretExample_IsValid_AndHoldsExactlyTheKeysTheDeploymentReferences()
    {
        var path = Path.Combine(Manifests.K8sDirectory, "base", "secret.example.yaml");
        var text = await File.ReadAllTextAsync(path);
        var secret = Manifests.Parse(text).Single();
        var prod = await Manifests.OverlayAsync("prod");

        var result = await Manifests.ValidateAsync(text, "secret.example.yaml");

        result.ExitCode.Should().Be(0, result.Output);
        Manifests.Text(secret["metadata"]!["name"]).Should().Be(Manifests.SecretName);
        Manifests.Map(secret["stringData"]).Keys.Should().BeEquivalentTo(SecretKeyRefs(prod).Select(r => r.Key),
            "secret.example.yaml documents every key the Deployment takes from the Secret, and no other");
        var kustomization = await File.ReadAllTextAsync(Path.Combine(Manifests.K8sDirectory, "base", "kustomization.yaml"));
        kustomization.Split('\n').Where(l => !l.TrimStart().StartsWith('#')).Should().NotContain(l => l.Contains("secret.example", StringComparison.Ordinal),
            "the example is documentation, never applied");
    }

    [Test]
    public async Task Overlays_DifferInNamespaceReplicasImageTagResourcesAndLogLevel()
    {
        var dev = await Manifests.OverlayAsync("dev");
        var prod = await Manifests.OverlayAsync("prod");

        Manifests.Text(dev.Deployment["metadata"]!["namespace"]).Should().NotBe(Manifests.Text(prod.Deployment["metadata"]!["namespace"]));
        dev.Deployment["spec"]!["replicas"]!.GetValue<long>().Should().Be(1);
        prod.Deployment["spec"]!["replicas"]!.GetValue<long>().Should().BeGreaterThanOrEqualTo(2, "production runs a cluster of nodes");
        var devImage = Manifests.Text(dev.Container["image"])!;
        var prodImage = Manifests.Text(prod.Container["image"])!;
        devImage.Should().Contain(":").And.NotBe(prodImage);
        prodImage.Should().StartWith("ghcr.io/").And.NotEndWith(":latest", "production runs a known build");
        Manifests.Text(dev.Container["resources"]).Should().NotBe(Manifests.Text(prod.Container["resources"]));
        dev.ConfigData["Logging__LogLevel__Default"].Should().Be("Debug");
        prod.ConfigData["Logging__LogLevel__Default"].Should().Be("Information");
    }

    [Test]
    public async Task Selectors_StayAsWritten_WhileEveryObjectCarriesTheAppLabel()
    {
        foreach (var folder in new[] { "base", "overlays/dev", "overlays/prod" })
        {
            var rendered = await Manifests.RenderAsync(folder);
            var selector = Manifests.Map(rendered.Deployment["spec"]!["selector"]!["matchLabels"]);

            selector.Should().Equal(new Dictionary<string, string> { ["app"] = Manifests.AppName },
                $"k8s/{folder}: a Deployment's selector is immutable; kustomize's labels must not reach it (includeSelectors: false)");
            rendered.PodLabels.Should().Contain("app.kubernetes.io/name", Manifests.AppName);
            rendered.Objects.Should().OnlyContain(o => Manifests.Map(o["metadata"]!["labels"]).GetValueOrDefault("app.kubernetes.io/name") == Manifests.AppName,
                $"k8s/{folder}: every object is labelled app.kubernetes.io/name: {Manifests.AppName}");
        }
    }

    [TestCaseSource(nameof(OverlayNames))]
    public async Task Service_Exposes7005_ToTheContainersHttpPort8080(string overlay)
    {
        var rendered = await Manifests.OverlayAsync(overlay);
        var service = rendered.Get("Service", Manifests.AppName);
        var port = Manifests.Items(service["spec"]!["ports"]).Should().ContainSingle().Subject;

        Manifests.Text(service["spec"]!["type"]).Should().Be("ClusterIP");
        port["port"]!.GetValue<long>().Should().Be(7005, "the admin dashboard calls scheduler-service:7005");
        Manifests.Text(port["targetPort"]).Should().Be("http", "the Service targets the container port by name");
        rendered.ContainerPort("http").Should().Be(8080, "the container port named http is where the app listens");
        rendered.PodLabels.Should().Contain(Manifests.Map(service["spec"]!["selector"]), "the Service selects the Deployment's pods");
        rendered.ConfigData.GetValueOrDefault("PORT", "8080").Should().Be("8080", "the app's PORT is the container port");
    }

    [TestCaseSource(nameof(OverlayNames))]
    public async Task Probes_StartupAndLivenessOnHealth_ReadinessOnReadyz_AllOnTheHttpPort(string overlay)
    {
        var container = (await Manifests.OverlayAsync(overlay)).Container;

        foreach (var (probe, path) in new[] { ("startupProbe", "/health"), ("livenessProbe", "/health"), ("readinessProbe", "/readyz") })
        {
            var get = container[probe]?["httpGet"];
            get.Should().NotBeNull($"the container has a {probe} over HTTP");
            Manifests.Text(get!["path"]).Should().Be(path, $"{probe} path");
            Manifests.Text(get["port"]).Should().Be("http", $"{probe} port");
        }
    }

    [TestCaseSource(nameof(OverlayNames))]
    public async Task EveryEnvironmentVariable_TheDeploymentSets_IsOneTheServiceReads(string overlay)
    {
        var rendered = await Manifests.OverlayAsync(overlay);
        var direct = ServiceSettings.DirectVariables();
        direct.Should().Contain(
        [
            "JOBS_ENABLED", "JOB_HEARTBEAT_REQUIRED", "JOB_HEARTBEAT_TTL_SECONDS", "JOB_RUNNER_ID", "POD_NAME", "CRAWLER_SERVICE_URL",
            "EMAIL_SERVICE_URL", "USER_SERVICE_URL", "DISCOVERY_SERVICE_URL", "API_BASE", "ADMIN_BASIC_USERNAME", "ADMIN_BASIC_PASSWORD",
            "PORT", "HOST", "OTEL_EXPORTER_OTLP_ENDPOINT",
        ], "the names the service reads are found in its code (if this fails, the scan in ServiceSettings lost track)");

        var unread = DeploymentVariables(rendered)
            .Select(v => (v.Name, v.Source, ReadAs: ServiceSettings.WhatReads(v.Name, direct)))
            .Where(v => v.ReadAs is null)
            .Select(v => $"{v.Name} (from {v.Source})")
            .ToList();

        unread.Should().BeEmpty("a variable the service does not read is a typo or a leftover, and the setting it meant is silently missing");
        ServiceSettings.WhatReads("Recovery__ShutdownGrce", direct).Should().BeNull("the check must catch a misspelt key");
        ServiceSettings.WhatReads("CLERK_SECRET_KEY", direct).Should().BeNull("the previous service's Clerk key is not read");
    }

    [TestCaseSource(nameof(OverlayNames))]
    public async Task EverySettingProductionRequires_IsProvided_AndCredentialsOnlyFromTheSecret(string overlay)
    {
        var rendered = await Manifests.OverlayAsync(overlay);
        var variables = DeploymentVariables(rendered).ToDictionary(v => v.Name, v => v, StringComparer.Ordinal);
        bool Provided(string name) => variables.TryGetValue(name, out var v) && v.Required && (v.Source != "ConfigMap" || !string.IsNullOrWhiteSpace(v.Value));

        rendered.ConfigData.GetValueOrDefault("ASPNETCORE_ENVIRONMENT", "Production").Should().Be("Production",
            "the cluster runs the service as Production, where an issuer is required and the local one refused");
        Provided("ConnectionStrings__Scheduler").Should().BeTrue("Production needs ConnectionStrings__Scheduler");
        (Provided("AzureAd__TenantId") && Provided("AzureAd__ClientId") || Provided("Auth__Oidc__Authority") && Provided("Auth__Oidc__Audience"))
            .Should().BeTrue("Production needs an issuer: AzureAd TenantId and ClientId, or Auth:Oidc Authority and Audience");
        variables.Keys.Should().NotContain(k => k.StartsWith("Auth__Local__", StringComparison.Ordinal), "the local issuer is refused in Production");
        foreach (var name in new[] { "API_BASE", "ADMIN_BASIC_USERNAME", "ADMIN_BASIC_PASSWORD" })
        {
            Provided(name).Should().BeTrue($"{name} is required while the core-API jobs are enabled");
        }

        foreach (var credential in new[] { "ConnectionStrings__Scheduler", "ADMIN_BASIC_USERNAME", "ADMIN_BASIC_PASSWORD" })
        {
            variables[credential].Source.Should().Be($"Secret {Manifests.SecretName}", $"{credential} is a credential: it comes from the Secret, never a ConfigMap or a literal");
        }
    }

    [TestCaseSource(nameof(OverlayNames))]
    public async Task RunnerId_IsThePodsName_FromTheDownwardApi_NeverAFixedValue(string overlay)
    {
        var rendered = await Manifests.OverlayAsync(overlay);
        var env = Manifests.Items(rendered.Container["env"]).ToList();

        var podName = env.Should().ContainSingle(e => Manifests.Text(e["name"]) == "POD_NAME").Subject;
        Manifests.Text(podName["valueFrom"]?["fieldRef"]?["fieldPath"]).Should().Be("metadata.name");
        env.Where(e => Manifests.Text(e["name"]) == "JOB_RUNNER_ID" && e["valueFrom"]?["fieldRef"] is null)
            .Should().BeEmpty("one fixed JOB_RUNNER_ID would make every replica the same Quartz instance");
        rendered.ConfigData.Keys.Should().NotContain("JOB_RUNNER_ID");
    }

    [TestCaseSource(nameof(OverlayNames))]
    public async Task SecurityContext_NonRoot_ReadOnlyRoot_NoEscalation_NoCapabilities_RuntimeDefaultSeccomp_TmpOnEmptyDir(string overlay)
    {
        var rendered = await Manifests.OverlayAsync(overlay);
        var pod = rendered.PodSpec["securityContext"];
        var container = rendered.Container["securityContext"];

        Bool(pod?["runAsNonRoot"]).Should().BeTrue("the pod runs as non-root");
        Long(pod?["runAsUser"]).Should().NotBe(0, "root is never the pod's user");
        Manifests.Text(pod?["seccompProfile"]?["type"]).Should().Be("RuntimeDefault");
        container.Should().NotBeNull("the container has its own securityContext");
        Bool(container!["allowPrivilegeEscalation"]).Should().BeFalse();
        Bool(container["readOnlyRootFilesystem"]).Should().BeTrue();
        Bool(container["runAsNonRoot"]).Should().NotBe(false);
        Bool(container["privileged"]).Should().NotBe(true);
        var drop = container["capabilities"]?["drop"] as JsonArray;
        drop.Should().NotBeNull("capabilities are dropped");
        drop!.Select(Manifests.Text).Should().Contain("ALL");
        (container["capabilities"]?["add"] is null).Should().BeTrue("no capability is added back");
        Manifests.Text(container["seccompProfile"]?["type"] ?? pod?["seccompProfile"]?["type"]).Should().Be("RuntimeDefault");
        Bool(rendered.PodSpec["automountServiceAccountToken"]).Should().BeFalse("the service never calls the Kubernetes API");

        var tmp = Manifests.Items(rendered.Container["volumeMounts"]).Should().ContainSingle(m => Manifests.Text(m["mountPath"]) == "/tmp",
            "/tmp must be writable with a read-only root (the .NET runtime's diagnostics socket lives there)").Subject;
        var volume = Manifests.Items(rendered.PodSpec["volumes"]).Should().ContainSingle(v => Manifests.Text(v["name"]) == Manifests.Text(tmp["name"])).Subject;
        volume["emptyDir"].Should().NotBeNull("/tmp is an emptyDir");
    }

    [TestCaseSource(nameof(OverlayNames))]
    public async Task TerminationGrace_IsLongerThanTheServicesShutdownTimeoutPlusThePreStopPause(string overlay)
    {
        var rendered = await Manifests.OverlayAsync(overlay);
        var grace = TimeSpan.FromSeconds(rendered.PodSpec["terminationGracePeriodSeconds"]?.GetValue<long>() ?? 30);
        var preStop = TimeSpan.FromSeconds(rendered.Container["lifecycle"]?["preStop"]?["sleep"]?["seconds"]?.GetValue<long>() ?? 0);
        var shutdownGrace = rendered.ConfigData.TryGetValue("Recovery__ShutdownGrace", out var configured)
            ? TimeSpan.Parse(configured, CultureInfo.InvariantCulture)
            : new RecoveryOptions().ShutdownGrace;

        // The service's own word for how long it may take to stop, with that grace configured.
        var settings = ServiceHost.BaseSettings(TestDatabase.ConnectionString, "http://127.0.0.1:9", "manifest-test");
        settings["Recovery:ShutdownGrace"] = shutdownGrace.ToString("c", CultureInfo.InvariantCulture);
        await using var app = SchedulerApp.Create(ServiceHost.Args, configuration => configuration.AddInMemoryCollection(settings));
        var shutdownTimeout = app.Services.GetRequiredService<IOptions<HostOptions>>().Value.ShutdownTimeout;

        preStop.Should().BePositive("a preStop pause lets the Service stop routing to the pod before SIGTERM");
        shutdownTimeout.Should().Be(shutdownGrace + TimeSpan.FromSeconds(20));
        grace.Should().BeGreaterThan(shutdownTimeout + preStop,
            $"the kubelet SIGKILLs after terminationGracePeriodSeconds, which also counts the preStop pause ({preStop.TotalSeconds} s) before the service's own {shutdownTimeout.TotalSeconds} s");
    }

    [TestCaseSource(nameof(OverlayNames))]
    public async Task Pods_SpreadOverZonesAndNodes_WithRequests_AMemoryLimit_AndABudget(string overlay)
    {
        var rendered = await Manifests.OverlayAsync(overlay);
        var spread = Manifests.Items(rendered.PodSpec["topologySpreadConstraints"]).ToList();
        var budget = rendered.Get("PodDisruptionBudget", Manifests.AppName);
        var resources = rendered.Container["resources"];

        spread.Select(c => Manifests.Text(c["topologyKey"])).Should().Contain(["topology.kubernetes.io/zone", "kubernetes.io/hostname"]);
        foreach (var constraint in spread)
        {
            var counted = Manifests.Map(constraint["labelSelector"]?["matchLabels"]);
            counted.Should().NotBeEmpty().And.Subject.Should().OnlyContain(l => rendered.PodLabels.Contains(l), "each constraint counts this Deployment's pods");
        }
        Manifests.Text(resources?["requests"]?["cpu"]).Should().NotBeNullOrEmpty("the scheduler needs a CPU request to place the pod");
        Manifests.Text(resources?["requests"]?["memory"]).Should().NotBeNullOrEmpty();
        Manifests.Text(resources?["limits"]?["memory"]).Should().NotBeNullOrEmpty("memory is bounded; the .NET GC sizes its heap to the limit");
        Manifests.Map(budget["spec"]!["selector"]!["matchLabels"]).Should().NotBeEmpty().And.Subject.Should().OnlyContain(l => rendered.PodLabels.Contains(l));
        Manifests.Text(budget["spec"]!["maxUnavailable"]).Should().Be("1", "voluntary disruptions take one pod at a time");
    }

    [TestCaseSource(nameof(OverlayNames))]
    public async Task ServiceMonitor_ScrapesMetricsOnHttp_AsTheJobTheAlertRulesSelect(string overlay)
    {
        var rendered = await Manifests.OverlayAsync(overlay);
        var monitor = rendered.Get("ServiceMonitor", Manifests.AppName);
        var service = rendered.Get("Service", Manifests.AppName);
        var rule = rendered.Get("PrometheusRule", Manifests.AppName);
        var endpoint = Manifests.Items(monitor["spec"]!["endpoints"]).Should().ContainSingle().Subject;

        Manifests.Map(service["metadata"]!["labels"]).Should().Contain(Manifests.Map(monitor["spec"]!["selector"]!["matchLabels"]),
            "the ServiceMonitor selects the Service by its labels");
        monitor["spec"]!["namespaceSelector"].Should().BeNull("it scrapes the Service in its own namespace");
        Manifests.Text(endpoint["port"]).Should().Be(Manifests.Text(Manifests.Items(service["spec"]!["ports"]).Single()["name"]),
            "the endpoint names the Service's port");
        Manifests.Text(endpoint["path"]).Should().Be("/metrics");
        (endpoint["honorLabels"]?.GetValue<bool>() ?? false).Should().BeFalse(
            "honorLabels false keeps job=\"scheduler-service\" and turns the service's job=\"jobs-runner\" into exported_job, as the rules expect");
        monitor["spec"]!["jobLabel"].Should().BeNull("without jobLabel the job label is the Service's name");
        Manifests.Text(service["metadata"]!["name"]).Should().Be("scheduler-service");
        var expressions = Manifests.Items(rule["spec"]!["groups"]).SelectMany(g => Manifests.Items(g["rules"])).Select(r => Manifests.Text(r["expr"]) ?? "").ToList();
        expressions.Should().NotBeEmpty().And.OnlyContain(e => e.Contains("job=\"scheduler-service\"", StringComparison.Ordinal),
            "the rules select the scrape job this ServiceMonitor produces");
        Manifests.Map(monitor["metadata"]!["labels"]).GetValueOrDefault("release").Should()
            .Be(Manifests.Map(rule["metadata"]!["labels"]).GetValueOrDefault("release"), "Prometheus selects rules and monitors by the same release label");
    }

    [TestCaseSource(nameof(OverlayNames))]
    public async Task NetworkPolicy_AdmitsOnlyTheDashboardsNamespaceAndPrometheus_OnTheHttpPort(string overlay)
    {
        var rendered = await Manifests.OverlayAsync(overlay);
        var spec = rendered.Get("NetworkPolicy", Manifests.AppName)["spec"]!;
        var rules = Manifests.Items(spec["ingress"]).ToList();

        Manifests.Map(spec["podSelector"]!["matchLabels"]).Should().NotBeEmpty().And.Subject.Should().OnlyContain(l => rendered.PodLabels.Contains(l));
        (spec["policyTypes"] as JsonArray)!.Select(Manifests.Text).Should().Contain("Ingress");
        rules.Should().HaveCount(2);
        foreach (var rule in rules)
        {
            Manifests.Items(rule["ports"]).Select(p => Manifests.Text(p["port"])).Should().Equal(["http"], "only the http port is open");
            var from = Manifests.Items(rule["from"]).Should().ContainSingle("each rule admits one kind of peer").Subject;
            from["ipBlock"].Should().BeNull();
            Manifests.Map(from["namespaceSelector"]?["matchLabels"]).Should().NotBeEmpty("peers are chosen by namespace, never 'any namespace'");
        }

        var dashboard = Manifests.Items(rules[0]["from"]).Single();
        Manifests.Map(dashboard["namespaceSelector"]!["matchLabels"]).Should().Equal(new Dictionary<string, string>
        {
            ["kubernetes.io/metadata.name"] = Manifests.Overlays[overlay],
        }, "the admin dashboard's namespace (this one: it calls scheduler-service:7005 by its short name)");
        var prometheus = Manifests.Items(rules[1]["from"]).Single();
        Manifests.Map(prometheus["namespaceSelector"]!["matchLabels"]).Should().Equal(new Dictionary<string, string> { ["kubernetes.io/metadata.name"] = "monitoring" });
        Manifests.Map(prometheus["podSelector"]?["matchLabels"]).Should().Equal(new Dictionary<string, string> { ["app.kubernetes.io/name"] = "prometheus" },
            "only Prometheus's pods in the monitoring namespace");
    }

    [TestCaseSource(nameof(OverlayNames))]
    public async Task Overlay_EveryRunbookLink_StartsWithTheOneRunbookBaseUrlItSets(string overlay)
    {
        var baseUrl = Manifests.RunbookBaseUrl(overlay);
        var rendered = await Manifests.OverlayAsync(overlay);

        baseUrl.Should().StartWith("https://").And.EndWith("/docs/runbook.md").And.NotContain("example", "the overlay names the real repository");
        AssertRunbookLinksStartWith(rendered, baseUrl);
        rendered.Yaml.Should().NotContain("github.com/example").And.NotContain("RUNBOOK_BASE_URL");
        rendered.Find("ConfigMap", Manifests.LinksConfigMapName).Should().BeNull("the setting's ConfigMap is local-config, never applied");
    }

    [Test]
    public async Task RunbookLinksComponent_WritesWhateverBaseUrlTheOverlaySets_IntoEveryAlertAndTheDashboard()
    {
        const string baseUrl = "https://runbooks.test/ops/scheduler/runbook.md";
        var directory = Directory.CreateTempSubdirectory("scheduler-overlay-");
        try
        {
            // kustomize takes only relative paths to other kustomizations.
            await File.WriteAllTextAsync(Path.Combine(directory.FullName, "kustomization.yaml"), $"""
                apiVersion: kustomize.config.k8s.io/v1beta1
                kind: Kustomization
                resources:
                  - {Path.GetRelativePath(directory.FullName, Path.Combine(Manifests.K8sDirectory, "base"))}
                components:
                  - {Path.GetRelativePath(directory.FullName, Path.Combine(Manifests.K8sDirectory, "components", "runbook-links"))}
                configMapGenerator:
                  - name: {Manifests.LinksConfigMapName}
                    literals:
                      - runbookBaseUrl={baseUrl}
                    options:
                      disableNameSuffixHash: true
                      annotations:
                        config.kubernetes.io/local-config: "true"
                """);

            var rendered = await Manifests.RenderAsync(directory.FullName);

            AssertRunbookLinksStartWith(rendered, baseUrl);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Test]
    public async Task ProdIngressOverlay_IsProdPlusTheIngress_AndPassesTheOfflineSchemaValidation()
    {
        var prod = await Manifests.OverlayAsync("prod");
        var rendered = await Manifests.OverlayAsync("prod-ingress");

        var result = await Manifests.ValidateAsync(rendered.Yaml, "prod-ingress.yaml");

        result.ExitCode.Should().Be(0, $"every object of k8s/overlays/prod-ingress must match its schema:\n{result.Output}");
        result.StandardOutput.Should().Contain($"manifests: {rendered.Objects.Count} valid").And.Contain("ok    Ingress/scheduler-service ");
        rendered.Objects.Select(Key).Should().BeEquivalentTo(prod.Objects.Select(Key).Append("Ingress/scheduler-service"));
        rendered.Objects.Should().OnlyContain(o => Manifests.Text(o["metadata"]!["namespace"]) == Manifests.Overlays["prod"]);
        foreach (var o in prod.Objects.Where(o => Manifests.Text(o["kind"]) != "NetworkPolicy"))
        {
            JsonNode.DeepEquals(o, rendered.Get(Manifests.Text(o["kind"])!, Manifests.Text(o["metadata"]!["name"])!))
                .Should().BeTrue($"prod-ingress deploys {Key(o)} exactly as prod does");
        }

        rendered.Yaml.Should().NotContain("INGRESS_", "every value of the Ingress comes from the overlay's settings");

        static string Key(JsonObject o) => $"{Manifests.Text(o["kind"])}/{Manifests.Text(o["metadata"]!["name"])}";
    }

    [Test]
    public async Task Ingress_RoutesTheDashboardTheApiAndItsReference_ToTheServicePort7005_OverTls()
    {
        var rendered = await Manifests.OverlayAsync("prod-ingress");
        var spec = rendered.Get("Ingress", Manifests.AppName)["spec"]!;
        var host = Manifests.OverlaySetting("prod-ingress", Manifests.IngressConfigMapName, "host");
        var servicePorts = Manifests.Items(rendered.Get("Service", Manifests.AppName)["spec"]!["ports"]).Select(p => p["port"]!.GetValue<long>());

        Manifests.Text(spec["ingressClassName"]).Should().Be(Manifests.OverlaySetting("prod-ingress", Manifests.IngressConfigMapName, "ingressClassName"));
        var tls = Manifests.Items(spec["tls"]).Should().ContainSingle().Subject;
        Manifests.Text(tls["secretName"]).Should().Be(Manifests.OverlaySetting("prod-ingress", Manifests.IngressConfigMapName, "tlsSecretName"));
        (tls["hosts"] as JsonArray)!.Select(Manifests.Text).Should().Equal([host], "the certificate covers the one host the rule serves");
        var rule = Manifests.Items(spec["rules"]).Should().ContainSingle().Subject;
        Manifests.Text(rule["host"]).Should().Be(host);
        var paths = Manifests.Items(rule["http"]!["paths"]).ToList();
        paths.Select(p => Manifests.Text(p["path"])).Should().BeEquivalentTo(["/dashboard", "/api", "/openapi", "/scalar"]);
        foreach (var path in paths)
        {
            Manifests.Text(path["pathType"]).Should().Be("Prefix", $"{Manifests.Text(path["path"])} covers everything below it");
            Manifests.Text(path["backend"]!["service"]!["name"]).Should().Be(Manifests.AppName);
            path["backend"]!["service"]!["port"]!["number"]!.GetValue<long>().Should().Be(7005);
        }

        servicePorts.Should().Contain(7005, "the Ingress's backend port is one the Service exposes");
    }

    [Test]
    public async Task IngressOverlay_NetworkPolicy_AlsoAdmitsTheIngressControllersNamespace()
    {
        var prod = (await Manifests.OverlayAsync("prod")).Get("NetworkPolicy", Manifests.AppName)["spec"]!;
        var spec = (await Manifests.OverlayAsync("prod-ingress")).Get("NetworkPolicy", Manifests.AppName)["spec"]!;
        var rules = Manifests.Items(spec["ingress"]).ToList();

        rules.Should().HaveCount(3);
        rules.Take(2).Zip(Manifests.Items(prod["ingress"])).Should().OnlyContain(p => JsonNode.DeepEquals(p.First, p.Second), "prod's two rules stay as they are");
        Manifests.Items(rules[2]["ports"]).Select(p => Manifests.Text(p["port"])).Should().Equal(["http"]);
        var controller = Manifests.Items(rules[2]["from"]).Should().ContainSingle().Subject;
        Manifests.Map(controller["namespaceSelector"]!["matchLabels"]).Should().Equal(new Dictionary<string, string>
        {
            ["kubernetes.io/metadata.name"] = Manifests.OverlaySetting("prod-ingress", Manifests.IngressConfigMapName, "controllerNamespace"),
        }, "the ingress controller's pods forward the requests, so they must reach the http port");
    }

    /// <summary>Every alert's runbook_url is the base URL, '#', an anchor; the dashboard's Runbook link is the base URL itself.</summary>
    private static void AssertRunbookLinksStartWith(Rendered rendered, string baseUrl)
    {
        var alerts = Manifests.Items(rendered.Get("PrometheusRule", Manifests.AppName)["spec"]!["groups"])
            .SelectMany(g => Manifests.Items(g["rules"]))
            .Where(r => r["alert"] is not null)
            .ToList();
        alerts.Should().NotBeEmpty();
        foreach (var alert in alerts)
        {
            var url = Manifests.Text(alert["annotations"]?["runbook_url"]);
            url.Should().MatchRegex($"^{System.Text.RegularExpressions.Regex.Escape(baseUrl)}#[a-z0-9_-]+$",
                $"{Manifests.Text(alert["alert"])}'s runbook_url is the configured runbook with a heading anchor");
        }

        var dashboard = JsonNode.Parse(Manifests.Map(rendered.Get("ConfigMap", Manifests.DashboardConfigMapName)["data"])["scheduler-service.json"])!;
        var links = Manifests.Items(dashboard["links"]).ToList();
        links.Should().ContainSingle(l => Manifests.Text(l["title"]) == "Runbook");
        links.Select(l => Manifests.Text(l["url"])).Should().Equal([baseUrl], "the dashboard's Runbook link is the same one setting");
        dashboard["uid"].Should().NotBeNull("the rest of the dashboard is intact after the link is written");
    }

    private static bool? Bool(JsonNode? node) => node?.GetValue<bool>();

    private static long? Long(JsonNode? node) => node?.GetValue<long>();

    /// <summary>A variable the Deployment gives the container: its name, where it comes from, its value when known, and whether the pod needs it.</summary>
    internal sealed record Variable(string Name, string Source, string? Value, bool Required);

    /// <summary>Every variable the container gets: its <c>env</c> entries and the keys of each ConfigMap it takes with envFrom.</summary>
    internal static IEnumerable<Variable> DeploymentVariables(Rendered rendered)
    {
        foreach (var from in Manifests.Items(rendered.Container["envFrom"]))
        {
            from["secretRef"].Should().BeNull("a whole Secret in envFrom hides which variables it sets; reference each key with secretKeyRef");
            var name = Manifests.Text(from["configMapRef"]?["name"]);
            name.Should().NotBeNull("envFrom takes ConfigMaps only");
            from["prefix"].Should().BeNull();
            var configMap = rendered.Find("ConfigMap", name!);
            configMap.Should().NotBeNull($"envFrom names ConfigMap {name}, which the overlay must render so that its keys can be checked");
            foreach (var (key, value) in Manifests.Map(configMap!["data"]))
            {
                yield return new Variable(key, "ConfigMap", value, Required: true);
            }
        }

        foreach (var entry in Manifests.Items(rendered.Container["env"]))
        {
            var name = Manifests.Text(entry["name"])!;
            if (entry["valueFrom"]?["secretKeyRef"] is { } secret)
            {
                yield return new Variable(name, $"Secret {Manifests.Text(secret["name"])}", null, secret["optional"]?.GetValue<bool>() != true);
            }
            else if (entry["valueFrom"]?["fieldRef"] is { } field)
            {
                yield return new Variable(name, $"field {Manifests.Text(field["fieldPath"])}", null, Required: true);
            }
            else if (entry["valueFrom"] is not null)
            {
                yield return new Variable(name, "valueFrom", null, Required: true);
            }
            else
            {
                yield return new Variable(name, "literal", Manifests.Text(entry["value"]), Required: true);
            }
        }
    }

    /// <summary>The keys the container takes from the Secret scheduler-service-secrets, with the variable each becomes.</summary>
    internal static IEnumerable<(string Variable, string Key)> SecretKeyRefs(Rendered rendered) =>
        Manifests.Items(rendered.Container["env"])
            .Where(e => Manifests.Text(e["valueFrom"]?["secretKeyRef"]?["name"]) == Manifests.SecretName)
            .Select(e => (Manifests.Text(e["name"])!, Manifests.Text(e["valueFrom"]!["secretKeyRef"]!["key"])!));
}
