import Foundation
import PorticoRouting

/// `enable-cors` and `cors-allow-origin`, `-allow-methods`, `-allow-headers`,
/// `-allow-credentials`, `-expose-headers`, `-max-age` (ingress-nginx
/// `annotations/cors/main.go`). Every invalid value falls back to its default with a warning,
/// as the parser does; an origin that is not `scheme://host[:port]`, `*` or `null` is skipped.
enum CORSAnnotations: AnnotationGroup {
    static let names = [
        "enable-cors", "cors-allow-origin", "cors-allow-methods", "cors-allow-headers", "cors-allow-credentials",
        "cors-expose-headers", "cors-max-age",
    ]
    static let defaultMethods = "GET, PUT, POST, DELETE, PATCH, OPTIONS"
    static let defaultHeaders =
        "DNT,Keep-Alive,User-Agent,X-Requested-With,If-Modified-Since,Cache-Control,Content-Type,Range,Authorization"
    static let defaultMaxAge = 1_728_000

    static func parse(_ reader: inout AnnotationReader, into annotations: inout IngressAnnotations) {
        guard reader.bool("enable-cors", default: false) else { return }
        // nil: any origin (the default `*`, or a `*` anywhere in the list, as the parser's `break`).
        var origins: [OriginPattern]? = nil
        if let text = reader.value("cors-allow-origin") {
            var list: [OriginPattern] = []
            var any = false
            for item in AnnotationReader.items(text) {
                if item == "*" {
                    any = true
                    break
                }
                guard Self.isOrigin(item) else {
                    reader.warn("cors-allow-origin", "\"\(item)\" is not scheme://host[:port], * or null; ingress-nginx skips it, and so does Portico")
                    continue
                }
                list.append(OriginPattern(item))
            }
            origins = any ? nil : list
        }
        var methods = Self.defaultMethods
        if let text = reader.value("cors-allow-methods") {
            if Self.isList(text, allowing: { $0.isASCIILetter }) { methods = text }
            else { reader.fallBack("cors-allow-methods", text, expected: "a list of method names", to: methods) }
        }
        var headers = Self.defaultHeaders
        if let text = reader.value("cors-allow-headers") {
            if text.utf8.allSatisfy({ $0.isASCIILetter || $0.isASCIIDigit || "-_, ".utf8.contains($0) }) { headers = text }
            else { reader.fallBack("cors-allow-headers", text, expected: "header names separated by commas", to: "the default list") }
        }
        var expose = ""
        if let text = reader.value("cors-expose-headers") {
            if Self.isList(text, allowing: { $0.isASCIILetter || $0.isASCIIDigit || "-_*".utf8.contains($0) }) { expose = text }
            else { reader.fallBack("cors-expose-headers", text, expected: "header names or * separated by commas", to: "none") }
        }
        var maxAge = Self.defaultMaxAge
        if let text = reader.value("cors-max-age") {
            if let value = Int(text) { maxAge = value }
            else { reader.fallBack("cors-max-age", text, expected: "a number of seconds", to: "\(Self.defaultMaxAge)") }
        }
        annotations.policy.cors = CORSPolicy(
            origins: origins, allowMethods: methods, allowHeaders: headers,
            allowCredentials: reader.bool("cors-allow-credentials", default: true), exposeHeaders: expose, maxAge: maxAge)
    }

    /// ingress-nginx's `corsOriginRegex`: `^([a-z]+://(\*\.)?[A-Za-z0-9\-.]*(:\d+)?|\*|null)?$`.
    static func isOrigin(_ text: String) -> Bool {
        if text == "null" { return true }
        guard let schemeEnd = text.range(of: "://") else { return false }
        let scheme = text[..<schemeEnd.lowerBound]
        guard !scheme.isEmpty, scheme.utf8.allSatisfy({ $0 >= 97 && $0 <= 122 }) else { return false }
        var rest = Substring(text[schemeEnd.upperBound...])
        if rest.hasPrefix("*.") { rest = rest.dropFirst(2) }
        if let colon = rest.lastIndex(of: ":") {
            let port = rest[rest.index(after: colon)...]
            guard !port.isEmpty, port.utf8.allSatisfy({ $0.isASCIIDigit }) else { return false }
            rest = rest[..<colon]
        }
        return rest.utf8.allSatisfy { $0.isASCIILetter || $0.isASCIIDigit || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: ".") }
    }

    /// `^((<item>),?\s?)+$`: items of the allowed bytes, each followed by at most one comma and
    /// one space.
    static func isList(_ text: String, allowing allowed: (UInt8) -> Bool) -> Bool {
        let bytes = Array(text.utf8)
        var index = 0
        repeat {
            let start = index
            while index < bytes.count, allowed(bytes[index]) { index += 1 }
            if index == start { return false }
            if index < bytes.count, bytes[index] == UInt8(ascii: ",") { index += 1 }
            if index < bytes.count, bytes[index] == UInt8(ascii: " ") || bytes[index] == UInt8(ascii: "\t") { index += 1 }
        } while index < bytes.count
        return true
    }
}

extension UInt8 {
    var isASCIILetter: Bool { (self >= 65 && self <= 90) || (self >= 97 && self <= 122) }
    var isASCIIDigit: Bool { self >= 48 && self <= 57 }
}
