import CPorticoPCRE2

/// A pattern PCRE2 refused, with the offset PCRE2 reported, so a diagnostic can point at it.
public struct RegexError: Error, Sendable, Equatable, CustomStringConvertible {
    public let pattern: String
    /// Byte offset into the pattern where PCRE2 stopped.
    public let offset: Int
    public let message: String

    public var description: String {
        "regex \"\(self.pattern)\" does not compile at offset \(self.offset): \(self.message)"
    }

    static func message(for code: Int32) -> String {
        var buffer = [UInt8](repeating: 0, count: 256)
        let length = pcre2_get_error_message_8(code, &buffer, buffer.count)
        guard length > 0 else { return "PCRE2 error \(code)" }
        return String(decoding: buffer[0..<Int(length)], as: UTF8.self)
    }
}
