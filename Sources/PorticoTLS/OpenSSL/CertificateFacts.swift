internal import CPorticoOpenSSL

/// What ingress-nginx's `nginx_ingress_controller_ssl_certificate_info` labels say of a served
/// certificate (`collectors/controller.go` `SetSSLInfo`), read from the leaf.
public struct CertificateFacts: Sendable, Equatable {
    public var notAfter: Int
    /// The serial in decimal, as Go's `big.Int.String()`.
    public var serialNumber: String
    public var issuerCommonName: String
    /// The issuer's first organization, or empty.
    public var issuerOrganization: String
    /// Go's `x509.PublicKeyAlgorithm.String()`: RSA, ECDSA, Ed25519, DSA.
    public var publicKeyAlgorithm: String
    /// ingress-nginx's `SSLCert.Identifier()`: the issuer's serialNumber attribute and the
    /// certificate's serial, joined by `-`.
    public var identifier: String
}

extension CertificateKeyPair {
    public var facts: CertificateFacts? {
        guard let notAfter = self.notAfterSeconds else { return nil }
        var serial = ""
        if let integer = X509_get_serialNumber(self.leaf), let number = ASN1_INTEGER_to_BN(integer, nil) {
            defer { BN_free(number) }
            if let text = BN_bn2dec(number) {
                serial = String(cString: text)
                CPorticoOpenSSL_free(text)
            }
        }
        let issuer = X509_get_issuer_name(self.leaf)
        func entry(_ nid: Int32) -> String {
            guard let issuer else { return "" }
            var buffer = [CChar](repeating: 0, count: 256)
            let count = X509_NAME_get_text_by_NID(issuer, nid, &buffer, Int32(buffer.count))
            return count > 0 ? String(decoding: buffer[0..<Int(count)].map { UInt8(bitPattern: $0) }, as: UTF8.self) : ""
        }
        let algorithm: String
        switch X509_get0_pubkey(self.leaf).map({ EVP_PKEY_get_base_id($0) }) ?? 0 {
        case EVP_PKEY_RSA: algorithm = "RSA"
        case EVP_PKEY_EC: algorithm = "ECDSA"
        case EVP_PKEY_ED25519: algorithm = "Ed25519"
        case EVP_PKEY_DSA: algorithm = "DSA"
        default: algorithm = "Unknown"
        }
        return CertificateFacts(
            notAfter: notAfter, serialNumber: serial, issuerCommonName: entry(NID_commonName),
            issuerOrganization: entry(NID_organizationName), publicKeyAlgorithm: algorithm,
            identifier: entry(NID_serialNumber) + "-" + serial)
    }
}
