# shellcheck shell=bash
# Sourced by scripts that need a server for a while (the GAN demo step, the console screenshots):
#   serve_temporary DATA_DIR LOG_FILE [--remove-log]
# starts `$LATENTDB serve` on a free local port, waits until /readyz answers (or prints LOG_FILE
# and exits 1 when the server dies first), sets `url` and `pid`, and stops the server when the
# calling script exits (an EXIT trap; with --remove-log the log file is removed then too).
url="" pid=""
serve_temporary() {
  local data="$1" log="$2" remove_log="${3:-}" port
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null ||
         echo $((20000 + RANDOM % 20000)))
  "$LATENTDB" serve --data-dir "$data" --host 127.0.0.1 --port "$port" >"$log" 2>&1 &
  pid=$!
  # shellcheck disable=SC2064  # the log's name is fixed now, the pid is read at exit
  trap "kill \"\$pid\" 2>/dev/null; wait \"\$pid\" 2>/dev/null || true; ${remove_log:+rm -f '$log'}" EXIT
  url="http://127.0.0.1:$port"
  for _ in $(seq 1 300); do
    curl -sf "$url/readyz" >/dev/null && return 0
    kill -0 "$pid" 2>/dev/null || { cat "$log"; exit 1; }
    sleep 0.2
  done
  echo "latentdb serve on $url did not become ready in 60 s"; cat "$log"; exit 1
}
