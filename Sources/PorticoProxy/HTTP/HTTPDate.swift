#if canImport(Glibc)
import Glibc
#endif
import NIOCore

/// The `Date` field of Portico's own responses (RFC 9110 §6.6.1: an origin with a clock must
/// send it; nginx sends it on its error pages), in IMF-fixdate. Rendered at most once a second
/// per event loop, as nginx caches its time strings.
struct HTTPDate {
    /// `Date: Tue, 01 Dec 2026 21:51:59 GMT\r\n`, written by reference (no copy per response).
    private(set) var field = ByteBuffer()
    private var second: Int = -1

    static let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// The field for the current second.
    mutating func current() -> ByteBuffer {
        let now = time(nil)
        if now != self.second {
            self.second = now
            self.field = ByteBuffer(bytes: Self.render(now))
        }
        return self.field
    }

    /// nginx's `ngx_http_cookie_time` (ngx.cookie_time): `Thu, 18-Nov-2026 11:27:35 GMT`.
    static func cookieTime(_ seconds: Int) -> String {
        var value = seconds
        var parts = tm()
        gmtime_r(&value, &parts)
        func two(_ number: Int32) -> String { number < 10 ? "0\(number)" : "\(number)" }
        return "\(Self.days[Int(parts.tm_wday)]), \(two(parts.tm_mday))-\(Self.months[Int(parts.tm_mon)])-\(1900 + parts.tm_year) "
            + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)) GMT"
    }

    static func render(_ seconds: Int) -> [UInt8] {
        var value = seconds
        var parts = tm()
        gmtime_r(&value, &parts)
        func two(_ number: Int32) -> String { number < 10 ? "0\(number)" : "\(number)" }
        let text = "Date: \(Self.days[Int(parts.tm_wday)]), \(two(parts.tm_mday)) \(Self.months[Int(parts.tm_mon)]) \(1900 + parts.tm_year) \(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)) GMT\r\n"
        return Array(text.utf8)
    }
}
