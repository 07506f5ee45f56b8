// SPCoop end to end: the real gateway, buste as a GovWay PdD sends them (raw and through the `soap` npm client),
// every eccezione, the answer's busta, duplicates, the trail, and the examples.
import t from 'tap'
import { readFileSync } from 'node:fs'
import { testDatabase } from '../helpers/database.ts'
import { startTestGateway } from '../helpers/gateway.ts'
import { soapClient } from '../helpers/soap-client.ts'
import { clientAgent, devTrust, certFile } from '../helpers/certs.ts'
import { restAgent } from '../helpers/rest-client.ts'
import { soapPost, envelopeOf } from '../helpers/raw-soap.ts'
import { admin } from '../helpers/admin-client.ts'
import { answerBusta, busta, identificatoreOf, newIdentificatore, withHeader, type BustaOptions } from '../helpers/busta.ts'
import { loadDemoData } from '../../src/dev/demo-data.ts'
import { updateConvenzione, createConvenzione } from '../../src/registry/convenzioni.ts'
import { addEnte } from '../../src/registry/enti.ts'
import { addCertificate } from '../../src/registry/certificati.ts'
import { romeDate, romeWallClock } from '../../src/clock.ts'
import { testActor } from '../helpers/actor.ts'
import { startGatewayProcess } from '../helpers/gateway-process.ts'

const db = await testDatabase(t)
const { convenzioneId } = await loadDemoData(db.pool)
await updateConvenzione(db.pool, testActor, convenzioneId, { profilo: 'spcoop', soggettoSpcoop: 'EnteA' })
// ente B keeps plain SOAP: a busta from it is a header its calls do not use
await addEnte(db.pool, testActor, { codiceIpa: 'ente_b', nome: 'Ente B' })
const b = await createConvenzione(db.pool, testActor, {
  enteCodice: 'ente_b',
  validaDal: romeDate(new Date()),
  ipConsentiti: ['0.0.0.0/0', '::/0'],
  fasciaOraria: 'sempre',
  maxGiornaliere: 1000,
})
await addCertificate(db.pool, testActor, b.id, readFileSync(certFile('ente-b.crt'), 'utf8'), devTrust)
const gw = await startTestGateway(t, { databaseUrl: db.url })
const agentA = clientAgent('ente-a')

const FIELDS = {
  identificativoOperatore: 'mario.bianchi@ente-a',
  riferimentoPratica: 'PROT-2026-0001',
  codiceFiscale: 'RSSMRA80A01H501U',
  numeroVerbale: 'INV-2023-000123',
  dataVerbale: '2023-03-15',
  categoria: 'INVALIDITA_CIVILE',
}
/** The request body of envelopeOf, to put under any header. */
const body = (fields: Record<string, string> = FIELDS) => {
  const xml = envelopeOf(fields)
  return xml.slice(xml.indexOf('<soap:Body>') + '<soap:Body>'.length, xml.indexOf('</soap:Body>'))
}
const send = (header: string, fields?: Record<string, string>, agent = agentA) => soapPost(gw.url, agent, withHeader(header, body(fields)))
const tracciaOfTx = async (tx: string) =>
  (await db.pool.query('select codice_rifiuto, esito, motivo, protocollo from tracce where identificativo_transazione = $1', [tx])).rows
const faultTx = (xml: string) =>
  /transazione ([0-9a-f-]{36})/.exec(xml)?.[1] ?? /identificativoTransazione>([0-9a-f-]{36})</.exec(xml)?.[1] ?? ''

t.test('a busta as GovWay sends it: answered in a busta from INPS to the ente, referring to it, and traced', async (t) => {
  const header = busta()
  const id = identificatoreOf(header)
  const r = await send(header)
  t.equal(r.status, 200)
  t.equal(r.esito, 'VALIDO')
  const a = answerBusta(r.body)
  if (!a) throw new Error('no busta in the answer')
  t.match(a, {
    mittente: 'INPS',
    tipoMittente: 'SPC',
    destinatario: 'EnteA',
    profilo: 'EGOV_IT_ServizioSincrono',
    servizio: 'VerificaGiudizio',
    tipoServizio: 'SPC',
    azione: 'VerificaGiudizio',
    riferimentoMessaggio: id,
    tempo: 'EGOV_IT_SPC',
    actor: 'http://www.cnipa.it/eGov_it/portadominio',
    mustUnderstand: '1',
    eccezioni: [],
  })
  t.match(
    a.identificatore,
    /^INPS_INPSSPCoopIT_[0-9]{7}_[0-9]{4}-[0-9]{2}-[0-9]{2}_[0-9]{2}:[0-9]{2}$/,
    "the gateway's own Identificatore, of its codes",
  )
  t.match(a.oraRegistrazione, /^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}$/, "Rome's wall clock, as SPCoop writes it")
  t.equal(
    a.identificatore.slice(-16),
    `${a.oraRegistrazione.slice(0, 10)}_${a.oraRegistrazione.slice(11, 16)}`,
    'its date and minute are its OraRegistrazione',
  )
  t.same(await tracciaOfTx(r.transactionId), [
    { codice_rifiuto: null, esito: 'VALIDO', motivo: null, protocollo: { profilo: 'spcoop', identificatore: id, mittente: 'SPC/EnteA' } },
  ])
})

t.test('the soap npm client with the busta added to its header gets the answer', async (t) => {
  const client = await soapClient(gw.url, 'ente-a')
  client.client.addSoapHeader(busta())
  const r = await client.verifica(FIELDS)
  t.equal(r.esito, 'VALIDO')
  t.match(client.client.lastResponse, /<eGov_IT:RiferimentoMessaggio>EnteA_EnteASPCoopIT_/)
})

t.test('each way a busta can be wrong is a BUSTA_NON_VALIDA fault whose answer busta lists the eccezioni, traced', async (t) => {
  const old = new Date(Date.now() - 3_600_000)
  const cases: Array<[string, BustaOptions | string, string[]]> = [
    [
      'Mittente of another ente',
      { mittente: 'EnteB' },
      ['EGOV_IT_101 Mittente/IdentificativoParte', 'EGOV_IT_110 Messaggio/Identificatore'],
    ],
    ['Mittente of another tipo', { tipoMittente: 'AOO' }, ['EGOV_IT_101 Mittente/IdentificativoParte/tipo']],
    ['Destinatario not INPS', { destinatario: 'INAIL' }, ['EGOV_IT_102 Destinatario/IdentificativoParte']],
    ['asynchronous collaboration', { profilo: 'EGOV_IT_ServizioAsincronoSimmetrico' }, ['EGOV_IT_103 ProfiloCollaborazione']],
    ['another servizio', { servizio: 'AltroServizio' }, ['EGOV_IT_105 Servizio']],
    ['the servizio of another tipo', { tipoServizio: 'TEST' }, ['EGOV_IT_105 Servizio/tipo']],
    ['another azione', { azione: 'Cancella' }, ['EGOV_IT_106 Azione']],
    ['no Identificatore', { identificatore: '' }, ['EGOV_IT_107 Messaggio/Identificatore']],
    ['an Identificatore of another PdD', { pdd: 'AltraPdD' }, ['EGOV_IT_110 Messaggio/Identificatore']],
    ['an Identificatore not of the form', { identificatore: 'EnteA-1' }, ['EGOV_IT_110 Messaggio/Identificatore']],
    ['an OraRegistrazione an hour old', { ora: old }, ['EGOV_IT_108 Messaggio/OraRegistrazione']],
    ['an OraRegistrazione an hour ahead', { ora: new Date(Date.now() + 3_600_000) }, ['EGOV_IT_108 Messaggio/OraRegistrazione']],
    ['no actor', { actor: null }, ['EGOV_IT_002 Intestazione/actor']],
  ]
  const scaduta = busta().replace(
    '</eGov_IT:OraRegistrazione>\n',
    `</eGov_IT:OraRegistrazione>\n<eGov_IT:Scadenza>${romeWallClock(old)}</eGov_IT:Scadenza>\n`,
  )
  cases.push(['expired (Scadenza past)', scaduta, ['EGOV_IT_301 Messaggio/Scadenza']])
  for (const [name, o, expected] of cases) {
    const header = typeof o === 'string' ? o : busta(o)
    const r = await send(header)
    t.equal(r.status, 500, `${name}: a SOAP fault`)
    t.match(
      r.body,
      /<faultcode>soap:Client<\/faultcode><faultstring xml:lang="it">EGOV_IT_001 - Formato Busta non corretto \(transazione [0-9a-f-]{36}\)/,
      `${name}: GovWay's fault string`,
    )
    t.notMatch(r.body, /<detail>/, `${name}: a header's errors are not a Body detail`)
    const a = answerBusta(r.body)
    t.same(
      a?.eccezioni.map((e) => `${e.codiceEccezione} ${e.posizione}`),
      expected,
      `${name}: the eccezioni`,
    )
    t.ok(
      a?.eccezioni.every((e) => e.rilevanza === 'GRAVE' && /^Errore(Intestazione|Processamento)MessaggioSPCoop$/.test(e.contestoCodifica)),
      `${name}: GRAVE, with its contesto`,
    )
    const [traccia] = await tracciaOfTx(faultTx(r.body))
    t.equal(traccia?.codice_rifiuto, 'BUSTA_NON_VALIDA', `${name}: traced`)
    t.match(traccia?.motivo, expected[0]?.split(' ')[0] ?? '', `${name}: the traccia says which eccezione`)
    // the answer refers to the request whenever its Identificatore has the standard's form, whatever else is wrong
    const id = identificatoreOf(header)
    const wellFormed = /^[A-Za-z0-9]+_[A-Za-z0-9]+_\d{7}_\d{4}-\d{2}-\d{2}_\d{2}:\d{2}$/.test(id)
    t.equal(
      a?.riferimentoMessaggio,
      wellFormed ? id : undefined,
      `${name}: ${wellFormed ? 'the answer refers to the request' : 'no reference to an Identificatore that is not one'}`,
    )
  }
})

t.test('a call without a busta, on an spcoop convenzione: EGOV_IT_001, answered in a busta from INPS to the ente', async (t) => {
  const r = await soapPost(gw.url, agentA, envelopeOf(FIELDS))
  t.equal(r.status, 500)
  const a = answerBusta(r.body)
  t.match(a, { mittente: 'INPS', destinatario: 'EnteA', riferimentoMessaggio: undefined })
  t.same(
    a?.eccezioni.map((e) => `${e.codiceEccezione} ${e.posizione}`),
    ['EGOV_IT_001 Intestazione'],
  )
  t.equal((await tracciaOfTx(faultTx(r.body)))[0]?.codice_rifiuto, 'BUSTA_NON_VALIDA')
})

t.test("application refusals keep their Errore detail, inside a busta answer; the body's errors are EGOV_IT_003", async (t) => {
  const header = busta()
  const r = await send(header, { ...FIELDS, categoria: 'ALTRO' })
  t.equal(r.codice, 'RICHIESTA_NON_VALIDA')
  t.match(r.body, /<v1:erroreCampo><v1:campo>categoria<\/v1:campo><v1:regola>valore-non-ammesso<\/v1:regola><\/v1:erroreCampo>/)
  const a = answerBusta(r.body)
  t.equal(a?.riferimentoMessaggio, identificatoreOf(header))
  t.same(
    a?.eccezioni.map((e) => `${e.codiceEccezione} ${e.posizione} ${e.rilevanza}`),
    ['EGOV_IT_003 Body GRAVE'],
  )

  const unknown = await send(busta(), { ...FIELDS, codiceFiscale: 'BNCGLI75M52F205F', numeroVerbale: 'NOPE-1' })
  t.equal(unknown.esito, 'NON_VALIDO', 'an answer, in its busta')
  t.same(answerBusta(unknown.body)?.eccezioni, [])
})

t.test('a busta slightly wrong where it changes nothing (ListaTrasmissioni) is answered, its eccezione LIEVE', async (t) => {
  const r = await send(
    busta({
      trasmissioni:
        '<eGov_IT:ListaTrasmissioni><eGov_IT:Trasmissione><eGov_IT:Origine/></eGov_IT:Trasmissione></eGov_IT:ListaTrasmissioni>',
    }),
  )
  t.equal(r.esito, 'VALIDO')
  t.same(
    answerBusta(r.body)?.eccezioni.map((e) => `${e.codiceEccezione} ${e.rilevanza}`),
    ['EGOV_IT_116 LIEVE', 'EGOV_IT_116 LIEVE', 'EGOV_IT_116 LIEVE'],
  )
})

t.test('the same Identificatore twice from the same Mittente: the second is BUSTA_DUPLICATA (EGOV_IT_110), traced', async (t) => {
  const header = busta()
  t.equal((await send(header)).esito, 'VALIDO')
  const again = await send(header)
  t.equal(again.status, 500)
  t.same(
    answerBusta(again.body)?.eccezioni.map((e) => `${e.codiceEccezione} ${e.posizione}`),
    ['EGOV_IT_110 Messaggio/Identificatore'],
  )
  t.equal((await tracciaOfTx(faultTx(again.body)))[0]?.codice_rifiuto, 'BUSTA_DUPLICATA')
  // a refused busta does not use its Identificatore up: fixed, the message can be sent again
  const wrong = busta({ azione: 'Sbagliata' })
  t.equal((await send(wrong)).status, 500)
  t.equal((await send(wrong.replace('>Sbagliata<', '>VerificaGiudizio<'))).esito, 'VALIDO')
})

t.test('duplicates are refused across processes, under concurrency: each Identificatore answered once', async (t) => {
  // another OS process on the same database, as a deployment with two gateways has it
  const other = await startGatewayProcess(t, db.url)
  const ids = Array.from({ length: 30 }, () => busta())
  const results = await Promise.all(
    ids.flatMap((header) => [gw.url, other.url, gw.url].map((url) => soapPost(url, agentA, withHeader(header, body())))),
  )
  const answered = results.filter((r) => r.esito === 'VALIDO')
  const duplicates = results.filter((r) => answerBusta(r.body)?.eccezioni[0]?.codiceEccezione === 'EGOV_IT_110')
  t.equal(answered.length, ids.length, 'one answer per Identificatore')
  t.equal(duplicates.length, 2 * ids.length, 'every other copy refused as a duplicate')
  t.same(new Set(answered.map((r) => answerBusta(r.body)?.riferimentoMessaggio)).size, ids.length)
  // and the gateway's own Identificatori are unique across the two processes
  const own = results.map((r) => answerBusta(r.body)?.identificatore)
  t.equal(new Set(own).size, results.length, 'no two answers share an Identificatore')
})

t.test('a busta on a convenzione with profile mtls is a header its calls do not use: MustUnderstand, no busta', async (t) => {
  const r = await send(busta({ mittente: 'EnteB' }), FIELDS, clientAgent('ente-b'))
  t.equal(r.status, 500)
  t.match(r.body, /<faultcode>soap:MustUnderstand<\/faultcode>/)
  t.equal(answerBusta(r.body), undefined)
  t.equal((await tracciaOfTx(faultTx(r.body)))[0]?.codice_rifiuto, 'RICHIESTA_NON_VALIDA')
  // and without a busta it answers as always
  t.equal((await soapPost(gw.url, clientAgent('ente-b'), envelopeOf(FIELDS))).esito, 'VALIDO')
})

t.test('an unknown certificate with a busta: refused, in a busta addressed to its Mittente', async (t) => {
  // the ops certificate: signed by the partners' CA, held by no convenzione
  const stranger = await send(busta({ mittente: 'Ignoto' }), FIELDS, clientAgent('ops'))
  t.equal(stranger.codice, 'CERTIFICATO_NON_AUTORIZZATO')
  t.match(answerBusta(stranger.body), { mittente: 'INPS', destinatario: 'Ignoto', eccezioni: [] })
})

t.test('auditors find a call by its busta Identificatore', async (t) => {
  const header = busta()
  const r = await send(header)
  const auditor = restAgent('auditor')
  t.teardown(() => auditor.close())
  const found = await admin(gw.adminUrl, auditor, 'POST', '/admin/v1/audit/ricerca', { identificatore: identificatoreOf(header) })
  t.equal(found.status, 200)
  t.same(
    found.body.tracce.map((x: { identificativoTransazione: string }) => x.identificativoTransazione),
    [r.transactionId],
  )
  t.same(found.body.tracce[0].protocollo, { profilo: 'spcoop', identificatore: identificatoreOf(header), mittente: 'SPC/EnteA' })
})

t.test('the profile is a setting: spcoop needs the soggetto, and the change log records the change', async (t) => {
  const ops = restAgent('ops')
  t.teardown(() => ops.close())
  const refused = await admin(gw.adminUrl, ops, 'PATCH', `/admin/v1/convenzioni/${b.id}`, { profilo: 'spcoop' })
  t.equal(refused.status, 409)
  t.match(refused.body.detail, /--profilo spcoop needs --soggetto-spcoop/)
  const bad = await admin(gw.adminUrl, ops, 'PATCH', `/admin/v1/convenzioni/${b.id}`, { soggettoSpcoop: 'Ente B' })
  t.equal(bad.status, 400)
  const ok = await admin(gw.adminUrl, ops, 'PATCH', `/admin/v1/convenzioni/${b.id}`, { profilo: 'spcoop', soggettoSpcoop: 'EnteB' })
  t.equal(ok.status, 200)
  t.match(ok.body, { profilo: 'spcoop', tipoSoggettoSpcoop: 'SPC', soggettoSpcoop: 'EnteB', pddSpcoop: null })
  t.same(
    (await admin(gw.adminUrl, ops, 'GET', '/admin/v1/spcoop')).body,
    {
      soggetto: { tipo: 'SPC', nome: 'INPS' },
      pdd: 'INPSSPCoopIT',
      servizio: { tipo: 'SPC', nome: 'VerificaGiudizio' },
      azione: 'VerificaGiudizio',
      tolleranzaSecondi: 300,
      duplicatiOre: 24,
    },
    "the gateway's own identity, as partners' PdDs must address it",
  )
  const log = await admin(gw.adminUrl, restAgent('auditor'), 'GET', `/admin/v1/convenzioni/${b.id}/modifiche`)
  t.match(log.body.at(-1), {
    azione: 'impostazioni',
    prima: { profilo: 'mtls', soggettoSpcoop: null },
    dopo: { profilo: 'spcoop', soggettoSpcoop: 'EnteB' },
  })
})

t.test('the examples, stamped as examples/spcoop/send.sh stamps them, give their three esiti', async (t) => {
  for (const [file, esito] of [
    ['verifica-valido.xml', 'VALIDO'],
    ['verifica-valido-nel-periodo.xml', 'VALIDO_NEL_PERIODO'],
    ['verifica-non-valido.xml', 'NON_VALIDO'],
  ]) {
    const now = romeWallClock(new Date())
    const id = newIdentificatore('EnteA')
    const xml = readFileSync(new URL(`../../examples/spcoop/${file}`, import.meta.url), 'utf8')
      .replace(/EnteA_EnteASPCoopIT_[0-9]{7}_[0-9-]{10}_[0-9:]{5}/, id)
      .replace(/tempo="EGOV_IT_SPC">[^<]*</, `tempo="EGOV_IT_SPC">${now}<`)
    const r = await soapPost(gw.url, agentA, xml)
    t.equal(r.esito, esito, file as string)
    t.equal(answerBusta(r.body)?.riferimentoMessaggio, id)
  }
})

t.test(
  'hostile bytes in the busta: refused (or, where XML says it is the same busta, answered), one traccia each, nothing hostile echoed',
  async (t) => {
    const before = (await db.pool.query<{ n: number }>('select count(*)::int as n from tracce')).rows[0]?.n ?? 0
    const hostile: Array<[string, string]> = [
      [
        'deep nesting in the header',
        busta({ extra: '<eGov_IT:Collaborazione>' + '<a>'.repeat(3000) + '</a>'.repeat(3000) + '</eGov_IT:Collaborazione>' }),
      ],
      ['an entity declared for the header', busta({ identificatore: '&x;' })],
      ['a NUL character reference in the Mittente', busta({ mittente: 'Ente&#0;A' })],
      ['bidi controls in the Identificatore', busta({ identificatore: 'EnteA_EnteASPCoopIT_0000001_2026-12-01_10:00\u202e' })],
      ['markup where a code goes', busta({ mittente: '<x/>' })],
      ['CDATA as the Identificatore', busta({ identificatore: `<![CDATA[${newIdentificatore('EnteA')}]]>` })],
      ['a huge Identificatore', busta({ identificatore: `EnteA_EnteASPCoopIT_${'1'.repeat(9000)}_2026-12-01_10:00` })],
      [
        'two IntestazioneMessaggio',
        busta().replace('</eGov_IT:IntestazioneMessaggio>', '</eGov_IT:IntestazioneMessaggio><eGov_IT:IntestazioneMessaggio/>'),
      ],
      [
        'attributes by the thousand',
        busta().replace(
          '<eGov_IT:IntestazioneMessaggio>',
          `<eGov_IT:IntestazioneMessaggio ${Array.from({ length: 1500 }, (_, i) => `a${i}="x"`).join(' ')}>`,
        ),
      ],
    ]
    for (const [name, header] of hostile) {
      const xml =
        name === 'an entity declared for the header'
          ? `<!DOCTYPE d [<!ENTITY x "EnteA_EnteASPCoopIT_0000001_2026-12-01_10:00">]>${withHeader(header, body())}`
          : withHeader(header, body())
      const r = await soapPost(gw.url, agentA, xml)
      // CDATA is text to XML; attributes the busta does not define change nothing it says
      const same = name === 'CDATA as the Identificatore' || name === 'attributes by the thousand'
      t.equal(r.status, same ? 200 : 500, `${name}: ${same ? 'answered' : 'refused'}`)
      t.notMatch(r.body, /at .*\.ts:\d+|Error:/, `${name}: no internals`)
      t.notMatch(r.body, /\u202e|&#0;|<x\/>/, `${name}: nothing hostile echoed`)
    }
    const after = (await db.pool.query<{ n: number }>('select count(*)::int as n from tracce')).rows[0]?.n ?? 0
    t.equal(after - before, hostile.length, 'one traccia per call')
  },
)
