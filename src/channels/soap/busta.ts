// Reads an e-Gov busta 1.1 (eGov_IT:Intestazione, a SOAP header entry) into what it says, recording every
// departure from the standard as the eccezione GovWay would raise (SPCoopValidazioneSintattica's codes and
// positions). Whether the busta is this partner's, for this service, new and recent is policy/spcoop-profile.ts's.
import { fromRomeWallClock } from '../../clock.ts'
import type { EccezioneBusta } from '../../errors.ts'
import {
  CODICE,
  EGOV_ACTOR,
  EGOV_NS,
  INOLTRI,
  PROFILI_COLLABORAZIONE,
  TIPI_TEMPO,
  eccezione,
  identificatoreParts,
  type BustaRichiesta,
  type Nome,
} from '../../policy/spcoop-busta.ts'
import { SOAP_ENV_NS } from './namespaces.ts'
import { attributes, children, plainAttribute, qname, scopeOf, single, textOf, type Scope, type XmlNode } from './xml-tree.ts'

/** A child element as read: where it sits, and its node (undefined when it is repeated). */
interface Child {
  local: string
  ns: string | undefined
  node: XmlNode | undefined
  scope: Scope
}

/** An element's children, repeats grouped under one entry whatever prefix named them. */
function childrenOf(node: XmlNode, scope: Scope): Child[] {
  const out: Child[] = []
  for (const [name, value] of children(node)) {
    const first = Array.isArray(value) ? (value[0] as XmlNode) : (value as XmlNode)
    const childScope = scopeOf(first, scope)
    const q = qname(name, childScope)
    const known = out.find((c) => c.local === q.local && c.ns === q.ns)
    if (known) known.node = undefined
    else out.push({ local: q.local, ns: q.ns, node: single(value), scope: childScope })
  }
  return out
}

/** The eGov children of an element by local name; those of other namespaces are not the busta's business. */
function egovChildren(node: XmlNode, scope: Scope) {
  const list = childrenOf(node, scope).filter((c) => c.ns === EGOV_NS)
  const get = (local: string) => list.find((c) => c.local === local)
  return { list, get }
}

// what a value read from a busta may hold to be compared: printable, short
const TESTO = /^[^\p{Cc}<>&]{1,200}$/u

/** xsd:dateTime as eGov writes it: a wall-clock time in Rome unless it carries its zone. */
function dateTimeOf(text: string | undefined): Date | undefined {
  if (text === undefined) return undefined
  const zoned = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?)(Z|[+-]\d{2}:\d{2})$/.exec(text)
  if (zoned) {
    const at = new Date(`${zoned[1]}${zoned[2]}`)
    return Number.isNaN(at.getTime()) || fromRomeWallClock(zoned[1] as string) === undefined ? undefined : at
  }
  return fromRomeWallClock(text)
}

/** Records an eccezione. */
type Add = (numero: string, posizione: string, rilevanza?: EccezioneBusta['rilevanza']) => void

/** Where a part of the busta is wrong: the eccezione's posizione. */
class Wrong {
  constructor(readonly posizione: string) {}
}

/** A part's value, or its eccezione recorded and undefined. */
function checked<T>(value: T | Wrong, numero: string, add: Add, rilevanza: EccezioneBusta['rilevanza'] = 'GRAVE'): T | undefined {
  if (!(value instanceof Wrong)) return value
  add(numero, value.posizione, rilevanza)
  return undefined
}

/** Mittente, Destinatario, Origine or Destinazione: one IdentificativoParte with its tipo and a code. */
function parteOf(child: Child | undefined, posizione: string): Nome | Wrong {
  if (!child?.node) return new Wrong(posizione)
  const parte = egovChildren(child.node, child.scope).get('IdentificativoParte')
  if (!parte?.node) return new Wrong(`${posizione}/IdentificativoParte`)
  const nome = textOf(parte.node)
  const tipo = plainAttribute(parte.node, 'tipo')
  if (nome === undefined || !CODICE.test(nome)) return new Wrong(`${posizione}/IdentificativoParte`)
  if (tipo === undefined || !CODICE.test(tipo)) return new Wrong(`${posizione}/IdentificativoParte/tipo`)
  return { tipo, nome }
}

/** An OraRegistrazione with its tempo attribute. */
function oraOf(child: Child | undefined, posizione: string): Date | Wrong {
  if (!child?.node) return new Wrong(posizione)
  const tempo = plainAttribute(child.node, 'tempo')
  if (!(TIPI_TEMPO as readonly (string | undefined)[]).includes(tempo)) return new Wrong(`${posizione}/tempo`)
  return dateTimeOf(textOf(child.node)) ?? new Wrong(posizione)
}

/** The SOAP-namespace attributes of a header entry, by local name. */
function soapAttributes(node: XmlNode, scope: Scope): Map<string, string> {
  const out = new Map<string, string>()
  for (const [name, value] of attributes(node)) {
    if (!name.includes(':') || name.startsWith('xmlns:')) continue
    const q = qname(name, scope)
    if (q.ns === SOAP_ENV_NS) out.set(q.local, value.trim())
  }
  return out
}

/** Whether a header entry is an e-Gov Intestazione. */
export const isIntestazione = (name: string, scope: Scope) => {
  const q = qname(name, scope)
  return q.ns === EGOV_NS && q.local === 'Intestazione'
}

export function readBusta(entry: XmlNode, scope: Scope): BustaRichiesta {
  const busta: BustaRichiesta = { eccezioni: [] }
  const add: Add = (numero, posizione, rilevanza = 'GRAVE') => {
    busta.eccezioni.push(eccezione(numero, posizione, rilevanza))
  }
  const soap = soapAttributes(entry, scope)
  if (soap.get('actor') !== EGOV_ACTOR) add('002', 'Intestazione/actor')
  const mu = soap.get('mustUnderstand')
  if (mu !== '1' && mu !== 'true') add('002', 'Intestazione/mustUnderstand')
  if (typeof entry === 'string') {
    add('002', 'IntestazioneMessaggio')
    return busta
  }

  const top = egovChildren(entry, scope)
  for (const c of top.list) {
    if (!['IntestazioneMessaggio', 'ListaRiscontri', 'ListaTrasmissioni', 'ListaEccezioni'].includes(c.local)) add('002', 'Intestazione')
    else if (!c.node) add(c.local === 'ListaRiscontri' ? '115' : c.local === 'ListaTrasmissioni' ? '116' : '002', c.local)
  }
  const header = top.get('IntestazioneMessaggio')
  if (!header?.node) {
    if (!header) add('002', 'IntestazioneMessaggio')
    return busta
  }
  const h = egovChildren(header.node, header.scope)
  const known = [
    'Mittente',
    'Destinatario',
    'ProfiloCollaborazione',
    'Collaborazione',
    'Servizio',
    'Azione',
    'Messaggio',
    'ProfiloTrasmissione',
    'Sequenza',
  ]
  for (const c of h.list) if (!known.includes(c.local)) add('002', 'IntestazioneMessaggio')

  busta.mittente = checked(parteOf(h.get('Mittente'), 'Mittente'), '101', add)
  busta.destinatario = checked(parteOf(h.get('Destinatario'), 'Destinatario'), '102', add)

  const profilo = h.get('ProfiloCollaborazione')
  const profiloText = profilo?.node === undefined ? undefined : textOf(profilo.node)
  if (profiloText === undefined || !(PROFILI_COLLABORAZIONE as readonly string[]).includes(profiloText)) add('103', 'ProfiloCollaborazione')
  else busta.profiloCollaborazione = profiloText

  const servizio = h.get('Servizio')
  const servizioNome = servizio?.node === undefined ? undefined : textOf(servizio.node)
  const servizioTipo = servizio?.node === undefined ? undefined : plainAttribute(servizio.node, 'tipo')
  if (servizioNome === undefined || !TESTO.test(servizioNome)) add('105', 'Servizio')
  else if (servizioTipo === undefined || !CODICE.test(servizioTipo)) add('105', 'Servizio/tipo')
  else busta.servizio = { tipo: servizioTipo, nome: servizioNome }

  const azione = h.get('Azione')
  const azioneText = azione?.node === undefined ? undefined : textOf(azione.node)
  if (azioneText === undefined || !TESTO.test(azioneText)) add('106', 'Azione')
  else busta.azione = azioneText

  const trasmissione = h.get('ProfiloTrasmissione')
  if (trasmissione) {
    const inoltro = trasmissione.node === undefined ? undefined : plainAttribute(trasmissione.node, 'inoltro')
    const conferma = trasmissione.node === undefined ? undefined : plainAttribute(trasmissione.node, 'confermaRicezione')
    if (trasmissione.node === undefined) add('113', 'ProfiloTrasmissione')
    else if (inoltro !== undefined && !(INOLTRI as readonly string[]).includes(inoltro)) add('113', 'ProfiloTrasmissione/inoltro')
    else if (conferma !== undefined && conferma !== 'true' && conferma !== 'false') add('113', 'ProfiloTrasmissione/confermaRicezione')
  }

  readMessaggio(h.get('Messaggio'), busta, add)
  readListe(top.get('ListaTrasmissioni'), top.get('ListaRiscontri'), add)
  return busta
}

function readMessaggio(messaggio: Child | undefined, busta: BustaRichiesta, add: Add) {
  if (!messaggio?.node) {
    add('002', 'Messaggio')
    return
  }
  const m = egovChildren(messaggio.node, messaggio.scope)
  const id = m.get('Identificatore')
  const idText = id?.node === undefined ? undefined : textOf(id.node)
  if (idText === undefined || idText === '') add('107', 'Messaggio/Identificatore')
  else if (!identificatoreParts(idText)) add('110', 'Messaggio/Identificatore')
  else busta.identificatore = idText
  busta.oraRegistrazione = checked(oraOf(m.get('OraRegistrazione'), 'Messaggio/OraRegistrazione'), '108', add)
  const scadenza = m.get('Scadenza')
  if (scadenza) {
    const at = scadenza.node === undefined ? undefined : dateTimeOf(textOf(scadenza.node))
    if (!at) add('112', 'Messaggio/Scadenza')
    else busta.scadenza = at
  }
  // a request of a synchronous service refers to no earlier message: a RiferimentoMessaggio is read, not used
  const riferimento = m.get('RiferimentoMessaggio')
  if (riferimento && (riferimento.node === undefined || textOf(riferimento.node) === undefined))
    add('109', 'Messaggio/RiferimentoMessaggio', 'LIEVE')
}

/** The optional lists: accepted when well formed; a malformed one is reported (LIEVE), as it changes nothing here. */
function readListe(trasmissioni: Child | undefined, riscontri: Child | undefined, add: Add) {
  if (trasmissioni?.node !== undefined) {
    const items = children(trasmissioni.node)
    if (items.length === 0) add('116', 'ListaTrasmissioni', 'LIEVE')
    for (const [name, value] of items) {
      for (const node of Array.isArray(value) ? (value as XmlNode[]) : [value as XmlNode]) {
        const scope = scopeOf(node, trasmissioni.scope)
        const q = qname(name, scope)
        if (q.ns !== EGOV_NS || q.local !== 'Trasmissione') {
          add('116', 'ListaTrasmissioni/Trasmissione', 'LIEVE')
          continue
        }
        const t = egovChildren(node, scope)
        checked(parteOf(t.get('Origine'), 'ListaTrasmissioni/Trasmissione/Origine'), '116', add, 'LIEVE')
        checked(parteOf(t.get('Destinazione'), 'ListaTrasmissioni/Trasmissione/Destinazione'), '116', add, 'LIEVE')
        checked(oraOf(t.get('OraRegistrazione'), 'ListaTrasmissioni/Trasmissione/OraRegistrazione'), '116', add, 'LIEVE')
      }
    }
  }
  if (riscontri?.node !== undefined) {
    for (const [name, value] of children(riscontri.node)) {
      for (const node of Array.isArray(value) ? (value as XmlNode[]) : [value as XmlNode]) {
        const scope = scopeOf(node, riscontri.scope)
        const q = qname(name, scope)
        const r = q.ns === EGOV_NS && q.local === 'Riscontro' ? egovChildren(node, scope) : undefined
        const id = r?.get('Identificatore')
        if (!r || id?.node === undefined || textOf(id.node) === undefined) add('115', 'ListaRiscontri/Riscontro', 'LIEVE')
        else checked(oraOf(r.get('OraRegistrazione'), 'ListaRiscontri/Riscontro/OraRegistrazione'), '115', add, 'LIEVE')
      }
    }
  }
}
