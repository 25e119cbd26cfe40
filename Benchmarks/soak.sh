#!/usr/bin/env bash
# Soak: Portico under a mixed load for DURATION seconds (default 600), reporting every error
# and the resident memory over time. Passes when no request failed and RSS stayed flat.
#
#   Benchmarks/soak.sh [seconds]
#
# Load, all at once, against one release `portico` (2 workers) in front of two nginx origins:
#   - keep-alive GETs (wrk, 32 connections)
#   - a new connection per request (wrk, 8 connections, Connection: close)
#   - HTTPS keep-alive GETs (wrk, 8 connections, certs/nip-io.crt)
#   - large bodies: 16 MiB uploads and 16 MiB downloads with curl, one after another, sizes checked
#   - reloads: every 3 s the Endpoints change (one or two origins) and an Ingress is added or
#     removed; a SIGHUP every 30 s
# RSS (VmRSS) and open descriptors are sampled every 5 s into $WORK/rss.csv.
# Needs: nginx, wrk, curl (apt-get install nginx-light wrk curl), a release build (built if missing).
set -euo pipefail
DURATION=${1:-600}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d /tmp/portico-soak.XXXXXX)
chmod 755 "$WORK"  # the origin's workers (www-data) read the big file from here
ORIGIN_PORT=18890; HTTP_PORT=18891; HTTPS_PORT=18892
for tool in nginx wrk curl; do
  command -v "$tool" >/dev/null || { echo "missing $tool: apt-get install -y nginx-light wrk curl" >&2; exit 1; }
done
if [ ! -x "$ROOT/.build/release/portico" ]; then (cd "$ROOT" && swift build -c release --product portico); fi

PIDS=()
cleanup() { for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

# Two origins (127.0.0.1 and 127.0.0.2): a small answer, a 16 MiB file, uploads read and dropped.
head -c $((16 * 1024 * 1024)) /dev/urandom > "$WORK/big"; chmod 644 "$WORK/big"
BIG_SIZE=$(stat -c %s "$WORK/big")
cat > "$WORK/origin.conf" <<CONF
worker_processes 1; daemon off; pid $WORK/origin.pid; error_log $WORK/origin-error.log;
events { worker_connections 4096; }
http { access_log off; keepalive_requests 1000000; client_max_body_size 0; client_body_buffer_size 1m;
  client_body_temp_path $WORK/body; proxy_temp_path $WORK/proxy; fastcgi_temp_path $WORK/fcgi;
  uwsgi_temp_path $WORK/uwsgi; scgi_temp_path $WORK/scgi;
  server { listen 127.0.0.1:$ORIGIN_PORT; listen 127.0.0.2:$ORIGIN_PORT;
    location = /big { alias $WORK/big; }
    location = /upload { client_body_in_file_only clean; return 200 "ok\n"; }
    location / { return 200 "soak\n"; } } }
CONF
nginx -c "$WORK/origin.conf" & PIDS+=($!)

mkdir -p "$WORK/rules"
endpoints() {  # $1: "1" or "1 2"
  local addresses="" last
  for last in $1; do addresses="$addresses{ip: 127.0.0.$last},"; done
  cat > "$WORK/rules/origin.yaml.tmp" <<CONF
apiVersion: v1
kind: Service
metadata: {name: origin}
spec: {ports: [{port: 80, targetPort: $ORIGIN_PORT}]}
---
apiVersion: v1
kind: Endpoints
metadata: {name: origin}
subsets: [{addresses: [${addresses%,}], ports: [{port: $ORIGIN_PORT}]}]
CONF
  mv "$WORK/rules/origin.yaml.tmp" "$WORK/rules/origin.yaml"
}
endpoints "1 2"
cat > "$WORK/rules/soak.yaml" <<CONF
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: soak, annotations: {nginx.ingress.kubernetes.io/ssl-redirect: "false", nginx.ingress.kubernetes.io/proxy-body-size: "0"}}
spec:
  tls: [{hosts: [soak.nip.io], secretName: nip-io}]
  rules: [{host: soak.nip.io, http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: origin, port: {number: 80}}}}]}}]
CONF

"$ROOT/.build/release/portico" serve --rules "$WORK/rules" --certs "$ROOT/certs" --workers 2 \
  --http-port $HTTP_PORT --https-port $HTTPS_PORT --address 127.0.0.1 --access-log "${ACCESS_LOG:-off}" --log-level warning \
  2> "$WORK/portico.log" & PORTICO=$!; PIDS+=($PORTICO)
for _ in $(seq 100); do curl -s -o /dev/null -H 'Host: soak.nip.io' "http://127.0.0.1:$HTTP_PORT/" && break; sleep 0.1; done

echo "soak: ${DURATION}s, work directory $WORK"
HOST=(-H 'Host: soak.nip.io')
wrk -t1 -c32 -d"${DURATION}s" "${HOST[@]}" "http://127.0.0.1:$HTTP_PORT/" > "$WORK/wrk-keepalive.txt" & PIDS+=($!)
wrk -t1 -c8 -d"${DURATION}s" "${HOST[@]}" -H 'Connection: close' "http://127.0.0.1:$HTTP_PORT/" > "$WORK/wrk-close.txt" & PIDS+=($!)
wrk -t1 -c8 -d"${DURATION}s" "${HOST[@]}" "https://127.0.0.1:$HTTPS_PORT/" > "$WORK/wrk-https.txt" & PIDS+=($!)

END=$((SECONDS + DURATION))
(  # large bodies
  ok=0; failed=0
  while [ $SECONDS -lt $END ]; do
    up=$(curl -s -o /dev/null -w '%{http_code}' "${HOST[@]}" --data-binary @"$WORK/big" "http://127.0.0.1:$HTTP_PORT/upload" || echo 000)
    down=$(curl -s -o /dev/null -w '%{http_code} %{size_download}' "${HOST[@]}" "http://127.0.0.1:$HTTP_PORT/big" || echo "000 0")
    if [ "$up" = 200 ] && [ "$down" = "200 $BIG_SIZE" ]; then ok=$((ok + 2)); else failed=$((failed + 1)); echo "large body failed: upload $up, download $down" >&2; fi
  done
  echo "$ok $failed" > "$WORK/bodies.txt"
) & PIDS+=($!)
(  # reloads
  n=0
  while [ $SECONDS -lt $END ]; do
    sleep 3; n=$((n + 1))
    if [ $((n % 2)) = 0 ]; then endpoints "1 2"; else endpoints "1"; fi
    if [ $((n % 3)) = 0 ]; then
      printf 'apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: extra}\nspec: {rules: [{host: extra.nip.io, http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: origin, port: {number: 80}}}}]}}]}\n' > "$WORK/rules/extra.yaml"
    else rm -f "$WORK/rules/extra.yaml"; fi
    [ $((n % 10)) = 0 ] && kill -HUP "$PORTICO"
  done
  echo "$n" > "$WORK/reloads.txt"
) & PIDS+=($!)

echo "seconds,rss_kib,fds" > "$WORK/rss.csv"
while [ $SECONDS -lt $END ]; do
  rss=$(awk '/VmRSS/ {print $2}' /proc/$PORTICO/status)
  fds=$(ls /proc/$PORTICO/fd | wc -l)
  echo "$((DURATION - END + SECONDS)),$rss,$fds" >> "$WORK/rss.csv"
  sleep 5
done
sleep 3  # let wrk and the body loop finish
wait_for() { for _ in $(seq 60); do [ -s "$1" ] && return; sleep 1; done; }
wait_for "$WORK/bodies.txt"; wait_for "$WORK/reloads.txt"

report() {  # wrk output → "requests errors"
  local requests errors non2xx
  requests=$(awk '/requests in/ {print $1}' "$1")
  errors=$(awk '/Socket errors/ {gsub(",", ""); print $4 + $6 + $8 + $10}' "$1"); errors=${errors:-0}
  non2xx=$(awk '/Non-2xx/ {print $5}' "$1"); non2xx=${non2xx:-0}
  echo "$requests $((errors + non2xx))"
}
read -r ka_req ka_err < <(report "$WORK/wrk-keepalive.txt")
read -r cl_req cl_err < <(report "$WORK/wrk-close.txt")
read -r tls_req tls_err < <(report "$WORK/wrk-https.txt")
read -r body_ok body_failed < "$WORK/bodies.txt"
reloads=$(cat "$WORK/reloads.txt")
# RSS: the second minute (after warm-up) against the last minute.
read -r early late peak < <(awk -F, -v d="$DURATION" 'NR > 1 { if ($1 >= 60 && $1 < 120) { e += $2; ne++ } if ($1 >= d - 60) { l += $2; nl++ } if ($2 > p) p = $2 }
  END { printf "%d %d %d\n", (ne ? e / ne : 0), (nl ? l / nl : 0), p }' "$WORK/rss.csv")
errors=$((ka_err + cl_err + tls_err + body_failed))
printf '%-28s %12s %8s\n' load requests errors
printf '%-28s %12s %8s\n' "keep-alive GET" "$ka_req" "$ka_err" "new connection per GET" "$cl_req" "$cl_err" \
  "HTTPS keep-alive GET" "$tls_req" "$tls_err" "16 MiB up/downloads" "$body_ok" "$body_failed"
echo "reloads: $reloads (plus a SIGHUP every 30 s); portico errors logged: $(grep -c ' error ' "$WORK/portico.log" || true)"
echo "RSS KiB: minute 2 average $early, last minute average $late, peak $peak (samples: $WORK/rss.csv)"
growth=$(awk -v a="$early" -v b="$late" 'BEGIN { printf "%.1f", (a ? (b - a) * 100 / a : 0) }')
echo "RSS growth minute 2 → last minute: $growth %"
if [ "$errors" -eq 0 ] && awk -v g="$growth" 'BEGIN { exit !(g < 10) }'; then echo "soak passed"; else echo "soak FAILED"; exit 1; fi
