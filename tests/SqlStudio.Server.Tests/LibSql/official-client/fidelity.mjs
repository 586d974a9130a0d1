// Drives the official @libsql/client (Hrana over HTTP) against a server and prints what it saw as one JSON object.
//   node fidelity.mjs <url> <auth token>
import { createClient } from "@libsql/client";

const [url, authToken] = process.argv.slice(2);
const client = createClient({ url, authToken, intMode: "bigint" });
const out = {};
const count = async (sql, args = []) => String((await client.execute({ sql, args })).rows[0][0]);

await client.execute("CREATE TABLE f (id INTEGER PRIMARY KEY, n INTEGER, r REAL, t TEXT, b BLOB)");
const insert = await client.execute({
  sql: "INSERT INTO f (n, r, t, b) VALUES (?, ?, ?, ?)",
  args: [9223372036854775807n, -1.5, "héllo 日本 🚀", new Uint8Array([0, 1, 254, 255])],
});
out.insert = { rowsAffected: insert.rowsAffected, lastInsertRowid: String(insert.lastInsertRowid) };

const select = await client.execute({ sql: "SELECT n, r, t, b, NULL AS z FROM f WHERE t = :t", args: { t: "héllo 日本 🚀" } });
const row = select.rows[0];
out.select = {
  columns: select.columns,
  n: String(row.n), r: row.r, t: row.t, b: Array.from(new Uint8Array(row.b)), z: row.z,
};

out.batch = (await client.batch(
  ["INSERT INTO f (t) VALUES ('a')", { sql: "INSERT INTO f (t) VALUES (?)", args: ["b"] }], "write")).map(r => r.rowsAffected);
try {
  await client.batch(["INSERT INTO f (t) VALUES ('c')", "INSERT INTO missing VALUES (1)"], "write");
  out.failedBatch = "no error";
} catch (e) {
  out.failedBatch = e.code ?? String(e);
}
out.afterFailedBatch = await count("SELECT count(*) FROM f WHERE t = 'c'");

const rolledBack = await client.transaction("write");
await rolledBack.execute("INSERT INTO f (t) VALUES ('tx')");
out.insideTransaction = String((await rolledBack.execute("SELECT count(*) FROM f WHERE t = 'tx'")).rows[0][0]);
await rolledBack.rollback();
out.afterRollback = await count("SELECT count(*) FROM f WHERE t = 'tx'");

const committed = await client.transaction("write");
await committed.execute({ sql: "INSERT INTO f (t) VALUES (?)", args: ["tx2"] });
await committed.commit();
out.afterCommit = await count("SELECT count(*) FROM f WHERE t = ?", ["tx2"]);

await client.executeMultiple("INSERT INTO f (t) VALUES ('m1'); INSERT INTO f (t) VALUES ('m2');");
out.afterExecuteMultiple = await count("SELECT count(*) FROM f WHERE t LIKE 'm%'");

try {
  await client.execute("INSERT INTO f (id) VALUES (1)");
  out.constraint = "no error";
} catch (e) {
  out.constraint = e.code ?? String(e);
}
client.close();
console.log(JSON.stringify(out));
