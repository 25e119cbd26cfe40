import PorticoRouting
import PorticoTLS

/// What the log phase knows of one answered request, for the access-log format's variables.
struct AccessLogLine {
    var record: RequestLogRecord
    var peer: String
    var isTLS: Bool
    var tlsVersion: TLSProtocolVersion?
    var serverPort: Int
    var status: Int
    var bytesSent: Int
    var bodyBytesSent: Int
    var requestLength: Int
    var requestNanoseconds: Int64
    var labels: RouteMetricLabels?
    var canary: String?
    var endpoint: String?
    var connectNanoseconds: Int64?
    var headerNanoseconds: Int64?
    /// Nil when no upstream was tried.
    var responseNanoseconds: Int64?
    var upstreamStatus: Int
    var upstreamLength: Int
    var requestID: RequestID
    var connectionRequests: Int
}
