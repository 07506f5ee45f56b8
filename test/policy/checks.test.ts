// The pass-or-refuse checks one by one, on calls made in memory: what each refuses, with which code and what the
// partner is told, and what it lets through. Pure: no database, no server (the end-to-end tests show the same
// checks in their order, over the wire).
import t from 'tap'
import { certificateAuthorized } from '../../src/policy/certificate-authorized.ts'
import { convenzioneActive } from '../../src/policy/convenzione-active.ts'
import { ipAllowlist } from '../../src/policy/ip-allowlist.ts'
import { requestValid, parseRequest } from '../../src/policy/request-valid.ts'
import { operatoreKey, operatoreKeyOf, operatorePresent } from '../../src/policy/operatore-present.ts'
import { operatoreNotBlocked } from '../../src/policy/operatore-not-blocked.ts'
import { checks } from '../../src/policy/checks.ts'
import { utenzaOnline } from '../../src/policy/utenza-online.ts'
import { fasciaOraria } from '../../src/policy/fascia-oraria.ts'
import type { Validated } from '../../src/policy/types.ts'
import { callOf, code, contextOf, convenzioneOf, FIELDS } from '../helpers/policy.ts'

t.test('the checks, in the order DESIGN.md gives', async (t) => {
  t.same(checks.names, [
    'certificate-authorized',
    'convenzione-active',
    'utenza-online',
    'spcoop-profile',
    'modi-profile',
    'modi-soap-profile',
    'ip-allowlist',
    'fascia-oraria',
    'request-valid',
    'operatore-present',
    'operatore-not-blocked',
    // 7b, in collaudo only
    'collaudo-provocation',
  ])
})

t.test('1 certificate: no certificate, or one of no convenzione, is CERTIFICATO_NON_AUTORIZZATO', async (t) => {
  const context = contextOf()
  t.equal(await code(certificateAuthorized.check(callOf({ fingerprint: undefined }), context)), 'CERTIFICATO_NON_AUTORIZZATO')
  t.equal(await code(certificateAuthorized.check(callOf({ convenzione: undefined }), context)), 'CERTIFICATO_NON_AUTORIZZATO')
  const convenzione = convenzioneOf({ id: 7 })
  t.same(
    await certificateAuthorized.check(callOf({ convenzione }), context),
    { convenzione },
    'passes, and says the convenzione is known from here on',
  )
})

t.test('2 convenzione in force: its state and its dates, by the Rome day', async (t) => {
  const check = (over: Parameters<typeof convenzioneOf>[0], now = '2026-06-15T10:00:00Z') =>
    code(convenzioneActive.check(callOf({ convenzione: convenzioneOf(over) }), contextOf({ now })))
  t.equal(await check({}), 'passa')
  t.equal(await check({ stato: 'sospesa' }), 'CONVENZIONE_NON_ATTIVA')
  t.equal(await check({ stato: 'revocata' }), 'CONVENZIONE_NON_ATTIVA')
  t.equal(await check({ validaDal: '2026-06-16' }), 'CONVENZIONE_NON_ATTIVA', 'not yet valid')
  t.equal(await check({ validaAl: '2026-06-14' }), 'CONVENZIONE_NON_ATTIVA', 'expired')
  // 23:30 UTC on the 15th is already the 16th in Rome (summer time)
  t.equal(
    await check({ validaAl: '2026-06-15' }, '2026-06-15T23:30:00Z'),
    'CONVENZIONE_NON_ATTIVA',
    'the last day ends at midnight in Rome, not in UTC',
  )
  t.equal(await check({ validaDal: '2026-06-16' }, '2026-06-15T22:30:00Z'), 'passa', 'and the first begins at midnight in Rome')
})

t.test('3 IP allowlist: the address the gateway saw, v4 and v6, and an unbelievable one refused', async (t) => {
  const context = contextOf()
  const at = (clientIp: string | undefined, ipConsentiti = ['192.0.2.0/24', '2001:db8::/32']) =>
    ipAllowlist.check(callOf({ clientIp, convenzione: convenzioneOf({ ipConsentiti }) }), context)
  t.equal(await code(at('192.0.2.200')), 'passa')
  t.equal(await code(at('2001:db8::1')), 'passa')
  const outside = await at('198.51.100.7')
  t.match(outside, { code: 'IP_NON_AUTORIZZATO', indirizzo: '198.51.100.7' }, 'the partner is told the address seen')
  t.equal(await code(at('2001:db9::1')), 'IP_NON_AUTORIZZATO')
  t.equal(await code(at(undefined)), 'IP_NON_AUTORIZZATO', 'a forwarded address that is not one')
})

t.test('5 request: every field and the rule it broke, at once; a valid one normalised', async (t) => {
  t.match(
    await requestValid.check(callOf(), contextOf()),
    {
      request: {
        codiceFiscale: 'RSSMRA80A01H501U',
        numeroVerbale: 'INV-2023-000123',
        dataVerbale: '2023-03-15',
        categoria: 'INVALIDITA_CIVILE',
      },
    },
    'passes, adding the request',
  )
  const bad = await requestValid.check(
    callOf({ payload: { kind: 'fields', fields: { ...FIELDS, codiceFiscale: 'RSSMRA80A01H501X', dataVerbale: '2023-02-30', extra: 1 } } }),
    contextOf(),
  )
  t.match(bad, { code: 'RICHIESTA_NON_VALIDA', errori: [{ campo: 'extra', regola: 'non-previsto' }] }, 'schema errors first')
  t.match(parseRequest({ ...FIELDS, codiceFiscale: 'RSSMRA80A01H501X', dataVerbale: '2023-02-30' }), {
    ok: false,
    errori: [
      { campo: 'codiceFiscale', regola: 'carattere-di-controllo' },
      { campo: 'dataVerbale', regola: 'data-inesistente' },
    ],
  })
  t.match(parseRequest({ ...FIELDS, riferimentoPratica: 'a\u0007b' }), {
    ok: false,
    errori: [{ campo: 'riferimentoPratica', regola: 'caratteri-non-ammessi' }],
  })
  t.match(
    parseRequest({ ...FIELDS, numeroVerbale: ' inv-2023-000123 ', dataVerbale: '2023-03-15Z' }),
    { ok: true, request: { numeroVerbale: 'INV-2023-000123', dataVerbale: '2023-03-15' } },
    'trimmed, keys compared case-insensitively, a time zone dropped',
  )
  t.match(
    await requestValid.check(
      callOf({ payload: { kind: 'malformed', reason: 'xml', errori: [{ campo: 'corpo', regola: 'xml' }] } }),
      contextOf(),
    ),
    { code: 'RICHIESTA_NON_VALIDA', errori: [{ campo: 'corpo' }] },
  )
})

t.test('6 operatore: named in the body or by a verified token, one canonical identity, the two never different', async (t) => {
  t.equal(operatoreKey('  Mario.Bianchi@Ente-A '), 'mario.bianchi@ente-a')
  t.equal(operatoreKeyOf('Op\u0000x'), undefined, 'only what check 5 would accept goes into a query')
  // what check 5 made of the fields, and the operatore a verified token declared
  const parsed = (fields: Record<string, unknown>, operatoreDichiarato?: string) => {
    const { request } = requestValid.check(callOf({ payload: { kind: 'fields', fields } }), contextOf()) as Validated
    return { request, ...(operatoreDichiarato ? { operatoreDichiarato } : {}) }
  }
  t.match(
    await operatorePresent.check(parsed({ ...FIELDS, identificativoOperatore: 'Mario.Bianchi@Ente-A' }), contextOf()),
    { operatore: 'mario.bianchi@ente-a', request: { identificativoOperatore: 'Mario.Bianchi@Ente-A' } },
    'counted by its canonical identity, traced as sent',
  )
  const { identificativoOperatore: _none, ...anonymous } = FIELDS
  t.equal(await code(operatorePresent.check(parsed(anonymous), contextOf())), 'OPERATORE_NON_INDICATO')
  t.match(
    await operatorePresent.check(parsed(anonymous, 'Rossi@ente-a'), contextOf()),
    { operatore: 'rossi@ente-a', request: { identificativoOperatore: 'Rossi@ente-a' } },
    'an AUDIT_REST userID names it, and the request names it from then on',
  )
  t.match(
    await operatorePresent.check(parsed(FIELDS, 'altro@ente-a'), contextOf()),
    { code: 'TOKEN_NON_VALIDO', token: { nome: 'Agid-JWT-TrackingEvidence', claim: 'userID' } },
    'a body naming another is not believed',
  )
  t.match(
    await operatorePresent.check(parsed(FIELDS, ' Mario.BIANCHI@ente-a '), contextOf()),
    { operatore: 'mario.bianchi@ente-a' },
    'the same operatore, written otherwise, is the same',
  )
})

t.test('7 operatore not blocked: suspended, blocked, and back at the end of the window only where the convenzione says so', async (t) => {
  const blockedAt = new Date('2026-06-15T09:30:00Z')
  const check = (stato: string | undefined, sblocco: 'manuale' | 'fine-finestra' = 'manuale', receivedAt = '2026-06-15T10:00:00Z') =>
    code(
      operatoreNotBlocked.check(
        callOf({
          operatore: 'op',
          receivedAt: new Date(receivedAt),
          convenzione: convenzioneOf({ sbloccoOperatori: sblocco, finestraTentativiMinuti: 60 }),
        }),
        contextOf({ operatori: stato ? { op: { stato, bloccatoIl: blockedAt } } : {} }),
      ),
    )
  t.equal(await check(undefined), 'passa', 'an operatore never seen')
  t.equal(await check('attivo'), 'passa')
  t.equal(await check('sospeso'), 'OPERATORE_BLOCCATO')
  t.equal(
    await check('sospeso', 'fine-finestra', '2026-06-15T12:00:00Z'),
    'OPERATORE_BLOCCATO',
    'a suspension does not end with the window',
  )
  t.equal(await check('bloccato'), 'OPERATORE_BLOCCATO')
  t.equal(await check('bloccato', 'manuale', '2026-06-15T12:00:00Z'), 'OPERATORE_BLOCCATO', 'manuale: until ops unblock it')
  t.equal(
    await check('bloccato', 'fine-finestra', '2026-06-15T10:29:59Z'),
    'OPERATORE_BLOCCATO',
    'fine-finestra: not before the window has passed',
  )
  t.equal(await check('bloccato', 'fine-finestra', '2026-06-15T10:30:00Z'), 'passa', 'fine-finestra: back once it has')
  // the state read with the convenzione is used when it is the same operatore's
  const prefetched = callOf({
    operatore: 'op',
    prefetchedOperatore: { identificativo: 'op', stato: { stato: 'bloccato', bloccatoIl: blockedAt } },
  })
  t.equal(await code(operatoreNotBlocked.check(prefetched, contextOf())), 'OPERATORE_BLOCCATO')
})

t.test('2e online: an enabled utenza of the convenzione, valid today in Rome; the partner channels have none', async (t) => {
  const online = { convenzioneId: 1, codiceFiscale: 'BNCMRA80A01H501X', metodo: 'spid' as const, livello: 'https://www.spid.gov.it/SpidL2' }
  const web = (now = '2026-06-15T10:00:00Z') => callOf({ channel: 'web', online, receivedAt: new Date(now) })
  const valid = { abilitata: true, validaDal: '2026-01-01', validaAl: '2026-06-15' }
  t.equal(await code(utenzaOnline.check(web(), contextOf({ utenze: { [online.codiceFiscale]: valid } }))), 'passa')
  t.equal(await code(utenzaOnline.check(web(), contextOf())), 'OPERATORE_BLOCCATO', 'no utenza')
  t.equal(
    await code(utenzaOnline.check(web(), contextOf({ utenze: { [online.codiceFiscale]: { ...valid, abilitata: false } } }))),
    'OPERATORE_BLOCCATO',
    'disabled',
  )
  t.equal(
    await code(utenzaOnline.check(web('2026-06-15T22:30:00Z'), contextOf({ utenze: { [online.codiceFiscale]: valid } }))),
    'OPERATORE_BLOCCATO',
    'its last day ends at midnight in Rome',
  )
  t.equal(
    await code(utenzaOnline.check(callOf({ channel: 'web', receivedAt: new Date('2026-06-15T10:00:00Z') }), contextOf())),
    'CERTIFICATO_NON_AUTORIZZATO',
    'a web call without its session',
  )
  t.equal(await code(utenzaOnline.check(callOf(), contextOf())), 'passa', 'a partner call: nothing to check here')
})

t.test("3 and 4 online: the ente's own addresses and hours, not its PdD's", async (t) => {
  const convenzione = convenzioneOf({
    ipConsentiti: ['192.0.2.0/24'],
    ipOnline: ['198.51.100.0/24'],
    fasciaOraria: 'sempre',
    fasciaOrariaOnline: 'lun-ven 08:00-14:00',
  })
  const at = (channel: 'web' | 'rest', clientIp: string, now = '2026-06-15T10:00:00Z') =>
    callOf({ channel, clientIp, convenzione, receivedAt: new Date(now) })
  t.equal(await code(ipAllowlist.check(at('web', '198.51.100.9'), contextOf())), 'passa')
  t.equal(
    await code(ipAllowlist.check(at('web', '192.0.2.10'), contextOf())),
    'IP_NON_AUTORIZZATO',
    "the PdD's address is not the ente's office",
  )
  t.equal(await code(ipAllowlist.check(at('rest', '198.51.100.9'), contextOf())), 'IP_NON_AUTORIZZATO', 'and the other way round')
  t.equal(
    await code(ipAllowlist.check(callOf({ channel: 'web', clientIp: '198.51.100.9', convenzione: convenzioneOf() }), contextOf())),
    'IP_NON_AUTORIZZATO',
    'none declared: no online access',
  )
  // Monday 15 June 2026, 17:00 in Rome
  t.equal(
    await code(fasciaOraria.check(at('web', '198.51.100.9', '2026-06-15T15:00:00Z'), contextOf())),
    'FUORI_FASCIA_ORARIA',
    'its own hours',
  )
  t.equal(
    await code(fasciaOraria.check(at('rest', '192.0.2.10', '2026-06-15T15:00:00Z'), contextOf())),
    'passa',
    "the partner's hours unchanged",
  )
  t.equal(
    await code(
      fasciaOraria.check(
        callOf({
          channel: 'web',
          convenzione: convenzioneOf({ fasciaOraria: 'sab 08:00-09:00' }),
          receivedAt: new Date('2026-06-15T15:00:00Z'),
        }),
        contextOf(),
      ),
    ),
    'FUORI_FASCIA_ORARIA',
    "none of its own: the convenzione's",
  )
})
