import Foundation
import PorticoRouting

/// `affinity: cookie` with `affinity-mode`, `session-cookie-name`, `-path`, `-max-age`,
/// `-expires`, `-samesite`, `-secure`, `-domain` and `-change-on-failure` (ingress-nginx `annotations/sessionaffinity/main.go`, the cookie
/// sticky.lua sets). Its parser ignores every invalid value: an unknown `affinity` is no
/// affinity, a bad cookie name is `INGRESSCOOKIE`, any other bad value is left out.
enum AffinityAnnotations: AnnotationGroup {
    static let names = [
        "affinity", "session-cookie-name", "session-cookie-path", "session-cookie-max-age", "session-cookie-expires",
        "session-cookie-samesite", "session-cookie-secure", "session-cookie-domain", "affinity-mode", "session-cookie-change-on-failure",
        "session-cookie-conditional-samesite-none",
    ]

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
        var path: String?  // nil: each route's Ingress path (`IngressAnnotations.policy`)
        if let text = reader.value("session-cookie-path") {
            if text.hasPrefix("/"), text.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: ";") }) {
                path = text
            } else {
                reader.fallBack("session-cookie-path", text, expected: "a path", to: "the Ingress path")
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
        var expires: Int?
        if let text = reader.value("session-cookie-expires") {
            if let seconds = Int(text), seconds >= 0 { expires = seconds }
            else { reader.fallBack("session-cookie-expires", text, expected: "a number of seconds", to: "none") }
        }
        var sameSite: String?
        if let text = reader.value("session-cookie-samesite") {
            if let value = ["None", "Lax", "Strict"].first(where: { $0.lowercased() == text.lowercased() }) { sameSite = value }
            else { reader.fallBack("session-cookie-samesite", text, expected: "None, Lax or Strict", to: "none") }
        }
        let secure = reader.value("session-cookie-secure").map { _ in reader.bool("session-cookie-secure", default: false) }
        var domain: String?
        if let text = reader.value("session-cookie-domain") {
            if text.utf8.allSatisfy({ HostBytes.isLabelByte($0) || $0 == UInt8(ascii: ".") }) { domain = text }
            else { reader.fallBack("session-cookie-domain", text, expected: "a domain", to: "none") }
        }
        var mode = CookieAffinity.Mode.balanced
        if let text = reader.value("affinity-mode") {
            switch text {
            case "balanced": mode = .balanced
            case "persistent": mode = .persistent
            default: reader.fallBack("affinity-mode", text, expected: "balanced or persistent", to: "balanced")
            }
        }
        let changeOnFailure = reader.bool("session-cookie-change-on-failure", default: false)
        annotations.cookiePathIsRoutePath = path == nil
        annotations.policy.cookieAffinity = CookieAffinity(
            name: name, path: path ?? "/", maxAge: maxAge, expires: expires, sameSite: sameSite, secure: secure, domain: domain,
            mode: mode, changeOnFailure: changeOnFailure,
            conditionalSameSiteNone: reader.bool("session-cookie-conditional-samesite-none", default: false))
    }
}
