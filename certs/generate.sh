#!/usr/bin/env bash
# Regenerates the development CA and the example hosts' certificates with the openssl CLI.
# For development only: the CA key is committed so tests and the README work on any machine.
#
#   ca.crt, ca.key                  the development CA (trust it with curl --cacert certs/ca.crt)
#   nip-io.crt, nip-io.key          *.nip.io     RSA 2048; the Ingress hello-ing's secretName is nip-io
#   sslip-io.crt, sslip-io.key      *.sslip.io   ECDSA P-256; secretName sslip-io
#   default/jeonj-tls/tls.crt, .key *.jeonj.xyz  RSA; the <namespace>/<secretName>/tls.* layout
#   default.crt, default.key        the default certificate, for SNI names no Ingress covers
# Each .crt is a chain: the leaf, then the CA.
set -euo pipefail
cd "$(dirname "$0")"
DAYS=3650

openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days $DAYS -sha256 \
  -subj "/CN=Portico Development CA" -addext "basicConstraints=critical,CA:TRUE" \
  -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null

leaf() { # path-without-extension algorithm common-name san...
  local out=$1 algorithm=$2 subject=$3; shift 3
  local sans; sans=$(printf 'DNS:%s,' "$@"); sans=${sans%,}
  mkdir -p "$(dirname "$out")"
  case "$algorithm" in
    rsa) openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$out.key" 2>/dev/null ;;
    ec) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$out.key" 2>/dev/null ;;
  esac
  openssl req -new -key "$out.key" -out "$out.csr" -subj "/CN=$subject" 2>/dev/null
  openssl x509 -req -in "$out.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -out "$out.leaf" -days $DAYS -sha256 \
    -extfile <(printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n' "$sans") 2>/dev/null
  cat "$out.leaf" ca.crt > "$out.crt"
  rm -f "$out.csr" "$out.leaf"
}

leaf nip-io rsa "*.nip.io" "*.nip.io"
leaf sslip-io ec "*.sslip.io" "*.sslip.io"
leaf default/jeonj-tls/tls rsa "*.jeonj.xyz" "*.jeonj.xyz" "jeonj.xyz"
leaf default rsa "Portico Default Certificate" "portico.default.invalid"
rm -f ca.srl
echo "certificates written to $(pwd)"
