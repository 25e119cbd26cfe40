internal import CPorticoOpenSSL

/// What went wrong in TLS, as users see it.
public struct TLSError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Kind: Hashable, Sendable {
        /// A certificate or key could not be parsed.
        case invalidPEM
        /// The key does not belong to the certificate.
        case keyMismatch
        /// The certificate's notAfter has passed.
        case expired
        /// The certificate does not cover the host it is bound to.
        case nameMismatch
        /// An SSL_CTX could not be set up.
        case contextSetup
        /// The handshake failed (bad client hello, plain HTTP on the TLS port, no shared cipher…).
        case handshakeFailed
        /// A TLS read or write failed after the handshake.
        case protocolError
    }

    public let kind: Kind
    /// OpenSSL's error queue, rendered ("error:0A00010B:SSL routines::wrong version number").
    public let detail: String

    public var description: String { self.detail.isEmpty ? "\(self.kind)" : "\(self.kind): \(self.detail)" }

    /// Drains OpenSSL's error queue into an error of `kind`.
    static func drain(_ kind: Kind, _ context: String = "") -> TLSError {
        var messages: [String] = []
        while true {
            let code = ERR_get_error()
            if code == 0 { break }
            var buffer = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &buffer, buffer.count)
            messages.append(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        let detail = ([context] + messages).filter { !$0.isEmpty }.joined(separator: "; ")
        return TLSError(kind: kind, detail: detail)
    }
}
