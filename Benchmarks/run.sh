#!/usr/bin/env bash
# Portico vs nginx, side by side, on this machine.
#
# Both proxies run one worker / one event loop pinned to CPU 1, in front of the same origin
# (nginx answering `return 200` with a 100-byte body) with upstream keep-alive; wrk and the
# origin share CPU 0. Rounds alternate nginx and Portico so drift hits both; the ratios printed
# are medians of per-round ratios. Absolute figures drift 20-30 % between runs on shared
# machines: compare ratios.
#
# Usage: Benchmarks/run.sh [rounds] [seconds-per-run] [connections]
#   SCENARIO=plain     (default) one Prefix route
#   SCENARIO=regex1000 1,000 regex routes with rewrite-target on one host; requests hit the route
#                      tried last (ingress-nginx order), so both proxies run all 1,000 regexes
#   SCENARIO=https     HTTPS keep-alive requests (certs/nip-io.crt, RSA 2048, TLS 1.3)
#   SCENARIO=handshakes a new TLS connection per request (Connection: close), session
#                      resumption off on both sides: full handshakes per second
#   SCENARIO=close     a new plain TCP connection per request (Connection: close)
#   SCENARIO=h2        HTTP/2 over TLS (ALPN h2), keep-alive streams, with h2load: CONNECTIONS
#                      connections of STREAMS (default 10) concurrent streams each
#   SCENARIO=h2c       the same on the plain port by prior knowledge (nginx: `listen … http2`)
# Besides req/s, each run reports requests per proxy CPU-second (utime+stime of the proxy from
# /proc), the fair figure when the load generator, not the proxy, is the limit.
# PORTICO=path/to/portico measures another build (an older commit's, for before/after).
# WORKERS=2 runs both proxies with two workers / event loops on both CPUs (wrk shares them).
# ACCESS_LOG=on  both proxies write an access log to a file in ingress-nginx's upstreaminfo
#                format (nginx: the same log_format, its variables set as ingress-nginx sets them).
# METRICS=off    Portico runs with --enable-metrics false (the cost of the request metrics).
# PERF=file records `perf record -g` of Portico's last measured run into that file.
# PERF_OPTS="--call-graph dwarf" replaces perf record's -g (libswiftCore has no frame pointers).
# Needs: nginx, wrk (apt-get install nginx-light wrk), h2load for h2/h2c (nghttp2-client), a
# release build (built if missing).
set -euo pipefail
ROUNDS=${1:-3}
DURATION=${2:-10}
CONNECTIONS=${3:-64}
SCENARIO=${SCENARIO:-plain}
WORKERS=${WORKERS:-1}
ACCESS_LOG=${ACCESS_LOG:-off}
METRICS=${METRICS:-on}
SCHEME=http
CLOSE_HEADER=()
STREAMS=${STREAMS:-10}
NGINX_HTTP2=""
case "$SCENARIO" in
  https) SCHEME=https ;;
  h2) SCHEME=https; NGINX_HTTP2=http2 ;;
  h2c) NGINX_HTTP2=http2 ;;
  handshakes) SCHEME=https; CLOSE_HEADER=(-H 'Connection: close') ;;
  close) CLOSE_HEADER=(-H 'Connection: close') ;;
esac
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d /tmp/portico-bench.XXXXXX)
ORIGIN_PORT=18990; NGINX_PORT=18991; PORTICO_PORT=18992
CPU_PROXY=1; CPU_LOAD=0
if [ "$(nproc)" -lt 2 ]; then CPU_PROXY=0; fi
if [ "$WORKERS" -gt 1 ]; then CPU_PROXY=0-$(( $(nproc) - 1 )); fi

for tool in nginx wrk taskset; do
  command -v "$tool" >/dev/null || { echo "missing $tool: apt-get install -y nginx-light wrk util-linux" >&2; exit 1; }
done
PORTICO=${PORTICO:-$ROOT/.build/release/portico}
if [ ! -x "$PORTICO" ]; then
  (cd "$ROOT" && swift build -c release --product portico)
fi

cleanup() {
  [ -n "${ORIGIN_PID:-}" ] && kill "$ORIGIN_PID" 2>/dev/null || true
  [ -n "${PROXY_PID:-}" ] && kill "$PROXY_PID" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

# The origin: 100-byte body, keep-alive.
BODY=$(head -c 100 /dev/zero | tr '\0' 'x')
cat > "$WORK/origin.conf" <<CONF
worker_processes 1; daemon off; pid $WORK/origin.pid; error_log $WORK/origin-error.log;
events { worker_connections 4096; }
http { access_log off; keepalive_requests 1000000;
  server { listen 127.0.0.1:$ORIGIN_PORT; location / { return 200 "$BODY"; } } }
CONF
# nginx as the proxy, configured as ingress-nginx configures it for these routes.
PROXY_LOCATIONS="location / { set \$proxy_upstream_name default-origin-80; set \$proxy_alternative_upstream_name ''; proxy_pass http://backend; }"
NGINX_ACCESS_LOG="access_log off;"
PORTICO_ACCESS_LOG=off
if [ "$ACCESS_LOG" = on ]; then
  NGINX_ACCESS_LOG="log_format upstreaminfo '\$remote_addr - \$remote_user [\$time_local] \"\$request\" \$status \$body_bytes_sent \"\$http_referer\" \"\$http_user_agent\" \$request_length \$request_time [\$proxy_upstream_name] [\$proxy_alternative_upstream_name] \$upstream_addr \$upstream_response_length \$upstream_response_time \$upstream_status \$request_id'; access_log $WORK/nginx-access.log upstreaminfo;"
  PORTICO_ACCESS_LOG=$WORK/portico-access.log
fi
REQUEST_PATH=/
if [ "$SCENARIO" = regex1000 ]; then
  # ingress-nginx's order for equal-length regex paths: reverse lexicographic; /svc-0000 last.
  PROXY_LOCATIONS=$(for i in $(seq 999 -1 0); do
    n=$(printf '%04d' "$i")
    printf 'location ~* "^/svc-%s/(.*)" { rewrite "(?i)/svc-%s/(.*)" /$1 break; proxy_pass http://backend; }\n' "$n" "$n"
  done)
  REQUEST_PATH=/svc-0000/item
fi
NGINX_MASTER=off; [ "$WORKERS" -gt 1 ] && NGINX_MASTER=on
cat > "$WORK/proxy.conf" <<CONF
worker_processes $WORKERS; master_process $NGINX_MASTER; daemon off; pid $WORK/proxy.pid; error_log $WORK/proxy-error.log;
events { worker_connections 4096; }
http { $NGINX_ACCESS_LOG keepalive_requests 1000000;
  upstream backend { server 127.0.0.1:$ORIGIN_PORT; keepalive 64; }
  proxy_http_version 1.1; proxy_set_header Connection ""; proxy_set_header Host \$http_host;
  proxy_set_header X-Forwarded-For \$remote_addr; proxy_set_header X-Real-IP \$remote_addr;
  proxy_buffer_size 64k; proxy_buffers 4 64k;
  server { listen 127.0.0.1:$NGINX_PORT $([ "$SCHEME" = https ] && echo ssl) $NGINX_HTTP2;
    ssl_certificate $ROOT/certs/nip-io.crt; ssl_certificate_key $ROOT/certs/nip-io.key;
    ssl_protocols TLSv1.2 TLSv1.3; ssl_prefer_server_ciphers on;
    ssl_ciphers ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305;
    $([ "$SCENARIO" = handshakes ] && echo "ssl_session_tickets off; ssl_session_cache off;")
$PROXY_LOCATIONS
  } }
CONF
# Portico's rules: one Ingress, one Service, one endpoint (the origin), and the controller
# ConfigMap with nginx's keepalive_requests above (h2load does not reopen a connection that
# ended with GOAWAY after keep-alive-requests streams).
mkdir -p "$WORK/rules"
cat > "$WORK/rules/bench.yaml" <<CONF
apiVersion: v1
kind: ConfigMap
metadata: {name: portico-bench, namespace: default}
data: {keep-alive-requests: "1000000"}
---
apiVersion: v1
kind: Service
metadata: {name: origin}
spec: {ports: [{port: 80, targetPort: $ORIGIN_PORT}]}
---
apiVersion: v1
kind: Endpoints
metadata: {name: origin}
subsets: [{addresses: [{ip: 127.0.0.1}], ports: [{port: $ORIGIN_PORT}]}]
---
CONF
if [ "$SCENARIO" = regex1000 ]; then
  {
    echo "apiVersion: networking.k8s.io/v1"
    echo "kind: Ingress"
    echo "metadata: {name: bench, annotations: {nginx.ingress.kubernetes.io/use-regex: \"true\", nginx.ingress.kubernetes.io/rewrite-target: /\$1}}"
    echo "spec: {rules: [{host: bench.nip.io, http: {paths: ["
    for i in $(seq 0 999); do
      printf '  {path: "/svc-%04d/(.*)", pathType: ImplementationSpecific, backend: {service: {name: origin, port: {number: 80}}}},\n' "$i"
    done
    echo "]}}]}"
  } >> "$WORK/rules/bench.yaml"
else
  cat >> "$WORK/rules/bench.yaml" <<CONF
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: bench, annotations: {nginx.ingress.kubernetes.io/ssl-redirect: "false"}}
spec:
  tls: [{hosts: [bench.nip.io], secretName: nip-io}]
  rules:
    - host: bench.nip.io
      http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: origin, port: {number: 80}}}}]}
CONF
fi

taskset -c $CPU_LOAD nginx -c "$WORK/origin.conf" & ORIGIN_PID=$!
sleep 0.5

start_proxy() {
  case "$1" in
    nginx) taskset -c $CPU_PROXY nginx -c "$WORK/proxy.conf" & PROXY_PID=$!; PORT=$NGINX_PORT ;;
    portico) local resumption=on; [ "$SCENARIO" = handshakes ] && resumption=off
             local tls_port=$((PORTICO_PORT + 100))
             taskset -c $CPU_PROXY "$PORTICO" serve --rules "$WORK/rules" --certs "$ROOT/certs" \
               --workers "$WORKERS" --configmap default/portico-bench --http-port $PORTICO_PORT --https-port $tls_port --address 127.0.0.1 --access-log "$PORTICO_ACCESS_LOG" \
               --enable-metrics "$([ "$METRICS" = off ] && echo false || echo true)" \
               --log-level error --tls-session-resumption $resumption & PROXY_PID=$!
             PORT=$PORTICO_PORT; [ "$SCHEME" = https ] && PORT=$tls_port ;;
  esac
  local curl_version=()
  [ "$SCENARIO" = h2c ] && curl_version=(--http2-prior-knowledge)
  for _ in $(seq 50); do curl -s "${curl_version[@]}" -o /dev/null -H 'Host: bench.nip.io' "$SCHEME://127.0.0.1:$PORT/" -k && break; sleep 0.1; done
  local code
  code=$(curl -sk "${curl_version[@]}" -o /dev/null -w '%{http_code}' -H 'Host: bench.nip.io' "$SCHEME://127.0.0.1:$PORT$REQUEST_PATH")
  [ "$code" = 200 ] || { echo "$1 answered $code for $REQUEST_PATH; not measuring" >&2; exit 1; }
}
stop_proxy() { kill "$PROXY_PID"; wait "$PROXY_PID" 2>/dev/null || true; PROXY_PID=; }

# wrk prints latency percentiles with --latency; parse req/s, p50, p99.
# The proxy's CPU: its own, plus its worker processes' (nginx with a master).
cpu_ticks() {
  local total=0 pid
  for pid in "$PROXY_PID" $(pgrep -P "$PROXY_PID" || true); do
    total=$((total + $(awk '{print $14 + $15}' /proc/"$pid"/stat)))
  done
  echo "$total"
}
measure() {
  local out before after perf_pid=
  before=$(cpu_ticks)
  if [ -n "${PERF:-}" ] && [ "$1" = portico ] && [ "$2" = "$ROUNDS" ]; then
    perf record ${PERF_OPTS:--g} -o "$PERF" -p "$PROXY_PID" -- sleep "$DURATION" >/dev/null 2>&1 & perf_pid=$!
  fi
  local rps p50 p99 rss
  out=$(load "$DURATION")
  if is_h2; then
    # h2load: "finished in 10.00s, 33411.20 req/s, …"; no percentiles.
    rps=$(awk '/^finished in/ {print $4}' <<<"$out")
    p50=-; p99=-
    grep -q ' 0 failed, 0 errored' <<<"$out" || echo "h2load saw failures: $(grep '^requests:' <<<"$out")" >&2
  else
    rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
    p50=$(awk '$1=="50%" {print $2}' <<<"$out")
    p99=$(awk '$1=="99%" {print $2}' <<<"$out")
  fi
  rss=$(awk '/VmHWM/ {print $2}' /proc/"$PROXY_PID"/status)
  after=$(cpu_ticks)
  [ -n "$perf_pid" ] && wait "$perf_pid"
  local per_cpu
  per_cpu=$(awk -v r="$rps" -v d="$DURATION" -v t="$((after - before))" -v hz="$(getconf CLK_TCK)" 'BEGIN {printf "%.0f", (t > 0) ? r * d / (t / hz) : 0}')
  echo "$rps $p50 $p99 $rss $per_cpu"
}

is_h2() { [ "$SCENARIO" = h2 ] || [ "$SCENARIO" = h2c ]; }
# The load for SECONDS: wrk for HTTP/1.1, h2load for HTTP/2 (one thread, on the load CPU).
load() {
  if is_h2; then
    taskset -c $CPU_LOAD h2load -t1 -c"$CONNECTIONS" -m"$STREAMS" -D "$1" -H ':authority: bench.nip.io' "$SCHEME://127.0.0.1:$PORT$REQUEST_PATH"
  else
    taskset -c $CPU_LOAD wrk -t1 -c"$CONNECTIONS" -d"${1}s" --latency -H 'Host: bench.nip.io' "${CLOSE_HEADER[@]}" "$SCHEME://127.0.0.1:$PORT$REQUEST_PATH"
  fi
}

printf '%-6s %-8s %12s %10s %10s %12s %12s\n' round proxy req/s p50 p99 peakRSS-KiB req/cpu-s
RATIOS=()
CPU_RATIOS=()
for round in $(seq "$ROUNDS"); do
  declare -A R=() C=()
  for proxy in nginx portico; do
    start_proxy $proxy
    load 2 >/dev/null  # warm-up
    read -r rps p50 p99 rss per_cpu < <(measure "$proxy" "$round")
    stop_proxy
    printf '%-6s %-8s %12s %10s %10s %12s %12s\n' "$round" "$proxy" "$rps" "$p50" "$p99" "$rss" "$per_cpu"
    R[$proxy]=$rps
    C[$proxy]=$per_cpu
  done
  RATIOS+=("$(awk -v a="${R[portico]}" -v b="${R[nginx]}" 'BEGIN {printf "%.3f", a/b}')")
  CPU_RATIOS+=("$(awk -v a="${C[portico]}" -v b="${C[nginx]}" 'BEGIN {printf "%.3f", (b > 0) ? a/b : 0}')")
done
MEDIAN=$(printf '%s\n' "${RATIOS[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
echo "per-round portico/nginx req/s ratios: ${RATIOS[*]}"
echo "median ratio (portico/nginx, req/s, $WORKERS worker(s) each, scenario $SCENARIO): $MEDIAN"
CPU_MEDIAN=$(printf '%s\n' "${CPU_RATIOS[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
echo "per-round portico/nginx req per proxy-CPU-s ratios: ${CPU_RATIOS[*]}"
echo "median ratio (portico/nginx, req per proxy-CPU-s, scenario $SCENARIO): $CPU_MEDIAN"
