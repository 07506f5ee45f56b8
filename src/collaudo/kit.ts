// The onboarding kit (issue 36), made from the contract the gateway serves: the WSDL (the XSD inlined, the
// collaudo address), the XSD, the OpenAPI document; for each published case a SOAP envelope and a REST body with
// today's data, and one provoking each refusal that can be provoked; for a convenzione of the spcoop profile, the
// same in e-Gov buste; curl scripts that send them over mutual TLS with the partner's own certificate (the spcoop
// one stamping each busta afresh); a zeep script; a Bruno collection of the REST calls. `invciv collaudo kit`.
import { mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { servedWsdl, xsdSource } from '../channels/soap/wsdl.ts'
import { openApiDocument } from '../channels/rest/openapi.ts'
import { REQUEST_FIELDS, SERVICE_NS, SOAP_ACTION } from '../channels/soap/envelope.ts'
import { escapeXml } from '../channels/soap/xml-escape.ts'
import { PROVOCATION_PREFIX, PROVOCAZIONI } from '../policy/collaudo-provocation.ts'
import type { SpcoopIdentity } from '../policy/spcoop-busta.ts'
import { pddOf } from '../policy/spcoop-profile.ts'
import type { Convenzione } from '../policy/convenzione.ts'
import { datiCollaudo, type CasoCollaudo } from './dati.ts'

type Fields = Record<string, string | undefined>

/** A request of the kit: its name, its fields, and the answer it gets (an esito, or a refusal's code). */
export interface Campione {
  nome: string
  fields: Fields
  atteso: string
}

export function campioni(giorno: string): Campione[] {
  const { casi } = datiCollaudo(giorno)
  const ask = (c: CasoCollaudo, riferimentoPratica: string): Fields => ({
    // an operatore per case: five NON_VALIDO block an operatore in collaudo as in production
    identificativoOperatore: `collaudo.${c.caso}`,
    riferimentoPratica,
    ...c.richiesta,
  })
  const first = casi[0] as CasoCollaudo
  return [
    ...casi.map((c) => ({ nome: c.caso, fields: ask(c, `KIT-${c.caso}`), atteso: c.risposta.esito })),
    ...Object.keys(PROVOCAZIONI).map((code) => ({
      nome: `rifiuto-${code.toLowerCase().replace(/_/g, '-')}`,
      fields: ask(first, `${PROVOCATION_PREFIX}${code}`),
      atteso: code,
    })),
  ]
}

export function envelopeOf(fields: Fields): string {
  const inner = REQUEST_FIELDS.filter((f) => fields[f] !== undefined)
    .map((f) => `      <v1:${f}>${escapeXml(fields[f] as string)}</v1:${f}>`)
    .join('\n')
  return `<?xml version="1.0" encoding="UTF-8"?>
<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:v1="${SERVICE_NS}">
  <soap:Body>
    <v1:VerificaGiudizioRichiesta>
${inner}
    </v1:VerificaGiudizioRichiesta>
  </soap:Body>
</soap:Envelope>
`
}

/** The same request in an e-Gov busta from the convenzione's soggetto to the gateway's, stamped by invia-spcoop.sh. */
export function bustaOf(fields: Fields, mittente: { tipo: string; soggetto: string; pdd: string }, inps: SpcoopIdentity): string {
  const x = escapeXml
  return envelopeOf(fields).replace(
    '  <soap:Body>',
    `  <soap:Header>
    <eGov_IT:Intestazione xmlns:eGov_IT="http://www.cnipa.it/schemas/2003/eGovIT/Busta1_0/"
        soap:actor="http://www.cnipa.it/eGov_it/portadominio" soap:mustUnderstand="1">
      <eGov_IT:IntestazioneMessaggio>
        <eGov_IT:Mittente><eGov_IT:IdentificativoParte tipo="${x(mittente.tipo)}">${x(mittente.soggetto)}</eGov_IT:IdentificativoParte></eGov_IT:Mittente>
        <eGov_IT:Destinatario><eGov_IT:IdentificativoParte tipo="${x(inps.soggetto.tipo)}">${x(inps.soggetto.nome)}</eGov_IT:IdentificativoParte></eGov_IT:Destinatario>
        <eGov_IT:ProfiloCollaborazione>EGOV_IT_ServizioSincrono</eGov_IT:ProfiloCollaborazione>
        <eGov_IT:Servizio tipo="${x(inps.servizio.tipo)}">${x(inps.servizio.nome)}</eGov_IT:Servizio>
        <eGov_IT:Azione>${x(inps.azione)}</eGov_IT:Azione>
        <eGov_IT:Messaggio>
          <eGov_IT:Identificatore>${x(mittente.soggetto)}_${x(mittente.pdd)}_0000000_2000-01-01_00:00</eGov_IT:Identificatore>
          <eGov_IT:OraRegistrazione tempo="EGOV_IT_SPC">2000-01-01T00:00:00.000</eGov_IT:OraRegistrazione>
        </eGov_IT:Messaggio>
        <eGov_IT:ProfiloTrasmissione confermaRicezione="false" inoltro="EGOV_IT_PIUDIUNAVOLTA"/>
      </eGov_IT:IntestazioneMessaggio>
    </eGov_IT:Intestazione>
  </soap:Header>
  <soap:Body>`,
  )
}

// a busta is refused when its time is off or its Identificatore was seen: each sending gets fresh ones
const SEND_SPCOOP = `#!/bin/sh
# Sends one e-Gov busta of the kit, as a Porta di Dominio would: a fresh Identificatore (a counter, the day, the
# minute) and OraRegistrazione (Europe/Rome), over mutual TLS with the PDD's own certificate:
#   CERT=pdd.crt KEY=pdd.key CA=collaudo-ca.crt ./invia-spcoop.sh spcoop/valido.xml
set -eu
file="$1"
url="\${URL:-__URL__}"
now=$(TZ=Europe/Rome date +%Y-%m-%dT%H:%M:%S.000)
day=$(printf %s "$now" | cut -c1-10)
minute=$(printf %s "$now" | cut -c12-16)
counter=$(printf %07d $(( ($(date +%s%N) / 1000) % 10000000 )))
sed -e "s/_[0-9]\\{7\\}_[0-9-]\\{10\\}_[0-9:]\\{5\\}</_\${counter}_\${day}_\${minute}</" \\
    -e "s/tempo=\\"EGOV_IT_SPC\\">[^<]*</tempo=\\"EGOV_IT_SPC\\">\${now}</" "$file" |
  curl -sS --cert "$CERT" --key "$KEY" --cacert "$CA" -H 'Content-Type: text/xml; charset=utf-8' \\
    -H 'SOAPAction: "${SOAP_ACTION}"' --data-binary @- "$url/ws/invciv"
`

// ModI on REST, signed with the partner's own key: ID_AUTH_REST_02 and INTEGRITY_REST_01 (jose, from npm)
const SIGN_REST = `// Signs a REST request of the kit the ModI way with your signing certificate's key, and prints the headers
// for curl (one per line): ID_AUTH_REST_02's Authorization, INTEGRITY_REST_01's Digest and Agid-JWT-Signature.
//   npm install jose        (once, in the kit's folder)
//   node firma-rest.mjs firma.crt firma.key rest/valido.json ID_AUTH_REST_02 INTEGRITY_REST_01 > intestazioni.txt
// The certificate must be registered for the convenzione, and chain to the CA collaudo trusts.
import { createHash, createPrivateKey, randomUUID, X509Certificate } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { SignJWT } from 'jose'

const [certFile, keyFile, bodyFile, ...profiles] = process.argv.slice(2)
const audience = process.env.AUD ?? '__AUDIENCE__'
const key = createPrivateKey(readFileSync(keyFile))
const alg = key.asymmetricKeyType === 'ec' ? 'ES256' : 'RS256'
const x5c = [new X509Certificate(readFileSync(certFile)).raw.toString('base64')]
const now = Math.floor(Date.now() / 1000)
const token = (claims) =>
  new SignJWT({ aud: audience, iat: now, exp: now + 300, jti: randomUUID(), ...claims })
    .setProtectedHeader({ alg, typ: 'JWT', x5c })
    .sign(key)
const body = readFileSync(bodyFile)
const lines = ['Content-Type: application/json']
if (profiles.includes('ID_AUTH_REST_02')) lines.push(\`Authorization: Bearer \${await token({})}\`)
if (profiles.includes('INTEGRITY_REST_01')) {
  const digest = \`SHA-256=\${createHash('sha256').update(body).digest('base64')}\`
  lines.push(\`Digest: \${digest}\`)
  lines.push(\`Agid-JWT-Signature: \${await token({ signed_headers: [{ digest }, { 'content-type': 'application/json' }] })}\`)
}
process.stdout.write(lines.join('\\n') + '\\n')
`

const SEND_MODI = `#!/bin/sh
# Sends a REST request of the kit signed the ModI way (firma-rest.mjs), over mutual TLS with the PDD's certificate:
#   CERT=pdd.crt KEY=pdd.key CA=collaudo-ca.crt FIRMA_CRT=firma.crt FIRMA_KEY=firma.key ./invia-modi.sh rest/valido.json
set -eu
file="$1"
url="\${URL:-__URL__}"
headers=$(mktemp)
trap 'rm -f "$headers"' EXIT
node "$(dirname "$0")/firma-rest.mjs" "\${FIRMA_CRT:-$CERT}" "\${FIRMA_KEY:-$KEY}" "$file" __PROFILES__ > "$headers"
curl -sS --cert "$CERT" --key "$KEY" --cacert "$CA" -H @"$headers" --data-binary @"$file" "$url/rest/v1/verifiche"
`

const SEND = `#!/bin/sh
# Sends one request of the kit to the collaudo gateway over mutual TLS, with the PDD's own certificate:
#   CERT=pdd.crt KEY=pdd.key CA=collaudo-ca.crt ./invia.sh soap/valido.xml
#   CERT=pdd.crt KEY=pdd.key CA=collaudo-ca.crt ./invia.sh rest/valido.json
# URL overrides the gateway's address. The answer goes to standard output.
set -eu
file="$1"
url="\${URL:-__URL__}"
case "$file" in
  *.xml) exec curl -sS --cert "$CERT" --key "$KEY" --cacert "$CA" -H 'Content-Type: text/xml; charset=utf-8' \\
           -H 'SOAPAction: "${SOAP_ACTION}"' --data-binary @"$file" "$url/ws/invciv" ;;
  *.json) exec curl -sS --cert "$CERT" --key "$KEY" --cacert "$CA" -H 'Content-Type: application/json' \\
           --data-binary @"$file" "$url/rest/v1/verifiche" ;;
  *) echo "invia.sh: a .xml (SOAP) or .json (REST) file of the kit" >&2; exit 1 ;;
esac
`

const ZEEP = `"""Sends one request of the kit with Python's zeep, over mutual TLS with the PDD's own certificate, and prints
the esito, or the refusal's codice:
    python3 zeep_verifica.py pdd.crt pdd.key collaudo-ca.crt rest/valido.json
The WSDL is the kit's (contratto/invciv.wsdl): it names the collaudo gateway's address.
"""
import json
import os
import sys

import requests
from zeep import Client
from zeep.exceptions import Fault
from zeep.transports import Transport

cert, key, ca, request_file = sys.argv[1:5]
session = requests.Session()
session.cert = (cert, key)
session.verify = ca
# requests lets REQUESTS_CA_BUNDLE override a session's verify: the collaudo CA is the one to trust here
session.trust_env = False
wsdl = os.path.join(os.path.dirname(os.path.abspath(__file__)), "contratto", "invciv.wsdl")
client = Client(wsdl, transport=Transport(session=session))
with open(request_file, encoding="utf-8") as f:
    fields = json.load(f)
try:
    answer = client.service.VerificaGiudizio(**fields)
    print(answer["esito"])
except Fault as fault:
    codice = fault.detail.find(".//{${SERVICE_NS}}codice") if fault.detail is not None else None
    print(codice.text if codice is not None else fault.message)
`

/** Bruno's text format: one request per file. */
function bruFile(c: Campione, seq: number): string {
  const body = JSON.stringify(c.fields, null, 2)
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n')
  return `meta {
  name: ${c.nome}
  type: http
  seq: ${seq}
}

post {
  url: {{url}}/rest/v1/verifiche
  body: json
  auth: none
}

body:json {
${body}
}

docs {
  Expected: ${c.atteso}
}
`
}

/** Writes the kit into `dir` for the gateway at `url` (https://host[:port]), with the data of `giorno`; with the
 * partner's convenzione, what its profiles need too: e-Gov buste for spcoop, the signing script for ModI on REST. */
export function writeKit(
  dir: string,
  url: string,
  giorno: string,
  partner?: { convenzione: Convenzione; inps: SpcoopIdentity; audience: string },
): { files: number } {
  let files = 0
  const write = (name: string, text: string, mode = 0o644) => {
    const file = path.join(dir, name)
    mkdirSync(path.dirname(file), { recursive: true })
    writeFileSync(file, text, { mode })
    files++
  }
  write('contratto/invciv.wsdl', servedWsdl(url))
  write('contratto/invciv.xsd', xsdSource)
  write('contratto/openapi.json', `${JSON.stringify(openApiDocument(url), null, 2)}\n`)
  const samples = campioni(giorno)
  for (const c of samples) {
    write(`soap/${c.nome}.xml`, envelopeOf(c.fields))
    write(`rest/${c.nome}.json`, `${JSON.stringify(c.fields, null, 2)}\n`)
  }
  write('attesi.tsv', `${['richiesta\tatteso', ...samples.map((c) => `${c.nome}\t${c.atteso}`)].join('\n')}\n`)
  write('invia.sh', SEND.replace('__URL__', url), 0o755)
  const c = partner?.convenzione
  if (partner && c?.profilo === 'spcoop' && c.soggettoSpcoop) {
    const mittente = { tipo: c.tipoSoggettoSpcoop, soggetto: c.soggettoSpcoop, pdd: pddOf(c) }
    for (const sample of samples) write(`spcoop/${sample.nome}.xml`, bustaOf(sample.fields, mittente, partner.inps))
    write('invia-spcoop.sh', SEND_SPCOOP.replace('__URL__', url), 0o755)
  }
  // the REST security profiles the script can sign for; a PDND voucher or an audit token is not among them yet
  const modi = [c?.autenticazioneRest, c?.integritaRest].filter((p) => p === 'ID_AUTH_REST_02' || p === 'INTEGRITY_REST_01')
  if (partner && modi.length) {
    write('firma-rest.mjs', SIGN_REST.replace('__AUDIENCE__', partner.audience))
    write('invia-modi.sh', SEND_MODI.replace('__URL__', url).replace('__PROFILES__', modi.join(' ')), 0o755)
  }
  write('zeep_verifica.py', ZEEP)
  write(
    'bruno/bruno.json',
    `${JSON.stringify(
      {
        version: '1',
        name: 'WS INVCIV collaudo',
        type: 'collection',
        // the PDD's certificate: set its paths (Bruno presents it to the collaudo gateway's host)
        clientCertificates: {
          enabled: true,
          certs: [{ domain: new URL(url).host, type: 'cert', certFilePath: 'pdd.crt', keyFilePath: 'pdd.key', passphrase: '' }],
        },
      },
      null,
      2,
    )}\n`,
  )
  write('bruno/environments/collaudo.bru', `vars {\n  url: ${url}\n}\n`)
  samples.forEach((c, i) => write(`bruno/${c.nome}.bru`, bruFile(c, i + 1)))
  write(
    'LEGGIMI.md',
    `# WS INVCIV: kit di collaudo (${giorno})

Made by \`invciv collaudo kit\` from the contract the collaudo gateway at ${url} serves, with the test data of
${giorno} (docs/collaudo.md: the dates move with the day; make the kit again, or read GET /collaudo/dati).

- \`contratto/\`: the WSDL (the XSD inlined), the XSD, the OpenAPI document.
- \`soap/*.xml\`, \`rest/*.json\`: one request per published case and per provocable refusal; \`attesi.tsv\` says
  what each gets (an esito, or the refusal's code).
- \`invia.sh\`: sends one of them with curl over mutual TLS with your PDD's certificate
  (\`CERT=pdd.crt KEY=pdd.key CA=collaudo-ca.crt ./invia.sh soap/valido.xml\`).
- \`spcoop/*.xml\`, \`invia-spcoop.sh\` (made with \`--convenzione\` of the spcoop profile): the same requests in e-Gov
  buste from your soggetto, stamped with a fresh Identificatore and OraRegistrazione at each sending.
- \`zeep_verifica.py\`: the same over SOAP with Python's zeep and the kit's WSDL
  (\`python3 zeep_verifica.py pdd.crt pdd.key collaudo-ca.crt rest/valido.json\`).
- \`bruno/\`: the REST requests as a Bruno collection; set your certificate's paths in \`bruno.json\`.
`,
  )
  return { files }
}
