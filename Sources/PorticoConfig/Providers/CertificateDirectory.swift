import Foundation

/// Reads the PEM certificate/key pairs under `certs/`:
/// - `certs/<name>.crt` with `certs/<name>.key`, found as `name` (e.g. `nip-io`, `default`);
/// - `certs/<namespace>/<name>/tls.crt` with `tls.key` (the layout of a mounted TLS Secret),
///   found as `namespace/name`.
/// An Ingress's `secretName` looks for a Secret first, then `namespace/secretName`, then
/// `secretName` here.
public struct CertificateDirectory: Sendable {
    public let directory: String

    public init(directory: String) {
        self.directory = directory
    }

    public func load() -> [String: ClusterState.CertificateFile] {
        var files: [String: ClusterState.CertificateFile] = [:]
        for relative in FileTree.files(below: self.directory).map(\.relative) {
            let stem: String
            let keyRelative: String
            let key: String
            if relative.hasSuffix("/tls.crt") {
                stem = String(relative.dropLast("/tls.crt".count))
                keyRelative = stem + "/tls.key"
                key = stem
            } else if relative.hasSuffix(".crt") {
                stem = String(relative.dropLast(".crt".count))
                keyRelative = stem + ".key"
                key = stem
            } else {
                continue
            }
            let certificatePath = (self.directory as NSString).appendingPathComponent(relative)
            let keyPath = (self.directory as NSString).appendingPathComponent(keyRelative)
            guard let certificate = FileManager.default.contents(atPath: certificatePath),
                let privateKey = FileManager.default.contents(atPath: keyPath)
            else { continue }
            files[key] = ClusterState.CertificateFile(
                path: certificatePath, certificatePEM: Array(certificate), keyPEM: Array(privateKey))
        }
        return files
    }
}
