// The dev demo: one ente bound to certs-dev/ente-a, the ops and auditor admin principals, and verbali
// that give each of the three esiti.
import { readFileSync } from 'node:fs'
import path from 'node:path'
import type pg from 'pg'
import type { Logger } from 'pino'
import type { Database } from '../db/database.ts'
import { projectRoot } from '../project-root.ts'
import { romeDate } from '../clock.ts'
import { addCertificate } from '../registry/certificati.ts'
import { createConvenzione } from '../registry/convenzioni.ts'
import { enableUtenza } from '../registry/utenze.ts'
import { nameAmministratore } from '../registry/amministratori.ts'
import { TEST_IDENTITIES } from './test-identities.ts'
import { addEnte } from '../registry/enti.ts'
import { addPrincipal } from '../registry/principals.ts'
import { upsertVerbali, type VerbaleInput } from '../verification/verbali-import.ts'
import { syntheticVerbali } from './synthetic.ts'
import { clientTrustOf } from '../tls/client-certificate-check.ts'
import { gatewayActor } from '../audit/change-log.ts'

export const DEMO_ENTE = 'ente_a_dev'

/** Matches examples/*.xml: change both together. */
export const demoVerbali: VerbaleInput[] = [
  // VALIDO, rivedibile: examples/verifica-valido.xml
  {
    codiceFiscale: 'RSSMRA80A01H501U',
    numeroVerbale: 'INV-2023-000123',
    dataVerbale: '2023-03-15',
    categoria: 'INVALIDITA_CIVILE',
    tipoAccertamento: 'PRIMA_ISTANZA',
    giudizio: 'INV100',
    dataRevisione: '2027-03-15',
    registratoIl: '2023-03-15T10:12:00Z',
  },
  // VALIDO_NEL_PERIODO (superseded by the aggravamento of 2022): examples/verifica-valido-nel-periodo.xml
  {
    codiceFiscale: 'BNCGLI75M52F205F',
    numeroVerbale: 'CEC-2019-000456',
    dataVerbale: '2019-06-10',
    categoria: 'CECITA',
    tipoAccertamento: 'PRIMA_ISTANZA',
    giudizio: 'CIE-PARZ',
    dataRevisione: null,
    registratoIl: '2019-06-10T09:00:00Z',
  },
  {
    codiceFiscale: 'BNCGLI75M52F205F',
    numeroVerbale: 'CEC-2022-000789',
    dataVerbale: '2022-09-01',
    categoria: 'CECITA',
    tipoAccertamento: 'AGGRAVAMENTO',
    giudizio: 'CIE-ASS',
    dataRevisione: null,
    registratoIl: '2022-09-01T11:30:00Z',
  },
  // a handicap judgment of another person, not rivedibile
  {
    codiceFiscale: 'VRDLCU90T10L219P',
    numeroVerbale: 'HND-2021-004242',
    dataVerbale: '2021-11-30',
    categoria: 'HANDICAP',
    tipoAccertamento: 'PRIMA_ISTANZA',
    giudizio: 'ART3C3',
    dataRevisione: null,
    registratoIl: '2021-11-30T15:45:00Z',
  },
]

export async function loadDemoData(db: pg.Pool, now = new Date()): Promise<{ convenzioneId: number }> {
  const demo = gatewayActor('dev:demo-data')
  const devFile = (file: string) => readFileSync(path.join(projectRoot, 'certs-dev', file))
  const trust = clientTrustOf({ ca: devFile('ca.crt'), crl: devFile('ca.crl') })
  await addEnte(db, demo, { codiceIpa: DEMO_ENTE, nome: 'Ente A (dati dimostrativi)' })
  const { id } = await createConvenzione(db, demo, {
    enteCodice: DEMO_ENTE,
    validaDal: romeDate(now),
    ipConsentiti: ['0.0.0.0/0', '::/0'],
    // the online application from this machine, for the development provider's test identities
    ipOnline: ['127.0.0.0/8', '::1/128'],
    maxUtenze: 5,
    fasciaOraria: 'sempre',
    maxGiornaliere: 100_000,
    mediaGiornaliera: 1_000,
  })
  await addCertificate(db, demo, id, devFile('ente-a.crt').toString(), trust, now)
  for (const [ruolo, file] of [
    ['operations', 'ops.crt'],
    ['auditor', 'auditor.crt'],
  ] as const) {
    await addPrincipal(db, demo, ruolo, devFile(file).toString(), trust, now)
  }
  // Laura Bianchi consults online for ente A; Francesco Neri signs in but is enabled for nothing
  const { codiceFiscale, given_name, family_name } = TEST_IDENTITIES['laura.bianchi']
  await enableUtenza(db, demo, {
    convenzioneId: id,
    codiceFiscale,
    nome: `${given_name} ${family_name}`,
    validaDal: romeDate(now),
    validaAl: '2099-12-31',
  })
  // Giuseppe Verdi is ente A's amministratore utenze
  const verdi = TEST_IDENTITIES['giuseppe.verdi']
  await nameAmministratore(db, demo, {
    enteCodice: DEMO_ENTE,
    codiceFiscale: verdi.codiceFiscale,
    nome: `${verdi.given_name} ${verdi.family_name}`,
  })
  await upsertVerbali(db, demoVerbali)
  // and a few hundred realistic persons, so the archive looks like one
  await upsertVerbali(db, [...syntheticVerbali(300, 2026)])
  return { convenzioneId: id }
}

/**
 * The demo (a convenzione open to any address, admin principals whose keys are public) only in development
 * mode, and only into a database this start has just made or migrated from nothing.
 */
export async function loadDemoDataIfFresh(
  database: Pick<Database, 'pool' | 'fresh'>,
  config: { dev: unknown; ambiente: string },
  logger: Logger,
): Promise<void> {
  // collaudo holds the published test data only (`invciv collaudo carica`), in development mode too
  if (!config.dev || config.ambiente !== 'sviluppo' || !database.fresh) return
  await loadDemoData(database.pool)
  logger.info('database created with the dev demo data')
}
