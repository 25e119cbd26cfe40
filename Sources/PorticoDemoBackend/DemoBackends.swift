import NIOCore
import NIOHTTP1
import NIOPosix

/// Starts demo backends: one HTTP server per endpoint address.
public enum DemoBackends {
    /// Binds every endpoint; those that cannot be bound are returned as errors, the rest serve.
    public static func start(
        _ endpoints: [DemoEndpoint], group: any EventLoopGroup, statistics: DemoStatistics? = nil
    ) async -> (channels: [any Channel], failures: [(DemoEndpoint, any Error)]) {
        var channels: [any Channel] = []
        var failures: [(DemoEndpoint, any Error)] = []
        for endpoint in endpoints {
            do {
                let channel = try await ServerBootstrap(group: group)
                    .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                    .childChannelInitializer { channel in
                        channel.eventLoop.makeCompletedFuture {
                            try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                            try channel.pipeline.syncOperations.addHandler(DemoBackendHandler(endpoint: endpoint, statistics: statistics))
                        }
                    }
                    .bind(host: endpoint.host, port: endpoint.port)
                    .get()
                channels.append(channel)
            } catch {
                failures.append((endpoint, error))
            }
        }
        return (channels, failures)
    }
}
