// The pages' templates: what `<%= %>` prints (escaped; nothing for null and undefined; an object refused), the
// static files under names that change with their content, and each console form that posts given its token.
import t from 'tap'
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { views } from '../src/views.ts'
import { consoleViews, CSRF_FIELD, page } from '../src/admin/console/layout.ts'
import { projectRoot } from '../src/project-root.ts'

t.test('a value is escaped, null and undefined print nothing, an object is a mistake said loudly', async (t) => {
  const hostile = `<script>alert("x")</script>&'`
  const out = consoleViews.render('messaggio', { message: hostile, error: true, back: { href: '/console/"><x', label: null } })
  t.match(out, '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;')
  t.notMatch(out, '<script>')
  t.match(out, 'href="/console/&quot;&gt;&lt;x"', 'attributes too')
  t.match(out, '"></a>', 'null printed as nothing, not "null"')
  t.throws(() => consoleViews.render('messaggio', { message: { a: 1 } }), /a template printed a object/)
})

t.test('static files are named by their content, and served as their type', async (t) => {
  const css = consoleViews.staticPath('console.css')
  t.match(css, /^\/console\/static\/console-[0-9a-f]{12}\.css$/)
  t.equal(consoleViews.statics.get(css)?.type, 'text/css; charset=utf-8')
  t.equal(consoleViews.statics.get(css)?.body, readFileSync(path.join(projectRoot, 'views/console/static/console.css'), 'utf8'))
  t.throws(() => views('console', '/x').staticPath('nope.js'), /no static file nope.js/)
})

t.test('console templates post forms, the layout adds the CSRF token to a posting form, and the layout has nothing inline', async (t) => {
  const posting = readdirSync(path.join(projectRoot, 'views/console')).filter(
    (f) => f.endsWith('.eta') && /method="post"/.test(readFileSync(path.join(projectRoot, 'views/console', f), 'utf8')),
  )
  t.ok(posting.length >= 5, `${posting.length} templates post`)
  const html = page({ name: 'messaggio', data: { title: 'T', message: 'm' }, principal: undefined, path: '/console/', csrfToken: 'TOKEN' })
  t.notMatch(html, /<script>|<style|style="| on[a-z]+="/, 'no inline script, style or handler')
  const withForms = page({ name: 'soggetto', data: { title: 'T' }, principal: undefined, path: '/console/soggetto', csrfToken: 'TOKEN"<' })
  t.match(
    withForms,
    `<form class="filters noprint" method="post" action="/console/soggetto"><input type="hidden" name="${CSRF_FIELD}" value="TOKEN&quot;&lt;">`,
  )
})
