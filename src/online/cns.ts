// Sign-in with a CNS card (Carta Nazionale dei Servizi): the online listener asks the browser for a client
// certificate, optionally, against the CNS issuers' bundle (not the partners' CA), and OpenSSL checks its chain,
// dates and the issuers' CRLs during the handshake; `/accesso/cns` then reads the holder's codice fiscale from the
// certificate's subject, in the forms the configuration accepts, since issuers differ in where they put it.
import { readFileSync } from 'node:fs'
import tls from 'node:tls'
import { AsnConvert } from '@peculiar/asn1-schema'
import { Certificate } from '@peculiar/asn1-x509'
import { devMaterialIn } from '../tls/dev-material.ts'
import { TlsMaterialError } from '../tls/context.ts'
import { validateCodiceFiscale } from '../verification/codice-fiscale.ts'

export type CnsForm = 'cn' | 'serialNumber'

export interface CnsFiles {
  ca: string
  crl: string
}

/** What the online listener's secure context adds for CNS: the issuers' bundle and their CRLs. */
export interface CnsTrust {
  ca: Buffer
  crl: Buffer
}

const OID = { cn: '2.5.4.3', surname: '2.5.4.4', serialNumber: '2.5.4.5', givenName: '2.5.4.42' }
// CN "<codice fiscale>/<card id>.<hash>"; serialNumber "TINIT-<codice fiscale>" (or the older "IT:<codice fiscale>")
const FORMS: Record<CnsForm, { oid: string; pattern: RegExp }> = {
  cn: { oid: OID.cn, pattern: /^([A-Z0-9]{16})\/.+$/ },
  serialNumber: { oid: OID.serialNumber, pattern: /^(?:TINIT-|IT:)([A-Z0-9]{16})$/ },
}

function read(file: string, what: string): Buffer {
  try {
    return readFileSync(file)
  } catch (err) {
    throw new TlsMaterialError('invalid', `cannot read the ${what} ${file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`)
  }
}

/** The bundle and CRLs, checked by building a context with them; the development issuer only in development mode. */
export function loadCnsTrust(files: CnsFiles, allowDevMaterial: boolean): CnsTrust {
  const trust = { ca: read(files.ca, 'CNS issuers bundle (INVCIV_CNS_CA)'), crl: read(files.crl, 'CNS CRLs (INVCIV_CNS_CRL)') }
  try {
    tls.createSecureContext(trust)
  } catch (err) {
    throw new TlsMaterialError('invalid', `unusable CNS bundle or CRLs: ${(err as Error).message}`)
  }
  const dev = allowDevMaterial ? undefined : devMaterialIn('certificate', trust.ca)
  if (dev)
    throw new TlsMaterialError(
      'invalid',
      `development TLS material outside development mode: INVCIV_CNS_CA (${files.ca}) is certs-dev/${dev}`,
    )
  return trust
}

export type Holder = { codiceFiscale: string; nome: string } | { refused: string }

/** The holder of a card's certificate (DER), by the subject's forms accepted; two forms that disagree are refused. */
export function holderOf(der: Buffer, forms: readonly CnsForm[]): Holder {
  let attributes: { type: string; value: string }[]
  try {
    attributes = AsnConvert.parse(der, Certificate).tbsCertificate.subject.flatMap((rdn) =>
      rdn.map((a) => ({ type: a.type, value: a.value.toString() })),
    )
  } catch {
    return { refused: 'the certificate cannot be read' }
  }
  const found = new Set<string>()
  for (const form of forms) {
    for (const a of attributes) {
      if (a.type !== FORMS[form].oid) continue
      const cf = FORMS[form].pattern.exec(a.value)?.[1]
      if (cf) found.add(cf)
    }
  }
  if (found.size === 0) return { refused: `no codice fiscale in the subject in the forms accepted (${forms.join(', ')})` }
  if (found.size > 1) return { refused: 'the subject names more than one codice fiscale' }
  const [codiceFiscale] = [...found] as [string]
  const checked = validateCodiceFiscale(codiceFiscale)
  if (!checked.ok) return { refused: "the subject's codice fiscale is not valid" }
  const named = (oid: string) => attributes.find((a) => a.type === oid)?.value
  const nome = [named(OID.givenName), named(OID.surname)].filter(Boolean).join(' ') || checked.value
  return { codiceFiscale: checked.value, nome }
}
