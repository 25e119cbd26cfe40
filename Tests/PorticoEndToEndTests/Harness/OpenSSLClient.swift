import Foundation

/// The real `openssl s_client`, to see which certificate an SNI name gets.
enum OpenSSLClient {
    struct Result {
        var output: String
        var status: Int32

        /// `CN = …` of the server's leaf certificate, if the handshake got that far.
        var subject: String? {
            self.output.split(separator: "\n").first { $0.hasPrefix("subject=") }.map { String($0.dropFirst("subject=".count)) }
        }
    }

    static func connect(port: Int, serverName: String?, extra: [String] = []) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        var arguments = ["s_client", "-connect", "127.0.0.1:\(port)", "-CAfile",
                         PorticoProcess.repositoryRoot.appendingPathComponent("certs/ca.crt").path]
        if let serverName { arguments += ["-servername", serverName] } else { arguments.append("-noservername") }
        process.arguments = arguments + extra
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        process.standardInput = FileHandle(forReadingAtPath: "/dev/null")
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return Result(output: text, status: process.terminationStatus)
    }
}
