// The admin listener against other web sites. A browser presents its client certificate (the identity here) on
// requests any site makes it send, so a certificate is never proof of intent: a change must come from this
// listener's own pages (Origin and Sec-Fetch-Site), another site may only link to a page (a top-level
// navigation), the API takes only JSON (which no form and no "simple" fetch can send), and every answer forbids
// framing, inline script and sniffing. Scripts and the CLI send neither Origin nor Sec-Fetch-Site: they keep working.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import helmet from '@fastify/helmet'
import { operationKinds, type OperationKind } from '../operation-error.ts'

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

/** A year, the subdomains too: a TLS-only listener says so to browsers (shared with the partner listener). */
export const HSTS = { maxAge: 31_536_000, includeSubDomains: true }

export type Doubt = { kind: OperationKind; code: string; detail: string } | undefined

const ORIGIN_REFUSED = (detail: string): Doubt => ({ kind: 'forbidden', code: 'ORIGINE_NON_AMMESSA', detail })

/**
 * Whether a request may come from where the browser says it comes from (the Fetch Metadata resource isolation
 * policy, and Origin for changes). `ownOrigin` is this listener as the browser addressed it.
 */
export function originDoubt(r: { method: string; headers: Record<string, string | string[] | undefined> }, ownOrigin: string): Doubt {
  const header = (name: string) => {
    const v = r.headers[name]
    return Array.isArray(v) ? v.join(',') : v
  }
  const site = header('sec-fetch-site')
  const origin = header('origin')
  const changes = !SAFE_METHODS.has(r.method)
  if (site !== undefined && site !== 'same-origin' && site !== 'none') {
    // another site may link to a page, nothing else: no form, no fetch, no frame, no image
    const navigation = header('sec-fetch-mode') === 'navigate' && (header('sec-fetch-dest') ?? 'document') === 'document'
    if (changes || !navigation) return ORIGIN_REFUSED(`a ${site} request is refused: only this listener's own pages may send it`)
  }
  if (changes) {
    // 'none' is a request the person made by hand (a bookmark, the address bar): never a change
    if (site === 'none') return ORIGIN_REFUSED('a change must come from a page of this listener')
    // Under Referrer-Policy: no-referrer a browser's own form posts say Origin: null; its Sec-Fetch-Site then
    // tells where it comes from. Without Sec-Fetch-Site (an older browser), an opaque origin proves nothing.
    const opaqueButSameOrigin = origin === 'null' && site === 'same-origin'
    if (origin !== undefined && origin !== ownOrigin && !opaqueButSameOrigin) {
      return ORIGIN_REFUSED(`a change from ${origin === 'null' ? 'an opaque origin' : 'another origin'} is refused`)
    }
  }
  return undefined
}

/** The API's changes take JSON only: a form or a text/plain fetch of another site cannot be one. */
export function mediaTypeDoubt(r: { method: string; headers: Record<string, string | string[] | undefined> }): Doubt {
  if (SAFE_METHODS.has(r.method)) return undefined
  const type = r.headers['content-type']
  const length = r.headers['content-length']
  const hasBody = (length !== undefined && length !== '0') || r.headers['transfer-encoding'] !== undefined
  if (type === undefined && !hasBody) return undefined
  const media = (Array.isArray(type) ? type[0] : type)?.split(';')[0]?.trim().toLowerCase()
  if (media === 'application/json') return undefined
  return {
    kind: 'unsupported-media-type',
    code: operationKinds['unsupported-media-type'].code,
    detail: 'the admin API takes application/json only',
  }
}

/** Every header the admin listener's answers carry, and the checks of each request before its identity is looked up. */
export async function guardAgainstOtherSites(
  app: FastifyInstance,
  problem: (reply: FastifyReply, doubt: NonNullable<Doubt>) => FastifyReply,
  /** what a listener's pages need beyond the defaults (the online application's design kit embeds a font as data:) */
  more: { fontSrc?: string[] } = {},
): Promise<void> {
  await app.register(helmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'none'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        baseUri: ["'none'"],
        ...(more.fontSrc ? { fontSrc: more.fontSrc } : {}),
      },
    },
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
    hsts: HSTS,
    // the listener serves only itself: nothing of it is another site's resource or popup
    crossOriginResourcePolicy: { policy: 'same-origin' },
    crossOriginOpenerPolicy: { policy: 'same-origin' },
  })
  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    const doubt =
      originDoubt(request, `https://${request.host}`) ?? (request.url.startsWith('/admin/v1/') ? mediaTypeDoubt(request) : undefined)
    if (doubt) {
      request.log.warn(
        {
          method: request.method,
          url: request.url.split('?')[0],
          origin: request.headers.origin,
          site: request.headers['sec-fetch-site'],
          code: doubt.code,
        },
        'admin request refused: not from this listener',
      )
      return problem(reply, doubt)
    }
  })
}
