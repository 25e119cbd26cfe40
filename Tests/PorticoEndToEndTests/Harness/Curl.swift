import Foundation

/// The real curl, as users drive Portico: `--resolve` for nip.io-style hosts.
struct Curl {
    struct Response {
        var status: Int
        /// `HTTP/1.1 200 OK`, `HTTP/2 200`: the last head's first line.
        var statusLine = ""
        var headers: [String: String]
        var body: String
        var exitCode: Int32

        /// `name: value` lines of the demo backend's report, e.g. `report["endpoint"]`.
        var report: [String: String] {
            var result: [String: String] = [:]
            for line in self.body.split(separator: "\n") {
                guard let colon = line.firstIndex(of: ":") else { continue }
                let key = String(line[..<colon])
                let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                if key == "header", let inner = value.firstIndex(of: ":") {
                    result["header " + value[..<inner]] = value[value.index(after: inner)...].trimmingCharacters(in: .whitespaces)
                } else if result[key] == nil {
                    result[key] = value
                }
            }
            return result
        }
    }

    let port: Int
    var httpsPort: Int = 0

    /// GETs (or whatever `arguments` say) `http://host:port/path` with the host resolved to
    /// 127.0.0.1; with `tls`, `https://host:httpsPort/path` trusting the development CA.
    func get(_ host: String, _ path: String, _ arguments: [String] = [], tls: Bool = false) throws -> Response {
        let port = tls ? self.httpsPort : self.port
        let url = "\(tls ? "https" : "http")://\(host):\(port)\(path)"
        let trust = tls ? ["--cacert", PorticoProcess.repositoryRoot.appendingPathComponent("certs/ca.crt").path] : []
        return try Self.run(["--resolve", "\(host):\(port):127.0.0.1", url] + trust + arguments)
    }

    /// Runs curl; the body goes to `output` when given (and is then not read back).
    /// `input`: what curl reads as its standard input (`--data-binary @-` uploads it without
    /// a known length).
    static func run(_ arguments: [String], output: URL? = nil, input: URL? = nil) throws -> Response {
        let directory = try TemporaryDirectory.make()
        defer { try? FileManager.default.removeItem(at: directory) }
        let headerFile = directory.appendingPathComponent("headers")
        let bodyFile = output ?? directory.appendingPathComponent("body")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        process.arguments = ["-s", "--max-time", "60", "-D", headerFile.path, "-o", bodyFile.path] + arguments
        if let input { process.standardInput = try FileHandle(forReadingFrom: input) }
        try process.run()
        process.waitUntilExit()
        let headerText = (try? String(contentsOf: headerFile, encoding: .utf8)) ?? ""
        // The last head wins (after a 100 Continue).
        let lastHead = headerText.components(separatedBy: "\r\n\r\n").filter { !$0.isEmpty }.last ?? ""
        var lines = lastHead.components(separatedBy: "\r\n")
        let statusLine = lines.isEmpty ? "" : lines.removeFirst()
        let status = Int(statusLine.split(separator: " ").dropFirst().first ?? "") ?? 0
        var headers: [String: String] = [:]
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        let body = output == nil ? ((try? String(contentsOf: bodyFile, encoding: .utf8)) ?? "") : ""
        return Response(status: status, statusLine: statusLine, headers: headers, body: body, exitCode: process.terminationStatus)
    }
}
