// The baseline's client: PouchDB's own replicator pulling from pouchdb-server into an in-memory PouchDB.
//   node replicate.js <db-url> full <runs>          -> {"runs_ms":[...],"docs":N}
//   node replicate.js <db-url> incremental <rounds> -> {"rounds_ms":[...]}  (100 changed docs per round)
const PouchDB = require('pouchdb-core')
  .plugin(require('pouchdb-adapter-http'))
  .plugin(require('pouchdb-adapter-memory'))
  .plugin(require('pouchdb-replication'));

const [url, mode, count] = process.argv.slice(2);
const ms = (start) => Number(process.hrtime.bigint() - start) / 1e6;

async function full(runs) {
  const times = [];
  let docs = 0;
  for (let i = 0; i < runs; i++) {
    const local = new PouchDB(`full-${i}-${Date.now()}`, { adapter: 'memory' });
    const start = process.hrtime.bigint();
    const result = await PouchDB.replicate(url, local, { batch_size: 1000, batches_limit: 4 });
    times.push(ms(start));
    docs = result.docs_written;
    await local.destroy();
  }
  return { runs_ms: times, docs };
}

async function incremental(rounds) {
  const remote = new PouchDB(url);
  const local = new PouchDB(`inc-${Date.now()}`, { adapter: 'memory' });
  await PouchDB.replicate(remote, local, { batch_size: 1000 });
  const ids = (await remote.allDocs()).rows.map((r) => r.id);
  const times = [];
  for (let round = 0; round < rounds; round++) {
    const picked = ids.slice((round * 100) % (ids.length - 100), (round * 100) % (ids.length - 100) + 100);
    const docs = (await remote.allDocs({ keys: picked, include_docs: true })).rows.map((r) => ({ ...r.doc, edited: round }));
    await remote.bulkDocs(docs);
    const start = process.hrtime.bigint();
    await PouchDB.replicate(remote, local, { batch_size: 1000 });
    times.push(ms(start));
  }
  return { rounds_ms: times };
}

(mode === 'full' ? full(Number(count)) : incremental(Number(count)))
  .then((result) => console.log(JSON.stringify(result)))
  .catch((error) => { console.error(error); process.exit(1); });
