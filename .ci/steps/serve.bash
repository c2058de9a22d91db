# Sourced by the CI steps (not a step itself: .ci/run runs only `*.sh`).
# `serve_local` starts `ristretto local serve` on a free port with the world file "$work/world.yaml"
# and a request log at "$work/requests.jsonl"; it sets $port, stops the server and removes $work
# when the step exits.

serve_local() {
  # The binary `cargo test --workspace` built (same features: a plain `cargo build` resolves
  # without dev-dependencies and would compile the SDK a second time).
  cargo test --quiet --workspace --no-run
  local ristretto="${CARGO_TARGET_DIR:-target}/debug/ristretto"
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  "$ristretto" local serve --port "$port" --world "$work/world.yaml" --speed 50 \
    --request-log "$work/requests.jsonl" > "$work/serve.log" 2>&1 &
  server=$!
  trap 'kill $server 2>/dev/null || true; rm -rf "$work"' EXIT
  for _ in $(seq 300); do
    if python3 -c "import socket; socket.create_connection(('127.0.0.1',$port),0.2)" 2>/dev/null; then
      return 0
    fi
    sleep 0.1
  done
  echo "ristretto local serve did not start on port $port:" >&2
  cat "$work/serve.log" >&2
  exit 1
}
