import Foundation
import Testing

/// `auth-type: basic` through the real binary, with htpasswd files made by the real `htpasswd`
/// (apache2-utils) in every hash format it writes, and curl as the client.
@Suite(.serialized) struct AuthenticationTests {
    /// `htpasswd -nb<flag> user password`: one `user:hash` line.
    static func htpasswd(_ flag: String, _ user: String, _ password: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/htpasswd")
        process.arguments = ["-nb\(flag)", user, password]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw HarnessError("htpasswd -nb\(flag) failed") }
        return String(decoding: output, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func secret(_ name: String, _ data: [String: String]) -> String {
        let items = data.map { "\($0.key): \(Data($0.value.utf8).base64EncodedString())" }.joined(separator: ", ")
        return """
            apiVersion: v1
            kind: Secret
            metadata: {name: \(name)}
            data: {\(items)}
            ---

            """
    }

    @Test func everyHtpasswdFormatLetsItsUserInAndNoOneElse() async throws {
        let backends = try await TestBackends(addresses: ["127.0.60.1"], page: "x")
        let users = [
            ("alice", "B", "bcrypt-pass"), ("bob", "m", "apr1-pass"), ("carol", "s", "sha1-pass"), ("dave", "5", "sha512-pass"),
            ("erin", "2", "sha256-pass"), ("frank", "d", "desPass"),
        ]
        let file = try users.map { try Self.htpasswd($0.1, $0.0, $0.2) }.joined(separator: "\n") + "\n# a comment line\n"
        let mapHash = try Self.htpasswd("B", "gina", "map-pass").split(separator: ":", maxSplits: 1)[1]
        let rules = try RulesDirectory([
            "a.yaml": RulesDirectory.service("svc", port: backends.port, ready: ["127.0.60.1"])
                + Self.secret("basic-auth", ["auth": file])
                + Self.secret("basic-map", ["gina": String(mapHash)])
                + RulesDirectory.ingress(
                    "private", host: "private.test", paths: [("/", "Prefix", "svc")],
                    annotations: ["auth-type": "basic", "auth-secret": "basic-auth", "auth-realm": "Authentication Required - private"])
                + RulesDirectory.ingress(
                    "mapped", host: "mapped.test", paths: [("/", "Prefix", "svc")],
                    annotations: ["auth-type": "basic", "auth-secret": "default/basic-map", "auth-secret-type": "auth-map"])
                + RulesDirectory.ingress(
                    "missing", host: "missing.test", paths: [("/", "Prefix", "svc")],
                    annotations: ["auth-type": "basic", "auth-secret": "no-such-secret"])
                + RulesDirectory.ingress("open", host: "open.test", paths: [("/", "Prefix", "svc")])
                + RulesDirectory.ingress(
                    "either", host: "either.test", paths: [("/", "Prefix", "svc")],
                    annotations: ["auth-type": "basic", "auth-secret": "basic-auth", "satisfy": "any", "whitelist-source-range": "127.0.74.0/24"]),
        ])
        let portico = try PorticoProcess(rules: rules.url)
        defer { portico.terminate() }
        let curl = Curl(port: portico.port)

        let anonymous = try curl.get("private.test", "/")
        #expect(anonymous.status == 401)
        #expect(anonymous.headers["www-authenticate"] == "Basic realm=\"Authentication Required - private\"")
        for (user, flag, password) in users {
            let response = try curl.get("private.test", "/page", ["-u", "\(user):\(password)"])
            #expect(response.status == 200, "htpasswd -\(flag) user \(user)")
            // nginx.tmpl: proxy_set_header Authorization "" — the upstream never sees the password.
            #expect(response.report["header authorization"] == nil)
            #expect(try curl.get("private.test", "/page", ["-u", "\(user):wrong-\(password)"]).status == 401, "\(user) wrong")
            // Twice, so the second answer comes from the loop's cache of verdicts.
            #expect(try curl.get("private.test", "/page", ["-u", "\(user):wrong-\(password)"]).status == 401, "\(user) cached")
        }
        #expect(try curl.get("private.test", "/", ["-u", "mallory:bcrypt-pass"]).status == 401)  // unknown user
        #expect(try curl.get("private.test", "/", ["-H", "Authorization: Bearer abc"]).status == 401)
        #expect(try curl.get("mapped.test", "/", ["-u", "gina:map-pass"]).status == 200)
        #expect(try curl.get("mapped.test", "/", ["-u", "gina:nope"]).status == 401)
        #expect(try curl.get("mapped.test", "/").headers["www-authenticate"] == "Basic realm=\"\"")
        // A missing Secret denies the paths (ingress-nginx's LocationDeniedError), never opens them.
        #expect(try curl.get("missing.test", "/", ["-u", "alice:bcrypt-pass"]).status == 503)
        // The open Ingress passes the client's Authorization on, as ingress-nginx does.
        #expect(try curl.get("open.test", "/", ["-H", "Authorization: Bearer abc"]).report["header authorization"] == "Bearer abc")

        // satisfy: any — the allow-listed address needs no password, any other does.
        #expect(try curl.get("either.test", "/", ["--interface", "127.0.74.1"]).status == 200)
        #expect(try curl.get("either.test", "/").status == 401)
        #expect(try curl.get("either.test", "/", ["-u", "alice:bcrypt-pass"]).status == 200)

        let check = try CheckCommandTests.portico(["check", "--rules", rules.url.path])
        #expect(check.output.contains("Secret default/no-such-secret not found"), "\(check.output)")
        portico.terminate()
        await backends.stop()
    }
}
