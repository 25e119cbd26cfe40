import NIOCore
import PorticoRouting

/// State that belongs to one event loop: its view of the current generation, its upstream
/// pool, and scratch space. Only ever touched on its loop, so nothing here takes a lock.
final class LoopContext {
    let eventLoop: any EventLoop
    var generation: Generation
    let pool: UpstreamPool
    let configuration: ProxyConfiguration
    let accessLog: AccessLogWriter?
    var requestIDs: RequestIDGenerator
    /// Routing scratch (normalised path, captures, rewritten target), reused by every request.
    let routing = RoutingScratch()
    /// Open client connections, so shutdown can ask each to finish its exchange and close.
    var connections: [ObjectIdentifier: ProxyConnectionHandler] = [:]
    var isQuiescing = false

    init(eventLoop: any EventLoop, generation: Generation, configuration: ProxyConfiguration, accessLog: AccessLogWriter?) {
        self.eventLoop = eventLoop
        self.generation = generation
        self.configuration = configuration
        self.pool = UpstreamPool(configuration: configuration)
        self.accessLog = accessLog
        self.requestIDs = RequestIDGenerator()
    }
}

@available(*, unavailable)
extension LoopContext: Sendable {}
