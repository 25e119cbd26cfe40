import Foundation

/// The real `portico` binary, started as a child process on a free loopback port.
final class PorticoProcess {
    let process = Process()
    let port: Int
    let httpsPort: Int
    let logFile: URL
    let accessLog: URL

    /// Path of the binary SwiftPM built next to the test bundle.
    static var binary: URL {
        let candidates = [
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent(),
            Bundle.main.bundleURL.deletingLastPathComponent(),
            Bundle.main.bundleURL,
            URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../../.build/debug"),
        ]
        for directory in candidates {
            let url = directory.appendingPathComponent("portico")
            if FileManager.default.isExecutableFile(atPath: url.path) { return url }
        }
        return candidates.last!.appendingPathComponent("portico")
    }

    static var repositoryRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
    }

    /// `environment`: variables added to the test's own (`POD_NAMESPACE`, …).
    init(
        rules: URL, extraArguments: [String] = [], workingDirectory: URL? = nil, certs: URL? = nil, waitUntilListening: Bool = true,
        environment: [String: String] = [:]
    ) throws {
        self.port = try FreePort.next()
        var httpsPort = try FreePort.next()
        while httpsPort == self.port { httpsPort = try FreePort.next() }
        self.httpsPort = httpsPort
        let directory = try TemporaryDirectory.make()
        self.logFile = directory.appendingPathComponent("portico.log")
        self.accessLog = directory.appendingPathComponent("access.log")
        _ = FileManager.default.createFile(atPath: self.logFile.path, contents: nil)
        self.process.executableURL = Self.binary
        self.process.arguments =
            ["serve", "--rules", rules.path, "--http-port", String(self.port), "--https-port", String(self.httpsPort),
             "--certs", (certs ?? Self.repositoryRoot.appendingPathComponent("certs")).path, "--address", "127.0.0.1",
             "--workers", "2", "--access-log", self.accessLog.path] + extraArguments
        if let workingDirectory { self.process.currentDirectoryURL = workingDirectory }
        if !environment.isEmpty { self.process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        let log = try FileHandle(forWritingTo: self.logFile)
        self.process.standardOutput = log
        self.process.standardError = log
        try self.process.run()
        if waitUntilListening { try self.waitUntilListening() }
    }

    private func waitUntilListening() throws {
        // Up to 30 s: a debug build starting while the whole suite runs on two cores can be slow.
        for _ in 0..<600 {
            if RawHTTP.canConnect(port: self.port), RawHTTP.canConnect(port: self.httpsPort) { return }
            guard self.process.isRunning else { break }
            usleep(50_000)
        }
        throw HarnessError("portico did not start listening on \(self.port) (running: \(self.process.isRunning)):\n\(self.log)")
    }

    var log: String { (try? String(contentsOf: self.logFile, encoding: .utf8)) ?? "" }

    /// Peak resident memory (VmHWM) in KiB.
    var peakRSSKiB: Int {
        let status = (try? String(contentsOfFile: "/proc/\(self.process.processIdentifier)/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmHWM:") } ?? ""
        return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") ?? 0
    }

    func terminate() {
        if self.process.isRunning {
            self.process.terminate()
            self.process.waitUntilExit()
        }
    }

    deinit { self.terminate() }
}

struct HarnessError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

enum TemporaryDirectory {
    static func make() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("portico-e2e-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}
