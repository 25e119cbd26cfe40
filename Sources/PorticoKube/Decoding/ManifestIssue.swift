/// A problem found while reading a manifest, located by file, line, object and field.
///
/// PorticoKube does not know the routing model's `Diagnostic`; the config layer converts.
public struct ManifestIssue: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Severity: String, Hashable, Sendable {
        case error, warning, info
    }

    public var severity: Severity
    public var file: String
    public var line: Int?
    /// `Kind namespace/name`, when known.
    public var object: String?
    public var field: String?
    public var message: String

    public init(
        _ severity: Severity,
        file: String,
        line: Int?,
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

    public var description: String {
        var text = self.file
        if let line = self.line { text += ":\(line)" }
        text += ": \(self.severity.rawValue): "
        if let object = self.object { text += "\(object): " }
        if let field = self.field { text += "\(field): " }
        return text + self.message
    }
}

/// Thrown inside decoding; carries the line and field, the caller adds file and object.
struct FieldError: Error {
    let line: Int?
    let field: String
    let message: String
}
