#!/bin/bash
# Alternating YBJ runs of two builds, one file at a time, so that a machine that speeds up or slows
# down during the comparison affects both alike (see bench/RESULTS.md, session 6).
#
#   git worktree add /tmp/gw-before <commit> && ln -s "$PWD/node_modules" /tmp/gw-before/node_modules
#   (cd /tmp/gw-before && npx tsc -p tsconfig.build.json && npx tsc -p bench/tsconfig.json)
#   npx tsc -p tsconfig.build.json && npx tsc -p bench/tsconfig.json
#   ENC=utf8 BENCH_YBJ_MYSQL_URL=mysql://root@127.0.0.1:3306 bench/alternate.sh /tmp/gw-before . 3 "sqlite mysql"
#
# Prints one line per run: build, database, encoding, CPU reference, time, gateway CPU, peak RSS.
set -u
A=$1
B=$2
N=${3:-3}
DBS=${4:-"sqlite mysql"}
ENC=${ENC:-utf8}
for i in $(seq 1 "$N"); do
  for db in $DBS; do
    for d in "$A" "$B"; do
      r=$(cd "$d" && timeout 900 node dist/bench/ybj-batch.bench.js --db "$db" --encoding "$ENC" --rounds 1 --no-build 2>&1 | grep -E "round 1:|CPU reference")
      echo "$d $db $ENC: $(echo "$r" | tr '\n' ' ' | sed -E 's/.*CPU reference ([0-9]+) ms.*round 1: ([0-9.]+ s).*gateway CPU ([0-9.]+ s).*peak RSS ([0-9]+ MiB).*/reference \1 ms, time \2, gateway CPU \3, peak RSS \4/')"
    done
  done
done
