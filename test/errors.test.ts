// The catalogue is the one source of refusal codes: docs/partners.md's table and the XSD must agree with it, and
// docs/cli.md's table of the admin API's and the command line's errors with theirs.
import t from 'tap'
import { readFileSync } from 'node:fs'
import { catalogue, refusalCodes, regole } from '../src/errors.ts'
import { operationKinds, TRAIL_BROKEN_EXIT_CODE } from '../src/operation-error.ts'
import { xsdSource } from '../src/channels/soap/wsdl.ts'

const partners = readFileSync(new URL('../docs/partners.md', import.meta.url), 'utf8')
const cli = readFileSync(new URL('../docs/cli.md', import.meta.url), 'utf8')

t.test("the partners' refusal table lists exactly the catalogue, with its fault kind and status", async (t) => {
  const rows = [...partners.matchAll(/^\| `([A-Z_]+)` \| soap:(Client|Server) \| (\d{3}) \|/gm)]
  t.same(rows.map((r) => r[1]).sort(), [...refusalCodes].sort())
  for (const [, code, fault, status] of rows) {
    const kind = catalogue[code as keyof typeof catalogue]
    t.equal(fault, kind.fault === 'client' ? 'Client' : 'Server', `${code} fault`)
    t.equal(Number(status), kind.httpStatus, `${code} status`)
  }
})

t.test('the XSD enumerates exactly the catalogue in CodiceErrore', async (t) => {
  const block = /<xs:simpleType name="CodiceErrore">([\s\S]*?)<\/xs:simpleType>/.exec(xsdSource)?.[1] ?? ''
  t.same([...block.matchAll(/value="([A-Z_]+)"/g)].map((m) => m[1]).sort(), [...refusalCodes].sort())
})

t.test('the XSD enumerates exactly the rules a field can break in Regola', async (t) => {
  const block = /<xs:simpleType name="Regola">([\s\S]*?)<\/xs:simpleType>/.exec(xsdSource)?.[1] ?? ''
  t.same([...block.matchAll(/value="([A-Za-z-]+)"/g)].map((m) => m[1]).sort(), [...regole].sort())
})

t.test("the partners' table of what a refusal tells lists exactly those", async (t) => {
  const from = partners.indexOf('### What a refusal tells')
  const section = partners.slice(from, partners.indexOf('\n## ', from))
  t.same([...section.matchAll(/^\| `([a-zA-Z-]+)` \| [^|]+ \|$/gm)].map((m) => m[1]).sort(), [...regole].sort())
})

t.test('client faults are 4xx, server faults 5xx', async (t) => {
  for (const code of refusalCodes) {
    const { fault, httpStatus } = catalogue[code]
    t.equal(fault === 'client', httpStatus < 500, code)
  }
})

t.test("the command line's table of operation errors is the catalogue: status, code and exit code of each kind", async (t) => {
  const rows = [...cli.matchAll(/^\| `([a-z-]+)` \| (\d{3}) \| `([A-Z_]+)` \| (\d+) \| (.+) \|$/gm)]
  t.same(rows.map((r) => r[1]).sort(), Object.keys(operationKinds).sort())
  for (const [, kind, status, code, exitCode, description] of rows) {
    t.match(
      operationKinds[kind as keyof typeof operationKinds],
      { status: Number(status), code, exitCode: Number(exitCode), description },
      String(kind),
    )
  }
  const exitCodes = Object.values(operationKinds).map((k) => k.exitCode)
  t.equal(new Set([...exitCodes, TRAIL_BROKEN_EXIT_CODE, 0]).size, exitCodes.length + 2, 'every exit code tells one thing')
})
