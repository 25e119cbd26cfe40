internal import CPorticoOpenSSL
#if canImport(Glibc)
import Glibc
#endif

/// A parsed certificate chain (leaf first) and its private key. Owns the X509 and EVP_PKEY
/// objects and frees them.
public final class CertificateKeyPair: @unchecked Sendable {
    // @unchecked: never mutated after init; OpenSSL objects are only read (up-ref'd by SSL_CTX).
    let leaf: OpaquePointer
    let chain: [OpaquePointer]
    let key: OpaquePointer

    /// Parses PEM bytes and checks that the key belongs to the leaf and the leaf has not expired.
    public init(certificatePEM: [UInt8], keyPEM: [UInt8]) throws(TLSError) {
        ERR_clear_error()
        var certificates: [OpaquePointer] = []
        let parsedCertificates = certificatePEM.withUnsafeBytes { bytes -> Bool in
            guard let bio = BIO_new_mem_buf(bytes.baseAddress, Int32(bytes.count)) else { return false }
            defer { BIO_free(bio) }
            while let certificate = PEM_read_bio_X509(bio, nil, nil, nil) { certificates.append(certificate) }
            return true
        }
        ERR_clear_error()  // PEM_read_bio_X509 reports "no start line" at the end of the input
        guard parsedCertificates, let leaf = certificates.first else {
            certificates.forEach { X509_free($0) }
            throw TLSError(kind: .invalidPEM, detail: "no PEM certificate found")
        }
        let key = keyPEM.withUnsafeBytes { bytes -> OpaquePointer? in
            guard let bio = BIO_new_mem_buf(bytes.baseAddress, Int32(bytes.count)) else { return nil }
            defer { BIO_free(bio) }
            return PEM_read_bio_PrivateKey(bio, nil, nil, nil)
        }
        guard let key else {
            certificates.forEach { X509_free($0) }
            throw TLSError.drain(.invalidPEM, "no PEM private key found")
        }
        self.leaf = leaf
        self.chain = Array(certificates.dropFirst())
        self.key = key
        guard X509_check_private_key(leaf, key) == 1 else {
            throw TLSError.drain(.keyMismatch, "the private key does not belong to the certificate")
        }
        if let notAfter = X509_get0_notAfter(leaf), X509_cmp_current_time(notAfter) <= 0 {
            throw TLSError(kind: .expired, detail: "the certificate expired (notAfter \(Self.describe(notAfter)))")
        }
    }

    /// The leaf's notAfter in seconds since 1970 (`nginx_ingress_controller_ssl_expire_time_seconds`).
    public var notAfterSeconds: Int? {
        guard let notAfter = X509_get0_notAfter(self.leaf) else { return nil }
        var time = tm()
        guard ASN1_TIME_to_tm(notAfter, &time) == 1 else { return nil }
        return timegm(&time)
    }

    /// Builds a pair from objects this class now owns (used for generated certificates).
    init(leaf: OpaquePointer, key: OpaquePointer) {
        self.leaf = leaf
        self.chain = []
        self.key = key
    }

    deinit {
        X509_free(self.leaf)
        self.chain.forEach { X509_free($0) }
        EVP_PKEY_free(self.key)
    }

    /// Whether the leaf covers `host` (SAN DNS names, wildcards included, as browsers check).
    public func covers(_ host: String) -> Bool {
        X509_check_host(self.leaf, host, host.utf8.count, 0, nil) == 1
    }

    /// The leaf's subject, for logs.
    public var subject: String {
        guard let name = X509_get_subject_name(self.leaf) else { return "" }
        var buffer = [CChar](repeating: 0, count: 256)
        X509_NAME_oneline(name, &buffer, Int32(buffer.count))
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    static func describe(_ time: UnsafePointer<ASN1_TIME>) -> String {
        guard let bio = BIO_new(BIO_s_mem()) else { return "?" }
        defer { BIO_free(bio) }
        ASN1_TIME_print(bio, time)
        var buffer = [UInt8](repeating: 0, count: 64)
        let count = BIO_read(bio, &buffer, Int32(buffer.count))
        return count > 0 ? String(decoding: buffer[0..<Int(count)], as: UTF8.self) : "?"
    }
}
