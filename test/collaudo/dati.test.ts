// The published test data hold together: every codice fiscale is valid, every case's answer is what the
// verification rules give on the verbali loaded (the lookup's own decideEsito, annulled ones left out), and the
// relative dates stay relative (a revision ahead, a later judgment behind) whatever the day.
import t from 'tap'
import { readFileSync } from 'node:fs'
import { datiCollaudo, RIFIUTI, tablesMarkdown } from '../../src/collaudo/dati.ts'
import { decideEsito, normaliseKey, type Verbale } from '../../src/verification/esito.ts'
import { validateCodiceFiscale } from '../../src/verification/codice-fiscale.ts'
import { refusalCodes } from '../../src/errors.ts'

for (const giorno of ['2026-12-07', '2027-03-01', '2028-02-29']) {
  t.test(`the cases of ${giorno} get their answers`, async (t) => {
    const { verbali, casi } = datiCollaudo(giorno)
    const archive: Verbale[] = verbali.filter((v) => !v.annullato).map((v, id) => ({ ...v, id, registratoIl: new Date(v.registratoIl) }))
    for (const c of casi) {
      t.ok(validateCodiceFiscale(c.richiesta.codiceFiscale).ok, `${c.caso}: a valid codice fiscale`)
      const presented = {
        codiceFiscale: normaliseKey(c.richiesta.codiceFiscale),
        numeroVerbale: normaliseKey(c.richiesta.numeroVerbale),
        dataVerbale: c.richiesta.dataVerbale,
        categoria: c.richiesta.categoria,
        giudizio: c.richiesta.giudizio,
      }
      const own = archive.filter((v) => v.codiceFiscale === presented.codiceFiscale && v.categoria === presented.categoria)
      t.same(decideEsito(presented, own), c.risposta, c.caso)
    }
    const rivedibile = casi.find((c) => c.caso === 'valido-rivedibile')?.risposta
    t.ok(rivedibile && 'dataRevisione' in rivedibile && (rivedibile.dataRevisione ?? '') > giorno, 'the revision is ahead')
    t.same(new Set(casi.map((c) => c.caso)).size, casi.length, 'each case named once')
    const esiti = new Set(casi.map((c) => c.risposta.esito))
    t.same([...esiti].sort(), ['NON_VALIDO', 'VALIDO', 'VALIDO_NEL_PERIODO'], 'every esito')
    t.same(new Set(casi.map((c) => c.richiesta.categoria)).size, 5, 'every categoria')
  })
}

t.test('every refusal code a partner can meet has a way to meet it', async (t) => {
  const documented = new Set(RIFIUTI.map((r) => r.codice))
  t.same(
    refusalCodes.filter((c) => !documented.has(c)),
    [],
    'every code of the catalogue, provoked or caused',
  )
})

t.test("docs/collaudo.md's tables are this module's, word for word", async (t) => {
  const doc = readFileSync(new URL('../../docs/collaudo.md', import.meta.url), 'utf8')
  t.ok(doc.includes(tablesMarkdown()), 'regenerate them from tablesMarkdown()')
})
