import Foundation
import PorticoRouting

/// `configuration-snippet`, translated rather than pasted: raw nginx configuration in an
/// Ingress is what made ingress-nginx's snippets a hole (CVE-2021-25742, CVE-2025-1974), so
/// Portico never runs it. The directives migrating users put there with a safe meaning become
/// the route's own policies, each parsed strictly and without variables:
/// `more_set_headers 'Name: value' …`, `more_clear_headers Name …`, `add_header Name value
/// [always]`, `proxy_set_header Name value`, and `return 301|302|303|307|308 URL`. Anything
/// else — another directive, an option such as `-s`, a `$variable`, a block — keeps the Ingress
/// out with a diagnostic naming it: serving without a directive the author relied on (a `deny`,
/// a header a backend trusts) could open what it closed.
enum SnippetAnnotations: AnnotationGroup {
    static let names = ["configuration-snippet"]

    static func parse(_ reader: inout AnnotationReader, into annotations: inout IngressAnnotations) {
        guard let text = reader.value("configuration-snippet") else { return }
        func refuse(_ message: String) {
            reader.leaveOut("configuration-snippet", message + "; Portico translates only more_set_headers, more_clear_headers, add_header, proxy_set_header and return <redirect> <URL>, without variables, so the Ingress is left out")
        }
        let directives: [NginxDirectives.Directive]
        switch NginxDirectives.parse(text) {
        case .success(let parsed): directives = parsed
        case .failure(let failure): return refuse("\(failure)")
        }
        var set: [HeaderPolicy.Field] = []
        var clear: [String] = []
        var add: [HeaderPolicy.Field] = []
        var always: [HeaderPolicy.Field] = []
        var request: [HeaderPolicy.Field] = []
        for directive in directives {
            let place = "line \(directive.line): \(directive.name)"
            if let argument = directive.arguments.first(where: { $0.contains("$") }) {
                let variable = argument[argument.firstIndex(of: "$")!...].prefix { $0 == "$" || $0 == "_" || $0.isLetter || $0.isNumber }
                return refuse("\(place): variables (\(variable)) are not translated")
            }
            if let option = directive.arguments.first(where: { $0.hasPrefix("-") }), directive.name.hasPrefix("more_") {
                return refuse("\(place): the option \(option) is not translated")
            }
            switch directive.name {
            case "more_set_headers":
                for argument in directive.arguments {
                    guard let colon = argument.firstIndex(of: ":"), Self.isFieldName(argument[..<colon]) else {
                        return refuse("\(place): \"\(argument)\" is not Name: value")
                    }
                    set.append(HeaderPolicy.Field(
                        name: String(argument[..<colon]), value: argument[argument.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
                }
            case "more_clear_headers":
                for argument in directive.arguments {
                    guard Self.isFieldName(Substring(argument)) else { return refuse("\(place): \"\(argument)\" is not a header name") }
                    clear.append(argument)
                }
            case "add_header":
                let arguments = directive.arguments
                guard arguments.count == 2 || (arguments.count == 3 && arguments[2] == "always"), Self.isFieldName(Substring(arguments[0]))
                else { return refuse("\(place): expected add_header Name value [always]") }
                let field = HeaderPolicy.Field(name: arguments[0], value: arguments[1])
                if arguments.count == 3 { always.append(field) } else { add.append(field) }
            case "proxy_set_header":
                guard directive.arguments.count == 2, Self.isFieldName(Substring(directive.arguments[0])) else {
                    return refuse("\(place): expected proxy_set_header Name value")
                }
                request.append(HeaderPolicy.Field(name: directive.arguments[0], value: directive.arguments[1]))
            case "return":
                guard directive.arguments.count == 2, let code = Int(directive.arguments[0]), [301, 302, 303, 307, 308].contains(code),
                    directive.arguments[1].hasPrefix("http://") || directive.arguments[1].hasPrefix("https://")
                else { return refuse("\(place): only return <301|302|303|307|308> <http(s) URL> is translated") }
                annotations.policy.redirect = FixedRedirect(code: code, location: directive.arguments[1], annotation: "configuration-snippet return")
            default:
                return refuse("\(place) is not translated")
            }
        }
        let policy = HeaderPolicy(responseSet: set, responseClear: clear, responseAdd: add, responseAddAlways: always, requestSet: request)
        annotations.policy.headers = policy.layered(over: annotations.policy.headers)
    }

    /// An RFC 9110 token.
    static func isFieldName(_ text: Substring) -> Bool {
        !text.isEmpty && text.utf8.allSatisfy { $0.isASCIILetter || $0.isASCIIDigit || "!#$%&'*+-.^_`|~".utf8.contains($0) }
    }
}
