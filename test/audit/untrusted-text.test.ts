// Text from outside, made harmless: in the trail (controls and bidi overrides made visible) and in CSV exports
// (formula triggers defused), against the payloads a hostile partner would send.
import t from 'tap'
import { csvCell, neutralise } from '../../src/audit/untrusted-text.ts'

t.test('every control and bidirectional character is stored as a visible <U+XXXX>', async (t) => {
  t.equal(neutralise('PR-1\u202Efdp.exe'), 'PR-1<U+202E>fdp.exe', 'right-to-left override')
  t.equal(
    neutralise('a\u2066b\u2069c\u200Ed\u200Fe\u061Cf\u202Ag'),
    'a<U+2066>b<U+2069>c<U+200E>d<U+200F>e<U+061C>f<U+202A>g',
    'isolates, marks, embeddings',
  )
  t.equal(
    neutralise('riga\nfalsa\r\u0000\u001b[31m\u0085\u009b'),
    'riga<U+000A>falsa<U+000D><U+0000><U+001B>[31m<U+0085><U+009B>',
    'C0 and C1 controls, ANSI escapes',
  )
  t.equal(neutralise('Pratica n. 12/2026 — àèìòù «ok» 日本'), 'Pratica n. 12/2026 — àèìòù «ok» 日本', 'ordinary text is left as it is')
})

t.test('a CSV cell that a spreadsheet would run as a formula is defused', async (t) => {
  const cases: Array<[unknown, string]> = [
    ['=HYPERLINK("http://evil","x")', `"'=HYPERLINK(""http://evil"",""x"")"`],
    ["+1+cmd|' /C calc'!A0", `'+1+cmd|' /C calc'!A0`],
    ['-2+3', `'-2+3`],
    ['@SUM(A1)', `'@SUM(A1)`],
    ['   =1+1', `'   =1+1`],
    ['\t=1', `'\t=1`],
    ['\r=1', `"'\r=1"`],
    ['\tplain', `'\tplain`],
    ['PR-1', 'PR-1'],
    ['a=b', 'a=b'],
    [-1.5, '-1.5'],
    [null, ''],
    [new Date('2026-11-30T10:00:00Z'), '2026-11-30T10:00:00.000Z'],
    [{ nome: '=x' }, '"{""nome"":""=x""}"'],
  ]
  for (const [value, cell] of cases) t.equal(csvCell(value), cell, JSON.stringify(value))
})
