// The `profile` benchmark's DuckDB peer: what a user would write without pkh.
//
// Usage: node bench/profile_duckdb.mjs FILE
//
// Loads the five columns it needs from FILE (as pkh and the other peers do) into an in-memory
// table with DuckDB's read_csv (types sniffed, every core), then prints, as CSV, the poverty
// profile by province that `pkh indicators FILE --income pcexp --weight weight --size hhsize
// --line povline --by province --indicators fgt0,fgt1,fgt2,gini` computes:
// province,indicator,estimate,n,population; the whole population first (empty province),
// then each province. Definitions (pkh's, docs/indicators.md), with person weight
// pw = weight x hhsize, y = pcexp, z = povline (per row), poor when y < z:
//   FGT(a) = sum pw (1 - y/z)^a 1(y < z) / sum pw                          a = 0, 1, 2
//   Gini   = sum_i pw_i y_i (2 C_i - pw_i - W) / (W sum pw y), ascending y, C_i = cumulative
//            pw up to and including i, W = sum pw (laeken/DASP).
// The cumulative sum is a ROWS frame: with the default RANGE frame, tied incomes would all
// get the cumulative weight of the whole tie. In a ROWS frame ties come in some order, and
// the formula gives the same value in any order (per tie it sums to y (C_last^2 - C_before^2)).
// Needs @duckdb/node-api in bench/node_modules (bench/run.sh installs it from package.json).
import { DuckDBInstance } from '@duckdb/node-api';

function quoteString(text) {
  return "'" + text.replaceAll("'", "''") + "'";
}

// FGT for the provinces and the total in one GROUP BY (GROUPING SETS); Gini from a windowed
// cumulative sum per province and over everyone.
const PROFILE_SQL = `
WITH p AS (
  SELECT province, pcexp::DOUBLE AS y, weight::DOUBLE * hhsize AS pw,
         CASE WHEN pcexp < povline THEN 1 - pcexp::DOUBLE / povline ELSE 0 END::DOUBLE AS gap,
         CASE WHEN pcexp < povline THEN 1 ELSE 0 END::DOUBLE AS poor
  FROM t
),
fgt AS (
  SELECT GROUPING(province) = 1 AS is_total, province, count(*) AS n, sum(pw) AS w,
         sum(pw * poor) / sum(pw) AS fgt0,
         sum(pw * gap) / sum(pw) AS fgt1,
         sum(pw * gap * gap) / sum(pw) AS fgt2
  FROM p
  GROUP BY GROUPING SETS ((province), ())
),
cum_prov AS (
  SELECT province, y, pw,
         sum(pw) OVER (PARTITION BY province ORDER BY y
                       ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS c,
         sum(pw) OVER (PARTITION BY province) AS w
  FROM p
),
cum_all AS (
  SELECT y, pw,
         sum(pw) OVER (ORDER BY y ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS c,
         sum(pw) OVER () AS w
  FROM p
),
gini AS (
  SELECT false AS is_total, province,
         sum(pw * y * (2 * c - pw - w)) / (any_value(w) * sum(pw * y)) AS gini
  FROM cum_prov GROUP BY province
  UNION ALL
  SELECT true, NULL, sum(pw * y * (2 * c - pw - w)) / (any_value(w) * sum(pw * y))
  FROM cum_all
)
SELECT f.province, f.n, f.w, f.fgt0, f.fgt1, f.fgt2, g.gini
FROM fgt f JOIN gini g ON f.is_total = g.is_total AND f.province IS NOT DISTINCT FROM g.province
ORDER BY f.is_total DESC, f.province
`;

// Shortest text that reads back as the same double (JavaScript's own number formatting).
function number(value) {
  return String(Number(value));
}

async function main(path) {
  const instance = await DuckDBInstance.create(':memory:');
  const db = await instance.connect();
  await db.run('CREATE TABLE t AS SELECT province, weight, hhsize, pcexp, povline ' +
               `FROM read_csv(${quoteString(path)})`);
  const rows = (await db.runAndReadAll(PROFILE_SQL)).getRows();

  const lines = ['province,indicator,estimate,n,population'];
  for (const [province, n, w, fgt0, fgt1, fgt2, gini] of rows) {
    const name = province === null ? '' : province;
    for (const [indicator, value] of [['fgt0', fgt0], ['fgt1', fgt1], ['fgt2', fgt2],
                                      ['gini', gini]]) {
      lines.push([name, indicator, number(value), String(n), number(w)].join(','));
    }
  }
  process.stdout.write(lines.join('\n') + '\n');
  db.closeSync();
  instance.closeSync();
}

if (process.argv.length !== 3) {
  process.stderr.write('usage: node profile_duckdb.mjs FILE\n');
  process.exit(2);
}
await main(process.argv[2]);
