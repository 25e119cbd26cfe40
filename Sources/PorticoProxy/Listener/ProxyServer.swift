import Logging
import NIOCore
import NIOPosix
import PorticoTLS

/// The plain-HTTP listener: accepts connections and gives each a `ProxyConnectionHandler` on
/// the event loop it was accepted on.
public final class ProxyServer: Sendable {
    public let runtime: ProxyRuntime
    private let group: any EventLoopGroup
    private let logger: Logger

    public init(runtime: ProxyRuntime, group: any EventLoopGroup, logger: Logger) {
        self.runtime = runtime
        self.group = group
        self.logger = logger
    }

    /// Binds and starts accepting. Returns the listening channel. With `tls`, each connection
    /// gets a `TLSHandler` on the current generation's certificates first.
    public func bind(host: String, port: Int, tls: Bool = false) async throws -> any Channel {
        let runtime = self.runtime
        let logger = self.logger
        let bootstrap = ServerBootstrap(group: self.group)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            // No child channel options: NIO applies those through a chain of futures per
            // accepted connection. TCP_NODELAY is set on the listener (NIO's default there),
            // which accepted sockets inherit on Linux; the read batch is set in place.
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let context = runtime.loopContext(for: channel.eventLoop)
                    if let options = channel.syncOptions {
                        try options.setOption(.maxMessagesPerRead, value: 16)
                        try options.setOption(.recvAllocator, value: context.clientReadBuffers)
                    }
                    guard context.admitConnection(logger: logger) else {
                        channel.close(promise: nil)
                        return
                    }
                    if tls {
                        if context.configuration.sslPassthrough {
                            try channel.pipeline.syncOperations.addHandler(TLSPassthroughHandler(loop: context))
                        }
                        let handler = try TLSHandler(store: context.generation.certificates, logger: logger)
                        try channel.pipeline.syncOperations.addHandler(handler)
                    }
                    try channel.pipeline.syncOperations.addHandler(ProxyConnectionHandler(loop: context, isTLS: tls))
                }
            }
        let channel = try await bootstrap.bind(host: host, port: port).get()
        self.logger.info("listening", metadata: ["address": "\(channel.localAddress?.description ?? "?")", "tls": "\(tls)"])
        return channel
    }
}
