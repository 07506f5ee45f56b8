// C1 and C2: no work at all behind mutual TLS: the same TLS options and certificates as the gateway, a canned
// SOAP answer and a canned JSON one. Not a contestant a team would deploy, but the most any gateway can serve
// over mTLS on this machine, to put the targets against B1 and B2 (plain http) in proportion.
import path from 'node:path'
import Fastify from 'fastify'
import { AGID_TLS_CIPHERS } from '../../src/environment.ts'
import { projectRoot } from '../../src/project-root.ts'
import { loadTlsMaterial, mutualTlsOptions } from '../../src/tls/context.ts'

const certs = (f: string) => path.join(projectRoot, 'certs-dev', f)
const tls = loadTlsMaterial(
  { cert: certs('server.crt'), key: certs('server.key'), ca: certs('ca.crt'), crl: certs('ca.crl') },
  { ciphers: AGID_TLS_CIPHERS, allowDevMaterial: true },
)
const app = Fastify({ https: mutualTlsOptions(tls) })
app.addContentTypeParser('text/xml', { parseAs: 'string' }, (_request, body, done) => done(null, body))
const soapAnswer =
  `<?xml version="1.0" encoding="UTF-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>` +
  `<VerificaGiudizioRisposta xmlns="urn:bench"><esito>VALIDO</esito></VerificaGiudizioRisposta></soap:Body></soap:Envelope>`
app.post('/ws/invciv', async (_request, reply) => reply.type('text/xml; charset=utf-8').send(soapAnswer))
app.post('/verifica', async () => ({ esito: 'VALIDO', dataOraVerifica: new Date().toISOString() }))
await app.listen({ host: '127.0.0.1', port: Number(process.env.BENCH_PORT) })
process.stdout.write('ready\n')
