// B1: a plain node-soap server (its own listen, plain http, the same WSDL): the lookup only, no policy, no trace.
import http from 'node:http'
import soap from 'soap'
import { createPool } from '../../src/db/pool.ts'
import { servedWsdl } from '../../src/channels/soap/wsdl.ts'
import { verbaliOf } from '../../src/verification/verbali-repository.ts'
import { decideEsito, normaliseKey, type Categoria } from '../../src/verification/esito.ts'

const pool = createPool(process.env.BENCH_DATABASE_URL as string, { max: 10 })
const port = Number(process.env.BENCH_PORT)
const service = {
  InvCivService: {
    InvCivPort: {
      async VerificaGiudizio(args: Record<string, string>) {
        const cf = (args.codiceFiscale as string).toUpperCase()
        const esito = decideEsito(
          {
            codiceFiscale: cf,
            numeroVerbale: normaliseKey(args.numeroVerbale as string),
            dataVerbale: String(args.dataVerbale).slice(0, 10),
            categoria: args.categoria as Categoria,
          },
          await verbaliOf(pool, cf, args.categoria as Categoria),
        )
        return { ...esito, identificativoTransazione: '00000000-0000-4000-8000-000000000000', dataOraVerifica: new Date().toISOString() }
      },
    },
  },
}
const server = http.createServer((_req, res) => res.writeHead(404).end())
server.listen(port, '127.0.0.1', () => {
  soap.listen(server, '/ws/invciv', service, servedWsdl(`http://127.0.0.1:${port}`))
  process.stdout.write('ready\n')
})
