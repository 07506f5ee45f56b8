// Fuzzing the running gateway: a generated corpus of malformed SOAP and REST calls (mutations of valid ones:
// truncations, wrong types, huge values, odd encodings, duplicated and reordered elements, control
// characters, DTDs) over mutual TLS. Every one gets a refusal from the catalogue or an answer, none a 5xx of
// our own, none a glimpse of internals, and each leaves exactly one traccia.
// INVCIV_FUZZ_CASES sets the corpus size (CI: the default, 10 000); INVCIV_FUZZ_SEED replays another corpus.
import t from 'tap'
import { readFileSync } from 'node:fs'
import { Agent, request } from 'undici'
import { testDatabase } from '../helpers/database.ts'
import { startTestGateway } from '../helpers/gateway.ts'
import { ca, certFile, devTrust, pem } from '../helpers/certs.ts'
import { countTracce } from '../helpers/tracce.ts'
import { corpus, validFields, type FuzzCase } from '../helpers/fuzz.ts'
import { addEnte } from '../../src/registry/enti.ts'
import { createConvenzione } from '../../src/registry/convenzioni.ts'
import { addCertificate } from '../../src/registry/certificati.ts'
import { upsertVerbali } from '../../src/verification/verbali-import.ts'
import { demoVerbali } from '../../src/dev/demo-data.ts'
import { catalogue } from '../../src/errors.ts'
import { testActor } from '../helpers/actor.ts'

const CASES = Number(process.env.INVCIV_FUZZ_CASES ?? 10_000)
const SEED = Number(process.env.INVCIV_FUZZ_SEED ?? 20261122)
const CONCURRENCY = 16

const db = await testDatabase(t)
await addEnte(db.pool, testActor, { codiceIpa: 'c_fuzz', nome: 'Fuzz' })
const { id } = await createConvenzione(db.pool, testActor, {
  enteCodice: 'c_fuzz',
  validaDal: '2020-01-01',
  validaAl: '2099-12-31',
  ipConsentiti: ['127.0.0.0/8'],
  fasciaOraria: 'sempre',
  maxGiornaliere: 1_000_000,
  maxTentativi: 1_000_000,
  maxFallimentiConvenzione: 1_000_000,
})
await addCertificate(db.pool, testActor, id, readFileSync(certFile('ente-a.crt'), 'utf8'), devTrust)
await upsertVerbali(db.pool, demoVerbali)
const gw = await startTestGateway(t, { databaseUrl: db.url })
const agent = new Agent({ connections: CONCURRENCY, connect: { ca, key: pem('ente-a.key'), cert: pem('ente-a.crt') } })
t.teardown(() => agent.close())

interface Seen {
  index: number
  fuzz: FuzzCase
  status: number
  body: string
  error?: string
}

async function send(index: number, fuzz: FuzzCase): Promise<Seen> {
  const path = fuzz.channel === 'soap' ? '/ws/invciv' : '/rest/v1/verifiche'
  try {
    const res = await request(`${gw.url}${path}`, { method: 'POST', dispatcher: agent, headers: fuzz.headers, body: fuzz.body })
    return { index, fuzz, status: res.statusCode, body: await res.body.text() }
  } catch (err) {
    return { index, fuzz, status: 0, body: '', error: (err as Error).message }
  }
}

/** A 200 with an esito, or a catalogue refusal: a SOAP fault (always HTTP 500, as SOAP 1.1 has it) or problem+json with the code's status. */
function expected(s: Seen): boolean {
  if (s.status === 200) return /<v1:esito>|"esito":/.test(s.body)
  // a mustUnderstand header not understood: SOAP's own fault, without detail (SOAP 1.1 §4.4)
  if (s.fuzz.channel === 'soap' && s.status === 500 && s.body.includes('<faultcode>soap:MustUnderstand</faultcode>')) return true
  const code = s.fuzz.channel === 'soap' ? /<v1:codice>([A-Z_]+)</.exec(s.body)?.[1] : /"code":"([A-Z_]+)"/.exec(s.body)?.[1]
  if (!code || !(code in catalogue)) return false
  return s.fuzz.channel === 'soap'
    ? s.status === 500 && s.body.includes('<soap:Fault>')
    : s.status === catalogue[code as keyof typeof catalogue].httpStatus
}
// what a response must never show: stack frames, source files, driver or SQL wording
const INTERNALS =
  /node_modules|\.[jt]s:\d+|\n\s+at \S|SQLSTATE|syntax error|duplicate key|violates|relation "|pg_|postgres|TypeError|RangeError|undefined is not/i

t.test(`${CASES} malformed calls (seed ${SEED}): no crash, only the catalogue's refusals, nothing leaked, each traced`, async (t) => {
  const before = await countTracce(db.pool)
  const cases = corpus(SEED, CASES)
  let next = 0
  const seen: Seen[] = []
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      for (let item = cases.next(); !item.done; item = cases.next()) seen.push(await send(next++, item.value))
    }),
  )
  const describe = (s: Seen) => `#${s.index} ${s.fuzz.channel} (${s.fuzz.mutation}): ${s.error ?? `${s.status} ${s.body.slice(0, 160)}`}`
  const failedConnections = seen.filter((s) => s.error)
  t.same(failedConnections.slice(0, 5).map(describe), [], `every call got an answer (${failedConnections.length} did not)`)
  const unexpected = seen.filter((s) => !s.error && !expected(s))
  t.same(unexpected.slice(0, 5).map(describe), [], 'an answer, or a refusal of the catalogue with its status (SOAP faults travel as 500)')
  const internal = seen.filter((s) => s.body.includes('ERRORE_INTERNO'))
  t.same(internal.slice(0, 5).map(describe), [], "no ERRORE_INTERNO: malformed input is the caller's error, never ours")
  const leaks = seen.filter((s) => INTERNALS.test(s.body))
  t.same(leaks.slice(0, 5).map(describe), [], 'no response shows internals')
  t.equal((await countTracce(db.pool)) - before, CASES, 'one traccia per call')
  // what a partner wrote is in the trail, but never a character that hides or reorders text (or that PostgreSQL refuses)
  const hiding = await db.pool.query(String.raw`select count(*)::int as n from tracce
    where concat_ws(' ', operatore, riferimento_pratica, motivo) ~ '[--‎‏؜‪-‮⁦-⁩]'`)
  t.equal(hiding.rows[0].n, 0, 'no control or bidi character stored')
  const visible = await db.pool.query(`select count(*)::int as n from tracce where motivo like '%<U+%'`)
  t.ok(visible.rows[0].n > 0, 'they are there, made visible')
  const byStatus = new Map<number, number>()
  for (const s of seen) byStatus.set(s.status, (byStatus.get(s.status) ?? 0) + 1)
  t.comment(`statuses: ${[...byStatus].map(([k, v]) => `${k}: ${v}`).join(', ')}`)
  t.ok(seen.some((s) => s.status === 400) && seen.some((s) => s.status === 200), 'the corpus reaches both refusals and answers')

  const after = await send(-1, {
    channel: 'rest',
    mutation: 'none',
    headers: { 'content-type': 'application/json' },
    body: Buffer.from(JSON.stringify(validFields)),
  })
  t.equal(after.status, 200, 'the gateway still answers a valid call')
})
