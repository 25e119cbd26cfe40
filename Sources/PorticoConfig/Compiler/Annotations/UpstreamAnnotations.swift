import Foundation
import PorticoRouting

/// How the upstream is addressed and chosen: `upstream-vhost` (`annotations/upstreamvhost`),
/// `upstream-hash-by` (`annotations/upstreamhashby`) and `load-balance`
/// (`annotations/loadbalancing`): their parsers return the validator's error, so a value the
/// validator refuses drops the Ingress; a valid value Portico cannot honour is a warning. And
/// `service-upstream` (`annotations/serviceupstream`, a boolean that falls back to false).
enum UpstreamAnnotations: AnnotationGroup {
    static let names = ["upstream-vhost", "upstream-hash-by", "load-balance", "service-upstream"]

    static func parse(_ reader: inout AnnotationReader, into annotations: inout IngressAnnotations) {
        annotations.serviceUpstream = reader.bool("service-upstream", default: false)
        if let text = reader.value("upstream-vhost") {
            let value = text.trimmingCharacters(in: .whitespaces)
            // `ValidateServerName` allows `$` and `{}`: nginx expands the variables at run time.
            guard AnnotationReader.Characters.isServerName(value) else {
                return reader.drop("upstream-vhost", text, expected: "a host name ([-._~/:a-zA-Z0-9] and nginx variables)")
            }
            switch UpstreamHostTemplate.parse(value) {
            case .success(let template): annotations.upstreamHost = template
            case .failure(let error):
                // nginx would refuse the whole configuration: leave the one Ingress out.
                reader.drop("upstream-vhost", text, expected: "a host name with known variables (\(error))")
            }
        }
        if let text = reader.value("upstream-hash-by") {
            let value = text.filter { $0 != " " }
            // `hashByRegex`: `^[A-Za-z0-9\-_${}]*$`.
            guard value.utf8.allSatisfy({ HostBytes.isLabelByte($0) || "${}".utf8.contains($0) }) else {
                return reader.drop("upstream-hash-by", text, expected: "an nginx variable like $request_uri")
            }
            if let key = HashKey.parse(value) {
                annotations.policy.hashKey = key
            } else {
                reader.warn("upstream-hash-by", "\"\(text)\" is not supported (use $remote_addr, $request_uri, $uri or $http_<header>); round-robin is used", differs: true)
            }
        }
        if let text = reader.value("load-balance") {
            switch text.trimmingCharacters(in: .whitespaces) {
            case "ewma": annotations.policy.ewma = true
            case "round_robin": annotations.policy.ewma = false
            case "chash", "chashsubset", "sticky_balanced", "sticky_persistent":
                reader.warn("load-balance", "\"\(text)\" is not supported (round_robin and ewma are); round-robin is used", differs: true)
            default:
                reader.drop("load-balance", text, expected: "one of round_robin, ewma, chash, chashsubset, sticky_balanced, sticky_persistent")
            }
        }
    }
}
