import Logging
import NIOCore
import PorticoDiagnostics
import PorticoRouting
import PorticoTLS
import Synchronization

/// Holds the live generation and hands each event loop its own copy.
///
/// `install` is the one atomic swap of "compile, freeze, swap": it builds a `Generation` from a
/// snapshot and posts it to every loop, where requests read it without a lock (Envoy's
/// thread-local snapshots). In-flight requests keep the generation they started with.
public final class ProxyRuntime: Sendable {
    private struct Slot: Sendable {
        let eventLoop: any EventLoop
        let context: NIOLoopBoundBox<LoopContext>
    }

    private let slots: [Slot]
    private let current: Mutex<Generation>
    /// The command line's settings; each generation lays its ConfigMap settings over them.
    public let configuration: ProxyConfiguration
    public let tlsOptions: TLSOptions
    /// TLS options from the ConfigMap that OpenSSL refused, so the next reloads (endpoint churn)
    /// do not try them again and rebuild every context each time.
    private let refusedTLSOptions = Mutex<TLSOptions?>(nil)

    /// - Parameter accessLogDescriptor: where access-log lines go, or nil for none.
    /// - Returns through `diagnostics`: certificate problems (each host with one falls back to
    ///   the default certificate).
    public init(
        group: any EventLoopGroup, snapshot: RoutingSnapshot, configuration: ProxyConfiguration, tlsOptions: TLSOptions,
        accessLogDescriptor: Int32?, diagnostics: inout [Diagnostic]
    ) throws(TLSError) {
        let built = try Self.buildStore(snapshot, options: tlsOptions, previous: nil)
        diagnostics += built.diagnostics
        let loops = group.makeIterator().map { $0 }
        let generation = Generation(
            number: 1, snapshot: snapshot, certificates: built.store, previous: nil, loops: loops.count, configuration: configuration)
        self.current = Mutex(generation)
        self.configuration = configuration
        self.tlsOptions = tlsOptions
        let sink = accessLogDescriptor.map { AccessLogSink(fileDescriptor: $0, logger: Logger(label: "portico.access-log")) }
        let rateLimiter = RequestRateLimiter()
        self.slots = loops.enumerated().map { index, loop in
            // Built off the loop, then handed over: from here on only `loop` touches it.
            let box = NIOLoopBoundBox.makeBoxSendingValue(
                LoopContext(
                    eventLoop: loop, index: index, generation: generation,
                    accessLog: sink.map { AccessLogWriter(sink: $0, eventLoop: loop) }, rateLimiter: rateLimiter),
                eventLoop: loop)
            return Slot(eventLoop: loop, context: box)
        }
    }

    public var generation: Generation { self.current.withLock { $0 } }

    /// Swaps in a new snapshot. Endpoint health and round-robin positions carry over for
    /// backends that still exist; the certificate store is rebuilt only if the TLS configuration
    /// changed (endpoint churn never rebuilds SSL_CTXs). A store that cannot be built keeps the
    /// old generation serving and throws.
    @discardableResult
    public func install(_ snapshot: RoutingSnapshot) throws(TLSError) -> (Generation, [Diagnostic]) {
        let previous = self.generation
        var diagnostics: [Diagnostic] = []
        var store = previous.certificates
        var options = self.tlsOptions.applying(snapshot.settings)
        if options == self.refusedTLSOptions.withLock({ $0 }) { options = self.tlsOptions }
        if !store.matches(bindings: snapshot.tls, defaultCertificate: snapshot.defaultCertificate, options: options) {
            let built = try Self.buildStore(snapshot, options: self.tlsOptions, previous: store)
            store = built.store
            diagnostics = built.diagnostics
            let refused = store.options != options ? options : nil
            self.refusedTLSOptions.withLock { $0 = refused }
        }
        let generation = self.current.withLock { current in
            current = Generation(
                number: current.number + 1, snapshot: snapshot, certificates: store, previous: current, loops: self.slots.count,
                configuration: self.configuration)
            return current
        }
        for slot in self.slots {
            slot.eventLoop.execute { slot.context.value.generation = generation }
        }
        return (generation, diagnostics)
    }

    /// The certificate store for `snapshot`, with its ConfigMap's `ssl-protocols` and
    /// `ssl-ciphers` over `options`. A cipher list (or version range) OpenSSL refuses does not
    /// fail the reload: the store is built with the options as they were, and that is reported
    /// against the ConfigMap keys.
    static func buildStore(
        _ snapshot: RoutingSnapshot, options base: TLSOptions, previous: CertificateStore?
    ) throws(TLSError) -> (store: CertificateStore, diagnostics: [Diagnostic]) {
        let options = base.applying(snapshot.settings)
        do {
            return try CertificateStore.build(
                bindings: snapshot.tls, defaultCertificate: snapshot.defaultCertificate, options: options, previous: previous)
        } catch where options != base {
            var built = try CertificateStore.build(
                bindings: snapshot.tls, defaultCertificate: snapshot.defaultCertificate, options: base, previous: previous)
            built.diagnostics.insert(
                Diagnostic(
                    .error, object: "controller ConfigMap", field: "data.ssl-ciphers / data.ssl-protocols",
                    message: "OpenSSL refused them (\(error)); TLS is served with the defaults (\(base.cipherList.prefix(40))…, TLSv1.2 TLSv1.3)"),
                at: 0)
            return built
        }
    }

    /// The request metrics of every event loop, each copied on its own loop (a scrape never
    /// touches a loop's counters from another thread).
    public func scrapeMetrics(_ exposition: MetricsExposition) async -> String {
        let loops = await self.eachLoop { $0.metricsCopy() }
        let generation = self.generation
        return exposition.render(
            loops, served: MetricsExposition.Served(snapshot: generation.snapshot, certificates: generation.certificates.served))
    }

    /// `read` run on every event loop with that loop's context, one after the other; a loop
    /// that has shut down gives nothing.
    func eachLoop<Value: Sendable>(_ read: @escaping @Sendable (LoopContext) -> Value) async -> [Value] {
        var values: [Value] = []
        for slot in self.slots {
            if let value = try? await slot.eventLoop.submit({ read(slot.context.value) }).get() { values.append(value) }
        }
        return values
    }

    /// Graceful shutdown, step two (after the listeners closed): idle connections close now,
    /// busy ones after their current response. Returns once every connection is gone or
    /// `timeout` passed.
    public func quiesce(timeout: TimeAmount) async {
        for slot in self.slots {
            slot.eventLoop.execute {
                let context = slot.context.value
                context.isQuiescing = true
                for connection in context.connections.values { connection.quiesce() }
                for connection in context.http2Connections.values { connection.quiesce() }
            }
        }
        let deadline = NIODeadline.now() + timeout
        while NIODeadline.now() < deadline {
            if await self.eachLoop({ $0.connections.count + $0.http2Connections.count }).reduce(0, +) == 0 { return }
            try? await Task.sleep(for: .milliseconds(50))
        }
    }

    /// The context of the loop a channel lives on. Must be called on that loop.
    func loopContext(for eventLoop: any EventLoop) -> LoopContext {
        for slot in self.slots where slot.eventLoop === eventLoop { return slot.context.value }
        preconditionFailure("event loop not part of the proxy's group")
    }
}
