// What the online application's routes share: its cookies' names, its templates and static files, its options,
// and the page and session helpers the application builds (online/app.ts) and hands each group of routes.
import { createRequire } from 'node:module'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { Logger } from 'pino'
import type pg from 'pg'
import type { BlockList } from 'node:net'
import type { Clock } from '../clock.ts'
import { views } from '../views.ts'
import type { Pipeline } from '../pipeline/pipeline.ts'
import type { Sessions, OnlineSession } from './sessions.ts'
import type { Informativa } from './informativa.ts'
import type { TotpStore } from './totp.ts'
import type { SignIn } from './sign-in.ts'
import type { CnsForm, CnsTrust } from './cns.ts'

export const SESSION = '__Host-invciv-sessione'
// The sign-in's own cookie comes back with the provider's redirect, a cross-site navigation: SameSite=Lax is what a
// browser sends then (Strict is not). It holds nothing but the key of the sign-in's state, for ten minutes.
export const SIGN_IN = '__Host-invciv-accesso'
export const CSRF_COOKIE = '__Host-invciv-online-csrf'
export const CSRF_FIELD = '_csrf'
export const HTML = 'text/html; charset=utf-8'
export const POSTING_FORM = /<form\b[^>]*\bmethod="post"[^>]*>/g

// Bootstrap Italia (Designers Italia's kit): its stylesheet only, served as the application's own file; no script
export const onlineViews = views('online', '/static', {
  'bootstrap-italia.css': createRequire(import.meta.url).resolve('bootstrap-italia/dist/css/bootstrap-italia.min.css'),
})
export const ASSETS = {
  kit: onlineViews.staticPath('bootstrap-italia.css'),
  stylesheet: onlineViews.staticPath('online.css'),
  script: onlineViews.staticPath('online.js'),
}

export const sessionCookie = { path: '/', secure: true, httpOnly: true, sameSite: 'strict' as const }

export interface OnlineAppOptions {
  tls: { cert: string; key: string; ciphers: string }
  /** sign-in with a CNS card: the issuers' trust the listener starts with, and the subject's forms accepted */
  cns: { trust: CnsTrust; subject: readonly CnsForm[] } | undefined
  logger: Logger
  db: pg.Pool
  clock: Clock
  pipeline: Pipeline
  sessions: Sessions
  signIn: () => Promise<SignIn>
  /** https://host[:port] as browsers reach the application (known once it listens) */
  url: () => string
  trustedProxies: BlockList | undefined
  csrfKey: Buffer
  informativa: Informativa
  totp: TotpStore
}

/** What the application gives each group of routes. */
export interface Pages {
  o: OnlineAppOptions
  /** the live session of the request's cookie */
  session: (request: FastifyRequest) => Promise<OnlineSession | undefined>
  /** a page: its template with its data, inside the layout, every posting form with its token */
  page: (
    reply: FastifyReply,
    status: number,
    name: string,
    data: { title: string } & Record<string, unknown>,
    person?: OnlineSession,
  ) => FastifyReply
  /** a page that only says something, with a link back home */
  say: (reply: FastifyReply, status: number, title: string, message: string, person?: OnlineSession) => FastifyReply
}

/** What a person with no right to the page is told, where more than one route tells it. */
export const NOT_ENABLED = 'Non risulti abilitato al servizio per alcuna convenzione: rivolgiti all’amministratore utenze del tuo ente.'
export const NOT_ADMINISTRATOR = 'Non risulti amministratore utenze di alcun ente.'
