import Logging
import NIOCore
import NIOHTTP2
import PorticoTLS

extension ProxyEndpoint {
    /// Where upstream TLS failures are told (the upstream's name and address with each).
    static let upstreamTLSLogger = Logger(label: "portico.upstream-tls")

    /// The handlers an endpoint's protocol puts under the HTTP/1.1 bytes Portico writes and
    /// reads: TLS for `backend-protocol: HTTPS`/`GRPCS`, HTTP/2 for `GRPC`/`GRPCS` and GRPCRoute
    /// backends. The same for an exchange's connection and a mirror copy's.
    func addWireHandlers(to pipeline: ChannelPipeline.SynchronousOperations) throws {
        if let tls = self.tls {
            // The request waits in the TLS handler until the handshake is done; a refused
            // certificate closes the connection before any answer, which the exchange treats
            // as a failed attempt (502).
            try pipeline.addHandler(
                TLSHandler(
                    client: tls.context, serverName: tls.serverName, sendsServerName: tls.sendsServerName, session: self.tlsSession,
                    logger: Self.upstreamTLSLogger))
        }
        if self.http2 {
            try pipeline.addHandler(NIOHTTP2Handler(mode: .client))
            try pipeline.addHandler(HTTP2UpstreamAdapter(tls: self.tls != nil))
        }
    }
}
