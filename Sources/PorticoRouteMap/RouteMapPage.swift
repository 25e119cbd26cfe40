import Foundation
import PorticoRouting

/// The route map as a page for people: one table per host, endpoints as coloured badges, the
/// certificates with days left, the diagnostics first when there are any. Static HTML (no
/// script) that reloads itself every 10 s, so it works in any browser and behind `kubectl
/// port-forward`.
public enum RouteMapPage {
    public static func html(_ map: RouteMap) -> String {
        var page = """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="10">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>Portico routes</title><style>\(Self.style)</style></head><body>
            <header><h1>Portico routes</h1><p>generation \(map.generation) · \(escape(map.generatedAt)) · \(Self.rateNote(map))
             · <a href="/routes.json">JSON</a></p></header>

            """
        if !map.diagnostics.isEmpty {
            page += "<section class=\"diagnostics\"><h2>Diagnostics (\(map.diagnostics.count))</h2><ul>\n"
            for problem in map.diagnostics {
                page += "<li class=\"\(escape(problem.severity))\"><b>\(escape(problem.severity))</b> \(escape(problem.text))</li>\n"
            }
            page += "</ul></section>\n"
        }
        if map.hosts.isEmpty { page += "<p class=\"empty\">No routes: no Ingress is served.</p>\n" }
        for host in map.hosts {
            page += "<section class=\"host\"><h2>\(escape(host.host))\(host.tls ? " <span class=\"tls\">TLS</span>" : "")</h2>\n"
            page += "<table><thead><tr><th>Path</th><th>Type</th><th>Ingress</th><th>Backend</th><th>Endpoints</th>"
            page += "<th class=\"n\">req/s</th><th class=\"n\">5xx/s</th><th class=\"n\">requests</th><th class=\"n\">5xx</th></tr></thead><tbody>\n"
            for path in host.paths { page += Self.row(path) }
            page += "</tbody></table></section>\n"
        }
        page += "<section><h2>TLS certificates</h2><table><thead><tr><th>Host</th><th>Certificate</th><th>Issuer</th>"
        page += "<th>Expires</th><th class=\"n\">days left</th><th>Ingress</th></tr></thead><tbody>\n"
        for certificate in map.certificates + [map.defaultCertificate] { page += Self.row(certificate) }
        page += "</tbody></table></section>\n</body></html>\n"
        return page
    }

    static func row(_ path: RouteMap.Path) -> String {
        var cells = "<tr><td class=\"path\">\(escape(path.path))"
        if let rewrite = path.rewrite { cells += " <span class=\"rewrite\">→ \(escape(rewrite))</span>" }
        cells += "</td><td>\(escape(path.type))</td><td>\(escape(path.ingress))</td>"
        cells += "<td>\(escape(path.backend.service))<div class=\"upstream\">\(escape(path.backend.upstream))</div></td><td>"
        if let reason = path.backend.unavailable { cells += "<div class=\"unavailable\">503: \(escape(reason))</div>" }
        for endpoint in path.backend.endpoints {
            let title = endpoint.pod.map { " title=\"\(escape($0))\"" } ?? ""
            cells += "<span class=\"endpoint \(endpoint.state.rawValue)\"\(title)>\(escape(endpoint.address))"
            cells += endpoint.state == .ready ? "" : " (\(endpoint.state == .failing ? "failing" : "not ready"))"
            cells += "</span> "
        }
        cells += "</td>"
        if let traffic = path.traffic {
            cells += "<td class=\"n\">\(Self.rate(traffic.requestsPerSecond))</td>"
            cells += "<td class=\"n\(traffic.errorsPerSecond > 0 ? " bad" : "")\">\(Self.rate(traffic.errorsPerSecond))</td>"
            cells += "<td class=\"n\">\(traffic.requests)</td><td class=\"n\">\(traffic.errors)</td>"
        } else {
            cells += "<td class=\"n\">–</td><td class=\"n\">–</td><td class=\"n\">–</td><td class=\"n\">–</td>"
        }
        return cells + "</tr>\n"
    }

    static func row(_ certificate: RouteMap.Certificate) -> String {
        let soon = (certificate.daysLeft ?? Int.max) < 14
        return "<tr><td>\(escape(certificate.host))</td><td>\(escape(certificate.origin ?? "default certificate (secret not found)"))</td>"
            + "<td>\(escape(certificate.issuer ?? ""))</td><td>\(escape(certificate.notAfter ?? ""))</td>"
            + "<td class=\"n\(soon ? " bad" : "")\">\(certificate.daysLeft.map(String.init) ?? "")</td>"
            + "<td>\(escape(certificate.ingress ?? ""))</td></tr>\n"
    }

    static func rateNote(_ map: RouteMap) -> String {
        guard map.requestMetrics else { return "request metrics off (--enable-metrics false)" }
        return map.rateWindowSeconds > 0 ? "rates over the last \(Int(map.rateWindowSeconds.rounded())) s" : "rates after the first sample"
    }

    static func rate(_ value: Double) -> String { String(format: value < 10 ? "%.2f" : "%.0f", value) }

    /// Text for HTML content and attribute values.
    static func escape(_ text: String) -> String {
        text.escaping { character in
            switch character {
            case "<": "&lt;"
            case ">": "&gt;"
            case "&": "&amp;"
            case "\"": "&quot;"
            case "'": "&#39;"
            default: nil
            }
        }
    }

    static let style = """
        body{font:14px/1.4 system-ui,"DejaVu Sans",sans-serif;margin:1.5em;color:#1d2330;background:#fafbfc}
        h1{font-size:22px;margin:0}h2{font-size:17px;margin:1.2em 0 .4em}header p{color:#5b6475;margin:.2em 0}
        table{border-collapse:collapse;width:100%;background:#fff;box-shadow:0 1px 2px #0001}
        th,td{text-align:left;padding:5px 8px;border-bottom:1px solid #e4e7ec;vertical-align:top}
        th{background:#f0f2f5;font-weight:600}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
        .path{font-family:"DejaVu Sans Mono",monospace}.rewrite,.upstream{color:#5b6475;font-size:12px}
        .endpoint{display:inline-block;border-radius:3px;padding:0 5px;margin:1px;font-family:"DejaVu Sans Mono",monospace;font-size:12px}
        .ready{background:#dcf5e3;color:#135c2a}.failing{background:#fde2c8;color:#8a3b00}.notReady{background:#e7e9ee;color:#5b6475}
        .unavailable,.bad{color:#b42318;font-weight:600}.tls{font-size:11px;background:#1d4ed8;color:#fff;border-radius:3px;padding:1px 5px}
        .diagnostics li.error{color:#b42318}.diagnostics li.warning{color:#8a3b00}.diagnostics ul{background:#fff;padding:.6em 2em}
        """
}
