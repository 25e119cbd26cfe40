import Foundation

/// A Python program the tests talk to on loopback (an auth service, an OTLP receiver), with
/// its output away from the test runner's (a child holding the runner's pipes keeps `swift
/// test` waiting) and stopped by SIGKILL (under `swift test` children inherit an ignored and
/// blocked SIGTERM).
final class PythonProcess {
    let process = Process()
    /// The port the program listens on (a free one, handed to `arguments`).
    let port: Int

    /// `python3 arguments(port)…`; returns once `host:port` accepts connections.
    init(host: String = "127.0.0.1", _ arguments: (Int) -> [String]) throws {
        self.port = try FreePort.next()
        self.process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        self.process.arguments = ["python3"] + arguments(self.port)
        self.process.standardOutput = FileHandle.nullDevice
        self.process.standardError = FileHandle.nullDevice
        try self.process.run()
        let deadline = Date().addingTimeInterval(10)
        while !RawHTTP.canConnect(port: self.port, host: host) {
            guard Date() < deadline, self.process.isRunning else {
                self.stop()
                throw HarnessError("\(arguments(self.port).first ?? "python3") did not start listening on \(host):\(self.port)")
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
    }

    var isRunning: Bool { self.process.isRunning }

    func stop() {
        kill(self.process.processIdentifier, SIGKILL)
        self.process.waitUntilExit()
    }

    /// The JSON objects of a file written one per line (what these programs record).
    static func jsonLines(_ url: URL) -> [[String: Any]] {
        let text = (try? String(contentsOf: url, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }
}
