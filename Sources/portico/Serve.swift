import ArgumentParser
import Dispatch
import Logging
import NIOCore
import NIOPosix
import PorticoConfig
import PorticoDemoBackend
import PorticoProxy
import PorticoRouting
import PorticoTLS
import PorticoTracing

#if canImport(Glibc)
import Glibc
#endif

/// `portico serve`: load the rules, start the listeners, serve until SIGTERM or SIGINT.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Serve the Ingress rules (the default command).")

    @OptionGroup var rules: RulesOptions

    @OptionGroup(title: "Kubernetes API") var cluster: KubernetesOptions

    @Option(help: "Port for /healthz, /readyz, /metrics and the route map /routes (default: 10254 with --kubernetes, off otherwise).")
    var healthPort: Int?

    @Option(help: "Plain HTTP listening port.")
    var httpPort: Int = 8080

    @Option(help: "HTTPS listening port.")
    var httpsPort: Int = 8443

    @Option(help: "TLS session resumption (tickets and cache): on or off (off benchmarks full handshakes).")
    var tlsSessionResumption: String = "on"

    @Option(help: "Server-side TLS session cache (ssl-session-cache): true or false.")
    var sslSessionCache: Bool = true

    @Option(help: "Stateless TLS session tickets (ssl-session-tickets): true or false.")
    var sslSessionTickets: Bool = false

    @Option(help: "Address to listen on.")
    var address: String = "0.0.0.0"

    @Option(help: "Event-loop threads; default one per core.")
    var workers: Int = System.coreCount

    @Option(help: "Access log: a file path, 'stderr', 'stdout' or 'off'.")
    var accessLog: String = "stderr"

    @Option(help: "Count the request metrics /metrics reports (ingress-nginx's --enable-metrics): true or false.")
    var enableMetrics: Bool = true

    @Option(help: "Upstream connect timeout in seconds (proxy-connect-timeout).")
    var upstreamConnectTimeout: Double = 5

    @Option(help: "Upstream read timeout in seconds (proxy-read-timeout).")
    var upstreamReadTimeout: Double = 60

    @Option(help: "Seconds a client may take to send a request head once it has begun (client-header-timeout).")
    var clientHeaderTimeout: Double = 60

    @Option(help: "Seconds a client may stay silent in the middle of a request body (client-body-timeout); 408 then.")
    var clientBodyTimeout: Double = 60

    @Option(help: "Upgrade protocols forwarded to upstreams, comma-separated (others are dropped; h2c would tunnel past routing).")
    var allowedUpgrades: String = "websocket"

    @Option(help: "Bytes per second a request body must average over each --client-body-rate-window (408 below it); 0 disables.")
    var clientBodyMinRate: Int = 256

    @Option(help: "Seconds over which --client-body-min-rate is averaged.")
    var clientBodyRateWindow: Double = 10

    @Option(help: "Seconds an idle keep-alive client connection is kept open (keep-alive).")
    var keepaliveTimeout: Double = 75

    @Option(help: "Open client connections per worker (event loop); more are closed at once (max-worker-connections).")
    var maxWorkerConnections: Int = 16384

    @Flag(help: "Also start demo backends on the loopback endpoint addresses of the rules, answering with each Service's portico.dev/demo-page.")
    var demo = false

    @Option(help: "Log level: trace, debug, info, notice, warning, error.")
    var logLevel: String = "info"

    @Option(help: "How often ingress-rules/ and certs/ are checked for changes, in milliseconds (0: only on SIGHUP).")
    var watchInterval: Int = 200

    @Flag(help: "Let ExternalName Services resolve to loopback addresses (refused by default, as ingress-nginx refuses localhost).")
    var allowLoopbackExternalNames = false

    @Option(help: "Comma-separated CIDR blocks of proxies whose X-Forwarded-* headers are believed (default: none); the ConfigMap's use-forwarded-headers and proxy-real-ip-cidr take over when set.")
    var trustedProxies: String?

    func run() async throws {
        let level = Logger.Level(rawValue: self.logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "portico")
        guard self.workers >= 1 else { throw ValidationError("--workers must be at least 1") }

        guard ["on", "off"].contains(self.tlsSessionResumption) else {
            throw ValidationError("--tls-session-resumption must be on or off")
        }
        var tlsOptions = TLSOptions()
        let resumption = self.tlsSessionResumption == "on"
        tlsOptions.sessionCache = resumption && self.sslSessionCache
        tlsOptions.sessionTickets = resumption && self.sslSessionTickets
        var readiness = Readiness(store: nil)
        let metrics = MetricsEndpoint(ingressClass: self.rules.ingressClass)
        let standing = CurrentDiagnostics()
        let routeMap = RouteMapEndpoint(diagnostics: standing)
        let pages = routeMap.pages.merging(
            ["/metrics": HealthPage(contentType: "text/plain; version=0.0.4; charset=utf-8") { await metrics.render() }]
        ) { first, _ in first }
        let health: (any Channel)?
        let group = MultiThreadedEventLoopGroup(numberOfThreads: self.workers)
        var kubernetes: KubernetesController?
        let source: any ConfigSource
        let initial: ConfigLoader.Result
        if self.cluster.enabled {
            var options = self.rules.compileOptions()
            options.watchIngressWithoutClass = self.cluster.watchIngressWithoutClass
            let loader = ConfigLoader(rulesDirectory: self.rules.rules, certsDirectory: self.rules.certs, options: options)
            let controller = try KubernetesController(
                options: self.cluster, configMap: self.rules.configMapName, group: group, logger: logger)
            kubernetes = controller
            if let elector = controller.elector {
                let leader = metrics.exposition.leader
                let name = self.cluster.electionId
                leader.set(name: name, leading: false)
                elector.onTransition { leading in leader.set(name: name, leading: leading) }
            }
            let kubeSource = KubernetesSource(store: controller.store, loader: loader)
            source = kubeSource
            readiness = Readiness(store: controller.store)
            health = try await self.startHealth(readiness: readiness, pages: pages, group: group, logger: logger)
            await controller.waitForSync(logger: logger)
            initial = kubeSource.load()
        } else {
            let loader = self.rules.loader()
            let directorySource = DirectorySource(
                loader: loader, directories: [self.rules.rules, self.rules.certs],
                interval: self.watchInterval > 0 ? .milliseconds(max(self.watchInterval, 50)) : nil)
            logger.info("watching for changes", metadata: directorySource.watchMetadata)
            source = directorySource
            initial = loader.load()
            health = try await self.startHealth(readiness: readiness, pages: pages, group: group, logger: logger)
        }
        var loaded = LoadedRules(initial)
        let unresolved = loaded.snapshot
        let names = ExternalNameResolver(allowLoopback: self.allowLoopbackExternalNames)
        loaded.snapshot = await names.resolve(unresolved, logger: logger)
        var diagnostics = loaded.diagnostics
        var configuration = ProxyConfiguration()
        configuration.connectTimeout = .nanoseconds(Int64(self.upstreamConnectTimeout * 1e9))
        configuration.readTimeout = .nanoseconds(Int64(self.upstreamReadTimeout * 1e9))
        for (name, value) in [
            ("--client-header-timeout", self.clientHeaderTimeout), ("--client-body-timeout", self.clientBodyTimeout),
            ("--keepalive-timeout", self.keepaliveTimeout), ("--client-body-rate-window", self.clientBodyRateWindow),
        ] where !(value > 0) {
            throw ValidationError("\(name) must be a positive number of seconds")
        }
        guard self.maxWorkerConnections >= 1 else { throw ValidationError("--max-worker-connections must be at least 1") }
        configuration.headerTimeout = .nanoseconds(Int64(self.clientHeaderTimeout * 1e9))
        configuration.bodyTimeout = .nanoseconds(Int64(self.clientBodyTimeout * 1e9))
        guard self.clientBodyMinRate >= 0 else { throw ValidationError("--client-body-min-rate must be 0 or more bytes per second") }
        configuration.minBodyRate = self.clientBodyMinRate
        configuration.allowedUpgrades = self.allowedUpgrades.split(separator: ",")
            .map { Array($0.trimmingCharacters(in: .whitespaces).lowercased().utf8) }.filter { !$0.isEmpty }
        configuration.bodyRateWindow = .nanoseconds(Int64(self.clientBodyRateWindow * 1e9))
        configuration.keepAliveTimeout = .nanoseconds(Int64(self.keepaliveTimeout * 1e9))
        configuration.maxConnectionsPerLoop = self.maxWorkerConnections
        configuration.httpsPort = self.httpsPort
        configuration.requestMetrics = self.enableMetrics
        configuration.sslPassthrough = self.rules.enableSSLPassthrough
        if let trusted = self.trustedProxies {
            var ranges: [SourceRange] = []
            for item in trusted.split(separator: ",") {
                guard let range = SourceRange.parse(item.trimmingCharacters(in: .whitespaces)) else {
                    throw ValidationError("--trusted-proxies: \"\(item)\" is not an IP address or CIDR block")
                }
                ranges.append(range)
            }
            configuration.trust(proxies: ranges)
        }
        let runtime = try ProxyRuntime(
            group: group, snapshot: loaded.snapshot, configuration: configuration, tlsOptions: tlsOptions,
            accessLogDescriptor: try self.accessLogDescriptor(), diagnostics: &diagnostics)
        metrics.attach(runtime)
        routeMap.attach(runtime)
        standing.loaded(loaded.diagnostics)
        standing.certificatesBuilt(Array(diagnostics.dropFirst(loaded.diagnostics.count)))
        let sampler = health.map { _ in Task { await routeMap.sample() } }
        defer { sampler?.cancel() }
        let spans = SpanExporter(runtime: runtime, group: group, logger: logger)
        let exporter = Task { await spans.run() }
        // The first configuration, reported as a reload.
        let errorCount = diagnostics.filter { $0.severity == .error }.count
        metrics.exposition.reloads.diagnostics(errors: errorCount, warnings: diagnostics.filter { $0.severity == .warning }.count)
        if errorCount > 0 {
            metrics.exposition.reloads.refused(servingHash: ConfigurationHash.of(loaded.snapshot))
        } else {
            metrics.exposition.reloads.applied(hash: ConfigurationHash.of(loaded.snapshot))
        }
        for diagnostic in diagnostics {
            switch diagnostic.severity {
            case .error: logger.error("\(diagnostic)")
            case .warning: logger.warning("\(diagnostic)")
            case .info: logger.info("\(diagnostic)")
            }
        }
        logger.info("configuration loaded", metadata: [
            "rules": "\(self.cluster.enabled ? "kubernetes" : self.rules.rules)", "routes": "\(RouteListing.count(loaded.snapshot))",
            "errors": "\(diagnostics.filter { $0.severity == .error }.count)",
            "tls hosts": "\(loaded.snapshot.tls.count)",
            "default certificate": "\(runtime.generation.certificates.defaultSubject)",
        ])


        var demoChannels: [any Channel] = []
        if self.demo {
            let plan = DemoPlan.endpoints(state: loaded.state, snapshot: loaded.snapshot)
            let started = await DemoBackends.start(plan, group: group)
            demoChannels = started.channels
            for (endpoint, error) in started.failures {
                logger.error("demo backend \(endpoint.host):\(endpoint.port) could not start: \(error)")
            }
            logger.info("demo backends started", metadata: ["count": "\(started.channels.count)"])
        }

        let server = ProxyServer(runtime: runtime, group: group, logger: logger)
        // Both listeners come up together, or neither serves.
        let listener = try await server.bind(host: self.address, port: self.httpPort)
        let tlsListener: any Channel
        do {
            tlsListener = try await server.bind(host: self.address, port: self.httpsPort, tls: true)
        } catch {
            try? await listener.close()
            throw error
        }

        let statusWriter = kubernetes?.statusWriter
        statusWriter?.update(served: initial.servedIngresses, gatewayStatus: initial.gatewayStatus)
        let reloads = ReloadLoop(
            source: source, runtime: runtime, logger: logger, names: names, loaded: unresolved, diagnostics: diagnostics,
            reloadMetrics: metrics.exposition.reloads, current: standing, installed: { result in
                statusWriter?.update(served: result.servedIngresses, gatewayStatus: result.gatewayStatus)
            })
        let watcher = Task { await reloads.run() }
        defer { watcher.cancel() }
        readiness.markReady()

        let signal = await Self.waitForTermination()
        logger.info("received \(signal): no longer accepting; letting in-flight requests finish")
        try? await listener.close()
        try? await tlsListener.close()
        await runtime.quiesce(timeout: .seconds(30))
        exporter.cancel()
        await exporter.value
        watcher.cancel()
        await kubernetes?.stop()
        try? await health?.close()
        for channel in demoChannels { try? await channel.close() }
        try await group.shutdownGracefully()
        logger.info("stopped")
    }

    /// Starts `/healthz`, `/readyz` and `pages` when a health port applies.
    private func startHealth(
        readiness: Readiness, pages: [String: HealthPage], group: any EventLoopGroup, logger: Logger
    ) async throws -> (any Channel)? {
        guard let port = self.healthPort ?? (self.cluster.enabled ? 10254 : nil) else { return nil }
        let channel = try await HealthServer.bind(host: self.address, port: port, readiness: readiness, pages: pages, group: group)
        logger.info("health endpoints on port \(port): /healthz, /readyz, \(pages.keys.sorted().joined(separator: ", "))")
        return channel
    }

    private func accessLogDescriptor() throws -> Int32? {
        switch self.accessLog {
        case "off": return nil
        case "stderr": return 2
        case "stdout": return 1
        default:
            let descriptor = open(self.accessLog, O_WRONLY | O_CREAT | O_APPEND, 0o644)
            guard descriptor >= 0 else { throw ValidationError("cannot open access log \(self.accessLog)") }
            return descriptor
        }
    }

    /// Waits for SIGTERM or SIGINT and returns its name.
    private static func waitForTermination() async -> String {
        await withCheckedContinuation { continuation in
            let queue = DispatchQueue(label: "portico.signals")
            let once = OnceFlag()
            var sources: [any DispatchSourceSignal] = []
            for (number, name) in [(SIGTERM, "SIGTERM"), (SIGINT, "SIGINT")] {
                signal(number, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
                source.setEventHandler {
                    if once.claim() { continuation.resume(returning: name) }
                }
                source.resume()
                sources.append(source)
            }
            SignalSources.keep(sources)
        }
    }
}

/// Keeps the signal sources alive for the life of the process.
enum SignalSources {
    nonisolated(unsafe) static var sources: [any DispatchSourceSignal] = []
    static func keep(_ sources: [any DispatchSourceSignal]) { Self.sources = sources }
}

/// Resumes a continuation once even if both signals arrive.
final class OnceFlag: @unchecked Sendable {
    private var claimed = false
    /// Only called on the serial signal queue.
    func claim() -> Bool {
        defer { self.claimed = true }
        return !self.claimed
    }
}
