// The online application among the gateway's other parts: its sessions in PostgreSQL, seen by a second process
// and surviving a restart; its operatore (the person's codice fiscale) locked out after the convenzione's failed
// attempts, like a partner's; its consultations counted by the anomaly detectors; its daily quota the
// convenzione's, shared with the partner channels.
import t from 'tap'
import pino from 'pino'
import { testDatabase } from '../helpers/database.ts'
import { startGatewayProcess, type GatewayProcess } from '../helpers/gateway-process.ts'
import { browserless, fieldOf, type Step } from '../helpers/browserless.ts'
import { restAgent, restCall } from '../helpers/rest-client.ts'
import { TEST_IDENTITIES } from '../../src/dev/test-identities.ts'
import { enableUtenza } from '../../src/registry/utenze.ts'
import { testActor } from '../helpers/actor.ts'
import { scanOnce } from '../../src/anomalies/scheduler.ts'
import { thresholdsOf } from '../../src/anomalies/detectors.ts'

const LAURA = TEST_IDENTITIES['laura.bianchi']
const db = await testDatabase(t, { migrate: false })
const first = await startGatewayProcess(t, db.url, { INVCIV_DEV: '1', INVCIV_ONLINE_PORT: '0' })
const { rows } = await db.pool.query<{ id: number }>(`select id::int from convenzioni order by id limit 1`)
const convenzioneId = (rows[0] as { id: number }).id

async function signedIn(gw: GatewayProcess, identita: keyof typeof TEST_IDENTITIES = 'laura.bianchi') {
  const client = browserless()
  t.teardown(() => client.close())
  const online = gw.onlineUrl as string
  const toForm = await client.follow(`${online}/accesso`)
  await client.follow((toForm.at(-1) as Step).url, { form: { identita, livello: 'https://www.spid.gov.it/SpidL2' } })
  const home = await client.request(`${online}/`)
  if (home.text.includes('Ho letto e accetto')) {
    await client.request(`${online}/informativa`, {
      form: { versione: fieldOf(home.text, 'versione') ?? '', _csrf: fieldOf(home.text, '_csrf') ?? '' },
    })
  }
  return client
}

/** A consultation: its page. `numeroVerbale` wrong makes it NON_VALIDO. */
async function consult(client: ReturnType<typeof browserless>, online: string, riferimento: string, numeroVerbale = 'INV-2023-000123') {
  const form = await client.request(`${online}/`)
  return client.request(`${online}/verifica`, {
    form: {
      riferimentoPratica: riferimento,
      codiceFiscale: 'RSSMRA80A01H501U',
      numeroVerbale,
      dataVerbale: '2023-03-15',
      categoria: 'INVALIDITA_CIVILE',
      _csrf: fieldOf(form.text, '_csrf') ?? '',
    },
  })
}

t.test('a session opened on one process serves on another, and after the first restarts', async (t) => {
  const client = await signedIn(first)
  const cookie = client.cookies(first.onlineUrl as string).get('__Host-invciv-sessione') as string
  t.match(cookie, /^[A-Za-z0-9_-]{43}$/)
  const second = await startGatewayProcess(t, db.url, { INVCIV_DEV: '1', INVCIV_ONLINE_PORT: '0' })
  const elsewhere = browserless()
  t.teardown(() => elsewhere.close())
  // the same cookie, as a browser would send it to another process behind the same address
  const carrying = (gw: GatewayProcess) => {
    elsewhere.cookies(gw.onlineUrl as string).set('__Host-invciv-sessione', cookie)
    return gw.onlineUrl as string
  }
  t.match((await elsewhere.request(`${carrying(second)}/`)).text, /Verifica di un verbale/, 'another process sees it')
  await first.stop()
  const again = await startGatewayProcess(t, db.url, { INVCIV_DEV: '1', INVCIV_ONLINE_PORT: '0' })
  t.match((await elsewhere.request(`${carrying(again)}/`)).text, /Verifica di un verbale/, 'and it survives a restart')
  t.match((await consult(elsewhere, carrying(again), 'PROT-T-RESTART')).text, /Ricevuta di verifica/)
  await second.stop()
  await again.stop()
})

t.test('the operatore lockout, the anomaly detectors and the shared daily quota see online consultations', async (t) => {
  const gw = await startGatewayProcess(t, db.url, { INVCIV_DEV: '1', INVCIV_ONLINE_PORT: '0' })
  const online = gw.onlineUrl as string
  const client = await signedIn(gw)
  for (let i = 0; i < 5; i++)
    t.match((await consult(client, online, `PROT-T-NV-${i}`, `SBAGLIATO-${i}`)).text, /NON VALIDO: nessun verbale/)
  const blocked = await consult(client, online, 'PROT-T-BLOCKED')
  t.match(blocked.text, /role="alert"/)
  const { rows: refused } = await db.pool.query(
    `select canale, operatore, codice_rifiuto as codice from tracce where riferimento_pratica = 'PROT-T-BLOCKED'`,
  )
  t.match(
    refused,
    [{ canale: 'web', operatore: LAURA.codiceFiscale, codice: 'OPERATORE_BLOCCATO' }],
    'blocked after five failures, and traced',
  )

  const created = await scanOnce({
    pool: db.pool,
    logger: pino({ level: 'silent' }),
    clock: { now: () => new Date() },
    thresholds: thresholdsOf({ fallimentiMinimoOperatore: 5 }),
    autoSuspend: false,
    webhookUrl: undefined,
  })
  t.ok(created?.length, 'the scan found something')
  const { rows: found } = await db.pool.query(`select tipo, operatore from anomalie where tipo = 'rapporto-fallimenti'`)
  t.match(
    found,
    [{ tipo: 'rapporto-fallimenti', operatore: new RegExp(`^${LAURA.codiceFiscale}$`, 'i') }],
    'the web operatore’s failures are an anomaly',
  )

  // the quota: what is left of today's, used up by a partner, refuses the online consultation too
  const { rows: used } = await db.pool.query<{ n: number }>(
    `select coalesce(sum(usate), 0)::int as n from quota_giornaliera where convenzione_id = $1 and giorno = (now() at time zone 'Europe/Rome')::date`,
    [convenzioneId],
  )
  await db.pool.query(`update convenzioni set max_giornaliere = $2 where id = $1`, [convenzioneId, (used[0]?.n ?? 0) + 1])
  const agent = restAgent('ente-a')
  t.teardown(() => agent.close())
  const partner = await restCall(gw.url, agent, {
    identificativoOperatore: 'op.partner',
    riferimentoPratica: 'PROT-T-PARTNER',
    codiceFiscale: 'RSSMRA80A01H501U',
    numeroVerbale: 'INV-2023-000123',
    dataVerbale: '2023-03-15',
    categoria: 'INVALIDITA_CIVILE',
  })
  t.equal(partner.status, 200, 'the partner takes the last call of the day')
  await enableUtenza(db.pool, testActor, { convenzioneId, codiceFiscale: TEST_IDENTITIES['sara.galli'].codiceFiscale, nome: 'Sara Galli' })
  const other = await signedIn(gw, 'sara.galli')
  const late = await consult(other, online, 'PROT-T-QUOTA')
  t.match(late.text, /role="alert"/)
  const { rows: quota } = await db.pool.query(`select codice_rifiuto as codice from tracce where riferimento_pratica = 'PROT-T-QUOTA'`)
  t.match(quota, [{ codice: 'QUOTA_GIORNALIERA_ESAURITA' }], 'the online consultation meets the same quota')
})
