#!/usr/bin/env bash
# bench/websockets/run.sh - RSS of a Scale0 gateway holding N open WebSockets (default 10000).
#
# Starts `scale0 gateway` on a handler route, lets hold.py (pyzmq handler + N raw client sockets,
# each after its handshake and one text message) open them, and prints the gateway's VmRSS
# before and after, and KiB per socket. Needs Debian's python3 with pyzmq, a built scale0
# (SCALE0_BIN, default $CARGO_TARGET_DIR/release/scale0 then .../debug/scale0) and a file
# descriptor limit above N (raised here up to the hard limit). PEER=mongrel2 measures Debian's
# Mongrel2 1.12 instead, with the same handler and clients (run as root: it chroots).
set -euo pipefail

N=${N:-10000}
here=$(cd "$(dirname "$0")" && pwd)
target=${CARGO_TARGET_DIR:-$here/../../target}
BIN=${SCALE0_BIN:-}
if [ -z "$BIN" ]; then
    for b in "$target/release/scale0" "$target/debug/scale0"; do
        [ -x "$b" ] && { BIN=$b; break; }
    done
fi
[ "${PEER:-scale0}" = mongrel2 ] || [ -x "${BIN:-}" ] || { echo "build scale0 first (cargo build --release --bin scale0)" >&2; exit 1; }
ulimit -n "$(ulimit -Hn)"
[ "$(ulimit -n)" -gt $((N + 100)) ] || { echo "fd limit $(ulimit -n) too low for N=$N" >&2; exit 1; }

dir=$(mktemp -d)
trap 'kill $gw $hold 2>/dev/null || true; rm -rf "$dir"' EXIT
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
port=$(free_port)
send="ipc://$dir/send"
recv="ipc://$dir/recv"
if [ "${PEER:-scale0}" = mongrel2 ]; then
    # The same handler and clients against Debian's Mongrel2 1.12 (chroot = the temp dir).
    mkdir -p "$dir/run" "$dir/logs" "$dir/tmp"
    # Mongrel2 binds after its chroot: tcp endpoints, not ipc paths.
    send="tcp://127.0.0.1:$(free_port)"
    recv="tcp://127.0.0.1:$(free_port)"
    cat > "$dir/mongrel2.conf" <<CONF
handler = Handler(send_spec='$send', send_ident='34f9ceee-cd52-4b7f-b197-88bf2f0ec378',
                  recv_spec='$recv', recv_ident='')
main = Server(uuid="f400bf85-4538-4f7a-8908-67e313d515c2", access_log="/logs/access.log",
    error_log="/logs/error.log", chroot="./", pid_file="/run/mongrel2.pid",
    default_host="localhost", name="bench", bind_addr="127.0.0.1", port=$port,
    hosts=[Host(name="localhost", routes={'/': handler})])
settings = {"server.daemonize": "0", "superpoll.max_fd": "$((N + 1000))", "disable.access_logging": "1"}
servers = [main]
CONF
    (cd "$dir" && LOGNAME=${LOGNAME:-root} m2sh load -config mongrel2.conf -db config.sqlite >/dev/null)
    (cd "$dir" && exec mongrel2 config.sqlite f400bf85-4538-4f7a-8908-67e313d515c2 2>"$dir/gateway.log") &
    gw=$!
    BIN="mongrel2 ($(command -v mongrel2))"
else
    cat > "$dir/gateway.toml" <<TOML
[[listener]]
bind = "127.0.0.1:$port"
max_connections = $((N + 100))

[[host]]
name = "localhost"
  [[host.route]]
  path = "/"
  target = "app"

[target.app]
type = "handler"
send_spec = "$send"
recv_spec = "$recv"
TOML
    "$BIN" gateway --config "$dir/gateway.toml" 2>"$dir/gateway.log" &
    gw=$!
fi
rss() { awk '/VmRSS/ {print $2}' "/proc/$gw/status"; }
for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    sleep 0.1
done
before=$(rss)
/usr/bin/python3 "$here/hold.py" "$port" "$send" "$recv" "$N" "$dir/ready" &
hold=$!
start=$(date +%s)
until [ -s "$dir/ready" ]; do
    kill -0 "$hold" 2>/dev/null || { echo "hold.py failed" >&2; exit 1; }
    sleep 0.5
done
sleep 1
after=$(rss)
echo "server: $BIN"
echo "websockets held: $(cat "$dir/ready") (opened in $(( $(date +%s) - start )) s)"
echo "server VmRSS before: ${before} KiB, with sockets: ${after} KiB"
awk -v b="$before" -v a="$after" -v n="$N" 'BEGIN { printf "per WebSocket: %.1f KiB\n", (a - b) / n }'
