import Foundation

/// nginx (Debian's `nginx-light`) as a peer in a test: one worker in the foreground, its
/// `http {}` block given (`port` is a free one to listen on), every path in a temporary folder.
final class NginxProcess {
    let process = Process()
    let port: Int

    /// `http(port)` is the inside of the `http {}` block: its `server`s and their settings.
    init(http: (Int) -> String) throws {
        let directory = try TemporaryDirectory.make()
        self.port = try FreePort.next()
        let configuration = """
            worker_processes 1; daemon off; pid \(directory.path)/nginx.pid; error_log \(directory.path)/error.log;
            events {}
            http {
                access_log off;
                client_body_temp_path \(directory.path); proxy_temp_path \(directory.path); fastcgi_temp_path \(directory.path);
                uwsgi_temp_path \(directory.path); scgi_temp_path \(directory.path);
                \(http(self.port))
            }
            """
        let file = directory.appendingPathComponent("nginx.conf")
        try configuration.write(to: file, atomically: true, encoding: .utf8)
        self.process.executableURL = URL(fileURLWithPath: "/usr/sbin/nginx")
        self.process.arguments = ["-c", file.path, "-p", directory.path]
        try self.process.run()
    }

    func stop() {
        self.process.terminate()
        self.process.waitUntilExit()
    }
}
