#!/usr/bin/env bash
# The read-path load benchmark: writes a synthetic city (`seed --synthetic`) into a fresh SQLite
# file and a fresh PostgreSQL database, starts the release build on each, checks that every
# document answers without errors, drives each for WARMUP (8 s) to warm up, then drives it with
# `hey` (Debian's package) at concurrency 8 and 32 and prints a Markdown table of requests/s, p50
# and p99. `page` is the public page `/opportunities` (GET, rendered HTML, the first 20 of the
# live list with their total), beside `same`, what it shows through GraphQL; both, and `list`,
# also run at concurrency 1. The signed-in document (recommendedCapabilities) runs as the synthetic city's
# administrator. Last, it starts `serve --demo` on a fresh data folder and reports its resident
# memory once idle.
#
#   benches/load.sh                    # 10,000 scenarios, 50,000 capabilities, 20 s a run
#   SCENARIOS=1000 CAPABILITIES=5000 DURATION=5s BACKENDS=sqlite benches/load.sh
#
# PostgreSQL is the machine's, at 127.0.0.1:5432 (user postgres, trust auth), as in CI.
set -euo pipefail
cd "$(dirname "$0")/.."

SCENARIOS=${SCENARIOS:-10000}
CAPABILITIES=${CAPABILITIES:-50000}
DURATION=${DURATION:-20s}
WARMUP=${WARMUP:-8s}
BACKENDS=${BACKENDS:-sqlite postgres}
ADDR=127.0.0.1:18480
URL="http://$ADDR/graphql"
PASSWORD=Jinzhong-Synthetic-2026

if ! command -v hey >/dev/null; then
  echo "installing hey (Debian package)" >&2
  apt-get install -y -q hey >/dev/null
fi
cargo build --release -q
bin=target/release/twolists

work=$(mktemp -d)
server=""
database=""
cleanup() {
  if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
  if [ -n "$database" ]; then
    psql -h 127.0.0.1 -U postgres -q -c "DROP DATABASE IF EXISTS $database WITH (FORCE)" >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# A GraphQL request body for `query` (and an optional JSON object of variables).
body() {
  python3 -c 'import json, sys; print(json.dumps({"query": sys.argv[1], "variables": json.loads(sys.argv[2])}))' \
    "$1" "${2:-{\}}"
}

# POSTs a body file, with a token if given; prints the response.
post() {
  local file=$1 token=${2:-}
  curl -sf "$URL" -H 'content-type: application/json' ${token:+-H "authorization: Bearer $token"} \
    --data-binary @"$file"
}

# Fails unless the response in $1 has data and no errors.
answered() {
  python3 -c 'import json, sys
r = json.loads(sys.argv[1])
if r.get("errors") or not r.get("data"):
    sys.exit("the document did not answer cleanly: " + sys.argv[1][:300])' "$1"
}

json_get() { python3 -c 'import json, sys; r = json.loads(sys.argv[1]); exec("print(" + sys.argv[2] + ")")' "$1" "$2"; }

rows=()
for backend in $BACKENDS; do
  dir="$work/$backend"
  args=(--data-dir "$dir")
  if [ "$backend" = postgres ]; then
    database="twolists_load_$(date +%s)_$$"
    psql -h 127.0.0.1 -U postgres -q -c "CREATE DATABASE $database"
    args+=(--database-url "postgres://postgres@127.0.0.1:5432/$database")
  fi
  echo "== $backend: seeding $SCENARIOS scenarios and $CAPABILITIES capabilities" >&2
  "$bin" seed --synthetic --scenarios "$SCENARIOS" --capabilities "$CAPABILITIES" "${args[@]}" >&2
  # The bulk load settles now, not while the first documents are measured: PostgreSQL vacuums
  # the new tables (autovacuum would, a minute later) and writes its dirty buffers out, and the
  # kernel writes the SQLite file.
  if [ "$backend" = postgres ]; then
    psql -h 127.0.0.1 -U postgres -q -d "$database" -c "VACUUM" -c "CHECKPOINT"
  fi
  sync
  RUST_LOG=warn "$bin" serve "${args[@]}" --addr "$ADDR" --explorer false >"$work/$backend.log" 2>&1 &
  server=$!
  for _ in $(seq 1 120); do curl -sf "http://$ADDR/readyz" >/dev/null && break; sleep 0.5; done

  body 'mutation($e: String!, $p: String!) { login(input: { email: $e, password: $p }) { accessToken } }' \
    "{\"e\": \"admin@synthetic.jzcx.cn\", \"p\": \"$PASSWORD\"}" >"$work/login.json"
  token=$(json_get "$(post "$work/login.json")" 'r["data"]["login"]["accessToken"]')
  body '{ opportunityList(first: 1) { edges { node { id code } } } }' >"$work/newest.json"
  newest=$(post "$work/newest.json")
  scenario_id=$(json_get "$newest" 'r["data"]["opportunityList"]["edges"][0]["node"]["id"]')
  code=$(json_get "$newest" 'r["data"]["opportunityList"]["edges"][0]["node"]["code"]')

  body '{ opportunityList(first: 20) { edges { node { code title publishingUnit { name } industries { code name } } } } }' >"$work/list.json"
  # What the public page /opportunities shows, through GraphQL: the first 20 of the live list with
  # their total, units, regions, industries, budgets and deadlines.
  body '{ opportunityList(first: 20) { totalCount edges { node { code title summary status region { name } publishingUnit { name } industries { name } budgetMin budgetMax deadline } } } }' >"$work/same.json"
  body 'query($code: String!) { scenario(code: $code) { title publishingUnit { name } industries { name } timeline { action at } } }' \
    "{\"code\": \"$code\"}" >"$work/one.json"
  body '{ capabilityList(first: 20, filter: { query: "煤矿井下巡检机器人", industryCodes: ["MT"] }, orderBy: RELEVANCE) { edges { node { code title } } } }' >"$work/search.json"
  body 'query($id: ID!) { recommendedCapabilities(scenarioId: $id, first: 10) { matchDegree capability { code title } } }' \
    "{\"id\": \"$scenario_id\"}" >"$work/recommend.json"

  # Warm-up: each document for a few seconds before anything is measured. Just after a bulk load
  # the machine is slower for half a minute or so (the kernel settling its memory), which the
  # first measured document would otherwise bear alone.
  page_url="http://$ADDR/opportunities"
  curl -sf "$page_url" | grep -q 'class="card"' || { echo "the public page lists nothing" >&2; exit 1; }
  hey -z "$WARMUP" -c 8 "$page_url" >/dev/null
  for doc in list same one search recommend; do
    auth=""
    [ "$doc" = recommend ] && auth=$token
    answered "$(post "$work/$doc.json" "$auth")"
    hey -z "$WARMUP" -c 8 -m POST -T application/json -D "$work/$doc.json" \
      ${auth:+-H "Authorization: Bearer $auth"} "$URL" >/dev/null
  done
  for doc in page same list one search recommend; do
    auth=""
    [ "$doc" = recommend ] && auth=$token
    levels="8 32"
    case $doc in page | same | list) levels="1 8 32" ;; esac
    for c in $levels; do
      out="$work/$backend-$doc-$c.txt"
      if [ "$doc" = page ]; then
        hey -z "$DURATION" -c "$c" "$page_url" >"$out"
      else
        hey -z "$DURATION" -c "$c" -m POST -T application/json -D "$work/$doc.json" \
          ${auth:+-H "Authorization: Bearer $auth"} "$URL" >"$out"
      fi
      if grep -q '^\s*\[[^2]' "$out"; then
        echo "non-200 answers for $doc at $c:" >&2
        sed -n '/Status code distribution/,$p' "$out" >&2
        exit 1
      fi
      rps=$(awk '/Requests\/sec/ {printf "%.0f", $2}' "$out")
      p50=$(awk '/ 50% in/ {printf "%.1f", $3 * 1000}' "$out")
      p99=$(awk '/ 99% in/ {printf "%.1f", $3 * 1000}' "$out")
      rows+=("| $backend | $doc | $c | $rps | $p50 ms | $p99 ms |")
      echo "$backend $doc c=$c: $rps req/s, p50 $p50 ms, p99 $p99 ms" >&2
    done
  done
  kill "$server"; wait "$server" 2>/dev/null || true; server=""
done

# Idle memory of the embedded default with the demo data: resident set once ready and quiet.
echo "== memory: serve --demo on a fresh data folder" >&2
RUST_LOG=warn "$bin" serve --demo --data-dir "$work/demo" --addr "$ADDR" --explorer false >"$work/demo.log" 2>&1 &
server=$!
for _ in $(seq 1 120); do curl -sf "http://$ADDR/readyz" >/dev/null && break; sleep 0.5; done
sleep 5
resident=$(awk '/^VmRSS/ {printf "%.0f", $2 / 1024}' "/proc/$server/status")
kill "$server"; wait "$server" 2>/dev/null || true; server=""
echo "serve --demo, idle: $resident MiB resident" >&2

echo
echo "Idle memory of \`serve --demo\`: $resident MiB resident."
echo
echo "| database | document | concurrency | requests/s | p50 | p99 |"
echo "|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
