import Foundation
import PorticoConfig
import PorticoDiagnostics
import PorticoKube
import PorticoRouting
import Testing

/// The controller ConfigMap (`--configmap`), read key by key as ingress-nginx's
/// `template.ReadConfig`: what each key sets, what a bad value does, and how the settings reach
/// routes and the snapshot.
@Suite struct ControllerConfigMapTests {
    static func configMap(_ data: [String: String], name: String = "portico-controller") -> ConfigMap {
        ConfigMap(
            metadata: ObjectMeta(name: name, namespace: "ingress-nginx"), location: SourceLocation(file: "settings.yaml", line: 1), data: data)
    }

    func read(_ data: [String: String], previous: [String: String] = [:]) -> (ControllerSettings, [Diagnostic]) {
        var diagnostics: [Diagnostic] = []
        let settings = ControllerConfigMap.read(Self.configMap(data), previous: previous, diagnostics: &diagnostics)
        return (settings, diagnostics)
    }

    @Test func eachKeySetsItsSetting() {
        let (settings, diagnostics) = self.read([
            "hsts-max-age": "600", "hsts-include-subdomains": "false", "hsts-preload": "true", "proxy-body-size": "8m",
            "ssl-redirect": "false", "proxy-read-timeout": "120", "keep-alive": "10", "keep-alive-requests": "50",
            "client-header-timeout": "7", "large-client-header-buffers": "2 4k", "client-header-buffer-size": "2k",
            "upstream-keepalive-connections": "16",
            "upstream-keepalive-timeout": "30", "upstream-keepalive-requests": "100", "limit-req-status-code": "429",
            "use-forwarded-headers": "true", "compute-full-forwarded-for": "true", "proxy-real-ip-cidr": "10.0.0.0/8, 192.168.0.0/16",
            "forwarded-for-header": "CF-Connecting-IP", "server-tokens": "true", "ssl-protocols": "TLSv1.3",
            "disable-access-log": "true",
        ])
        #expect(diagnostics.filter { $0.severity != .info }.isEmpty, "\(diagnostics)")
        #expect(settings.server.hsts.fieldLine == "Strict-Transport-Security: max-age=600; preload\r\n")
        #expect(settings.location.maxBodySize == 8 * 1024 * 1024)
        #expect(settings.location.sslRedirect == false)
        #expect(settings.location.readTimeoutSeconds == 120)
        #expect(settings.location.accessLog == false)
        #expect(settings.server.keepAliveSeconds == 10)
        #expect(settings.server.keepAliveRequests == 50)
        #expect(settings.server.clientHeaderTimeoutSeconds == 7)
        #expect(settings.server.headerBuffers == ServerSettings.HeaderBuffers(count: 2, size: 4096))
        #expect(settings.server.clientHeaderBufferSize == 2048)
        #expect(settings.server.upstreamKeepaliveConnections == 16)
        #expect(settings.server.upstreamKeepaliveTimeoutSeconds == 30)
        #expect(settings.server.upstreamKeepaliveRequests == 100)
        #expect(settings.server.limitRequestStatus == 429)
        #expect(settings.server.forwarding?.useForwardedHeaders == true)
        #expect(settings.server.forwarding?.computeFullForwardedFor == true)
        #expect(settings.server.forwarding?.forwardedForHeader == "cf-connecting-ip")
        #expect(settings.server.forwarding?.trustedRanges.count == 2)
        #expect(settings.server.serverTokens)
        #expect(settings.server.tlsProtocols == ServerSettings.TLSProtocolRange(lowest: 0x0304, highest: 0x0304))
    }

    @Test func theOpenTelemetryKeysSetTracing() {
        let (settings, diagnostics) = self.read([
            "enable-opentelemetry": "true", "opentelemetry-trust-incoming-span": "false", "opentelemetry-operation-name": "edge",
            "otlp-collector-host": "otel-collector.monitoring", "otlp-collector-port": "4318", "otel-service-name": "shop-edge",
            "otel-sampler": "TraceIdRatioBased", "otel-sampler-ratio": "0.5", "otel-sampler-parent-based": "false",
            "otel-schedule-delay-millis": "1000", "otel-max-export-batch-size": "64", "otel-max-queuesize": "128",
        ])
        #expect(diagnostics.filter { $0.severity != .info }.isEmpty, "\(diagnostics)")
        #expect(settings.location.tracing == TracingPolicy(enabled: true, trustIncoming: false, operationName: "edge"))
        let tracing = settings.server.tracing
        #expect(tracing.collectorHost == "otel-collector.monitoring" && tracing.collectorPort == 4318 && tracing.serviceName == "shop-edge")
        #expect(tracing.sampler == .traceIDRatio && tracing.samplerRatio == 0.5 && !tracing.parentBased)
        #expect(tracing.scheduleDelayMilliseconds == 1000 && tracing.maxExportBatchSize == 64 && tracing.maxQueueSize == 128)
        // The port note: Portico speaks OTLP/HTTP, not ingress-nginx's gRPC.
        #expect(diagnostics.contains { $0.field == "data.otlp-collector-port" && $0.message.contains("OTLP over HTTP") })
        let (bad, refusals) = self.read(["otel-sampler": "Sometimes", "opentelemetry-operation-name": "a b"])
        #expect(bad.server.tracing.sampler == .alwaysOn && bad.location.tracing.operationName == nil)
        #expect(refusals.filter { $0.severity == .warning }.map(\.field) == ["data.opentelemetry-operation-name", "data.otel-sampler"])
    }

    @Test func theHTTP2KeysSetHTTP2() {
        let (settings, diagnostics) = self.read(["use-http2": "false", "http2-max-concurrent-streams": "64", "http2-max-header-size": "64k"])
        #expect(diagnostics.filter { $0.severity != .info }.isEmpty, "\(diagnostics)")
        #expect(settings.server.http2.enabled == false && settings.server.http2.maxConcurrentStreams == 64)
        #expect(settings.server.http2.maxHeaderListSize == 65536)
        let (bad, refusals) = self.read(["http2-max-concurrent-streams": "0", "http2-max-header-size": "lots", "http2-max-field-size": "8k"])
        #expect(bad.server.http2 == HTTP2Settings())
        #expect(refusals.filter { $0.severity == .warning }.map(\.field) == ["data.http2-max-concurrent-streams", "data.http2-max-field-size", "data.http2-max-header-size"])
        #expect(refusals.contains { $0.field == "data.http2-max-field-size" && $0.message.contains("deprecated") })
    }

    @Test func hstsOffSendsNoField() {
        #expect(self.read(["hsts": "false"]).0.server.hsts.fieldLine == nil)
        #expect(ServerSettings().hsts.fieldLine == "Strict-Transport-Security: max-age=31536000; includeSubDomains\r\n")
    }

    /// mapstructure leaves a field it cannot decode at its default; the others still apply.
    @Test(arguments: [
        ("proxy-body-size", "100mb"), ("keep-alive", "75s"), ("hsts", "yes"), ("limit-req-status-code", "200"),
        ("proxy-real-ip-cidr", "10.0.0.0/33"), ("large-client-header-buffers", "4"), ("client-header-buffer-size", "8"), ("ssl-protocols", "TLSv1.4"),
        ("forwarded-for-header", "X Forwarded"),
    ])
    func aBadValueFallsBackToTheDefaultNamingItsKey(key: String, value: String) throws {
        let (settings, diagnostics) = self.read([key: value, "proxy-connect-timeout": "9"])
        let found = try #require(diagnostics.first { $0.field == "data.\(key)" })
        #expect(found.severity == .warning)
        #expect(found.object == "ConfigMap ingress-nginx/portico-controller")
        #expect(found.file == "settings.yaml")
        #expect(found.message.contains("the default is used"))
        #expect(settings.location.connectTimeoutSeconds == 9, "the other keys still apply")
        var defaults = ControllerSettings()
        defaults.location.connectTimeoutSeconds = 9
        defaults.inForce = ["proxy-connect-timeout": "9"]
        #expect(settings == defaults)
    }

    /// Portico's one departure: a key the new ConfigMap gets wrong keeps the value that was in
    /// force, not ingress-nginx's default (a typo does not shrink every upload limit to 1m).
    @Test func aBadValueKeepsTheLastGoodOne() throws {
        let (first, _) = self.read(["proxy-body-size": "100m"])
        let (second, diagnostics) = self.read(["proxy-body-size": "100mb"], previous: first.inForce)
        #expect(second.location.maxBodySize == 100 * 1024 * 1024)
        let found = try #require(diagnostics.first { $0.field == "data.proxy-body-size" })
        #expect(found.message.contains("its last good value \"100m\" stays in force"))
        #expect(second.inForce["proxy-body-size"] == "100m", "and stays the fallback for the change after")
        let (third, _) = self.read(["proxy-body-size": "100mb"], previous: second.inForce)
        #expect(third.location.maxBodySize == 100 * 1024 * 1024)
    }

    @Test func unknownAndUnsupportedKeysAreSaidOnceEach() throws {
        let (_, diagnostics) = self.read([
            "proxy-body-szie": "8m", "use-gzip": "true", "allow-snippet-annotations": "true", "log-format-upstream": "$remote_addr $bogus_var",
        ])
        #expect(diagnostics.count == 4)
        let format = try #require(diagnostics.first { $0.field == "data.log-format-upstream" })
        #expect(format.message.contains("$bogus_var is not one of them"), "\(format.message)")
        let typo = try #require(diagnostics.first { $0.field == "data.proxy-body-szie" })
        #expect(typo.message.contains("not an ingress-nginx ConfigMap key"))
        #expect(!typo.differsFromIngressNginx)
        let gzip = try #require(diagnostics.first { $0.field == "data.use-gzip" })
        #expect(gzip.message.contains("does not act on this ingress-nginx setting"))
        #expect(gzip.differsFromIngressNginx)
        let snippets = try #require(diagnostics.first { $0.field == "data.allow-snippet-annotations" })
        #expect(snippets.message.contains("never runs raw nginx snippets"))
    }

    static let rules = ConfigLoaderTests.service + """

        ---
        apiVersion: networking.k8s.io/v1
        kind: Ingress
        metadata: {name: plain}
        spec: {rules: [{host: plain.test, http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: svc, port: {number: 80}}}}]}}]}
        ---
        apiVersion: networking.k8s.io/v1
        kind: Ingress
        metadata: {name: annotated, annotations: {nginx.ingress.kubernetes.io/proxy-body-size: 2k, nginx.ingress.kubernetes.io/ssl-redirect: "true"}}
        spec: {rules: [{host: annotated.test, http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: svc, port: {number: 80}}}}]}}]}
        """

    static func compile(configMap data: [String: String]?, options: CompileOptions = CompileOptions(configMap: "ingress-nginx/portico-controller")) -> IngressCompiler.Output {
        var state = ClusterState()
        for (object, _) in ManifestDecoder.decode(file: "rules.yaml", text: Self.rules).objects { state.add(object) }
        if let data { state.add(.configMap(Self.configMap(data))) }
        return IngressCompiler.compile(state, options: options)
    }

    /// The ConfigMap's location settings are every route's defaults; an annotation still wins.
    @Test func locationDefaultsReachEveryRouteUnlessAnnotated() throws {
        let output = Self.compile(configMap: ["proxy-body-size": "50m", "ssl-redirect": "false", "keep-alive": "5"])
        let plain = try #require(output.snapshot.routes.resolve(host: "plain.test", path: "/")?.policy)
        #expect(plain.maxBodySize == 50 * 1024 * 1024)
        #expect(plain.sslRedirect == false)
        let annotated = try #require(output.snapshot.routes.resolve(host: "annotated.test", path: "/")?.policy)
        #expect(annotated.maxBodySize == 2048)
        #expect(annotated.sslRedirect == true)
        #expect(output.snapshot.settings.keepAliveSeconds == 5)
        #expect(output.settingsInForce == ["proxy-body-size": "50m", "ssl-redirect": "false", "keep-alive": "5"])
    }

    @Test func aMissingConfigMapIsSaidAndTheDefaultsServe() throws {
        let output = Self.compile(configMap: nil)
        let found = try #require(output.diagnostics.first { $0.object == "ConfigMap ingress-nginx/portico-controller" })
        #expect(found.message.contains("not found"))
        #expect(output.snapshot.settings == .defaults)
        #expect(output.snapshot.routes.resolve(host: "plain.test", path: "/")?.policy.maxBodySize == RoutePolicy.defaultBodySize)
    }

    /// Without `--configmap`, a ConfigMap among the manifests is nobody's settings.
    @Test func aConfigMapNotNamedByTheFlagChangesNothing() {
        let output = Self.compile(configMap: ["proxy-body-size": "50m"], options: CompileOptions())
        #expect(output.snapshot.settings == .defaults)
        #expect(output.snapshot.routes.resolve(host: "plain.test", path: "/")?.policy.maxBodySize == RoutePolicy.defaultBodySize)
        #expect(output.diagnostics.allSatisfy { $0.object?.hasPrefix("ConfigMap") != true })
    }

    /// `check --report`: ConfigMap keys Portico treats differently are listed once, for all.
    @Test func theMigrationReportListsTheSettingsThatDiffer() {
        var state = ClusterState()
        for (object, _) in ManifestDecoder.decode(file: "rules.yaml", text: Self.rules).objects { state.add(object) }
        state.add(.configMap(Self.configMap(["use-gzip": "true", "proxy-body-size": "8m", "hsts-max-age": "1y"])))
        let output = IngressCompiler.compile(state, options: CompileOptions(configMap: "ingress-nginx/portico-controller"))
        let report = MigrationReport(state: state, snapshot: output.snapshot, diagnostics: output.diagnostics)
        #expect(report.controllerSettings == ["data.use-gzip: Portico does not act on this ingress-nginx setting yet; it is ignored"])
        #expect(report.count(.unchanged) == 2, "a setting touches no one Ingress's verdict")
        #expect(report.renderTable().contains("Controller ConfigMap, for every Ingress:\n  data.use-gzip"))
    }

    /// In a cluster every ConfigMap is watched; only the controller's and those named reach the
    /// compiler (kube-root-ca.crt and application ConfigMaps never recompile routes).
    @Test func onlyNamedConfigMapsAreKept() {
        let controller = Self.configMap(["add-headers": "shared/answers", "proxy-set-headers": "ingress-nginx/upstream"])
        func configMap(_ namespace: String, _ name: String) -> ConfigMap {
            ConfigMap(metadata: ObjectMeta(name: name, namespace: namespace), location: SourceLocation(file: "api", line: 0), data: [:])
        }
        let ingress = Ingress(
            metadata: ObjectMeta(name: "shop", namespace: "web", annotations: ["nginx.ingress.kubernetes.io/custom-headers": "brand"]),
            location: SourceLocation(file: "api", line: 0))
        let references = ConfigMapReferences(
            controller: "ingress-nginx/portico-controller", configMaps: [controller], ingresses: [ingress])
        #expect(references.needs(controller))
        #expect(references.needs(configMap("shared", "answers")))
        #expect(references.needs(configMap("ingress-nginx", "upstream")))
        #expect(references.needs(configMap("web", "brand")))
        #expect(!references.needs(configMap("web", "kube-root-ca.crt")))
        #expect(!references.needs(configMap("default", "brand")))
    }

    /// The rules plus an Ingress `up` on up.test with these annotations.
    static func state(withIngress annotations: [String: String]) -> ClusterState {
        var state = ClusterState()
        let ingress = """
            apiVersion: networking.k8s.io/v1
            kind: Ingress
            metadata: {name: up, annotations: {\(annotations.map { "nginx.ingress.kubernetes.io/\($0.key): \"\($0.value)\"" }.joined(separator: ", "))}}
            spec: {rules: [{host: up.test, http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: svc, port: {number: 80}}}}]}}]}
            """
        for (object, _) in ManifestDecoder.decode(file: "rules.yaml", text: Self.rules + "\n---\n" + ingress).objects { state.add(object) }
        return state
    }

    /// `proxy-request-buffering` and `client-body-buffer-size`, from the ConfigMap and per Ingress.
    @Test(arguments: [
        ([:], [:], 64 * 1024), (["proxy-request-buffering": "off"], [:], 0),
        (["proxy-request-buffering": "off"], ["proxy-request-buffering": "on"], 64 * 1024),
        ([:], ["client-body-buffer-size": "8k"], 64 * 1024), ([:], ["client-body-buffer-size": "1m"], 1024 * 1024),
        ([:], ["client-body-buffer-size": "64m"], 8 * 1024 * 1024), (["client-body-buffer-size": "2m"], [:], 2 * 1024 * 1024),
        ([:], ["proxy-request-buffering": "maybe"], 64 * 1024),
    ] as [([String: String], [String: String], Int)])
    func requestBufferingLimits(configMap: [String: String], annotations: [String: String], limit: Int) throws {
        var state = Self.state(withIngress: annotations)
        state.add(.configMap(Self.configMap(configMap)))
        let output = IngressCompiler.compile(state, options: CompileOptions(configMap: "ingress-nginx/portico-controller"))
        let policy = try #require(output.snapshot.routes.resolve(host: "up.test", path: "/")?.policy)
        #expect(policy.bufferedBodyLimit == limit)
    }

    @Test func anInvalidBufferSizeLeavesTheIngressOut() {
        let state = Self.state(withIngress: ["client-body-buffer-size": "lots"])
        let output = IngressCompiler.compile(state)
        #expect(output.snapshot.routes.resolve(host: "up.test", path: "/") == nil)
        #expect(output.diagnostics.contains { $0.severity == .error && $0.field?.contains("client-body-buffer-size") == true })
    }
}
