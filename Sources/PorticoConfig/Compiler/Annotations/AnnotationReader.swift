import Foundation
import PorticoDiagnostics
import PorticoKube
import PorticoRouting

/// Reads one Ingress's `nginx.ingress.kubernetes.io/*` values for the annotation parsers and
/// reports a bad value the way ingress-nginx treats it, in one set of words:
///
/// - **falls back**: most parsers swallow a value their validator refuses and use the default
///   (e.g. `annotations/proxy/main.go`: `if err != nil { config.ReadTimeout = defBackend… }`);
/// - **drops**: a parser that returns the validator's `ValidationError` makes
///   `annotations.Extractor.Extract` fail, and the store leaves the Ingress out
///   (`store.go`: `parsed, err := s.annotations.Extract(ing); if err != nil { return }`);
/// - **denies**: an invalid allow-list is a `LocationDeniedError`: the paths answer 503.
///
/// Empty values count as absent, as `checkAnnotation` skips validating them and `parseString`
/// treats them as missing.
struct AnnotationReader {
    static let prefix = "nginx.ingress.kubernetes.io/"

    let ingress: Ingress
    let object: String
    /// Secrets by `namespace/name`, for annotations that name one (`auth-secret`).
    let secrets: [String: Secret]
    /// ConfigMaps by `namespace/name`, for annotations that name one (`custom-headers`).
    let configMaps: [String: ConfigMap]
    var diagnostics: [Diagnostic] = []
    /// Some value made ingress-nginx refuse the whole Ingress.
    private(set) var dropped = false

    init(ingress: Ingress, object: String, secrets: [String: Secret] = [:], configMaps: [String: ConfigMap] = [:]) {
        self.ingress = ingress
        self.object = object
        self.secrets = secrets
        self.configMaps = configMaps
    }

    /// The value of `nginx.ingress.kubernetes.io/<name>`; nil when absent or empty.
    func value(_ name: String) -> String? {
        guard let text = self.ingress.metadata.annotations[Self.prefix + name], !text.isEmpty else { return nil }
        return text
    }

    /// A boolean as Go's `strconv.ParseBool` reads it; an invalid one falls back to `fallback`
    /// (every boolean annotation Portico reads does, in ingress-nginx's parsers).
    mutating func bool(_ name: String, default fallback: Bool) -> Bool {
        guard let text = self.value(name) else { return fallback }
        guard let value = Self.parseBool(text) else {
            self.fallBack(name, text, expected: "true or false", to: "\(fallback)")
            return fallback
        }
        return value
    }

    /// Go's `strconv.ParseBool`, what ingress-nginx's parsers and its ConfigMap decoding use.
    static func parseBool(_ text: String) -> Bool? {
        switch text {
        case "true", "True", "TRUE", "t", "T", "1": true
        case "false", "False", "FALSE", "f", "F", "0": false
        default: nil
        }
    }

    /// The first of `names` that is set (an annotation and its older name), with its value.
    func firstValue(of names: [String]) -> (name: String, text: String)? {
        for name in names { if let text = self.value(name) { return (name, text) } }
        return nil
    }

    /// A comma-separated value's items, trimmed, empty ones skipped (as ingress-nginx's
    /// parsers split `strings.Split(v, ",")` and trim).
    static func items(_ text: String) -> [String] {
        text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// A list of CIDR blocks, or the first item that is not one.
    static func sourceRanges(_ text: String) -> Result<[SourceRange], InvalidItem> {
        var ranges: [SourceRange] = []
        for item in Self.items(text) {
            guard let range = SourceRange.parse(item) else { return .failure(InvalidItem(text: item)) }
            ranges.append(range)
        }
        return .success(ranges)
    }

    struct InvalidItem: Error {
        let text: String
    }

    /// An address list whose invalid block denies the location (ingress-nginx's ipallowlist and
    /// ipdenylist parsers return a `LocationDeniedError`): nil after denying it.
    mutating func locationSourceRanges(_ name: String, _ text: String, into policy: inout RoutePolicy) -> [SourceRange]? {
        switch Self.sourceRanges(text) {
        case .success(let ranges): return ranges
        case .failure(let invalid):
            self.deny(name, invalid.text, expected: "an IP address or CIDR block")
            policy.deniedReason = "invalid \(name)"
            return nil
        }
    }

    mutating func fallBack(_ name: String, _ value: String, expected: String, to fallback: String) {
        self.report(.warning, name, "\"\(value)\" is not \(expected); ingress-nginx ignores the value and uses the default (\(fallback)), and so does Portico")
    }

    mutating func drop(_ name: String, _ value: String, expected: String) {
        self.dropped = true
        self.report(.error, name, "\"\(value)\" is not \(expected); ingress-nginx drops such an Ingress, so it is left out")
    }

    /// Portico cannot honour the value and serving without it could open what it closes: the
    /// Ingress is left out (ingress-nginx would have run it).
    mutating func leaveOut(_ name: String, _ message: String) {
        self.dropped = true
        self.report(.error, name, message, differs: true)
    }

    mutating func deny(_ name: String, _ value: String, expected: String) {
        self.report(.error, name, "\"\(value)\" is not \(expected); ingress-nginx denies the Ingress's paths, so they answer 503")
    }

    /// A `LocationDeniedError` whose reason is not a refused value (a missing Secret, …).
    /// `differs`: ingress-nginx would serve it (digest authentication, which Portico lacks).
    mutating func denyLocation(_ name: String, _ reason: String, differs: Bool = false) {
        self.report(.error, name, reason, differs: differs)
    }

    /// `differs`: Portico does not do what ingress-nginx does here.
    mutating func warn(_ name: String, _ message: String, differs: Bool = false) {
        self.report(.warning, name, message, differs: differs)
    }

    private mutating func report(_ severity: Diagnostic.Severity, _ name: String, _ message: String, differs: Bool = false) {
        let diagnostic = Diagnostic(
            severity, file: self.ingress.location.file, line: self.ingress.location.line, object: self.object,
            field: "metadata.annotations[\(Self.prefix + name)]", message: message)
        self.diagnostics.append(differs ? diagnostic.differing() : diagnostic)
    }

    /// ingress-nginx's validator character classes (`annotations/parser/validators.go`).
    enum Characters {
        /// `headerRegexp` (`^[a-zA-Z\d\-_]+$`), the header names of the auth and custom-headers
        /// annotations.
        static func isHeaderName(_ text: String) -> Bool {
            !text.isEmpty && text.utf8.allSatisfy { $0.isASCIILetter || $0.isASCIIDigit || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") }
        }

        /// `alphaNumericChars`: `-._~`, letters, digits, `/` and `:`.
        static func isAlphaNumeric(_ byte: UInt8) -> Bool {
            HostBytes.isLabelByte(byte) || ".~/:".utf8.contains(byte)  // label bytes: letters, digits, - and _
        }

        /// `RegexPathWithCapture`: `^/?[alphaNumericChars/$]*$`.
        static func isPathWithCapture(_ text: String) -> Bool {
            text.utf8.allSatisfy { Self.isAlphaNumeric($0) || $0 == UInt8(ascii: "$") }
        }

        /// `IsValidRegex` (`ValidateServerName`): alphaNumericChars plus `^$[](){}*+?|&=\`.
        static func isServerName(_ text: String) -> Bool {
            text.utf8.allSatisfy { Self.isAlphaNumeric($0) || "^$[](){}*+?|&=\\".utf8.contains($0) }
        }
    }
}

