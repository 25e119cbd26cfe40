import Foundation
import PorticoRouting

/// `mirror-target`, `mirror-host`, `mirror-request-body` (ingress-nginx
/// `annotations/mirror/main.go`; nginx.tmpl's `mirror` and `buildMirrorLocations`): a copy of
/// each request to the target URL with `Host` the `mirror-host` (else the URL's host), body
/// included unless `mirror-request-body: off`. The URL's path is what the copy asks for:
/// `$request_uri` in it is the client's request target; a fixed path gets the client's query
/// appended (nginx's `proxy_pass` URI replacing the mirror location's). Portico cannot yet do
/// TLS to the mirror or other variables: then nothing is mirrored, and the report says so.
enum MirrorAnnotations: AnnotationGroup {
    static let names = ["mirror-target", "mirror-host", "mirror-request-body"]

    /// The target as the URL names it, before the compiler gives it a backend.
    struct Settings {
        var host: AnnotationURL.Host
        var hostHeader: String
        var path: MirrorPolicy.Path
        var withBody: Bool
        var url: String
    }

    static func parse(_ reader: inout AnnotationReader, into annotations: inout IngressAnnotations) {
        guard let url = reader.value("mirror-target")?.trimmingCharacters(in: .whitespaces), !url.isEmpty else { return }
        // ValidateServerName: letters, digits and the regex characters; a value outside it is
        // ignored with a warning ("contains invalid value, defaulting"): no mirror.
        guard url.utf8.allSatisfy({ AnnotationReader.Characters.isAlphaNumeric($0) || "/\\^$.|?*+()[]{}:=,&%".utf8.contains($0) }) else {
            return reader.warn("mirror-target", "\"\(url)\" is not a URL of letters, digits and -._~/:$?&=; ingress-nginx ignores it, and so does Portico: nothing is mirrored")
        }
        let parsed: AnnotationURL
        switch AnnotationURL.parse(url) {
        case .success(let value): parsed = value
        case .failure(let problem): return reader.warn("mirror-target", "\(problem); nothing is mirrored")
        }
        guard !parsed.isHTTPS else {
            return reader.warn("mirror-target", "TLS to the mirror (\(url)) is not supported yet: nothing is mirrored", differs: true)
        }
        guard case .named(let host) = parsed.host else {
            return reader.warn("mirror-target", "variables in the host of \"\(url)\" are not supported: nothing is mirrored", differs: true)
        }
        let path: MirrorPolicy.Path
        let pieces = parsed.path.components(separatedBy: "$request_uri")
        if pieces.contains(where: { $0.contains("$") }) {
            return reader.warn("mirror-target", "only $request_uri is supported in the path of \"\(url)\": nothing is mirrored", differs: true)
        } else if pieces.count > 1 {
            path = .template(pieces.map { Array($0.utf8) })
        } else if parsed.pathWritten {
            path = .fixed(Array(parsed.path.utf8))
        } else {
            // nginx sends its mirror location's own URI (`/_mirror-<uid>`) to a URL without a
            // path; Portico sends the request's.
            reader.warn("mirror-target", "\"\(url)\" has no path: ingress-nginx's copy asks for /_mirror-<uid>, Portico's for the request's own path", differs: true)
            path = .asUpstream
        }
        var withBody = true
        if let text = reader.value("mirror-request-body")?.trimmingCharacters(in: .whitespaces) {
            if text == "off" {
                withBody = false
            } else if text != "on" {
                reader.fallBack("mirror-request-body", text, expected: "on or off", to: "on")
            }
        }
        let hostHeader = reader.value("mirror-host")?.trimmingCharacters(in: .whitespaces) ?? parsed.hostName
        annotations.mirror = Settings(host: host, hostHeader: hostHeader, path: path, withBody: withBody, url: url)
    }
}
