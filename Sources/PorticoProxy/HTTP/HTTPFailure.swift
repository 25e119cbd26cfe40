/// A request the proxy refuses before routing, with the status RFC 9112 / nginx give it.
struct HTTPFailure: Error, Equatable {
    let status: Int
    let reason: String

    static func badRequest(_ reason: String) -> HTTPFailure { HTTPFailure(status: 400, reason: reason) }

    /// 431 (RFC 6585 §5): the head, one field, or the number of fields is over its limit.
    static func headerTooLarge(_ reason: String) -> HTTPFailure { HTTPFailure(status: 431, reason: reason) }
}

/// The outcome of one attempt to parse a head from the bytes received so far.
enum HeadParseResult: Equatable {
    /// Need more bytes; keep what was received.
    case incomplete
    /// Empty lines before a request line (RFC 9112 §2.2 says to ignore them): drop `count` bytes.
    case skip(Int)
    /// The head is complete; its length is in the head value.
    case complete
    case failure(HTTPFailure)
}
