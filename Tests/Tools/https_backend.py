#!/usr/bin/env python3
"""An HTTPS backend for the tests: answers every GET with a report of what it saw —
the path, the SNI name the client sent (or "-"), whether the TLS session was resumed, the
client certificate's CN (with --client-ca, one is required), and the Host header."""
import argparse
import signal
import ssl
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):
        sni = getattr(self.connection, "portico_sni", None) or "-"
        reused = self.connection.session_reused
        peer = self.connection.getpeercert() or {}
        client = dict(pair[0] for pair in peer.get("subject", ())).get("commonName", "-")
        body = f"path: {self.path}\nsni: {sni}\nreused: {reused}\nclient: {client}\nheader host: {self.headers.get('Host')}\n".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--cert", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--max-tls", choices=["1.2", "1.3"], default="1.3")
    parser.add_argument("--client-ca", help="require a client certificate signed by this CA")
    arguments = parser.parse_args()
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(arguments.cert, arguments.key)
    if arguments.client_ca:
        context.verify_mode = ssl.CERT_REQUIRED
        context.load_verify_locations(arguments.client_ca)
    if arguments.max_tls == "1.2":
        context.maximum_version = ssl.TLSVersion.TLSv1_2

    def remember_sni(connection, name, _context):
        connection.portico_sni = name

    context.sni_callback = remember_sni
    server = ThreadingHTTPServer(("127.0.0.1", arguments.port), Handler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
