#!/usr/bin/env bash
# The bulk-import benchmark: writes a collected-scenario file of ROWS rows (CSV, and XLSX when
# Python's openpyxl is installed), seeds the demo data into a fresh SQLite file and a fresh
# PostgreSQL database, and times the release build's `import scenarios` of the file for a demo
# unit, then of the same file again (every row skipped). Prints a Markdown table of seconds.
#
#   benches/import.sh                  # 5,000 rows
#   ROWS=1000 BACKENDS=sqlite benches/import.sh
#
# PostgreSQL is the machine's, at 127.0.0.1:5432 (user postgres, trust auth), as in CI.
set -euo pipefail
cd "$(dirname "$0")/.."

ROWS=${ROWS:-5000}
BACKENDS=${BACKENDS:-sqlite postgres}
cargo build --release -q
BIN=$PWD/target/release/twolists
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

python3 - "$WORK" "$ROWS" <<'PY'
import csv, sys
work, rows = sys.argv[1], int(sys.argv[2])
headings = ["场景名称*", "场景简介*", "场景描述*", "场景类别*", "所属产业*", "标签", "所在地区",
            "预算下限（万元）", "预算上限（万元）", "合作方式", "技术成熟度要求（1-9）", "征集截止日期",
            "联系人", "联系电话", "联系邮箱"]
subjects = ["综采工作面智能巡检", "社区居家养老服务", "老城区停车诱导", "农产品冷链溯源", "文旅景区客流预测",
            "光伏电站无人机巡检", "城市内涝监测预警", "中药材种植数字化"]
categories = ["智慧应用新兴场景", "智慧城市场景", "智慧社区场景"]
industries = ["MT", "CS", "CS、ZZ", "NY", "WL", "XN"]
regions = ["榆次区", "太谷区", "介休市", "平遥县", "灵石县", "寿阳县"]
data = []
for i in range(rows):
    s = subjects[i % len(subjects)]
    data.append([f"{s}（第{i + 1}号）", f"{s}的试点应用", f"{s}：现状以人工为主，效率低、风险高。" * 8,
                 categories[i % 3], industries[i % len(industries)], "试点、数字化", regions[i % len(regions)],
                 100 + i % 50, 300 + i % 200, "采购、联合研发", 1 + i % 9, "2027-06-30", "王敏",
                 "0354-3036000", "wangmin@yuci.gov.cn"])
with open(f"{work}/scenarios.csv", "w", encoding="utf-8-sig", newline="") as f:
    w = csv.writer(f)
    w.writerow(headings)
    w.writerows(data)
try:
    import datetime, openpyxl
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(headings)
    for row in data:
        row[11] = datetime.date(2027, 6, 30)
        sheet.append(row)
    book.save(f"{work}/scenarios.xlsx")
except ImportError:
    print("openpyxl is not installed: the XLSX file is left out", file=sys.stderr)
PY

seconds() { # command… → elapsed seconds, the command's output discarded
  local start end
  start=$(date +%s.%N)
  "$@" >/dev/null
  end=$(date +%s.%N)
  echo "scale=2; ($end - $start) / 1" | bc
}

echo "| backend | file | rows | first import (s) | same file again (s) |"
echo "|---|---|---:|---:|---:|"
for backend in $BACKENDS; do
  for file in "$WORK"/scenarios.csv "$WORK"/scenarios.xlsx; do
    [ -f "$file" ] || continue
    data="$WORK/data-$backend"
    rm -rf "$data"
    if [ "$backend" = postgres ]; then
      db=twolists_import_bench
      psql -h 127.0.0.1 -U postgres -q -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db"
      export DATABASE_URL=postgres://postgres@127.0.0.1:5432/$db
    else
      unset DATABASE_URL
    fi
    export TWOLISTS_DATA_DIR=$data RUST_LOG=warn
    "$BIN" seed --demo >/dev/null
    # The first demo government unit, by its unified social credit code.
    query="SELECT credit_code FROM organizations WHERE kind = 'GOVERNMENT' AND credit_code IS NOT NULL ORDER BY credit_code LIMIT 1"
    if [ "$backend" = postgres ]; then
      UNIT=$(psql -h 127.0.0.1 -U postgres -d "$db" -tAc "$query")
    else
      UNIT=$(python3 -c "import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchone()[0])" "$data/twolists.db" "$query")
    fi
    first=$(seconds "$BIN" import scenarios "$file" --unit "$UNIT")
    again=$(seconds "$BIN" import scenarios "$file" --unit "$UNIT")
    echo "| $backend | ${file##*.} | $ROWS | $first | $again |"
  done
done
