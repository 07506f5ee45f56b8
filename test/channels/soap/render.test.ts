import t from 'tap'
import { randomUUID } from 'node:crypto'
import { renderFault, renderRisposta } from '../../../src/channels/soap/render.ts'
import { refusalCodes } from '../../../src/errors.ts'
import { xsdErrors, xsdErrorsEach } from '../../helpers/xsd.ts'

const at = new Date('2026-11-22T10:00:00.000Z')

t.test('every kind of answer validates against the XSD', async (t) => {
  const answers = [
    { esito: { esito: 'NON_VALIDO' as const }, dataOraVerifica: at },
    { esito: { esito: 'VALIDO' as const, validoDal: '2023-03-15' }, dataOraVerifica: at },
    { esito: { esito: 'VALIDO' as const, validoDal: '2023-03-15', dataRevisione: '2027-03-15' }, dataOraVerifica: at },
    { esito: { esito: 'VALIDO_NEL_PERIODO' as const, validoDal: '2019-06-10', validoAl: '2022-08-31' }, dataOraVerifica: at },
  ]
  const errors = await xsdErrorsEach(answers.map((a) => renderRisposta(randomUUID(), a)))
  answers.forEach((a, i) => t.same(errors[i], [], a.esito.esito))
})

t.test('every refusal code renders a fault whose detail validates against the XSD', async (t) => {
  const faults = refusalCodes.map((code) =>
    renderFault(randomUUID(), { code, retryAfterSeconds: code === 'QUOTA_GIORNALIERA_ESAURITA' ? 3600 : undefined }),
  )
  const errors = await xsdErrorsEach(faults)
  refusalCodes.forEach((code, i) => {
    t.same(errors[i], [], code)
    t.match(
      faults[i],
      code.startsWith('SERVIZIO') || code === 'ERRORE_INTERNO'
        ? '<faultcode>soap:Server</faultcode>'
        : '<faultcode>soap:Client</faultcode>',
    )
  })
})

t.test('the validator does reject what the XSD forbids', async (t) => {
  const bad = renderRisposta(randomUUID(), { esito: { esito: 'VALIDO', validoDal: '2023-02-30' }, dataOraVerifica: at })
  t.not((await xsdErrors(bad)).length, 0, 'an impossible date')
  const unknown = renderFault('not-a-uuid', { code: 'ERRORE_INTERNO' })
  t.not((await xsdErrors(unknown)).length, 0, 'a malformed transaction id')
})
