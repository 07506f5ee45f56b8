// Check 2b: the convenzione's profile on the SOAP channel. `mtls`: plain SOAP, and a busta is a header this
// partner's calls do not use (SOAP's MustUnderstand fault, as before SPCoop was known). `spcoop`: every call
// carries an e-Gov busta from the ente's soggetto to the gateway's, for its servizio and azione, new (a repeated
// Identificatore from the same Mittente is refused, across processes) and recent. The REST channel has no busta.
import { refuse, type EccezioneBusta, type Refusal } from '../errors.ts'
import { setting } from './setting.ts'
import type { Stage } from './stage.ts'
import type { Authorized, Call } from './types.ts'
import {
  CODICE,
  EGOV_NS,
  SERVIZIO_SINCRONO,
  eccezione,
  identificatoreParts,
  nomeDi,
  type BustaRichiesta,
  type SpcoopIdentity,
} from './spcoop-busta.ts'
import type { Convenzione } from './convenzione.ts'

export const profilo = setting({
  name: 'profilo',
  column: 'profilo',
  sqlType: 'text',
  schema: { type: 'string', enum: ['mtls', 'spcoop'] },
  cli: {
    flag: '--profilo <PROFILO>',
    description: 'SOAP profile: mtls (plain SOAP, the default) or spcoop (an e-Gov busta on every call; needs --soggetto-spcoop)',
  },
  create: { default: "'mtls'" },
})

const codeProblem = (label: string) => (value: string) =>
  CODICE.test(value) ? undefined : `${label} must be 1 to 80 letters or digits, as SPCoop codes are`

export const tipoSoggettoSpcoop = setting({
  name: 'tipoSoggettoSpcoop',
  column: 'tipo_soggetto_spcoop',
  sqlType: 'text',
  schema: { type: 'string', pattern: '^[A-Za-z0-9]{1,20}$' },
  cli: { flag: '--tipo-soggetto-spcoop <TIPO>', description: "the tipo of the ente's SPCoop soggetto (default SPC)" },
  create: { default: "'SPC'" },
  problem: (v) => (/^[A-Za-z0-9]{1,20}$/.test(v) ? undefined : '--tipo-soggetto-spcoop must be 1 to 20 letters or digits'),
})

export const soggettoSpcoop = setting({
  name: 'soggettoSpcoop',
  column: 'soggetto_spcoop',
  sqlType: 'text',
  schema: { type: 'string', pattern: CODICE.source },
  cli: {
    flag: '--soggetto-spcoop <CODICE>',
    description: "the ente's SPCoop soggetto: the Mittente of its buste and the first part of their Identificatori",
  },
  create: { nullable: true },
  problem: codeProblem('--soggetto-spcoop'),
})

export const pddSpcoop = setting({
  name: 'pddSpcoop',
  column: 'pdd_spcoop',
  sqlType: 'text',
  schema: { type: 'string', pattern: CODICE.source },
  cli: {
    flag: '--pdd-spcoop <CODICE>',
    description: "the code of the ente's Porta di Dominio: the second part of its Identificatori (unset: <soggetto>SPCoopIT)",
  },
  create: { nullable: true },
  problem: codeProblem('--pdd-spcoop'),
})

/** The ente's PdD code: as set, or by the usual convention <soggetto>SPCoopIT. */
export const pddOf = (c: Pick<Convenzione, 'soggettoSpcoop' | 'pddSpcoop'>) => c.pddSpcoop ?? `${c.soggettoSpcoop ?? ''}SPCoopIT`

/** The eccezioni of a busta that does not match its convenzione and the gateway, however well formed. */
export function mismatches(busta: BustaRichiesta, c: Convenzione, gateway: SpcoopIdentity, now: Date): EccezioneBusta[] {
  const found: EccezioneBusta[] = []
  const { mittente, destinatario, servizio, identificatore } = busta
  if (mittente && (mittente.nome !== c.soggettoSpcoop || mittente.tipo !== c.tipoSoggettoSpcoop)) {
    found.push(eccezione('101', mittente.nome !== c.soggettoSpcoop ? 'Mittente/IdentificativoParte' : 'Mittente/IdentificativoParte/tipo'))
  }
  if (destinatario && (destinatario.nome !== gateway.soggetto.nome || destinatario.tipo !== gateway.soggetto.tipo)) {
    found.push(
      eccezione(
        '102',
        destinatario.nome !== gateway.soggetto.nome ? 'Destinatario/IdentificativoParte' : 'Destinatario/IdentificativoParte/tipo',
      ),
    )
  }
  if (busta.profiloCollaborazione !== undefined && busta.profiloCollaborazione !== SERVIZIO_SINCRONO)
    found.push(eccezione('103', 'ProfiloCollaborazione'))
  if (servizio && (servizio.nome !== gateway.servizio.nome || servizio.tipo !== gateway.servizio.tipo)) {
    found.push(eccezione('105', servizio.nome !== gateway.servizio.nome ? 'Servizio' : 'Servizio/tipo'))
  }
  if (busta.azione !== undefined && busta.azione !== gateway.azione) found.push(eccezione('106', 'Azione'))
  // the Identificatore is the Mittente's own: its first two parts are the ente's soggetto and PdD codes
  const parts = identificatore ? identificatoreParts(identificatore) : undefined
  if (parts && (parts.amministrazione !== c.soggettoSpcoop || parts.pdd !== pddOf(c)))
    found.push(eccezione('110', 'Messaggio/Identificatore'))
  if (busta.oraRegistrazione && Math.abs(busta.oraRegistrazione.getTime() - now.getTime()) > gateway.tolleranzaSecondi * 1000) {
    found.push(eccezione('108', 'Messaggio/OraRegistrazione'))
  }
  if (busta.scadenza && busta.scadenza.getTime() < now.getTime()) found.push(eccezione('301', 'Messaggio/Scadenza'))
  return found
}

const describe = (eccezioni: EccezioneBusta[]) => eccezioni.map((e) => `${e.codice} ${e.posizione}`).join('; ')

export const spcoopProfile: Stage<Call & Authorized> = {
  name: 'spcoop-profile',
  async check(call, context): Promise<Refusal | undefined> {
    const c = call.convenzione
    if (call.channel !== 'soap') return undefined
    const busta = call.busta
    if (c.profilo === 'mtls') {
      if (!busta) return undefined
      const header = `{${EGOV_NS}}Intestazione`
      return refuse('RICHIESTA_NON_VALIDA', {
        reason: `busta e-Gov su una convenzione con profilo mtls: intestazione mustUnderstand non compresa: ${header}`,
        errori: [{ campo: header, regola: 'mustUnderstand' }],
        mustUnderstand: header,
      })
    }
    if (!busta) {
      // an envelope that could not be read at all is check 5's refusal, which says why
      if (call.payload.kind === 'malformed' && call.payload.errori?.some((e) => e.regola === 'xml' || e.regola === 'codifica'))
        return undefined
      return refuse('BUSTA_NON_VALIDA', {
        reason: 'busta e-Gov assente: EGOV_IT_001 Intestazione',
        eccezioni: [eccezione('001', 'Intestazione')],
      })
    }
    const gravi = [...busta.eccezioni, ...mismatches(busta, c, context.spcoop, context.clock.now())].filter((e) => e.rilevanza === 'GRAVE')
    if (gravi.length > 0) return refuse('BUSTA_NON_VALIDA', { reason: `busta e-Gov non valida: ${describe(gravi)}`, eccezioni: gravi })
    // well formed and the ente's own: read without an Identificatore would have been an eccezione above
    const mittente = busta.mittente ? nomeDi(busta.mittente) : ''
    const fresh = await context.firstSeen('spcoop', `${mittente}|${busta.identificatore ?? ''}`, context.spcoop.duplicatiOre * 3_600_000)
    if (!fresh) {
      return refuse('BUSTA_DUPLICATA', {
        reason: 'busta e-Gov duplicata: EGOV_IT_110 Messaggio/Identificatore',
        eccezioni: [eccezione('110', 'Messaggio/Identificatore')],
      })
    }
    return undefined
  },
}
