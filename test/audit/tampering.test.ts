// An insider's attempts on the trail, each one the issue names: what the database refuses outright (to the
// gateway's own runtime role, and to the owner where no role should), and what a superuser with the triggers
// off can still do, which verify then finds and names (the witness log outside the database fixes the end).
import t, { type Test } from 'tap'
import { randomUUID } from 'node:crypto'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import type { Pool } from 'pg'
import { asSuperuserWithoutTriggers, loginOf, testDatabase, type TestDatabase } from '../helpers/database.ts'
import { insertTraccia } from '../../src/audit/trace-writer.ts'
import { ensurePartition, withPartition } from '../../src/audit/partitions.ts'
import { chainHead, sealUpTo, verifyTrail, watermark } from '../../src/audit/sealer.ts'
import { mayPurge, purgeExpired } from '../../src/audit/retention.ts'
import { deliveredFile, openWitness, type Witness } from '../../src/audit/witness.ts'
import type { WitnessLine } from '../../src/audit/witness-line.ts'
import { recordChange } from '../../src/audit/change-log.ts'
import { DEFAULT_ROLES, trailPowers } from '../../src/db/roles.ts'
import { testActor } from '../helpers/actor.ts'

async function addTracce(db: Pool, n: number, month = '2026-10-15T10:00:00Z') {
  for (let i = 0; i < n; i++) {
    const receivedAt = new Date(month)
    await withPartition(db, receivedAt, () =>
      insertTraccia(db, {
        transactionId: randomUUID(),
        receivedAt,
        channel: 'rest',
        convenzioneId: 1,
        enteCodice: 'c_h501',
        operatore: `op${i}`,
        riferimentoPratica: `PR-${i}`,
        esito: 'VALIDO',
        latencyMs: 1,
      }),
    )
  }
}

/** A trail of two months with a witness: October sealed twice, November once, every head witnessed. */
async function witnessedTrail(
  t: Test,
  options: { roles?: boolean } = {},
): Promise<{ db: TestDatabase; witness: Witness; dir: string; second: number[] }> {
  const db = await testDatabase(t, options)
  const dir = await mkdtemp(path.join(os.tmpdir(), 'invciv-witness-'))
  const witness = await openWitness({ keyFile: path.join(dir, 'seal-key.pem'), createKey: true, logFile: path.join(dir, 'witness.log') })
  const seal = async () => sealUpTo(db.pool, await watermark(db.pool), (head) => witness.record(head))
  await addTracce(db.pool, 5)
  await recordChange(db.pool, testActor, { oggetto: 'ente', oggettoId: 'c_h501', azione: 'aggiunto', dopo: { nome: 'Roma' } })
  await seal()
  await addTracce(db.pool, 5)
  await addTracce(db.pool, 3, '2026-11-15T10:00:00Z')
  const second = ((await seal()) ?? []).map((s) => s.id)
  return { db, witness, dir, second }
}

// these trails were sealed by a test, not by a running gateway: the newest head need not be recent
const verifyWith = async (db: TestDatabase, witness: Witness, retentionMonths?: number) =>
  verifyTrail(db.pool, {
    witness: await witness.check({ intervalMs: 60_000, live: false }),
    ...(retentionMonths === undefined ? {} : { retentionMonths }),
  })

t.test('TRUNCATE is refused on every partition, existing and future, and on every table of the trail', async (t) => {
  const { db } = await witnessedTrail(t)
  await ensurePartition(db.pool, new Date('2031-01-01T00:00:00Z'))
  for (const table of [
    'tracce',
    'tracce_202610',
    'tracce_202611',
    'tracce_203101',
    'sigilli, epurazioni',
    'epurazioni',
    'registro_modifiche',
    'accessi_audit',
  ]) {
    await t.rejects(db.pool.query(`truncate ${table}`), { message: /append-only: TRUNCATE refused/ }, table)
  }
  await t.rejects(
    db.pool.query(`update registro_modifiche set attore = 'x'`),
    { message: /append-only: UPDATE refused/ },
    'the change log is append-only',
  )
  await t.rejects(db.pool.query('delete from registro_modifiche'), { message: /append-only: DELETE refused/ })
})

t.test('the runtime role may insert and read the trail, and nothing more', async (t) => {
  const { db } = await witnessedTrail(t, { roles: true })
  const app = await loginOf(t, db, DEFAULT_ROLES.runtime)
  t.same(await trailPowers(app.pool, DEFAULT_ROLES), [], 'serve may run as it')
  // what serve does: a traccia into a month with no partition yet (made with the owner's rights), a change record
  await addTracce(app.pool, 1, '2031-02-01T00:00:00Z')
  await recordChange(app.pool, testActor, { oggetto: 'ente', oggettoId: 'c_x', azione: 'aggiunto' })
  t.equal((await app.pool.query('select count(*)::int as n from tracce')).rows[0].n, 14)
  const refused = [
    'update tracce set operatore = $$x$$',
    'delete from tracce',
    'truncate tracce_202610',
    'truncate tracce_203102',
    'update registro_modifiche set attore = $$x$$',
    'delete from sigilli',
    'delete from registro_modifiche',
    'delete from accessi_audit',
    'truncate sigilli',
    'alter table tracce disable trigger all',
    'alter table tracce_202610 disable trigger tracce_202610_no_truncate',
    'alter table sigilli disable trigger all',
    'drop trigger sigilli_append_only on sigilli',
    'alter table tracce detach partition tracce_202610',
    'drop table tracce_202610',
    `insert into epurazioni (partizione, dal, al, righe, ultimo_sigillo) values ('tracce_202610', '2026-10-01', '2026-11-01', 0, null)`,
    `set session_replication_role = replica`,
    'create table tracce_altro (id int)',
  ]
  for (const sql of refused) {
    await t.rejects(app.pool.query(sql), { message: /permission denied|must be owner/ }, sql)
  }
  t.notOk(await mayPurge(app.pool), "retention is not the runtime role's to run")
  const owner = await loginOf(t, db, DEFAULT_ROLES.owner)
  t.ok(await mayPurge(owner.pool))
  t.match(
    await trailPowers(owner.pool, DEFAULT_ROLES),
    [/the database role/, `is a member of ${DEFAULT_ROLES.owner}`],
    'production would refuse to serve as the owner',
  )
  t.match(await trailPowers(db.pool, DEFAULT_ROLES), [/the database role postgres/, 'is a superuser'], 'and as a superuser')
})

t.test("the auditors' read-only role reads the trail and records its own reading, nothing else", async (t) => {
  const { db } = await witnessedTrail(t, { roles: true })
  const auditor = await loginOf(t, db, DEFAULT_ROLES.auditor)
  t.equal((await auditor.pool.query('select count(*)::int as n from tracce')).rows[0].n, 13)
  await auditor.pool.query(`insert into accessi_audit (principale, azione, filtri, righe) values ('cli:auditor', 'verifica', '{}', null)`)
  for (const sql of [
    `insert into tracce (identificativo_transazione, ricevuta_il, canale, latenza_ms) values (gen_random_uuid(), now(), 'rest', 1)`,
    'update convenzioni set stato = $$attiva$$',
    `insert into registro_modifiche (attore, ruolo, oggetto, azione) values ('x', 'x', 'x', 'x')`,
  ]) {
    await t.rejects(auditor.pool.query(sql), { message: /permission denied/ }, sql)
  }
})

t.test('a purge record written by hand is refused, even by the owner; with the triggers off, verify names it', async (t) => {
  const { db, witness } = await witnessedTrail(t)
  await t.rejects(
    db.pool.query(
      `insert into epurazioni (partizione, dal, al, righe, ultimo_sigillo) values ('tracce_202610', '2026-10-01', '2026-11-01', 10, 2)`,
    ),
    { message: /purge record for tracce_202610, which still exists/ },
  )
  // the partition kept, with or without its rows
  await asSuperuserWithoutTriggers(
    db,
    `insert into epurazioni (partizione, dal, al, righe, ultimo_sigillo) values ('tracce_202610', '2026-10-01', '2026-11-01', 10, 2)`,
  )
  t.match(await verifyWith(db, witness), { intact: false, motivo: /epurazione \d+ della partizione tracce_202610, che esiste ancora/ })
  await asSuperuserWithoutTriggers(db, 'delete from tracce_202610')
  t.match(await verifyWith(db, witness), { intact: false, motivo: /che esiste ancora/ }, 'emptied, it is still there')
})

t.test('a partition dropped by hand with a forged purge record: inside the retention period, or not at its last seal', async (t) => {
  const inside = await witnessedTrail(t)
  const last = (await inside.db.pool.query(`select max(id)::int as id from sigilli where partizione = 'tracce_202610'`)).rows[0].id
  await asSuperuserWithoutTriggers(
    inside.db,
    'alter table tracce detach partition tracce_202610',
    'drop table tracce_202610',
    `insert into epurazioni (partizione, dal, al, righe, ultimo_sigillo) values ('tracce_202610', '2026-10-01', '2026-11-01', 10, ${last})`,
  )
  t.match(await verifyWith(inside.db, inside.witness, 1200), { intact: false, motivo: /dentro il periodo di conservazione \(1200 mesi\)/ })

  const early = await witnessedTrail(t)
  const first = (await early.db.pool.query(`select min(id)::int as id from sigilli where partizione = 'tracce_202610'`)).rows[0].id
  await asSuperuserWithoutTriggers(
    early.db,
    'alter table tracce detach partition tracce_202610',
    'drop table tracce_202610',
    `insert into epurazioni (partizione, dal, al, righe, ultimo_sigillo) values ('tracce_202610', '2026-10-01', '2026-11-01', 5, ${first})`,
  )
  t.match(await verifyWith(early.db, early.witness), {
    intact: false,
    motivo: new RegExp(`l'ultimo sigillo registrato \\(${first}\\) non è l'ultimo della partizione`),
  })
})

t.test('the retention job purges as the owner; its purge record is chained and the trail still verifies', async (t) => {
  const { db, witness } = await witnessedTrail(t, { roles: true })
  const owner = await loginOf(t, db, DEFAULT_ROLES.owner)
  const purged = await purgeExpired(owner.pool, new Date('2026-11-01T00:00:00Z'), (head) => witness.record(head))
  t.match(purged, [{ partizione: 'tracce_202610', righe: 10 }])
  await sealUpTo(db.pool, await watermark(db.pool), (head) => witness.record(head))
  t.match(await verifyWith(db, witness, 0), {
    intact: true,
    flussi: { epurazioni: { sigillate: 1, inAttesa: 0 }, tracce: { sigillate: 3 } },
  })
})

t.test('the newest seals removed with their rows: the witness log says the chain went further', async (t) => {
  const { db, witness, second } = await witnessedTrail(t)
  t.equal(second.length, 2, 'the second round sealed October and November')
  const { rows: seals } = await db.pool.query<{ id: number; partizione: string; da_id: string }>(
    'select id, partizione, da_id from sigilli where id = any($1) order by id',
    [second],
  )
  await asSuperuserWithoutTriggers(
    db,
    ...seals.flatMap((s) => [`delete from ${s.partizione} where id >= ${s.da_id}`, `delete from sigilli where id = ${s.id}`]),
  )
  t.match(
    await verifyTrail(db.pool),
    { intact: true, flussi: { tracce: { sigillate: 5, inAttesa: 0 } } },
    'without the witness, nothing inside the database shows it',
  )
  const firstRemoved = Math.min(...second)
  t.match(await verifyWith(db, witness), {
    intact: false,
    sigillo: firstRemoved,
    motivo: `testimone: il sigillo ${firstRemoved} è stato testimoniato ma la catena finisce al ${firstRemoved - 1}: sigilli rimossi in coda`,
  })
})

t.test('every seal removed: the witness log still holds the heads', async (t) => {
  const { db, witness } = await witnessedTrail(t)
  await asSuperuserWithoutTriggers(db, 'delete from sigilli')
  t.match(await verifyWith(db, witness), { intact: false, motivo: /testimoniato ma la catena finisce al nulla/ })
})

t.test('a witness line altered, or a forged one appended, does not verify', async (t) => {
  const { db, witness, dir } = await witnessedTrail(t)
  const logFile = path.join(dir, 'witness.log')
  const original = await readFile(logFile, 'utf8')
  const lines = original
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>)
  lines[0] = { ...lines[0], sigillatoIl: '2020-01-01T00:00:00.000Z' }
  await writeFile(logFile, `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`)
  t.match(await verifyWith(db, witness), { intact: false, motivo: 'testimone: la firma della riga 1 non è valida' })
  // a head of a chain the attacker rewrote, signed with a key of their own
  const forger = await openWitness({ keyFile: path.join(dir, 'other-key.pem'), createKey: true, logFile })
  await writeFile(logFile, original)
  await forger.record({ sigillo: 99, hash: 'ab'.repeat(32), sigillatoIl: new Date().toISOString() })
  t.match(await verifyWith(db, witness), { intact: false, motivo: /la firma della riga \d+ non è valida/ })
})

t.test('a change log entry edited breaks its seal; one added inside a sealed range too', async (t) => {
  const edited = await witnessedTrail(t)
  await asSuperuserWithoutTriggers(edited.db, `update registro_modifiche set dopo = '{"nome":"Falsa"}'`)
  t.match(await verifyWith(edited.db, edited.witness), { intact: false, motivo: 'righe alterate o scambiate' })
  const removed = await witnessedTrail(t)
  await asSuperuserWithoutTriggers(removed.db, 'delete from registro_modifiche')
  t.match(await verifyWith(removed.db, removed.witness), { intact: false, motivo: /righe cancellate: 0 invece di 1/ })
})

t.test('an unsealed row is sealed on the next run, so an edit after that is found', async (t) => {
  const { db, witness } = await witnessedTrail(t)
  await addTracce(db.pool, 1, '2026-11-16T10:00:00Z')
  t.match(await verifyWith(db, witness), { intact: true, flussi: { tracce: { inAttesa: 1 } } })
  await sealUpTo(db.pool, await watermark(db.pool), (head) => witness.record(head))
  await asSuperuserWithoutTriggers(
    db,
    `update tracce set operatore = 'falsario' where riferimento_pratica = 'PR-0' and ricevuta_il = '2026-11-16T10:00:00Z'`,
  )
  t.match(await verifyWith(db, witness), { intact: false, motivo: 'righe alterate o scambiate' })
})

const MINUTE = 60_000
const policy = (live: boolean) => ({ intervalMs: MINUTE, live })

/**
 * An hour of a gateway's life, as its maintenance runs leave it: tracce every ten minutes, sealed five minutes
 * later, and the chain's head signed into the witness log at every run (a minute apart), sealed or not.
 */
async function anHourOfService(t: Test): Promise<{ db: TestDatabase; witness: Witness; logFile: string; start: number; end: number }> {
  const db = await testDatabase(t)
  const dir = await mkdtemp(path.join(os.tmpdir(), 'invciv-witness-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const logFile = path.join(dir, 'witness.log')
  const witness = await openWitness({ keyFile: path.join(dir, 'seal-key.pem'), createKey: true, logFile })
  const start = Date.now() - 70 * MINUTE
  for (let minute = 0; minute <= 60; minute++) {
    const at = new Date(start + minute * MINUTE)
    if (minute % 10 === 0 && minute < 60) {
      await addTracce(db.pool, 3, at.toISOString())
      await recordChange(db.pool, testActor, { oggetto: 'convenzione', oggettoId: String(minute), azione: 'aggiornata', dopo: { minute } })
    }
    const sealed = minute % 10 === 5 ? await sealUpTo(db.pool, await watermark(db.pool), (head) => witness.record(head, at)) : []
    if (!sealed?.length) await witness.record(await chainHead(db.pool), at)
  }
  return { db, witness, logFile, start, end: start + 60 * MINUTE }
}

/** The seals after `keep`, and (with `rows`) the rows they cover in every stream, removed by a superuser. */
async function removeSealsAfter(db: TestDatabase, keep: number, rows: boolean) {
  const { rows: seals } = await db.pool.query<{ id: number; partizione: string; da_id: string }>(
    'select id, partizione, da_id from sigilli where id > $1 order by id',
    [keep],
  )
  await asSuperuserWithoutTriggers(
    db,
    ...seals.flatMap((s) => [
      ...(rows ? [`delete from ${s.partizione} where id >= ${s.da_id}`] : []),
      `delete from sigilli where id = ${s.id}`,
    ]),
  )
}

/** The witness log cut after the last line that names seal `keep` or an earlier one (what an attacker with write access does). */
async function cutLogAt(logFile: string, keep: number): Promise<string> {
  const original = await readFile(logFile, 'utf8')
  const lines = original.trim().split('\n')
  const firstAfter = lines.findIndex((l) => (JSON.parse(l) as { sigillo: number }).sigillo > keep)
  await writeFile(logFile, `${lines.slice(0, firstAfter).join('\n')}\n`)
  return original
}

t.test('the head is signed at every run: a running deployment verifies intact with its newest head a minute old', async (t) => {
  const { db, witness, end } = await anHourOfService(t)
  const result = await verifyTrail(db.pool, { witness: await witness.check(policy(true)), now: new Date(end + 30_000) })
  t.match(result, { intact: true, testimone: { firmataIl: new Date(end).toISOString(), ultima: { sigillo: Number } } })
  const signedAt = new Set(
    (await readFile(witness.logFile, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as WitnessLine).firmatoIl),
  )
  t.equal(signedAt.size, 61, 'every run of the hour left a signed head (a line per seal where it sealed)')
  t.match(
    await verifyTrail(db.pool, { witness: await witness.check(policy(true)), now: new Date(end + 3 * MINUTE) }),
    { intact: false, motivo: /nessuna testa firmata dal .*: il sigillatore si è fermato, o le teste più recenti sono state rimosse/ },
    'a heartbeat two intervals late is a finding',
  )
})

t.test(
  "the report's attack: the newest tracce, their change-log rows and the seals after the fifth removed, the log cut after the fifth",
  async (t) => {
    const { db, witness, logFile, end } = await anHourOfService(t)
    const cutAt = 5
    await removeSealsAfter(db, cutAt, true)
    await cutLogAt(logFile, cutAt)
    const now = new Date(end + 30_000)
    t.match(await verifyTrail(db.pool), { intact: true }, 'the database alone cannot show it')
    const live = await verifyTrail(db.pool, { witness: await witness.check(policy(true)), now })
    t.match(
      live,
      { intact: false, motivo: /^testimone: nessuna testa firmata dal / },
      'a running deployment: the heartbeat stopped at the cut',
    )
    const stopped = await verifyTrail(db.pool, { witness: await witness.check(policy(false)), now })
    t.match(
      stopped,
      { intact: true, testimone: { ultima: { sigillo: cutAt } } },
      'a stopped one: intact only up to its newest witnessed head, which it names',
    )
    t.ok(
      stopped.intact && Date.parse(stopped.testimone.firmataIl ?? '') < end - 10 * MINUTE,
      'witnessed up to well before the end: what came after rests on the database alone',
    )

    await t.rejects(
      witness.record(await chainHead(db.pool), new Date(end + MINUTE)),
      { message: /the chain's head went back from seal \d+ to 5/ },
      'the running process will not sign the cut chain, so its heartbeat stays stopped',
    )
    const restarted = await openWitness({ keyFile: path.join(path.dirname(logFile), 'seal-key.pem'), createKey: false, logFile })
    await restarted.record(await chainHead(db.pool), new Date(end + MINUTE))
    t.match(
      await verifyTrail(db.pool, { witness: await restarted.check(policy(true)), now: new Date(end + 90_000) }),
      { intact: true },
      'a process started after the cut signs what it finds: docs/audit.md names restarting the gateway among what the attack needs',
    )
  },
)

t.test('the log alone cut under a running process: it will not sign after the cut, so its heartbeat stops', async (t) => {
  const { db, witness, logFile, end } = await anHourOfService(t)
  await cutLogAt(logFile, 5)
  await t.rejects(
    witness.record(await chainHead(db.pool), new Date(end + MINUTE)),
    { message: /the witness log .* no longer ends with the head of seal \d+ this process witnessed/ },
    'the chain is whole, but the log no longer ends where this process left it',
  )
  t.match(
    await verifyTrail(db.pool, { witness: await witness.check(policy(true)), now: new Date(end + 3 * MINUTE) }),
    { intact: false, motivo: /^testimone: / },
    'what the log lost shows at the next verify',
  )
})

t.test('the seals and the log cut but the tracce kept: tracce well after the newest head are a finding, running or not', async (t) => {
  const { db, witness, logFile, end } = await anHourOfService(t)
  await removeSealsAfter(db, 5, false)
  await cutLogAt(logFile, 5)
  t.match(await verifyTrail(db.pool, { witness: await witness.check(policy(false)), now: new Date(end + 30_000) }), {
    intact: false,
    motivo: /^testimone: l'ultima testa firmata è del .*, ma ci sono tracce fino al .*: teste rimosse dal registro$/,
  })
})

t.test('every seal removed and the log emptied, or the log alone removed: a finding', async (t) => {
  const all = await anHourOfService(t)
  await asSuperuserWithoutTriggers(all.db, 'delete from sigilli')
  await writeFile(all.logFile, '')
  t.match(await verifyTrail(all.db.pool, { witness: await all.witness.check(policy(false)), now: new Date(all.end + 30_000) }), {
    intact: false,
    motivo: /^testimone: nessuna testa firmata, ma ci sono tracce dal /,
  })
  const logGone = await anHourOfService(t)
  await rm(logGone.logFile)
  t.match(
    await verifyTrail(logGone.db.pool, { witness: await logGone.witness.check(policy(false)), now: new Date(logGone.end + 30_000) }),
    { intact: false, motivo: /^testimone: il registro dei testimoni è vuoto o manca, ma la catena ha \d+ sigilli$/ },
  )
})

t.test("a cut log against the copy the witness webhook received, or against the webhook's delivery count", async (t) => {
  const { db, witness, logFile, end } = await anHourOfService(t)
  await removeSealsAfter(db, 5, true)
  const original = await cutLogAt(logFile, 5)
  const copy = original
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as WitnessLine)
  t.match(await verifyTrail(db.pool, { witness: await witness.check(policy(false), copy), now: new Date(end + 30_000) }), {
    intact: false,
    motivo: /^testimone: il sigillo 6 è stato testimoniato ma la catena finisce al 5: sigilli rimossi in coda$/,
  })
  await writeFile(deliveredFile(logFile), String(copy.length))
  t.match(await verifyTrail(db.pool, { witness: await witness.check(policy(false)), now: new Date(end + 30_000) }), {
    intact: false,
    motivo: `testimone: il registro ha ${(await readFile(logFile, 'utf8')).trim().split('\n').length} teste ma ${copy.length} sono state inviate al webhook: il registro è stato tagliato`,
  })
})
