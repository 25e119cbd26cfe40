import NIOCore
import PorticoTLS

/// What the log phase hands the access log: the request's record, its answer and relay
/// counters as the connection holds them (the writer derives each variable from these, so
/// nothing is copied field by field), and the connection facts a format may name.
struct AccessLogLine {
    var record: RequestLogRecord
    var answer: AnswerLog
    var relay: RelayCounters
    /// When the answer ended.
    var end: NIODeadline
    var peer: String
    var isTLS: Bool
    var tlsVersion: TLSProtocolVersion?
    var serverPort: Int
    var connectionRequests: Int

    /// nginx's `$body_bytes_sent`.
    var bodyBytesSent: Int { max(self.answer.bytesSent - self.relay.answerHeadBytes, 0) }
    /// nginx's `$upstream_status`: the upstream's, or the 502/504 a failed attempt became.
    var upstreamStatus: Int { self.relay.upstreamStatus == 0 ? self.answer.status : self.relay.upstreamStatus }
}
