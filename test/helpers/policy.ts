// A call, a convenzione and a policy context made in memory, for unit tests of the checks: no database, no server.
// What a check asks of the registry is answered from what the test gives.
import type { Checked, OperatoreState, PolicyContext, UtenzaState } from '../../src/policy/types.ts'
import { refusalOf, type Additions, type Verdict } from '../../src/policy/stage.ts'
import type { Convenzione } from '../../src/policy/convenzione.ts'
import type { ModiSettings } from '../../src/policy/modi-tokens.ts'
import { TestClock } from './raw-soap.ts'

export const FIELDS = {
  identificativoOperatore: 'mario.bianchi@ente-a',
  riferimentoPratica: 'PROT-1',
  codiceFiscale: 'RSSMRA80A01H501U',
  numeroVerbale: 'INV-2023-000123',
  dataVerbale: '2023-03-15',
  categoria: 'INVALIDITA_CIVILE',
}

export function convenzioneOf(over: Partial<Convenzione> = {}): Convenzione {
  return {
    id: 1,
    enteCodice: 'ente_a',
    stato: 'attiva',
    validaDal: '2026-01-01',
    validaAl: '2030-12-31',
    ipConsentiti: ['192.0.2.0/24'],
    fasciaOraria: 'sempre',
    maxGiornaliere: 100,
    mediaGiornaliera: null,
    maxTentativi: 5,
    finestraTentativiMinuti: 60,
    sbloccoOperatori: 'manuale',
    maxFallimentiConvenzione: 50,
    maxOperatori: null,
    profilo: 'mtls',
    tipoSoggettoSpcoop: 'SPC',
    soggettoSpcoop: null,
    pddSpcoop: null,
    autenticazioneRest: 'mtls',
    auditRest: 'no',
    integritaRest: 'no',
    purposeIds: [],
    pdndConsumerId: null,
    sicurezzaSoap: 'no',
    ipOnline: [],
    fasciaOrariaOnline: null,
    maxUtenze: 0,
    ...over,
  }
}

/**
 * A call as it is once every check passed (any stage takes it): the convenzione, FIELDS as the request, its
 * operatore. A test of a stage overrides what that stage reads.
 */
export function callOf(over: Partial<Checked> = {}): Checked {
  return {
    transactionId: '00000000-0000-4000-8000-000000000001',
    channel: 'rest',
    method: 'POST',
    uri: '/rest/v1/verifiche',
    receivedAt: new Date('2026-06-15T10:00:00Z'),
    startedAt: 0,
    peerIp: '192.0.2.10',
    clientIp: '192.0.2.10',
    fingerprint: 'ab'.repeat(32),
    payload: { kind: 'fields', fields: { ...FIELDS } },
    convenzione: convenzioneOf(),
    prefetchedOperatore: undefined,
    prefetchedVerbali: undefined,
    request: {
      identificativoOperatore: FIELDS.identificativoOperatore,
      riferimentoPratica: FIELDS.riferimentoPratica,
      codiceFiscale: FIELDS.codiceFiscale,
      numeroVerbale: FIELDS.numeroVerbale,
      dataVerbale: FIELDS.dataVerbale,
      categoria: 'INVALIDITA_CIVILE',
      giudizio: undefined,
    },
    operatore: FIELDS.identificativoOperatore,
    ...over,
  }
}

/** A stage's verdict in a word: the refusal's code, or `passa`. */
export const code = async (verdict: Verdict<Additions> | Promise<Verdict<Additions>>) => refusalOf(await verdict)?.code ?? 'passa'

export const MODI: ModiSettings = {
  audience: 'urn:it:inps:invciv:verifica:v1',
  clockSkewSeconds: 5,
  maxAgeSeconds: 300,
  pdnd: {
    issuer: 'interop.pagopa.it',
    audience: 'urn:it:inps:invciv:verifica:v1',
    producerId: undefined,
    eserviceId: undefined,
    descriptorId: undefined,
  },
}

/** A context whose registry is what the test says: operatori's states, certificates by fingerprint, identifiers seen. */
export function contextOf(
  o: {
    now?: string
    operatori?: Record<string, OperatoreState | null>
    certificati?: Record<string, string>
    untrusted?: string
    utenze?: Record<string, UtenzaState>
    collaudo?: boolean
  } = {},
): PolicyContext & { clock: TestClock } {
  const seen = new Set<string>()
  return {
    clock: new TestClock(new Date(o.now ?? '2026-06-15T10:00:00Z')),
    collaudo: o.collaudo ?? false,
    spcoop: {
      soggetto: { tipo: 'SPC', nome: 'INPS' },
      pdd: 'INPSSPCoopIT',
      servizio: { tipo: 'SPC', nome: 'VerificaGiudizio' },
      azione: 'VerificaGiudizio',
      tolleranzaSecondi: 300,
      duplicatiOre: 24,
    },
    modi: MODI,
    pdndKeys: () => Promise.reject(new Error('no PDND keys in this test')),
    operatoreStato: (_c, operatore) => Promise.resolve(o.operatori?.[operatore] ?? null),
    firstSeen: (ambito, chiave) => {
      const key = `${ambito}|${chiave}`
      const first = !seen.has(key)
      seen.add(key)
      return Promise.resolve(first)
    },
    certificatoRegistrato: (_c, fingerprint) => Promise.resolve(o.certificati?.[fingerprint]),
    certificatiConvenzione: () => Promise.resolve(Object.values(o.certificati ?? {})),
    untrustedSigner: () => o.untrusted,
    utenzaOnline: (_c, cf) => Promise.resolve(o.utenze?.[cf]),
  }
}
