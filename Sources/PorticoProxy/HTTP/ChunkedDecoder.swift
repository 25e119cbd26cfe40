/// A resumable, validating decoder for the chunked transfer coding (RFC 9112 §7.1).
///
/// The proxy forwards chunked bodies as received once they validate; the decoder tells where the
/// message ends (so bytes after it are never mistaken for body) and, for HTTP/1.0 clients, which
/// byte ranges are data.
struct ChunkedDecoder {
    enum State {
        case size, sizeExtension, sizeLF, data, dataCR, dataLF, trailerStart, trailerLine, trailerLF, lastLF, done
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

    static let maxChunkSize = 1 << 40
    static let maxLine = 8192

    init() {}

    /// Consumes `bytes`, reporting data ranges through `onData`.
    mutating func consume(_ bytes: UnsafeRawBufferPointer, onData: (Range<Int>) -> Void = { _ in }) -> Outcome {
        var index = 0
        let count = bytes.count
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
                    self.state = .trailerLine
                    self.lineBytes = 1
                }
                index += 1
            case .trailerLine:
                if byte == HTTPBytes.cr {
                    self.state = .trailerLF
                } else {
                    self.lineBytes += 1
                    guard HTTPBytes.isFieldValueByte(byte), self.lineBytes <= Self.maxLine else { return .failure }
                }
                index += 1
            case .trailerLF:
                guard byte == HTTPBytes.lf else { return .failure }
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
