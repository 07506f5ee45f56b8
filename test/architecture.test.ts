// The house as docs/architecture.md draws it: every module of src/ lives in a room of its table, imports only
// from the rooms its row allows (or its own), and no chain of imports comes back to where it started.
import t from 'tap'
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { projectRoot } from '../src/project-root.ts'

const src = path.join(projectRoot, 'src')

/** The "Rooms" table of docs/architecture.md: room → the rooms it may import from. */
function roomsOfDoc(): Map<string, Set<string>> {
  const doc = readFileSync(path.join(projectRoot, 'docs', 'architecture.md'), 'utf8')
  const table = doc.slice(doc.indexOf('## Rooms'))
  const rooms = new Map<string, Set<string>>()
  for (const [, room, allowed] of table.matchAll(/^\| `([^`]+)` \|[^|]*\|([^|]*)\|$/gm)) {
    rooms.set(room as string, new Set([...(allowed as string).matchAll(/`([^`]+)`/g)].map((m) => m[1] as string)))
  }
  return rooms
}

function modules(dir = src): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const file = path.join(dir, e.name)
    return e.isDirectory() ? modules(file) : e.name.endsWith('.ts') ? [path.relative(src, file)] : []
  })
}

/** A module's room: its folder under src/ (`policy/`), or the file itself for top-level modules (`clock.ts`). */
function roomOf(module: string, rooms: Map<string, Set<string>>): string | undefined {
  const folder = module.includes('/') ? `${module.split('/')[0]}/` : module
  return rooms.has(folder) ? folder : undefined
}

function importsOf(module: string): string[] {
  const text = readFileSync(path.join(src, module), 'utf8')
  return [...text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)].map((m) =>
    path.normalize(path.join(path.dirname(module), m[1] as string)),
  )
}

const rooms = roomsOfDoc()
const all = modules()

t.test('docs/architecture.md has its rooms table', async (t) => {
  t.ok(rooms.size >= 10, `${rooms.size} rooms`)
  for (const [room, allowed] of rooms) for (const other of allowed) t.ok(rooms.has(other), `${room} may import ${other}, which is a room`)
})

t.test('every module lives in a room and imports only from the rooms its row allows', async (t) => {
  const strays = all.filter((m) => roomOf(m, rooms) === undefined)
  t.same(strays, [], 'modules outside every room')
  const breaches: string[] = []
  for (const module of all) {
    const room = roomOf(module, rooms) as string
    for (const target of importsOf(module)) {
      const other = roomOf(target, rooms)
      if (other !== room && !(other && rooms.get(room)?.has(other))) breaches.push(`${module} → ${target}`)
    }
  }
  t.same(breaches, [], 'imports against the table')
})

t.test('no import cycle', async (t) => {
  const graph = new Map(all.map((m) => [m, importsOf(m)]))
  const cycles: string[] = []
  const state = new Map<string, 'open' | 'done'>()
  const stack: string[] = []
  const visit = (m: string) => {
    if (state.get(m) === 'done') return
    if (state.get(m) === 'open') {
      cycles.push([...stack.slice(stack.indexOf(m)), m].join(' → '))
      return
    }
    state.set(m, 'open')
    stack.push(m)
    for (const next of graph.get(m) ?? []) visit(next)
    stack.pop()
    state.set(m, 'done')
  }
  for (const m of all) visit(m)
  t.same(cycles, [], 'cycles')
})

t.test('bench/ imports nothing from test/: what a user runs stands on the sources alone', async (t) => {
  const bench = path.join(projectRoot, 'bench')
  const files = (function walk(dir: string): string[] {
    return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? walk(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : [],
    )
  })(bench)
  const intoTests = files.flatMap((f) =>
    [...readFileSync(f, 'utf8').matchAll(/(?:from|import)\s*\(?\s*'([^']+)'/g)]
      .map((m) => path.resolve(path.dirname(f), m[1] as string))
      .filter((target) => target.startsWith(path.join(projectRoot, 'test') + path.sep))
      .map((target) => `${path.relative(projectRoot, f)} → ${path.relative(projectRoot, target)}`),
  )
  t.same(intoTests, [])
})
