// The admin API's OpenAPI 3.1 document, made from the routes' own schemas as they are registered: what the
// API validates and answers is what the document says.
import type { FastifyInstance, RouteOptions } from 'fastify'
import { problemSchema } from './schemas.ts'

interface Operation {
  summary?: string
  parameters?: object[]
  requestBody?: object
  responses: Record<string, object>
}

const TITLES: Record<string, string> = {
  200: 'OK',
  201: 'Created',
  400: 'Invalid',
  403: 'Forbidden',
  404: 'Not found',
  409: 'Refused',
  500: 'Internal error',
  503: 'Unavailable',
}

interface ObjectSchema {
  properties?: Record<string, object>
  required?: readonly string[]
}

function parameters(where: 'path' | 'query', schema: ObjectSchema | undefined): object[] {
  return Object.entries(schema?.properties ?? {}).map(([name, s]) => ({
    name,
    in: where,
    required: where === 'path' || (schema?.required ?? []).includes(name),
    schema: s,
  }))
}

function operationOf(route: RouteOptions): Operation {
  const schema = (route.schema ?? {}) as {
    summary?: string
    params?: ObjectSchema
    querystring?: ObjectSchema
    body?: { type?: unknown }
    response?: Record<string, { content?: object; description?: string }>
  }
  const responses = Object.fromEntries(
    Object.entries(schema.response ?? { 200: {} }).map(([status, s]) => {
      const media = s === problemSchema ? 'application/problem+json' : 'application/json'
      return [
        status,
        s.content
          ? { description: s.description ?? TITLES[status] ?? status, content: s.content }
          : { description: TITLES[status] ?? status, content: { [media]: { schema: s } } },
      ]
    }),
  )
  return {
    ...(schema.summary ? { summary: schema.summary } : {}),
    parameters: [...parameters('path', schema.params), ...parameters('query', schema.querystring)],
    ...(schema.body
      ? {
          requestBody: {
            required: !JSON.stringify(schema.body.type ?? '').includes('null'),
            content: { 'application/json': { schema: schema.body } },
          },
        }
      : {}),
    responses,
  }
}

/** Collects the routes registered from here on; the document is built when first asked for. */
export function openApiOf(app: FastifyInstance, info: { title: string; version: string }): () => object {
  const routes: RouteOptions[] = []
  app.addHook('onRoute', (route) => {
    if (route.url.startsWith('/admin/v1/') && route.method !== 'HEAD' && !route.schema?.hide) routes.push(route)
  })
  let document: object | undefined
  return () =>
    (document ??= {
      openapi: '3.1.0',
      info,
      paths: routes.reduce<Record<string, Record<string, Operation>>>((paths, route) => {
        const path = route.url.replace(/:(\w+)/g, '{$1}')
        for (const method of [route.method].flat()) (paths[path] ??= {})[method.toLowerCase()] = operationOf(route)
        return paths
      }, {}),
    })
}
