import t from 'tap'
import { randomUUID } from 'node:crypto'
import { renderFault, renderRisposta } from '../../../src/channels/soap/render.ts'
import { refusalCodes } from '../../../src/errors.ts'
import { xsdErrors } from '../../helpers/xsd.ts'

const at = new Date('2026-11-22T10:00:00.000Z')

t.test('every kind of answer validates against the XSD', async (t) => {
  const answers = [
    { esito: { esito: 'NON_VALIDO' as const }, dataOraVerifica: at },
    { esito: { esito: 'VALIDO' as const, validoDal: '2023-03-15' }, dataOraVerifica: at },
    { esito: { esito: 'VALIDO' as const, validoDal: '2023-03-15', dataRevisione: '2027-03-15' }, dataOraVerifica: at },
    { esito: { esito: 'VALIDO_NEL_PERIODO' as const, validoDal: '2019-06-10', validoAl: '2022-08-31' }, dataOraVerifica: at },
  ]
  for (const a of answers) t.same(await xsdErrors(renderRisposta(randomUUID(), a)), [], a.esito.esito)
})

t.test('every refusal code renders a fault whose detail validates against the XSD', async (t) => {
  for (const code of refusalCodes) {
    const xml = renderFault(randomUUID(), { code, retryAfterSeconds: code === 'QUOTA_GIORNALIERA_ESAURITA' ? 3600 : undefined })
    t.same(await xsdErrors(xml), [], code)
    t.match(xml, code.startsWith('SERVIZIO') || code === 'ERRORE_INTERNO' ? '<faultcode>soap:Server</faultcode>' : '<faultcode>soap:Client</faultcode>')
  }
})

t.test('the validator does reject what the XSD forbids', async (t) => {
  const bad = renderRisposta(randomUUID(), { esito: { esito: 'VALIDO', validoDal: '2023-02-30' }, dataOraVerifica: at })
  t.not((await xsdErrors(bad)).length, 0, 'an impossible date')
  const unknown = renderFault('not-a-uuid', { code: 'ERRORE_INTERNO' })
  t.not((await xsdErrors(unknown)).length, 0, 'a malformed transaction id')
})
