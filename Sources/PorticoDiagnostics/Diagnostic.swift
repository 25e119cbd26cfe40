/// A located message about the configuration: the file, line, object and field it concerns.
///
/// A bad object becomes a diagnostic and is left out; it never takes the rest of the
/// configuration down (as traefik's `RouterInfo.AddError` and ingress-nginx's skip-and-log do).
public struct Diagnostic: Hashable, Sendable, CustomStringConvertible {
    public enum Severity: String, Hashable, Sendable, Comparable {
        case error, warning, info

        public static func < (lhs: Severity, rhs: Severity) -> Bool {
            lhs.rank < rhs.rank
        }

        private var rank: Int {
            switch self {
            case .error: 0
            case .warning: 1
            case .info: 2
            }
        }
    }

    public let severity: Severity
    public let file: String?
    public let line: Int?
    /// `Kind namespace/name`.
    public let object: String?
    /// Dotted field path, e.g. `spec.rules[0].http.paths[1].backend`.
    public let field: String?
    public let message: String
    /// Portico behaves differently from ingress-nginx here (an annotation it does not act on, a
    /// refused snippet); otherwise the diagnostic reports what ingress-nginx does too. What
    /// `portico check --report` counts as degraded.
    public private(set) var differsFromIngressNginx = false

    public init(
        _ severity: Severity,
        file: String? = nil,
        line: Int? = nil,
        object: String? = nil,
        field: String? = nil,
        message: String
    ) {
        self.severity = severity
        self.file = file
        self.line = line
        self.object = object
        self.field = field
        self.message = message
    }

    /// The same diagnostic, marked as a difference from ingress-nginx.
    public func differing() -> Diagnostic {
        var copy = self
        copy.differsFromIngressNginx = true
        return copy
    }

    /// `file:line: severity: Kind ns/name: field: message`, the shape compilers print, so
    /// editors can jump to it.
    public var description: String {
        var text = ""
        if let file = self.file {
            text += file
            if let line = self.line { text += ":\(line)" }
            text += ": "
        }
        text += "\(self.severity.rawValue): "
        if let object = self.object { text += "\(object): " }
        if let field = self.field { text += "\(field): " }
        return text + self.message
    }
}
