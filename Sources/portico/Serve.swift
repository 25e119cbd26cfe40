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

#if canImport(Glibc)
import Glibc
#endif

/// `portico serve`: load the rules, start the listeners, serve until SIGTERM or SIGINT.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Serve the Ingress rules (the default command).")

    @OptionGroup var rules: RulesOptions

    @Option(help: "Plain HTTP listening port.")
    var httpPort: Int = 8080

    @Option(help: "HTTPS listening port.")
    var httpsPort: Int = 8443

    @Option(help: "TLS session resumption (tickets and cache): on or off (off benchmarks full handshakes).")
    var tlsSessionResumption: String = "on"

    @Option(help: "Address to listen on.")
    var address: String = "0.0.0.0"

    @Option(help: "Event-loop threads; default one per core.")
    var workers: Int = System.coreCount

    @Option(help: "Access log: a file path, 'stderr' or 'off'.")
    var accessLog: String = "stderr"

    @Option(help: "Upstream connect timeout in seconds (proxy-connect-timeout).")
    var upstreamConnectTimeout: Double = 5

    @Option(help: "Upstream read timeout in seconds (proxy-read-timeout).")
    var upstreamReadTimeout: Double = 60

    @Flag(help: "Also start demo backends on the loopback endpoint addresses of the rules, answering with each Service's portico.dev/demo-page.")
    var demo = false

    @Option(help: "Log level: trace, debug, info, notice, warning, error.")
    var logLevel: String = "info"

    @Option(help: "How often ingress-rules/ and certs/ are checked for changes, in milliseconds (0: only on SIGHUP).")
    var watchInterval: Int = 200

    @Flag(help: "Let ExternalName Services resolve to loopback addresses (refused by default, as ingress-nginx refuses localhost).")
    var allowLoopbackExternalNames = false

    @Option(help: "Comma-separated CIDR blocks of proxies whose X-Forwarded-For is believed (default: none).")
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
        tlsOptions.sessionResumption = self.tlsSessionResumption == "on"
        let loader = self.rules.loader()
        var loaded = LoadedRules(loader.load())
        let unresolved = loaded.snapshot
        let names = ExternalNameResolver(allowLoopback: self.allowLoopbackExternalNames)
        loaded.snapshot = await names.resolve(unresolved, logger: logger)
        var diagnostics = loaded.diagnostics
        var configuration = ProxyConfiguration()
        configuration.connectTimeout = .nanoseconds(Int64(self.upstreamConnectTimeout * 1e9))
        configuration.readTimeout = .nanoseconds(Int64(self.upstreamReadTimeout * 1e9))
        configuration.httpsPort = self.httpsPort
        if let trusted = self.trustedProxies {
            for item in trusted.split(separator: ",") {
                guard let range = SourceRange.parse(item.trimmingCharacters(in: .whitespaces)) else {
                    throw ValidationError("--trusted-proxies: \"\(item)\" is not an IP address or CIDR block")
                }
                configuration.trustedProxies.append(range)
            }
        }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: self.workers)
        let runtime = try ProxyRuntime(
            group: group, snapshot: loaded.snapshot, configuration: configuration, tlsOptions: tlsOptions,
            accessLogDescriptor: try self.accessLogDescriptor(), diagnostics: &diagnostics)
        for diagnostic in diagnostics {
            switch diagnostic.severity {
            case .error: logger.error("\(diagnostic)")
            case .warning: logger.warning("\(diagnostic)")
            case .info: logger.info("\(diagnostic)")
            }
        }
        logger.info("configuration loaded", metadata: [
            "rules": "\(self.rules.rules)", "routes": "\(RouteListing.rows(loaded.snapshot).count)",
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

        let reloads = ReloadLoop(
            loader: loader, runtime: runtime, logger: logger, directories: [self.rules.rules, self.rules.certs],
            interval: .milliseconds(self.watchInterval > 0 ? max(self.watchInterval, 50) : 200),
            watchFiles: self.watchInterval > 0, names: names, loaded: unresolved)
        let watcher = Task { await reloads.run() }
        defer { watcher.cancel() }

        let signal = await Self.waitForTermination()
        logger.info("received \(signal): no longer accepting; letting in-flight requests finish")
        try? await listener.close()
        try? await tlsListener.close()
        await runtime.quiesce(timeout: .seconds(30))
        for channel in demoChannels { try? await channel.close() }
        try await group.shutdownGracefully()
        logger.info("stopped")
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
