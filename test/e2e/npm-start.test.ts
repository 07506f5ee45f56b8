// `npm start` on a fresh machine: embedded PostgreSQL, dev certificates, demo data, and a printed call that works.
import t from 'tap'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { projectRoot } from '../../src/project-root.ts'
import { discardEmbedded } from '../../src/db/embedded.ts'
import { npmStart, printedCall, sh } from '../helpers/npm-start.ts'

const dataDir = await mkdtemp(path.join(os.tmpdir(), 'invciv-start-'))
t.teardown(() => discardEmbedded(dataDir))
const start = () => npmStart(t, projectRoot, { INVCIV_DATA_DIR: dataDir })
const run = (command: string) => sh(command, projectRoot)

t.test('first start: creates the cluster, loads the demo and answers the printed call', async (t) => {
  const started = await start()
  const call = printedCall(started.output())
  t.match(call, `https://localhost:${started.port}/ws/invciv`)
  const answer = await run(call)
  t.match(answer, '<v1:esito>VALIDO</v1:esito>')
  t.match(answer, '<v1:dataRevisione>2027-03-15</v1:dataRevisione>')
  for (const [file, esito] of [
    ['verifica-valido-nel-periodo.xml', 'VALIDO_NEL_PERIODO'],
    ['verifica-non-valido.xml', 'NON_VALIDO'],
  ] as const) {
    t.match(await run(call.replace('verifica-valido.xml', file)), `<v1:esito>${esito}</v1:esito>`, file)
  }
  const code = await started.stop()
  if (code !== 0) t.comment(started.output().slice(-2000))
  t.equal(code, 0, 'SIGTERM stops it cleanly')
  // where the cluster is: inside the data folder, or as root in a folder of root's the postgres user can reach
  const { cluster } = JSON.parse(await readFile(path.join(dataDir, 'credentials.json'), 'utf8')) as { cluster: string }
  t.ok(existsSync(path.join(cluster, 'PG_VERSION')), `the cluster is at ${cluster}`)
  t.notOk(existsSync(path.join(cluster, 'postmaster.pid')), 'the embedded PostgreSQL stopped with it')
})

t.test('second start on the same folder: the data is kept, the demo not loaded twice', async (t) => {
  const started = await start()
  t.match(await run(printedCall(started.output())), '<v1:esito>VALIDO</v1:esito>')
  t.notMatch(started.output(), 'created with the dev demo data')
  t.equal(await started.stop(), 0)
  t.ok(JSON.parse(await readFile(path.join(dataDir, 'credentials.json'), 'utf8')).password, 'credentials kept in the data folder')
})
