import t from 'tap'
import { decideEsito, type Verbale, type Presented } from '../../src/verification/esito.ts'

const CF = 'RSSMRA80A01H501U'
let nextId = 1
function verbale(v: Partial<Verbale> & Pick<Verbale, 'numeroVerbale' | 'dataVerbale'>): Verbale {
  return {
    id: nextId++,
    codiceFiscale: CF,
    categoria: 'INVALIDITA_CIVILE',
    tipoAccertamento: 'PRIMA_ISTANZA',
    giudizio: 'INV100',
    dataRevisione: null,
    registratoIl: new Date(`${v.dataVerbale}T10:00:00Z`),
    ...v,
  }
}
const ask = (v: Verbale, extra: Partial<Presented> = {}): Presented => ({
  codiceFiscale: v.codiceFiscale,
  numeroVerbale: v.numeroVerbale,
  dataVerbale: v.dataVerbale,
  categoria: v.categoria,
  ...extra,
})

const first = verbale({ numeroVerbale: 'V1', dataVerbale: '2020-01-10' })

t.test('a sole matching verbale is VALIDO from its date', async (t) => {
  t.same(decideEsito(ask(first), [first]), { esito: 'VALIDO', validoDal: '2020-01-10' })
})

t.test('no match is NON_VALIDO, whichever key differs', async (t) => {
  t.same(decideEsito(ask(first, { numeroVerbale: 'V2' }), [first]), { esito: 'NON_VALIDO' })
  t.same(decideEsito(ask(first, { dataVerbale: '2020-01-11' }), [first]), { esito: 'NON_VALIDO' })
  t.same(decideEsito(ask(first, { categoria: 'CECITA' }), [first]), { esito: 'NON_VALIDO' })
  t.same(decideEsito(ask(first, { codiceFiscale: 'BNCGLI75M52F205F' }), [first]), { esito: 'NON_VALIDO' })
  t.same(decideEsito(ask(first), []), { esito: 'NON_VALIDO' })
})

t.test('numero verbale is compared without regard to case and blanks', async (t) => {
  const v = verbale({ numeroVerbale: 'inv-7 ', dataVerbale: '2021-02-02' })
  t.equal(decideEsito(ask(v, { numeroVerbale: 'INV-7' }), [v]).esito, 'VALIDO')
})

t.test('giudizio, when given, must be equal too', async (t) => {
  t.equal(decideEsito(ask(first, { giudizio: 'INV100' }), [first]).esito, 'VALIDO')
  t.equal(decideEsito(ask(first, { giudizio: ' inv100 ' }), [first]).esito, 'VALIDO', 'trimmed, any case')
  t.same(decideEsito(ask(first, { giudizio: 'INV067' }), [first]), { esito: 'NON_VALIDO' })
  const noGiudizio = verbale({ numeroVerbale: 'V9', dataVerbale: '2020-05-05', giudizio: null })
  t.same(decideEsito(ask(noGiudizio, { giudizio: 'INV100' }), [noGiudizio]), { esito: 'NON_VALIDO' })
})

t.test('a rivedibile verbale carries its revision date', async (t) => {
  const v = verbale({ numeroVerbale: 'R1', dataVerbale: '2022-03-01', dataRevisione: '2025-03-01' })
  t.same(decideEsito(ask(v), [v]), { esito: 'VALIDO', validoDal: '2022-03-01', dataRevisione: '2025-03-01' })
})

t.test('a later judgment of any tipo supersedes: valid until the day before it', async (t) => {
  const later = verbale({ numeroVerbale: 'V2', dataVerbale: '2023-03-01', tipoAccertamento: 'REVISIONE' })
  t.same(decideEsito(ask(first), [later, first]), { esito: 'VALIDO_NEL_PERIODO', validoDal: '2020-01-10', validoAl: '2023-02-28' })
  t.same(decideEsito(ask(later), [later, first]), { esito: 'VALIDO', validoDal: '2023-03-01' }, 'the later one itself is current')
})

t.test('with several later judgments, the next one bounds the period', async (t) => {
  const second = verbale({ numeroVerbale: 'V2', dataVerbale: '2021-06-01', tipoAccertamento: 'AGGRAVAMENTO' })
  const third = verbale({ numeroVerbale: 'V3', dataVerbale: '2024-01-01', tipoAccertamento: 'AUTOTUTELA' })
  t.same(decideEsito(ask(first), [third, second, first]), { esito: 'VALIDO_NEL_PERIODO', validoDal: '2020-01-10', validoAl: '2021-05-31' })
  t.same(decideEsito(ask(second), [third, second, first]), { esito: 'VALIDO_NEL_PERIODO', validoDal: '2021-06-01', validoAl: '2023-12-31' })
})

t.test('the day before is computed across month, year and leap day', async (t) => {
  const a = verbale({ numeroVerbale: 'A', dataVerbale: '2023-12-01' })
  const b = verbale({ numeroVerbale: 'B', dataVerbale: '2024-03-01' })
  t.equal((decideEsito(ask(a), [a, b]) as { validoAl: string }).validoAl, '2024-02-29')
  const c = verbale({ numeroVerbale: 'C', dataVerbale: '2022-01-01' })
  const d = verbale({ numeroVerbale: 'D', dataVerbale: '2021-05-05' })
  t.equal((decideEsito(ask(d), [d, c]) as { validoAl: string }).validoAl, '2021-12-31')
})

t.test('two judgments on the same day: registration order decides, and the period is that one day', async (t) => {
  const morning = verbale({ numeroVerbale: 'M', dataVerbale: '2022-07-07', registratoIl: new Date('2022-07-07T08:00:00Z') })
  const afternoon = verbale({
    numeroVerbale: 'P',
    dataVerbale: '2022-07-07',
    registratoIl: new Date('2022-07-07T15:00:00Z'),
    tipoAccertamento: 'AUTOTUTELA',
  })
  t.same(decideEsito(ask(morning), [afternoon, morning]), { esito: 'VALIDO_NEL_PERIODO', validoDal: '2022-07-07', validoAl: '2022-07-07' })
  t.same(decideEsito(ask(afternoon), [afternoon, morning]), { esito: 'VALIDO', validoDal: '2022-07-07' })
})

t.test('a later judgment in another categoria does not supersede', async (t) => {
  const handicap = verbale({ numeroVerbale: 'H', dataVerbale: '2024-01-01', categoria: 'HANDICAP' })
  t.same(decideEsito(ask(first), [first, handicap]), { esito: 'VALIDO', validoDal: '2020-01-10' })
})

t.test("another person's later judgment does not supersede", async (t) => {
  const other = verbale({ numeroVerbale: 'O', dataVerbale: '2024-01-01', codiceFiscale: 'BNCGLI75M52F205F' })
  t.same(decideEsito(ask(first), [first, other]), { esito: 'VALIDO', validoDal: '2020-01-10' })
})

t.test('a superseded rivedibile verbale reports the period, not the revision date', async (t) => {
  const riv = verbale({ numeroVerbale: 'R', dataVerbale: '2020-02-02', dataRevisione: '2022-02-02' })
  const rev = verbale({ numeroVerbale: 'S', dataVerbale: '2022-01-15', tipoAccertamento: 'REVISIONE' })
  t.same(decideEsito(ask(riv), [riv, rev]), { esito: 'VALIDO_NEL_PERIODO', validoDal: '2020-02-02', validoAl: '2022-01-14' })
})
