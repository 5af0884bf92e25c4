#!/usr/bin/env bash
# The 1 GB upload figure: a 1 GiB body POSTed through the gateway to a handler target
# (Mongrel2's temp-file flow: the body is spooled to [upload] temp_store), then the gateway's
# peak RSS (VmHWM from /proc/PID/status). The body is read from a sparse file by curl -T, so
# neither the client nor the source uses memory or disk; the temp file takes 1 GiB in $TMPDIR.
#
# Usage: bench/upload/run.sh [SIZE]   (SIZE for truncate, default 1G)
# Needs: cargo, curl, /usr/bin/python3 with pyzmq. Builds the release binary once.
set -euo pipefail
size="${1:-1G}"
root="$(cd "$(dirname "$0")/../.." && pwd)"
target="${CARGO_TARGET_DIR:-$root/target}"
(cd "$root" && cargo build --release -p scale0-gateway --bin scale0 >&2)
bin="$target/release/scale0"
work="$(mktemp -d)"
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT
port="$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
cat >"$work/scale0.toml" <<TOML
[[listener]]
bind = "127.0.0.1:$port"

[defaults]
max_body_bytes = "4GiB"

[[host]]
name = "localhost"
default = true
  [[host.route]]
  path = "/"
  target = "app"

[target.app]
type = "handler"
send_spec = "ipc://$work/send"
recv_spec = "ipc://$work/recv"

[upload]
temp_store = "$work/upload.XXXXXX"
TOML
"$bin" gateway --config "$work/scale0.toml" --log warn &
gateway=$!
pids+=("$gateway")
/usr/bin/python3 "$root/bench/upload/handler.py" "ipc://$work/send" "ipc://$work/recv" &
pids+=("$!")
for _ in $(seq 1 200); do
    if curl -fsS -m 1 "http://127.0.0.1:$port/ready" 2>/dev/null | grep -q ok; then break; fi
done
truncate -s "$size" "$work/source"
bytes="$(stat -c %s "$work/source")"
idle_kib="$(awk '/VmHWM/ {print $2}' "/proc/$gateway/status")"
start="$(date +%s.%N)"
answer="$(curl -fsS -X POST -T "$work/source" -H 'Content-Type: application/octet-stream' "http://127.0.0.1:$port/upload")"
end="$(date +%s.%N)"
peak_kib="$(awk '/VmHWM/ {print $2}' "/proc/$gateway/status")"
[ "$answer" = "size $bytes" ] || { echo "unexpected answer: $answer" >&2; exit 1; }
secs="$(echo "$end - $start" | bc -l)"
printf 'upload of %s bytes through the gateway (temp-file flow) in %.1f s (%.0f MiB/s)\n' \
    "$bytes" "$secs" "$(echo "$bytes / 1048576 / $secs" | bc -l)"
printf 'gateway peak RSS (VmHWM): %d KiB before, %d KiB after the upload\n' "$idle_kib" "$peak_kib"
