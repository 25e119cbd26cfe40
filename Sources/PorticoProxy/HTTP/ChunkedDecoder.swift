/// A resumable, validating decoder for the chunked transfer coding (RFC 9112 §7.1).
///
/// The proxy forwards chunked bodies as received once they validate; the decoder tells where the
/// message ends (so bytes after it are never mistaken for body) and, for HTTP/1.0 clients, which
/// byte ranges are data.
///
/// Trailer fields (§7.1.2) are parsed with the head's strictness: a token name, a colon with no
/// space before it, field-value bytes, CRLF; a line of at most 8 KiB and a section of at most
/// 32 KiB. Anything else fails the body, so bytes posing as trailers (a second request written
/// after the last chunk, without the final CRLF) never complete a message upstream.
/// `forwardable` tells the request path where the trailer section began, so it forwards the
/// body without trailers, as nginx drops request trailers.
struct ChunkedDecoder {
    enum State {
        case size, sizeExtension, sizeLF, data, dataCR, dataLF, trailerStart, trailerName, trailerValue, trailerLF, lastLF, done
    }

    enum Outcome: Equatable {
        case needMore
        /// The message ends just before `end` in the bytes passed.
        case done(end: Int)
        case failure
    }

    private(set) var state: State = .size
    private var chunkSize = 0
    private var sawDigit = false
    private var remaining = 0
    private var lineBytes = 0
    private var trailerBytes = 0
    /// After each `consume`: how many leading bytes of that call came before the trailer
    /// section (all of them when none of it was in the call). The rest were trailer fields.
    private(set) var forwardable = 0

    static let maxChunkSize = 1 << 40
    static let maxLine = 8192
    static let maxTrailerSection = 32768

    var isInTrailers: Bool {
        switch self.state {
        case .trailerStart, .trailerName, .trailerValue, .trailerLF, .lastLF, .done: true
        default: false
        }
    }

    init() {}

    /// Consumes `bytes`, reporting data ranges through `onData`.
    mutating func consume(_ bytes: UnsafeRawBufferPointer, onData: (Range<Int>) -> Void = { _ in }) -> Outcome {
        var index = 0
        let count = bytes.count
        self.forwardable = self.isInTrailers ? 0 : count
        while index < count {
            let byte = bytes[index]
            switch self.state {
            case .size:
                if let value = Self.hexValue(byte) {
                    self.chunkSize = self.chunkSize << 4 | value
                    guard self.chunkSize <= Self.maxChunkSize else { return .failure }
                    self.sawDigit = true
                } else if byte == UInt8(ascii: ";") || byte == HTTPBytes.sp || byte == HTTPBytes.htab {
                    guard self.sawDigit else { return .failure }
                    self.state = .sizeExtension
                    self.lineBytes = 0
                } else if byte == HTTPBytes.cr {
                    guard self.sawDigit else { return .failure }
                    self.state = .sizeLF
                } else {
                    return .failure
                }
                index += 1
            case .sizeExtension:
                if byte == HTTPBytes.cr {
                    self.state = .sizeLF
                } else {
                    self.lineBytes += 1
                    guard HTTPBytes.isFieldValueByte(byte), self.lineBytes <= Self.maxLine else { return .failure }
                }
                index += 1
            case .sizeLF:
                guard byte == HTTPBytes.lf else { return .failure }
                index += 1
                if self.chunkSize == 0 {
                    self.state = .trailerStart
                    self.forwardable = index
                    self.trailerBytes = 0
                } else {
                    self.remaining = self.chunkSize
                    self.state = .data
                }
            case .data:
                let take = min(self.remaining, count - index)
                onData(index..<(index + take))
                self.remaining -= take
                index += take
                if self.remaining == 0 { self.state = .dataCR }
            case .dataCR:
                guard byte == HTTPBytes.cr else { return .failure }
                self.state = .dataLF
                index += 1
            case .dataLF:
                guard byte == HTTPBytes.lf else { return .failure }
                self.state = .size
                self.chunkSize = 0
                self.sawDigit = false
                index += 1
            case .trailerStart:
                if byte == HTTPBytes.cr {
                    self.state = .lastLF
                } else {
                    guard HTTPBytes.isToken(byte) else { return .failure }
                    self.state = .trailerName
                    self.lineBytes = 1
                }
                index += 1
            case .trailerName:
                if byte == UInt8(ascii: ":") {
                    self.state = .trailerValue
                } else {
                    guard HTTPBytes.isToken(byte) else { return .failure }  // no space before the colon
                }
                self.lineBytes += 1
                guard self.lineBytes <= Self.maxLine else { return .failure }
                index += 1
            case .trailerValue:
                if byte == HTTPBytes.cr {
                    self.state = .trailerLF
                } else {
                    self.lineBytes += 1
                    guard HTTPBytes.isFieldValueByte(byte), self.lineBytes <= Self.maxLine else { return .failure }
                }
                index += 1
            case .trailerLF:
                guard byte == HTTPBytes.lf else { return .failure }
                self.trailerBytes += self.lineBytes + 2
                guard self.trailerBytes <= Self.maxTrailerSection else { return .failure }
                self.state = .trailerStart
                index += 1
            case .lastLF:
                guard byte == HTTPBytes.lf else { return .failure }
                self.state = .done
                return .done(end: index + 1)
            case .done:
                return .done(end: index)
            }
        }
        return self.state == .done ? .done(end: index) : .needMore
    }

    @inline(__always)
    static func hexValue(_ byte: UInt8) -> Int? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): Int(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): Int(byte - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): Int(byte - UInt8(ascii: "A") + 10)
        default: nil
        }
    }
}
