import Foundation
import PorticoRouting

/// `affinity: cookie` with `session-cookie-name`, `session-cookie-path` and
/// `session-cookie-max-age` (ingress-nginx `annotations/sessionaffinity/main.go`). Its parser
/// ignores every invalid value: an unknown `affinity` is no affinity, a bad cookie name is
/// `INGRESSCOOKIE`, a bad path or max-age is none.
enum AffinityAnnotations: AnnotationGroup {
    static let names = ["affinity", "session-cookie-name", "session-cookie-path", "session-cookie-max-age"]

    static func parse(_ reader: inout AnnotationReader, into annotations: inout IngressAnnotations) {
        guard let kind = reader.value("affinity") else { return }
        guard kind.trimmingCharacters(in: .whitespaces) == "cookie" else {
            return reader.fallBack("affinity", kind, expected: "cookie", to: "no affinity")
        }
        var name = "INGRESSCOOKIE"
        if let text = reader.value("session-cookie-name") {
            // `BasicCharsRegex`, and a cookie-name token.
            if text.utf8.allSatisfy({ HostBytes.isLabelByte($0) || $0 == UInt8(ascii: ".") }) {
                name = text
            } else {
                reader.fallBack("session-cookie-name", text, expected: "a cookie name", to: name)
            }
        }
        var path = "/"
        if let text = reader.value("session-cookie-path") {
            if text.hasPrefix("/"), text.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: ";") }) {
                path = text
            } else {
                reader.fallBack("session-cookie-path", text, expected: "a path", to: path)
            }
        }
        var maxAge: Int?
        if let text = reader.value("session-cookie-max-age") {
            if let seconds = Int(text), seconds >= 0 {
                maxAge = seconds
            } else {
                reader.fallBack("session-cookie-max-age", text, expected: "a number of seconds", to: "a session cookie")
            }
        }
        annotations.policy.cookieAffinity = CookieAffinity(name: name, path: path, maxAge: maxAge)
    }
}
