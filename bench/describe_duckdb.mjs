// The `describe` benchmark's DuckDB peer: what a user would write without pkh.
//
// Usage: node bench/describe_duckdb.mjs FILE
//
// Loads FILE into an in-memory table with DuckDB's read_csv (types sniffed, every core), then
// prints, as CSV, the same per-column summary as `pkh describe --format csv`:
// column,type,count,missing,min,mean,max,distinct (min/mean/max for numbers, distinct for text).
// Needs @duckdb/node-api in bench/node_modules (bench/run.sh installs it from package.json).
import { DuckDBInstance } from '@duckdb/node-api';

const INTEGER = /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT)$/;
const FLOAT = /^(FLOAT|DOUBLE|DECIMAL.*)$/;

function kind(duckType) {
  if (duckType === 'BOOLEAN') return 'bool';
  if (INTEGER.test(duckType)) return 'int64';
  if (FLOAT.test(duckType)) return 'float64';
  return 'string';
}

function quoteIdent(name) {
  return '"' + name.replaceAll('"', '""') + '"';
}

function quoteString(text) {
  return "'" + text.replaceAll("'", "''") + "'";
}

// One SELECT over the table: per column, the aggregates its kind needs.
function summarySql(columns) {
  const parts = [];
  for (const { name, type } of columns) {
    const c = quoteIdent(name);
    parts.push(`count(${c})`, `count(*) - count(${c})`);
    if (type === 'string') {
      parts.push(`count(DISTINCT ${c})`);
    } else {
      const v = type === 'bool' ? `${c}::INTEGER` : c;
      parts.push(`min(${v})`, `avg(${v})`, `max(${v})`);
    }
  }
  return `SELECT ${parts.join(', ')} FROM t`;
}

function text(value) {
  return value === null || value === undefined ? '' : String(value);
}

async function main(path) {
  const instance = await DuckDBInstance.create(':memory:');
  const db = await instance.connect();
  await db.run(`CREATE TABLE t AS SELECT * FROM read_csv(${quoteString(path)})`);

  const described = (await db.runAndReadAll('DESCRIBE t')).getRowObjects();
  const columns = described.map((r) => ({ name: r.column_name, type: kind(r.column_type) }));
  const values = (await db.runAndReadAll(summarySql(columns))).getRows()[0];

  const lines = ['column,type,count,missing,min,mean,max,distinct'];
  let i = 0;
  for (const { name, type } of columns) {
    const count = values[i++];
    const missing = values[i++];
    if (type === 'string') {
      lines.push([name, type, count, missing, '', '', '', values[i++]].map(text).join(','));
    } else {
      const [min, mean, max] = values.slice(i, i + 3);
      i += 3;
      lines.push([name, type, count, missing, min, mean, max, ''].map(text).join(','));
    }
  }
  process.stdout.write(lines.join('\n') + '\n');
  db.closeSync();
  instance.closeSync();
}

if (process.argv.length !== 3) {
  process.stderr.write('usage: node describe_duckdb.mjs FILE\n');
  process.exit(2);
}
await main(process.argv[2]);
