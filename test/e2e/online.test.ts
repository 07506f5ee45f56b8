// The online application end to end: a gateway process in development mode (its demo data enable Laura Bianchi for
// ente A), its local OpenID provider, and a client that follows the provider's real sign-in form as a browser
// would, without scripts. Sign-in as SPID does it, a consultation through the pipeline with its one traccia, and
// what must not happen: a level too low, a person with no utenza, a replayed return, a form without its token or
// from another site, a utenza disabled mid-session.
import t from 'tap'
import { testDatabase } from '../helpers/database.ts'
import { startGatewayProcess } from '../helpers/gateway-process.ts'
import { browserless, fieldOf, type Step } from '../helpers/browserless.ts'
import { disableUtenza, enableUtenza } from '../../src/registry/utenze.ts'
import { testActor } from '../helpers/actor.ts'
import { TEST_IDENTITIES } from '../../src/dev/test-identities.ts'
import { romeDate } from '../../src/clock.ts'

const db = await testDatabase(t, { migrate: false })
const gw = await startGatewayProcess(t, db.url, { INVCIV_DEV: '1', INVCIV_ONLINE_PORT: '0' })
const online = gw.onlineUrl as string
const LAURA = TEST_IDENTITIES['laura.bianchi']
const L2 = 'https://www.spid.gov.it/SpidL2'
const FORM = {
  riferimentoPratica: 'PROT-2026/0042',
  codiceFiscale: 'RSSMRA80A01H501U',
  numeroVerbale: 'INV-2023-000123',
  dataVerbale: '2023-03-15',
  categoria: 'INVALIDITA_CIVILE',
}

/** Signs in through the provider's form; the steps, the last one the application's answer to the return. */
async function signIn(client: ReturnType<typeof browserless>, identita = 'laura.bianchi', livello = L2): Promise<Step[]> {
  const toForm = await client.follow(`${online}/accesso`)
  const form = toForm.at(-1) as Step
  const back = await client.follow(form.url, { form: { identita, livello } })
  return [...toForm, ...back]
}

/** Accepts the informativa when the application asks for it (once per person and version). */
async function accepted(client: ReturnType<typeof browserless>): Promise<void> {
  const home = await client.request(`${online}/`)
  if (!home.text.includes('Ho letto e accetto')) return
  await client.request(`${online}/informativa`, {
    form: { versione: fieldOf(home.text, 'versione') ?? '', _csrf: fieldOf(home.text, '_csrf') ?? '' },
  })
}

const tracceOf = async (riferimento: string) =>
  (
    await db.pool.query(
      `select canale, operatore, esito, codice_rifiuto as "codiceRifiuto", protocollo, convenzione_id::int as "convenzioneId" from tracce where riferimento_pratica = $1`,
      [riferimento],
    )
  ).rows

t.test('signed in as SPID does it: a new session, a consultation through the pipeline, a ricevuta, one traccia', async (t) => {
  const client = browserless()
  t.teardown(() => client.close())
  const home = await client.request(`${online}/`)
  t.match(home.text, /Entra con SPID o CIE/)
  const steps = await signIn(client)
  const start = steps[0] as Step
  const authorize = new URL(start.location as string)
  t.equal(authorize.searchParams.get('client_id'), 'invciv-online-dev')
  t.ok(authorize.searchParams.get('request'), 'the parameters travel in a signed request object')
  t.notOk(authorize.searchParams.get('code_challenge'), 'not beside it in the URL')
  t.match(
    start.headers.getSetCookie().join('\n'),
    /^__Host-invciv-accesso=[^;]+; Max-Age=600; Path=\/; HttpOnly; Secure; SameSite=Lax$/m,
    'the sign-in cookie: Lax, to come back with the provider',
  )
  const landed = steps.at(-1) as Step
  t.equal(landed.status, 200)
  const set = landed.headers.getSetCookie().join('\n')
  t.match(set, /__Host-invciv-sessione=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; Secure; SameSite=Strict/, 'the session cookie')
  t.match(set, /__Host-invciv-accesso=;/, 'the sign-in cookie cleared')
  t.match(landed.text, /<meta http-equiv="refresh" content="0;url=\/">/)
  const informativa = await client.request(`${online}/`)
  t.match(informativa.text, /Ho letto e accetto l’informativa/, 'the informativa before the first consultation')
  const early = await client.request(`${online}/verifica`, {
    form: { ...FORM, riferimentoPratica: 'PROT-EARLY', _csrf: fieldOf(informativa.text, '_csrf') ?? '' },
  })
  t.match(early.text, /Ho letto e accetto/, 'no consultation before it is accepted')
  t.same(await tracceOf('PROT-EARLY'), [])
  const stale = await client.request(`${online}/informativa`, {
    form: { versione: '000000000000', _csrf: fieldOf(informativa.text, '_csrf') ?? '' },
  })
  t.match(stale.text, /Ho letto e accetto/, 'a version other than the current one is not accepted unseen')
  await client.request(`${online}/informativa`, {
    form: { versione: fieldOf(informativa.text, 'versione') ?? '', _csrf: fieldOf(informativa.text, '_csrf') ?? '' },
  })
  t.match(
    (await db.pool.query(`select codice_fiscale as "codiceFiscale", versione from informativa_accettazioni`)).rows,
    [{ codiceFiscale: LAURA.codiceFiscale, versione: fieldOf(informativa.text, 'versione') }],
    'who accepted which version (and when)',
  )
  const form = await client.request(`${online}/`)
  t.match(form.text, /Verifica di un verbale/)
  t.match(form.text, /Laura Bianchi \(SpidL2\)/)
  t.match(form.headers.get('content-security-policy'), /frame-ancestors 'none'/)
  t.notMatch(form.headers.get('content-security-policy'), /unsafe-inline/)
  const answer = await client.request(`${online}/verifica`, { form: { ...FORM, _csrf: fieldOf(form.text, '_csrf') ?? '' } })
  t.equal(answer.status, 200)
  t.match(
    answer.text,
    /Ricevuta di verifica[\s\S]*VALIDO: il verbale è autentico e valido[\s\S]*PROT-2026\/0042[\s\S]*Laura Bianchi \(BNCLRA85M41H501Z\)/,
  )
  t.notMatch(answer.text, FORM.codiceFiscale, "the person's codice fiscale is not on the ricevuta")
  t.match(await tracceOf(FORM.riferimentoPratica), [
    {
      canale: 'web',
      operatore: LAURA.codiceFiscale,
      esito: 'VALIDO',
      codiceRifiuto: null,
      protocollo: { profilo: 'web', metodo: 'spid', livello: L2 },
    },
  ])
  t.equal((await tracceOf(FORM.riferimentoPratica)).length, 1, 'exactly one traccia')
  const history = await client.request(`${online}/storico`)
  t.match(history.text, /PROT-2026\/0042<\/td><td>VALIDO/)
  t.notMatch(history.text, FORM.codiceFiscale)
  t.notMatch(gw.output(), FORM.codiceFiscale, "no log line carries the person's codice fiscale")
})

t.test('NON_VALIDO says no more than that; a field error points at its field', async (t) => {
  const client = browserless()
  t.teardown(() => client.close())
  await signIn(client)
  await accepted(client)
  const form = await client.request(`${online}/`)
  const wrong = await client.request(`${online}/verifica`, {
    form: { ...FORM, riferimentoPratica: 'PROT-NV', numeroVerbale: 'INV-0000', _csrf: fieldOf(form.text, '_csrf') ?? '' },
  })
  t.match(wrong.text, /NON VALIDO: nessun verbale valido corrisponde ai dati indicati/)
  t.notMatch(wrong.text, /numero del verbale|data del verbale|non corrisponde il|codice fiscale errato/i, 'never which key failed')
  const again = await client.request(`${online}/`)
  const bad = await client.request(`${online}/verifica`, {
    form: { ...FORM, riferimentoPratica: 'PROT-BAD', dataVerbale: '2023-02-30', _csrf: fieldOf(again.text, '_csrf') ?? '' },
  })
  t.equal(bad.status, 400)
  t.match(bad.text, /<a href="#f-dataVerbale">Data del verbale: non è una data esistente<\/a>/)
  t.match(
    bad.text,
    /id="f-dataVerbale" name="dataVerbale" type="date" value="2023-02-30"[^>]*aria-invalid="true" aria-describedby="e-dataVerbale"/,
  )
  t.match(await tracceOf('PROT-BAD'), [{ canale: 'web', codiceRifiuto: 'RICHIESTA_NON_VALIDA' }], 'the refused consultation is traced too')
})

t.test('what must not sign in: a level below SpidL2, a person with no utenza, a return used twice', async (t) => {
  const low = browserless()
  t.teardown(() => low.close())
  const refused = (await signIn(low, 'laura.bianchi', 'https://www.spid.gov.it/SpidL1')).at(-1) as Step
  t.equal(refused.status, 502)
  t.match(refused.text, /serve un accesso di livello SpidL2 o superiore/)
  t.notMatch(refused.headers.getSetCookie().join('\n'), /__Host-invciv-sessione=[A-Za-z0-9_-]/, 'no session')
  const nobody = browserless()
  t.teardown(() => nobody.close())
  const neri = (await signIn(nobody, 'francesco.neri')).at(-1) as Step
  t.equal(neri.status, 403)
  t.match(neri.text, /Non risulti abilitato al servizio/)
  t.notMatch(neri.headers.getSetCookie().join('\n'), /__Host-invciv-sessione=[A-Za-z0-9_-]/, 'no session')
  const twice = browserless()
  t.teardown(() => twice.close())
  const steps = await signIn(twice)
  const ritorno = steps.find((s) => s.url.includes('/accesso/ritorno')) as Step
  const replay = browserless()
  t.teardown(() => replay.close())
  const replayed = await replay.request(ritorno.url)
  t.equal(replayed.status, 400, 'another browser presenting the same return: no sign-in of its own under way')
  t.match(replayed.text, /accesso è scaduto o è già stato usato/)
})

t.test('other web sites: a form without its token, or from another origin, changes nothing and is not traced', async (t) => {
  const client = browserless()
  t.teardown(() => client.close())
  await signIn(client)
  await accepted(client)
  const noToken = await client.request(`${online}/verifica`, { form: { ...FORM, riferimentoPratica: 'PROT-CSRF' } })
  t.equal(noToken.status, 403)
  const form = await client.request(`${online}/`)
  const foreign = await client.request(`${online}/verifica`, {
    form: { ...FORM, riferimentoPratica: 'PROT-CSRF', _csrf: fieldOf(form.text, '_csrf') ?? '' },
    headers: { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' },
  })
  t.equal(foreign.status, 403)
  t.same(await tracceOf('PROT-CSRF'), [], 'neither became a consultation')
})

t.test('a utenza disabled mid-session: its session ends at once, and so do its consultations', async (t) => {
  const client = browserless()
  t.teardown(() => client.close())
  const { rows } = await db.pool.query<{ id: number }>(`select id::int from convenzioni order by id limit 1`)
  const convenzioneId = (rows[0] as { id: number }).id
  await enableUtenza(db.pool, testActor, {
    convenzioneId,
    codiceFiscale: TEST_IDENTITIES['sara.galli'].codiceFiscale,
    nome: 'Sara Galli',
    validaDal: romeDate(new Date()),
    validaAl: '2099-12-31',
  })
  await signIn(client, 'sara.galli')
  await accepted(client)
  const form = await client.request(`${online}/`)
  t.match(form.text, /Verifica di un verbale/)
  await disableUtenza(db.pool, testActor, convenzioneId, TEST_IDENTITIES['sara.galli'].codiceFiscale)
  const after = await client.request(`${online}/verifica`, {
    form: { ...FORM, riferimentoPratica: 'PROT-OFF', _csrf: fieldOf(form.text, '_csrf') ?? '' },
  })
  t.not(after.status, 200)
  t.same(await tracceOf('PROT-OFF'), [], 'no consultation')
  t.match((await client.request(`${online}/`)).text, /Entra con SPID o CIE/, 'signed out')
})

t.test("the ente's amministratore utenze: TOTP enrolment, every session confirmed, a code used once; enabling and disabling", async (t) => {
  const { URI } = await import('otpauth')
  const verdi = browserless()
  t.teardown(() => verdi.close())
  await signIn(verdi, 'giuseppe.verdi')
  const home = await verdi.request(`${online}/`)
  t.equal(home.status, 303, 'an amministratore with no utenza of their own goes to administer')
  const enrol = await verdi.request(`${online}/amministrazione`)
  t.match(enrol.text, /<img src="data:image\/svg\+xml;base64,[A-Za-z0-9+/=]+" alt="Codice QR/, 'the QR code')
  const uri = (/<code class="uri">([^<]+)<\/code>/.exec(enrol.text)?.[1] ?? '').replace(/&amp;/g, '&')
  t.match(uri, /^otpauth:\/\/totp\/.+secret=[A-Z2-7]+/)
  const secret = new URL(uri).searchParams.get('secret') as string
  const stored = await db.pool.query<{ segreto: Buffer }>(
    `select totp_segreto as segreto from amministratori_utenze where codice_fiscale = $1`,
    [TEST_IDENTITIES['giuseppe.verdi'].codiceFiscale],
  )
  const { Secret } = await import('otpauth')
  const raw = Buffer.from(Secret.fromBase32(secret).bytes)
  t.equal(raw.length, 20)
  t.notOk(stored.rows[0]?.segreto.includes(raw), 'the secret is not in the database in clear')
  t.notMatch(gw.output(), secret, 'nor in the log')
  const totp = URI.parse(uri)
  const token = fieldOf(enrol.text, '_csrf') ?? ''
  t.equal((await verdi.request(`${online}/amministrazione/totp`, { form: { codice: '000000', _csrf: token } })).status, 400, 'a wrong code')
  const code = totp.generate()
  const confirmed = await verdi.request(`${online}/amministrazione/totp`, { form: { codice: code, _csrf: token } })
  t.equal(confirmed.status, 303)
  const admin = await verdi.request(`${online}/amministrazione`)
  t.match(admin.text, /Utenze di ente_a_dev/)
  t.match(admin.text, /Laura Bianchi<\/td><td>BNCLRA85M41H501Z/)
  const again = browserless()
  t.teardown(() => again.close())
  await signIn(again, 'giuseppe.verdi')
  const second = await again.request(`${online}/amministrazione`)
  t.match(second.text, /Conferma la sessione con il codice temporaneo/, 'each session asks for a code')
  const replayed = await again.request(`${online}/amministrazione/totp`, {
    form: { codice: code, _csrf: fieldOf(second.text, '_csrf') ?? '' },
  })
  t.equal(replayed.status, 400, 'a code already used is not accepted again')
  const { rows } = await db.pool.query<{ id: number }>(`select id::int from convenzioni order by id limit 1`)
  const convenzioneId = (rows[0] as { id: number }).id
  const neri = TEST_IDENTITIES['francesco.neri'].codiceFiscale
  const enabled = await verdi.request(`${online}/amministrazione/abilita`, {
    form: {
      convenzione: String(convenzioneId),
      codiceFiscale: neri,
      nome: 'Francesco Neri',
      validaAl: '',
      _csrf: fieldOf(admin.text, '_csrf') ?? '',
    },
  })
  t.equal(enabled.status, 303)
  t.match((await verdi.request(enabled.location as string)).text, /Francesco Neri: utenza abilitata/)
  t.match(
    (
      await db.pool.query(
        `select attore, ruolo from registro_modifiche where oggetto = 'utenza' and oggetto_id = $1 order by id desc limit 1`,
        [neri],
      )
    ).rows,
    [{ attore: `online:${TEST_IDENTITIES['giuseppe.verdi'].codiceFiscale}`, ruolo: 'amministratore' }],
    'the change log names the amministratore',
  )
  const other = await verdi.request(`${online}/amministrazione/abilita`, {
    form: { convenzione: '999999', codiceFiscale: neri, nome: 'Francesco Neri', _csrf: fieldOf(admin.text, '_csrf') ?? '' },
  })
  t.equal(other.status, 403, "another ente's convenzione")
  const operatore = browserless()
  t.teardown(() => operatore.close())
  await signIn(operatore, 'francesco.neri')
  await accepted(operatore)
  t.match((await operatore.request(`${online}/`)).text, /Verifica di un verbale/, 'the new utenza consults')
  const page = await verdi.request(`${online}/amministrazione`)
  await verdi.request(`${online}/amministrazione/disabilita`, {
    form: { convenzione: String(convenzioneId), codiceFiscale: neri, _csrf: fieldOf(page.text, '_csrf') ?? '' },
  })
  t.match((await operatore.request(`${online}/`)).text, /Entra con SPID o CIE/, 'and is signed out once disabled')
})

t.test('a person of two convenzioni chooses one; logging out ends the session and goes to the provider', async (t) => {
  const { addEnte } = await import('../../src/registry/enti.ts')
  const { createConvenzione } = await import('../../src/registry/convenzioni.ts')
  await addEnte(db.pool, testActor, { codiceIpa: 'ente_b_online', nome: 'Ente B' })
  const { id } = await createConvenzione(db.pool, testActor, {
    enteCodice: 'ente_b_online',
    validaDal: '2020-01-01',
    ipConsentiti: ['192.0.2.0/24'],
    ipOnline: ['127.0.0.0/8', '::1/128'],
    fasciaOraria: 'sempre',
    maxGiornaliere: 10,
    maxUtenze: 2,
  })
  await enableUtenza(db.pool, testActor, { convenzioneId: id, codiceFiscale: LAURA.codiceFiscale, nome: 'Laura Bianchi' })
  const client = browserless()
  t.teardown(() => client.close())
  await signIn(client)
  const choose = await client.request(`${online}/`)
  t.match(choose.text, /Sei abilitato per più convenzioni/)
  t.match(choose.text, new RegExp(`value="${id}"[^>]*><label for="c-${id}">Ente B \\(convenzione ${id}\\)`))
  const other = await client.request(`${online}/convenzione`, {
    form: { convenzione: '999999', _csrf: fieldOf(choose.text, '_csrf') ?? '' },
  })
  t.equal(other.status, 403, 'not a convenzione of hers')
  await client.request(`${online}/convenzione`, { form: { convenzione: String(id), _csrf: fieldOf(choose.text, '_csrf') ?? '' } })
  await accepted(client)
  t.match((await client.request(`${online}/`)).text, new RegExp(`Per Ente B, convenzione ${id}\\.`))
  const home = await client.request(`${online}/`)
  const out = await client.request(`${online}/esci`, { form: { _csrf: fieldOf(home.text, '_csrf') ?? '' } })
  t.equal(out.status, 200)
  const refresh = /<meta http-equiv="refresh" content="0;url=([^"]+)">/.exec(out.text)?.[1]?.replace(/&amp;/g, '&') ?? ''
  const end = new URL(refresh)
  t.match(end.pathname, /session\/end/, "on to the provider's end_session endpoint")
  t.ok(end.searchParams.get('id_token_hint'), 'naming the session it ends')
  t.equal(end.searchParams.get('post_logout_redirect_uri'), `${online}/`)
  t.match((await client.request(`${online}/`)).text, /Entra con SPID o CIE/, 'signed out here')
})
