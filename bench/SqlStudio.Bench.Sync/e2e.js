// The baseline of bench sync-e2e: PouchDB clients (memory or LevelDB adapter) against pouchdb-server.
//   node e2e.js initial   <db-url> <adapter> <runs>        -> {"runs_ms":[...],"docs":N}
//   node e2e.js propagate <server-url> <adapter> <rounds>  -> {"rounds_ms":[...]}
//   node e2e.js drain     <server-url> <adapter> <count>   -> {"ms":N}
//   node e2e.js live      <server-url> <adapter> <edits>   -> {"rounds_ms":[...]}  (continuous replication both ways)
const os = require('os');
const path = require('path');
const PouchDB = require('pouchdb-core')
  .plugin(require('pouchdb-adapter-http'))
  .plugin(require('pouchdb-adapter-memory'))
  .plugin(require('pouchdb-adapter-leveldb'))
  .plugin(require('pouchdb-replication'));

const [mode, url, adapter, n] = process.argv.slice(2);
const count = Number(n);
const ms = (start) => Number(process.hrtime.bigint() - start) / 1e6;
const local = (name) => new PouchDB(adapter === 'leveldb' ? path.join(os.tmpdir(), `pouch-${name}-${process.pid}-${Date.now()}`) : `${name}-${Date.now()}`, { adapter });

async function initial() {
  const runs = [];
  let docs = 0;
  for (let i = 0; i < count; i++) {
    const db = local(`initial${i}`);
    const start = process.hrtime.bigint();
    const result = await PouchDB.replicate(url, db, { batch_size: 1000, batches_limit: 4 });
    runs.push(ms(start));
    docs = result.docs_written;
    await db.destroy();
  }
  return { runs_ms: runs, docs };
}

async function propagate() {
  const remote = new PouchDB(`${url}prop${Date.now()}`);
  await remote.info();
  const a = local('a');
  const b = local('b');
  const rounds = [];
  for (let i = 0; i < count; i++) {
    const start = process.hrtime.bigint();
    await a.put({ _id: `doc${i}`, title: `change ${i}`, sql: 'select 1' });
    await PouchDB.replicate(a, remote);
    await PouchDB.replicate(remote, b);
    await b.get(`doc${i}`);
    rounds.push(ms(start));
  }
  return { rounds_ms: rounds };
}

// PouchDB as its users run it: each device keeps `live: true, retry: true` replication with the server, and an edit
// on A is timed until B's local database has it (B's changes feed, no polling by the test).
async function live() {
  const remote = new PouchDB(`${url}live${Date.now()}`);
  await remote.info();
  const a = local('live-a');
  const b = local('live-b');
  const aSync = PouchDB.replicate(a, remote, { live: true, retry: true });
  const bSync = PouchDB.replicate(remote, b, { live: true, retry: true });
  const waiting = new Map();
  const feed = b.changes({ since: 'now', live: true, include_docs: true }).on('change', (change) => {
    const done = waiting.get(`${change.id}:${change.doc && change.doc.title}`);
    if (done) { done(); }
  });
  const rounds = [];
  let rev;
  // The first 20 edits warm up and are not counted (as on our side).
  for (let i = -20; i < count; i++) {
    const title = `edit ${i}`;
    const arrived = new Promise((resolve) => waiting.set(`q:${title}`, resolve));
    const start = process.hrtime.bigint();
    const put = await a.put(rev ? { _id: 'q', _rev: rev, title, sql: 'select 1' } : { _id: 'q', title, sql: 'select 1' });
    rev = put.rev;
    await arrived;
    if (i >= 0) { rounds.push(ms(start)); }
  }
  feed.cancel();
  aSync.cancel();
  bSync.cancel();
  return { rounds_ms: rounds };
}

async function drain() {
  const db = local('offline');
  const docs = [];
  for (let i = 0; i < count; i++) {
    docs.push({ _id: `offline${i}`, title: `offline ${i}`, sql: `select ${i} from generate_series(1, 10)` });
  }
  for (let i = 0; i < docs.length; i += 1000) {
    await db.bulkDocs(docs.slice(i, i + 1000));
  }
  const remote = new PouchDB(`${url}drain${Date.now()}`);
  await remote.info();
  const start = process.hrtime.bigint();
  await PouchDB.replicate(db, remote, { batch_size: 500 });
  return { ms: ms(start) };
}

({ initial, propagate, drain, live })[mode]()
  .then((result) => console.log(JSON.stringify(result)))
  .catch((error) => { console.error(error); process.exit(1); });
