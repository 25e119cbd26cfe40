#!/usr/bin/env python3
"""Directory mode at scale: N Ingress files (each with its Service and Endpoints), then

- start-up: from launch until the last Ingress's host answers 200;
- idle CPU: the proxy's user+system time over a quiet window, as a share of one core;
- endpoint change: from writing one file's new Endpoints until requests reach the new port;
- new Ingress: from writing a new file until its host answers 200.

Latencies are medians of several tries. Targets (issue 11): idle CPU under 0.5 % of a core,
an endpoint change serving within 100 ms of the write, a new Ingress file within 1 s.

  Benchmarks/scale.py [--ingresses 10000] [--idle-seconds 20] [--tries 5] [--portico PATH]

Needs nginx (the two origins) and a release build. Only loopback; every process it starts is
ended.
"""
import argparse, http.client, os, signal, statistics, subprocess, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ORIGIN_A, ORIGIN_B, PROXY = 18790, 18791, 18792


def manifest(index, port):
    name = f"app-{index:05d}"
    return f"""apiVersion: v1
kind: Service
metadata: {{name: {name}}}
spec: {{ports: [{{port: 80, targetPort: {port}}}]}}
---
apiVersion: v1
kind: Endpoints
metadata: {{name: {name}}}
subsets: [{{addresses: [{{ip: 127.0.0.1}}], ports: [{{port: {port}}}]}}]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {{name: {name}}}
spec:
  rules:
    - host: {name}.scale.test
      http: {{paths: [{{path: /, pathType: Prefix, backend: {{service: {{name: {name}, port: {{number: 80}}}}}}}}]}}
"""


def write(path, text):
    temporary = path + ".tmp"
    with open(temporary, "w") as handle:
        handle.write(text)
    os.replace(temporary, path)  # atomic, as kubectl cp / ConfigMap swaps are


def get(host):
    try:
        connection = http.client.HTTPConnection("127.0.0.1", PROXY, timeout=2)
        connection.request("GET", "/", headers={"Host": host})
        response = connection.getresponse()
        body = response.read()
        connection.close()
        return response.status, body
    except OSError:
        return None, b""


def wait_for(predicate, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.002)
    return False


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--ingresses", type=int, default=10000)
    parser.add_argument("--idle-seconds", type=float, default=20)
    parser.add_argument("--tries", type=int, default=5)
    parser.add_argument("--portico", default=f"{ROOT}/.build/release/portico")
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="portico-scale.")
    temp_paths = " ".join(f"{kind}_temp_path {work}/{kind};" for kind in ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"])
    with open(f"{work}/origin.conf", "w") as conf:
        conf.write(f"""worker_processes 1; daemon off; pid {work}/origin.pid; error_log {work}/origin.err;
events {{ worker_connections 1024; }}
http {{ access_log off; {temp_paths}
  server {{ listen 127.0.0.1:{ORIGIN_A}; location / {{ return 200 "origin-a"; }} }}
  server {{ listen 127.0.0.1:{ORIGIN_B}; location / {{ return 200 "origin-b"; }} }} }}
""")
    rules = f"{work}/rules"
    os.makedirs(rules)
    for index in range(args.ingresses):
        with open(f"{rules}/app-{index:05d}.yaml", "w") as handle:
            handle.write(manifest(index, ORIGIN_A))
    origin = subprocess.Popen(["nginx", "-c", f"{work}/origin.conf"])
    log = open(f"{work}/portico.log", "w")
    started = time.monotonic()
    proxy = subprocess.Popen(
        [args.portico, "serve", "--rules", rules, "--certs", f"{work}/no-certs", "--http-port", str(PROXY),
         "--https-port", str(PROXY + 1), "--address", "127.0.0.1", "--access-log", "off", "--workers", "1"],
        stdout=log, stderr=log)
    try:
        last = f"app-{args.ingresses - 1:05d}.scale.test"
        if not wait_for(lambda: get(last)[0] == 200, 300):
            raise SystemExit("Portico never served the last Ingress; see " + f"{work}/portico.log")
        print(f"{args.ingresses} Ingresses: start-up {time.monotonic() - started:.2f} s", flush=True)

        time.sleep(2)  # let start-up work settle
        before = cpu_seconds(proxy.pid)
        time.sleep(args.idle_seconds)
        idle = (cpu_seconds(proxy.pid) - before) / args.idle_seconds * 100
        print(f"idle CPU: {idle:.2f} % of a core over {args.idle_seconds:.0f} s", flush=True)

        endpoint_latencies = []
        for attempt in range(args.tries):
            index = (attempt * 7919) % args.ingresses  # a different Ingress each try, moved from A to B
            host = f"app-{index:05d}.scale.test"
            written = time.monotonic()
            write(f"{rules}/app-{index:05d}.yaml", manifest(index, ORIGIN_B))
            if not wait_for(lambda: get(host)[1] == b"origin-b", 30):
                raise SystemExit(f"endpoint change for {host} never served")
            endpoint_latencies.append((time.monotonic() - written) * 1000)
            time.sleep(0.5)
        print(f"endpoint change serving after: median {statistics.median(endpoint_latencies):.0f} ms "
              f"(tries: {', '.join(f'{value:.0f}' for value in endpoint_latencies)})", flush=True)

        ingress_latencies = []
        for attempt in range(args.tries):
            index = args.ingresses + attempt
            host = f"app-{index:05d}.scale.test"
            written = time.monotonic()
            write(f"{rules}/app-{index:05d}.yaml", manifest(index, ORIGIN_A))
            if not wait_for(lambda: get(host)[0] == 200, 60):
                raise SystemExit(f"new Ingress {host} never served")
            ingress_latencies.append((time.monotonic() - written) * 1000)
            time.sleep(0.5)
        print(f"new Ingress file serving after: median {statistics.median(ingress_latencies):.0f} ms "
              f"(tries: {', '.join(f'{value:.0f}' for value in ingress_latencies)})", flush=True)
        with open(f"/proc/{proxy.pid}/status") as status:
            rss = next(line for line in status if line.startswith("VmRSS:")).split()[1]
        print(f"resident memory: {int(rss) // 1024} MiB", flush=True)
    finally:
        proxy.send_signal(signal.SIGTERM)
        proxy.wait(timeout=60)
        origin.send_signal(signal.SIGTERM)
        origin.wait(timeout=10)


if __name__ == "__main__":
    main()
