// The informativa's version is its text's: the same text (whatever its line endings) keeps it, any change makes
// a new one, which every operatore accepts again.
import t from 'tap'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { loadInformativa } from '../../src/online/informativa.ts'

t.test('versioned by its text; paragraphs by blank lines', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'invciv-informativa-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const write = (name: string, text: string) => (writeFileSync(path.join(dir, name), text), path.join(dir, name))
  const first = loadInformativa(write('a.txt', 'Primo paragrafo,\nsu due righe.\n\nSecondo.\n'))
  t.match(first.versione, /^[0-9a-f]{12}$/)
  t.same(first.paragraphs, ['Primo paragrafo, su due righe.', 'Secondo.'])
  t.equal(
    loadInformativa(write('b.txt', 'Primo paragrafo,\r\nsu due righe.\r\n\r\nSecondo.')).versione,
    first.versione,
    'line endings are not a new text',
  )
  t.not(
    loadInformativa(write('c.txt', 'Primo paragrafo,\nsu due righe.\n\nSecondo, cambiato.')).versione,
    first.versione,
    'a changed text is a new version',
  )
})
