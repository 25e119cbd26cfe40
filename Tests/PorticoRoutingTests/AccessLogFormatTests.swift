import PorticoRouting
import Testing

/// nginx `log_format` text compiled into segments: variables plain and braced, `$http_*` as
/// request fields, unknown variables refused.
@Suite struct AccessLogFormatTests {
    @Test func upstreamInfoCompiles() throws {
        let format = AccessLogFormat.upstreamInfo
        #expect(format.fields == [Array("referer".utf8), Array("user-agent".utf8)])
        #expect(format.uses(.requestID) && format.uses(.upstreamResponseTime) && format.uses(.alternativeUpstreamName))
        #expect(format.segments.first == .variable(.remoteAddr))
        #expect(format.segments[1] == .literal(Array(" - ".utf8)))
    }

    @Test func bracedNamesFieldsAndLiterals() throws {
        let format = try AccessLogFormat(#"{"t":"${time_iso8601}","ua":"$http_user_agent","xff":"$http_x_forwarded_for","a":$status$ x"#, escape: .json)
        #expect(format.escape == .json)
        #expect(format.fields == [Array("user-agent".utf8), Array("x-forwarded-for".utf8)])
        #expect(format.segments == [
            .literal(Array(#"{"t":""#.utf8)), .variable(.timeISO8601), .literal(Array(#"","ua":""#.utf8)), .variable(.requestField(0)),
            .literal(Array(#"","xff":""#.utf8)), .variable(.requestField(1)), .literal(Array(#"","a":"#.utf8)), .variable(.status),
            .literal(Array("$ x".utf8)),
        ])
    }

    @Test func unknownVariablesAreRefused() {
        #expect(throws: AccessLogFormat.UnknownVariable(name: "upstream_cache_status")) { try AccessLogFormat("$status $upstream_cache_status") }
    }
}
