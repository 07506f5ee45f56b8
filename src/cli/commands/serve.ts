// `invciv serve`: the gateway, until SIGINT or SIGTERM, then a graceful stop; SIGHUP reloads TLS.
import path from 'node:path'
import type { Command } from 'commander'
import closeWithGrace from 'close-with-grace'
import { loadConfig } from '../../config.ts'
import { projectRoot } from '../../project-root.ts'
import { randomUUID } from 'node:crypto'

function exampleCall(partnerUrl: string, SOAP_ACTION: string): string {
  const rel = (...parts: string[]) => path.relative(process.cwd(), path.join(projectRoot, ...parts)) || '.'
  return [
    '',
    `invciv-gateway is serving VerificaGiudizio at ${partnerUrl}/ws/invciv (WSDL: ${partnerUrl}/ws/invciv?wsdl)`,
    'Try it with the dev client certificate of ente-a (examples/ also has the VALIDO_NEL_PERIODO and NON_VALIDO cases):',
    '',
    `  curl --cacert ${rel('certs-dev', 'ca.crt')} --cert ${rel('certs-dev', 'ente-a.crt')} --key ${rel('certs-dev', 'ente-a.key')} \\`,
    `    -H 'Content-Type: text/xml; charset=utf-8' -H 'SOAPAction: "${SOAP_ACTION}"' \\`,
    `    --data-binary @${rel('examples', 'verifica-valido.xml')} ${partnerUrl}/ws/invciv`,
    '',
  ].join('\n')
}

export async function serve(): Promise<void> {
  const config = loadConfig()
  // the gateway's modules (Fastify, the channels, the console) load only when it is served: every other command
  // starts in about half the time without them
  const [{ startGateway }, { SOAP_ACTION }, { recordReload }] = await Promise.all([
    import('../../main.ts'),
    import('../../channels/soap/envelope.ts'),
    import('../../tls/reload-broadcast.ts'),
  ])
  const gateway = await startGateway(config)
  if (config.dev && config.tls.ca === path.join(projectRoot, 'certs-dev', 'ca.crt'))
    process.stdout.write(`${exampleCall(gateway.partnerUrl, SOAP_ACTION)}\n`)
  // SIGHUP reloads the TLS material of this process, as `invciv tls reload` does for every process
  process.on('SIGHUP', () => {
    const result = gateway.tls.reload()
    recordReload(gateway.database.pool, randomUUID(), result).catch(() => undefined)
  })
  closeWithGrace({ delay: 20_000, skip: ['SIGHUP'] }, async ({ signal, err }) => {
    if (err) gateway.logger.error({ err: { message: err.message, stack: err.stack } }, 'stopping after an uncaught error')
    gateway.logger.info({ signal }, 'shutting down')
    await gateway.close()
  })
}

export function serveCommand(program: Command): void {
  program.command('serve').description('run the gateway (partner listener, admin listener, jobs) until SIGTERM').action(serve)
}
