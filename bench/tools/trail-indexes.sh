#!/usr/bin/env bash
# What each index of the trail costs a traccia: 200 000 rows shaped like tracce (40 convenzioni, 500 operatori,
# 10 % refusals, random UUIDs and pseudonyms, in time order) inserted into a copy of the table's columns with
# the primary key only, then with each index alone, then with all nine, and a BRIN on time for comparison.
# Median of three runs each. Usage: DATABASE_URL=postgres://... bench/tools/trail-indexes.sh
set -euo pipefail
base=${DATABASE_URL:?set DATABASE_URL to a server where a scratch database may be made}
admin="psql $base -qAt -v ON_ERROR_STOP=1"
$admin -c "drop database if exists invciv_bench_indexes with (force)" -c "create database invciv_bench_indexes" 2>/dev/null
db="psql ${base%/*}/invciv_bench_indexes -qAt -v ON_ERROR_STOP=1"
trap '$admin -c "drop database if exists invciv_bench_indexes with (force)" 2>/dev/null' EXIT
$db <<'SQL'
create table t (
  id bigint generated always as identity primary key,
  identificativo_transazione uuid not null, ricevuta_il timestamptz not null, canale text not null,
  convenzione_id bigint, ente_codice text, operatore text, riferimento_pratica text, cf_pseudonimo text,
  esito text, codice_rifiuto text, latenza_ms numeric);
create table src as select gen_random_uuid() as tx, now() - ((200000 - i) || ' ms')::interval as at, case when i % 2 = 0 then 'soap' else 'rest' end as canale,
  1 + i % 40 as conv, 'ente_' || (i % 40) as ente, 'op' || (i % 500) as op, 'PR-' || i as pratica, encode(sha256(i::text::bytea), 'hex') as cf,
  case when i % 10 < 9 then 'VALIDO' end as esito, case when i % 10 = 9 then 'IP_NON_AUTORIZZATO' end as rifiuto, 12.5 as lat
  from generate_series(1, 200000) i;
SQL
declare -A index=(
  [ricevuta]="(ricevuta_il, id)" [convenzione]="(convenzione_id, ricevuta_il, id)" [ente]="(ente_codice, ricevuta_il, id)"
  [operatore]="(operatore, ricevuta_il, id)" [pratica]="(riferimento_pratica, ricevuta_il, id)" [cf]="(cf_pseudonimo, ricevuta_il, id)"
  [esito]="(esito, ricevuta_il, id) where esito is not null" [rifiuto]="(codice_rifiuto, ricevuta_il, id) where codice_rifiuto is not null"
  [transazione]="(identificativo_transazione, ricevuta_il)"
)
insert_ms() {
  local runs=()
  for _ in 1 2 3; do
    $db -c "drop table if exists t2" -c "create table t2 (like t including identity including defaults)" -c "alter table t2 add primary key (id)" >/dev/null
    local i=0
    for stmt in "$@"; do i=$((i + 1)); $db -c "create index x$i on t2 ${stmt}" >/dev/null; done
    $db -c checkpoint >/dev/null
    runs+=("$($db -c '\timing on' -c "insert into t2 (identificativo_transazione, ricevuta_il, canale, convenzione_id, ente_codice, operatore, riferimento_pratica, cf_pseudonimo, esito, codice_rifiuto, latenza_ms)
      select tx, at, canale, conv, ente, op, pratica, cf, esito, rifiuto, lat from src order by at" | grep -o 'Time: [0-9.]*' | cut -d' ' -f2)")
  done
  printf '%s\n' "${runs[@]}" | sort -n | sed -n 2p
}
pk=$(insert_ms)
echo "| index | µs per traccia over the primary key alone |"
echo "|---|---|"
echo "| (primary key alone: $(awk -v t="$pk" 'BEGIN { printf "%.1f", t * 1000 / 200000 }') µs) | |"
for name in ricevuta convenzione ente operatore pratica cf esito rifiuto transazione; do
  echo "| $name | $(awk -v t="$(insert_ms "${index[$name]}")" -v p="$pk" 'BEGIN { printf "%.1f", (t - p) * 1000 / 200000 }') |"
done
echo "| BRIN on ricevuta_il (instead of the btree) | $(awk -v t="$(insert_ms 'using brin (ricevuta_il)')" -v p="$pk" 'BEGIN { printf "%.1f", (t - p) * 1000 / 200000 }') |"
all=()
for name in "${!index[@]}"; do all+=("${index[$name]}"); done
echo "| all nine | $(awk -v t="$(insert_ms "${all[@]}")" -v p="$pk" 'BEGIN { printf "%.1f", (t - p) * 1000 / 200000 }') |"
