// B2: what a team would write with bare Fastify: the lookup and the esito over plain http, nothing else.
import Fastify from 'fastify'
import { createPool } from '../../src/db/pool.ts'
import { verbaliOf } from '../../src/verification/verbali-repository.ts'
import { decideEsito, normaliseKey, type Categoria } from '../../src/verification/esito.ts'

const pool = createPool(process.env.BENCH_DATABASE_URL as string, { max: 10 })
const app = Fastify()
app.post('/verifica', async (request) => {
  const b = request.body as Record<string, string>
  const cf = (b.codiceFiscale as string).toUpperCase()
  const esito = decideEsito(
    {
      codiceFiscale: cf,
      numeroVerbale: normaliseKey(b.numeroVerbale as string),
      dataVerbale: b.dataVerbale as string,
      categoria: b.categoria as Categoria,
    },
    await verbaliOf(pool, cf, b.categoria as Categoria),
  )
  return { ...esito, dataOraVerifica: new Date().toISOString() }
})
await app.listen({ host: '127.0.0.1', port: Number(process.env.BENCH_PORT) })
process.stdout.write('ready\n')
