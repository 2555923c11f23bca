#!/usr/bin/env bash
# scripts/test-browser.sh: `make test-browser`. Builds peregrine, serves the demo site on a
# loopback port with a generated certificate, and has headless Chromium
# (../shared/tools/chromium-h3/run.sh, which installs chromium when missing) load the index
# page over HTTP/3 and fetch /bytes/10000000. Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNSH="${CHROMIUM_H3:-../shared/tools/chromium-h3/run.sh}"
[[ -x $RUNSH ]] || { echo "test-browser: $RUNSH not found (set CHROMIUM_H3)" >&2; exit 3; }

TMP="$(mktemp -d)"
SERVER_PID=""
cleanup() {
  if [[ -n $SERVER_PID ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$SERVER_PID" 2>/dev/null || true
  fi
  rm -rf "$TMP"
}
trap cleanup EXIT

echo "== build peregrine"
go build -o "$TMP/peregrine" ./cmd/peregrine

echo "== start peregrine serve"
"$TMP/peregrine" serve -addr 127.0.0.1:0 -cert-out "$TMP/cert" >"$TMP/serve.out" \
  2>"$TMP/serve.log" &
SERVER_PID=$!
PORT=""
for _ in $(seq 100); do
  PORT="$(sed -n 's|^Peregrine is serving https://localhost:\([0-9]*\)/.*|\1|p' \
    "$TMP/serve.out")"
  [[ -n $PORT ]] && break
  kill -0 "$SERVER_PID" 2>/dev/null || break
  sleep 0.1
done
if [[ -z $PORT ]]; then
  echo "test-browser: the server did not start" >&2
  cat "$TMP/serve.out" "$TMP/serve.log" >&2
  exit 1
fi
ORIGIN="localhost:$PORT"
echo "serving https://$ORIGIN/"

echo "== Chromium: index page over HTTP/3, then fetch /bytes/10000000"
# The wait expression starts the fetch once and is true when it has settled.
WAIT='document.readyState === "complete" && (window.__bytes ??= fetch("/bytes/10000000")
  .then(r => r.arrayBuffer()).then(b => window.__len = b.byteLength,
  e => window.__len = String(e)), window.__len !== undefined)'
RESULT='JSON.stringify({proto: document.getElementById("proto").textContent,
  nexthop: document.getElementById("nexthop").textContent, bytes: window.__len})'
EXPECT='document.getElementById("proto").textContent === "HTTP/3.0" &&
  window.__len === 10000000'
"$RUNSH" "https://$ORIGIN/" --cert "$TMP/cert/cert.pem" --expect-h3 --timeout 60 \
  --wait "$WAIT" --result "$RESULT" --expect "$EXPECT"

echo "== Chromium: WebTransport at /wt (fetch, wt, dgram, bidi, uni, sbidi, close)"
"$RUNSH" wt-test "$ORIGIN" --cert "$TMP/cert/cert.pem" --timeout 60

echo "== stop the server"
kill -TERM "$SERVER_PID"
wait "$SERVER_PID" || { echo "test-browser: the server exited with an error" >&2; exit 1; }
SERVER_PID=""
echo "test-browser: PASS"
