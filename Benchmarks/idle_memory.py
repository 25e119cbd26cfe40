#!/usr/bin/env python3
"""Memory per idle client connection, nginx and Portico side by side.

Each proxy (one worker, in front of the same nginx origin) gets N client connections that each
make one request and then stay open and silent (keep-alive). The figure is the growth of the
proxy's resident memory (VmRSS, /proc) divided by N, after a warm-up set of connections was
opened and closed so allocator arenas and caches are already there. Plain HTTP, TLS 1.3, and
HTTP/2 over TLS (ALPN h2, one stream each; needs Python's `h2`). Both keep TLS sessions as
ingress-nginx configures them (a 10m session cache, no tickets), so a session stored per
connection counts on both sides.

  Benchmarks/idle_memory.py [--connections 2000] [--rounds 2] [--portico PATH]

Needs nginx (apt-get install nginx-light) and a release build (.build/release/portico).
Only loopback; every process it starts is ended.
"""
import argparse, os, resource, signal, socket, ssl, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ORIGIN, NGINX, PORTICO = 18890, 18891, 18892


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def wait_port(port, tls):
    for _ in range(100):
        try:
            open_idle(port, tls).close()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"nothing answered on {port}")


def open_idle(port, tls):
    if tls == "h2":
        return open_idle_h2(port)
    raw = socket.create_connection(("127.0.0.1", port))
    conn = raw
    if tls:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        conn = context.wrap_socket(raw, server_hostname="bench.nip.io")
    conn.sendall(b"GET / HTTP/1.1\r\nHost: bench.nip.io\r\n\r\n")
    data = b""
    while b"\r\n\r\n" not in data or not data.endswith(b"x" * 10):
        chunk = conn.recv(65536)
        if not chunk:
            raise OSError("closed")
        data += chunk
    return conn


def open_idle_h2(port):
    import h2.config, h2.connection, h2.events
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.set_alpn_protocols(["h2"])
    conn = context.wrap_socket(socket.create_connection(("127.0.0.1", port)), server_hostname="bench.nip.io")
    if conn.selected_alpn_protocol() != "h2":
        raise OSError("no h2")
    h2conn = h2.connection.H2Connection(config=h2.config.H2Configuration(client_side=True))
    h2conn.initiate_connection()
    h2conn.send_headers(1, [(":method", "GET"), (":scheme", "https"), (":authority", "bench.nip.io"), (":path", "/")], end_stream=True)
    conn.sendall(h2conn.data_to_send())
    ended = False
    while not ended:
        chunk = conn.recv(65536)
        if not chunk:
            raise OSError("closed")
        for event in h2conn.receive_data(chunk):
            if isinstance(event, h2.events.StreamEnded):
                ended = True
        conn.sendall(h2conn.data_to_send())
    return conn


def measure(pid, port, tls, count):
    warm = [open_idle(port, tls) for _ in range(count // 4)]
    for conn in warm:
        conn.close()
    time.sleep(0.5)
    before = rss_kib(pid)
    held = [open_idle(port, tls) for _ in range(count)]
    time.sleep(0.5)
    after = rss_kib(pid)
    for conn in held:
        conn.close()
    return (after - before) / count


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--connections", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--portico", default=f"{ROOT}/.build/release/portico")
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 65536), hard))
    work = tempfile.mkdtemp(prefix="portico-idle.")
    temp_paths = " ".join(f"{kind}_temp_path {work}/{kind};" for kind in ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"])
    with open(f"{work}/origin.conf", "w") as conf:
        conf.write(f"""worker_processes 1; daemon off; pid {work}/origin.pid; error_log {work}/origin.err;
events {{ worker_connections 8192; }}
http {{ access_log off; {temp_paths} server {{ listen 127.0.0.1:{ORIGIN}; location / {{ return 200 "{'x' * 100}"; }} }} }}
""")
    with open(f"{work}/proxy.conf", "w") as conf:
        conf.write(f"""worker_processes 1; master_process off; daemon off; pid {work}/proxy.pid; error_log {work}/proxy.err;
worker_rlimit_nofile 65536;
events {{ worker_connections 16384; }}
http {{ access_log off; keepalive_timeout 300s; keepalive_requests 1000000; {temp_paths}
  upstream backend {{ server 127.0.0.1:{ORIGIN}; keepalive 64; }}
  server {{ listen 127.0.0.1:{NGINX}; listen 127.0.0.1:{NGINX + 100} ssl http2;
    ssl_certificate {ROOT}/certs/nip-io.crt; ssl_certificate_key {ROOT}/certs/nip-io.key;
    ssl_protocols TLSv1.2 TLSv1.3; ssl_session_cache shared:SSL:10m; ssl_session_tickets off;
    location / {{ proxy_pass http://backend; proxy_http_version 1.1; proxy_set_header Connection ""; }} }} }}
""")
    os.makedirs(f"{work}/rules")
    with open(f"{work}/rules/bench.yaml", "w") as rules:
        rules.write(f"""apiVersion: v1
kind: Service
metadata: {{name: origin}}
spec: {{ports: [{{port: 80, targetPort: {ORIGIN}}}]}}
---
apiVersion: v1
kind: Endpoints
metadata: {{name: origin}}
subsets: [{{addresses: [{{ip: 127.0.0.1}}], ports: [{{port: {ORIGIN}}}]}}]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {{name: bench, annotations: {{nginx.ingress.kubernetes.io/ssl-redirect: "false"}}}}
spec:
  tls: [{{hosts: [bench.nip.io], secretName: nip-io}}]
  rules:
    - host: bench.nip.io
      http: {{paths: [{{path: /, pathType: Prefix, backend: {{service: {{name: origin, port: {{number: 80}}}}}}}}]}}
""")
    origin = subprocess.Popen(["nginx", "-c", f"{work}/origin.conf"])
    results = {}
    try:
        time.sleep(0.5)
        for round_ in range(args.rounds):
            for name in ["nginx", "portico"]:
                if name == "nginx":
                    proxy = subprocess.Popen(["nginx", "-c", f"{work}/proxy.conf"])
                    ports = (NGINX, NGINX + 100)
                else:
                    proxy = subprocess.Popen(
                        [args.portico, "serve", "--rules", f"{work}/rules", "--certs", f"{ROOT}/certs",
                         "--workers", "1", "--http-port", str(PORTICO), "--https-port", str(PORTICO + 100),
                         "--address", "127.0.0.1", "--access-log", "off", "--log-level", "error",
                         "--keepalive-timeout", "300"])
                    ports = (PORTICO, PORTICO + 100)
                try:
                    wait_port(ports[0], False)
                    for tls, port in [(False, ports[0]), (True, ports[1]), ("h2", ports[1])]:
                        per = measure(proxy.pid, port, tls, args.connections)
                        results.setdefault((name, tls), []).append(per)
                        label = "h2   " if tls == "h2" else "TLS  " if tls else "plain"
                        print(f"round {round_ + 1} {name:8s} {label} {per:7.2f} KiB per idle connection", flush=True)
                finally:
                    proxy.send_signal(signal.SIGTERM)
                    proxy.wait(timeout=30)
    finally:
        origin.send_signal(signal.SIGTERM)
        origin.wait(timeout=10)
    for tls in [False, True, "h2"]:
        median = lambda values: sorted(values)[len(values) // 2]
        n, p = median(results[("nginx", tls)]), median(results[("portico", tls)])
        print(f"idle {'HTTP/2' if tls == 'h2' else 'TLS' if tls else 'plain'} connection: portico {p:.2f} KiB, nginx {n:.2f} KiB (portico/nginx {p / n if n > 0 else float('inf'):.1f}x)")


if __name__ == "__main__":
    main()
