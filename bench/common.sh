# shellcheck shell=bash
# Pieces the benchmark scripts share; sourced, not run. Each script cds to the repo
# root first.

# Installs the Debian packages of the tools it names that are missing: need wrk nginx
need() {
  local -A package_of=([wrk]=wrk [nginx]=nginx-light [slowhttptest]=slowhttptest [strace]=strace)
  local tool missing=()
  for tool in "$@"; do
    command -v "$tool" >/dev/null || missing+=("${package_of[$tool]}")
  done
  ((${#missing[@]} == 0)) && return
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

# A scratch directory, removed with every background job (and nginx) on exit.
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; for pid in "$work"/*nginx.pid; do [[ -f $pid ]] && kill "$(cat "$pid")" 2>/dev/null; done; rm -rf "$work"' EXIT

# Waits until http://127.0.0.1:PORT/ answers 2xx; exits the script after 10 s.
wait_for() {
  for _ in $(seq 100); do curl -sf -o /dev/null "http://127.0.0.1:$1/" && return; sleep 0.1; done
  echo "port $1 did not answer" >&2
  exit 1
}

# Private memory of a process and its children, in KiB.
private_kb() {
  local total=0 pid
  for pid in $1 $(pgrep -P "$1" || true); do
    total=$((total + $(awk '/^Pss_Anon:/ {print $2}' "/proc/$pid/smaps_rollup" 2>/dev/null || echo 0)))
  done
  echo "$total"
}

# Starts nginx in $work with the access log on: start_nginx PORT WORKERS 'location...'
# ['more http-block directives']. NGINX_NAME (default nginx) names its files, so
# that a script can run two (a backend and a proxy): $work/NAME.conf, NAME.pid.
start_nginx() {
  local name=${NGINX_NAME:-nginx}
  cat >"$work/$name.conf" <<NGINX
worker_processes $2;
pid $work/$name.pid;
error_log $work/$name-error.log;
events { worker_connections 4096; }
http {
  access_log $work/$name-access.log;
  default_type text/plain;
  ${4:-}
  server {
    listen 127.0.0.1:$1 reuseport backlog=4096;
    $3
  }
}
NGINX
  nginx -c "$work/$name.conf"
}
