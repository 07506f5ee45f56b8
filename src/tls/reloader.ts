// Swaps the server certificate, key, CA bundle and CRL of running listeners without a restart. New files
// are checked by building a context first: a bad file is refused and the old context keeps serving.
// Connections already open keep their context; identity is checked per request, so that does not matter.
import type { Logger } from 'pino'
import { contextOptions, loadTlsMaterial, type TlsFiles, type TlsMaterial, type TlsPolicy } from './context.ts'
import { messageOf } from '../message-of.ts'

export interface ReloadResult {
  ok: boolean
  error?: string
}

interface SecureServer {
  setSecureContext(options: object): void
}

export interface TlsReloader {
  reload(): ReloadResult
}

export function createTlsReloader(
  files: TlsFiles,
  policy: TlsPolicy,
  servers: () => SecureServer[],
  logger: Logger,
  onReloaded: (material: TlsMaterial) => void = () => undefined,
): TlsReloader {
  return {
    reload() {
      try {
        const material = loadTlsMaterial(files, policy)
        for (const server of servers()) server.setSecureContext(contextOptions(material))
        onReloaded(material)
        logger.info({ files }, 'TLS material reloaded')
        return { ok: true }
      } catch (err) {
        const error = messageOf(err)
        logger.error({ err: { message: error }, files }, 'TLS reload refused: the previous material keeps serving')
        return { ok: false, error }
      }
    },
  }
}
