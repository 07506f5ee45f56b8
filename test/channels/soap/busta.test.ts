// Reading the e-Gov busta: GovWay's own template as a PdD sends it, and each way a busta can be wrong, with the
// eccezione (code and posizione) GovWay would raise for it.
import t from 'tap'
import { readEnvelope, type Envelope } from '../../../src/channels/soap/envelope.ts'
import { busta, withHeader } from '../../helpers/busta.ts'
import { fromRomeWallClock } from '../../../src/clock.ts'

const BODY = `<v1:VerificaGiudizioRichiesta xmlns:v1="urn:it:inps:invciv:verifica:v1"><v1:riferimentoPratica>PR-1</v1:riferimentoPratica></v1:VerificaGiudizioRichiesta>`
const read = (xml: string): Envelope => readEnvelope(Buffer.from(xml, 'utf8'))
const codes = (e: Envelope) => (e.busta?.eccezioni ?? []).map((x) => `${x.codice} ${x.posizione} ${x.rilevanza}`)

t.test("GovWay's SPCoop template, with its placeholders filled, is read whole and raises nothing", async (t) => {
  // benchmark/example/soap/sicurezza/spcoop_template/1024B.xml, as its test driver fills DATA; our body instead of theirs
  const template = `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsd="http://services.samples/xsd">
\t<soapenv:Header>
\t <eGov_IT:Intestazione SOAP_ENV:actor="http://www.cnipa.it/eGov_it/portadominio" SOAP_ENV:mustUnderstand="1" xmlns:SOAP_ENV="http://schemas.xmlsoap.org/soap/envelope/" xmlns:eGov_IT="http://www.cnipa.it/schemas/2003/eGovIT/Busta1_0/">
   <eGov_IT:IntestazioneMessaggio>
    <eGov_IT:Mittente>
\t    <eGov_IT:IdentificativoParte tipo="SPC">ENTE</eGov_IT:IdentificativoParte>
    </eGov_IT:Mittente>
    <eGov_IT:Destinatario>
\t    <eGov_IT:IdentificativoParte tipo="SPC">ENTE</eGov_IT:IdentificativoParte>
    </eGov_IT:Destinatario>
    <eGov_IT:ProfiloCollaborazione>EGOV_IT_ServizioSincrono</eGov_IT:ProfiloCollaborazione>
    <eGov_IT:Servizio tipo="SPC">StressTestSoapProxy</eGov_IT:Servizio>
    <eGov_IT:Azione>test</eGov_IT:Azione>
    <eGov_IT:Messaggio>
\t    <eGov_IT:Identificatore>ENTE_ENTESPCoopIT_2411206_DATA_00:01</eGov_IT:Identificatore>
\t    <eGov_IT:OraRegistrazione tempo="EGOV_IT_SPC">DATAT00:00:00.111</eGov_IT:OraRegistrazione>
    </eGov_IT:Messaggio>
    <eGov_IT:ProfiloTrasmissione confermaRicezione="false" inoltro="EGOV_IT_PIUDIUNAVOLTA"/>
   </eGov_IT:IntestazioneMessaggio>
   <eGov_IT:ListaTrasmissioni>
    <eGov_IT:Trasmissione>
     <eGov_IT:Origine>
\t     <eGov_IT:IdentificativoParte tipo="SPC">ENTE</eGov_IT:IdentificativoParte>
     </eGov_IT:Origine>
     <eGov_IT:Destinazione>
\t     <eGov_IT:IdentificativoParte tipo="SPC">ENTE</eGov_IT:IdentificativoParte>
     </eGov_IT:Destinazione>
     <eGov_IT:OraRegistrazione tempo="EGOV_IT_SPC">DATAT00:00:00.111</eGov_IT:OraRegistrazione>
    </eGov_IT:Trasmissione>
   </eGov_IT:ListaTrasmissioni>
  </eGov_IT:Intestazione>
 </soapenv:Header>
<soapenv:Body>
${BODY}
</soapenv:Body>
</soapenv:Envelope>
`.replaceAll('DATA', '2011-08-04')
  const e = read(template)
  t.same(e.payload, { kind: 'fields', fields: { riferimentoPratica: 'PR-1' } }, 'the body is read as without a busta')
  t.same(e.busta, {
    eccezioni: [],
    mittente: { tipo: 'SPC', nome: 'ENTE' },
    destinatario: { tipo: 'SPC', nome: 'ENTE' },
    profiloCollaborazione: 'EGOV_IT_ServizioSincrono',
    servizio: { tipo: 'SPC', nome: 'StressTestSoapProxy' },
    azione: 'test',
    identificatore: 'ENTE_ENTESPCoopIT_2411206_2011-08-04_00:01',
    oraRegistrazione: fromRomeWallClock('2011-08-04T00:00:00.111'),
  })
  t.equal(
    e.busta?.oraRegistrazione?.toISOString(),
    '2011-08-03T22:00:00.111Z',
    "a time without a zone is Rome's wall clock (summer: UTC+2)",
  )
})

t.test('a busta is a header the gateway understands: no MustUnderstand refusal for it, one for any other', async (t) => {
  t.equal(read(withHeader(busta(), BODY)).payload.kind, 'fields')
  const other = `<x:Other xmlns:x="urn:x" soapenv:mustUnderstand="1"/>`
  const e = read(withHeader(busta() + other, BODY))
  t.match(e.payload, { kind: 'malformed', mustUnderstand: '{urn:x}Other' })
  t.ok(e.busta, 'the busta is still read, so the answer can refer to it')
})

t.test('each part of a busta that is missing or malformed is the eccezione GovWay raises for it', async (t) => {
  const cases: Array<[string, string, string[]]> = [
    ['no actor', busta({ actor: null }), ['EGOV_IT_002 Intestazione/actor GRAVE']],
    ['another actor', busta({ actor: 'urn:other' }), ['EGOV_IT_002 Intestazione/actor GRAVE']],
    ['no mustUnderstand', busta({ mustUnderstand: null }), ['EGOV_IT_002 Intestazione/mustUnderstand GRAVE']],
    ['mustUnderstand 0', busta({ mustUnderstand: '0' }), ['EGOV_IT_002 Intestazione/mustUnderstand GRAVE']],
    // the helper writes the Mittente and the time in the ListaTrasmissioni too, where they are reported, LIEVE
    [
      'a Mittente that is not a code',
      busta({ mittente: 'Ente A' }),
      [
        'EGOV_IT_101 Mittente/IdentificativoParte GRAVE',
        'EGOV_IT_110 Messaggio/Identificatore GRAVE',
        'EGOV_IT_116 ListaTrasmissioni/Trasmissione/Origine/IdentificativoParte LIEVE',
      ],
    ],
    [
      'a Mittente without tipo',
      busta().replace(
        '<eGov_IT:IdentificativoParte tipo="SPC">EnteA</eGov_IT:IdentificativoParte>\n    </eGov_IT:Mittente>',
        '<eGov_IT:IdentificativoParte>EnteA</eGov_IT:IdentificativoParte>\n    </eGov_IT:Mittente>',
      ),
      ['EGOV_IT_101 Mittente/IdentificativoParte/tipo GRAVE'],
    ],
    ['no Destinatario', busta().replace(/<eGov_IT:Destinatario>[\s\S]*?<\/eGov_IT:Destinatario>/, ''), ['EGOV_IT_102 Destinatario GRAVE']],
    ['an unknown ProfiloCollaborazione', busta({ profilo: 'Sincrono' }), ['EGOV_IT_103 ProfiloCollaborazione GRAVE']],
    [
      'a Servizio without tipo',
      busta().replace('<eGov_IT:Servizio tipo="SPC">', '<eGov_IT:Servizio>'),
      ['EGOV_IT_105 Servizio/tipo GRAVE'],
    ],
    ['no Azione', busta().replace(/<eGov_IT:Azione>[^<]*<\/eGov_IT:Azione>/, ''), ['EGOV_IT_106 Azione GRAVE']],
    ['two Azioni', busta({ extra: '<eGov_IT:Azione>Altra</eGov_IT:Azione>' }), ['EGOV_IT_106 Azione GRAVE']],
    ['no Identificatore', busta({ identificatore: '' }), ['EGOV_IT_107 Messaggio/Identificatore GRAVE']],
    [
      'an Identificatore of four parts',
      busta({ identificatore: 'EnteA_EnteASPCoopIT_0000001_2026-12-01' }),
      ['EGOV_IT_110 Messaggio/Identificatore GRAVE'],
    ],
    [
      'a counter of six digits',
      busta({ identificatore: 'EnteA_EnteASPCoopIT_000001_2026-12-01_10:00' }),
      ['EGOV_IT_110 Messaggio/Identificatore GRAVE'],
    ],
    [
      'a date that does not exist',
      busta({ identificatore: 'EnteA_EnteASPCoopIT_0000001_2026-02-30_10:00' }),
      ['EGOV_IT_110 Messaggio/Identificatore GRAVE'],
    ],
    [
      'a year after 2100',
      busta({ identificatore: 'EnteA_EnteASPCoopIT_0000001_2101-01-01_10:00' }),
      ['EGOV_IT_110 Messaggio/Identificatore GRAVE'],
    ],
    ['hour 24', busta({ identificatore: 'EnteA_EnteASPCoopIT_0000001_2026-12-01_24:00' }), ['EGOV_IT_110 Messaggio/Identificatore GRAVE']],
    [
      'an OraRegistrazione that is not a time',
      busta({ oraText: 'ieri' }),
      ['EGOV_IT_108 Messaggio/OraRegistrazione GRAVE', 'EGOV_IT_116 ListaTrasmissioni/Trasmissione/OraRegistrazione LIEVE'],
    ],
    [
      'an OraRegistrazione of an unknown tempo',
      busta().replace('<eGov_IT:OraRegistrazione tempo="EGOV_IT_SPC">', '<eGov_IT:OraRegistrazione tempo="UTC">'),
      ['EGOV_IT_108 Messaggio/OraRegistrazione/tempo GRAVE'],
    ],
    [
      'an unknown inoltro',
      busta().replace('inoltro="EGOV_IT_PIUDIUNAVOLTA"', 'inoltro="SEMPRE"'),
      ['EGOV_IT_113 ProfiloTrasmissione/inoltro GRAVE'],
    ],
    [
      'an element the busta does not have',
      busta({ extra: '<eGov_IT:Priorita>alta</eGov_IT:Priorita>' }),
      ['EGOV_IT_002 IntestazioneMessaggio GRAVE'],
    ],
    [
      'a malformed ListaTrasmissioni (reported, not refused)',
      busta({
        trasmissioni:
          '<eGov_IT:ListaTrasmissioni><eGov_IT:Trasmissione><eGov_IT:Origine/></eGov_IT:Trasmissione></eGov_IT:ListaTrasmissioni>',
      }),
      [
        'EGOV_IT_116 ListaTrasmissioni/Trasmissione/Origine LIEVE',
        'EGOV_IT_116 ListaTrasmissioni/Trasmissione/Destinazione LIEVE',
        'EGOV_IT_116 ListaTrasmissioni/Trasmissione/OraRegistrazione LIEVE',
      ],
    ],
    [
      'a ListaRiscontri, well formed, accepted',
      busta({
        trasmissioni:
          '<eGov_IT:ListaRiscontri><eGov_IT:Riscontro><eGov_IT:Identificatore>X_Y_0000001_2026-12-01_10:00</eGov_IT:Identificatore><eGov_IT:OraRegistrazione tempo="EGOV_IT_Locale">2026-12-01T10:00:00</eGov_IT:OraRegistrazione></eGov_IT:Riscontro></eGov_IT:ListaRiscontri>',
      }),
      [],
    ],
    ['elements of other namespaces, ignored', busta({ extra: '<x:Note xmlns:x="urn:x">any</x:Note>' }), []],
  ]
  for (const [name, header, expected] of cases) t.same(codes(read(withHeader(header, BODY))), expected, name)
})

t.test('two buste in one header are one eccezione, not a choice', async (t) => {
  t.same(codes(read(withHeader(busta() + busta(), BODY))), ['EGOV_IT_002 Intestazione GRAVE'])
})

t.test('only an Identificatore of the standard form is kept, to be echoed and traced', async (t) => {
  const hostile = read(withHeader(busta({ identificatore: 'EnteA_&lt;script&gt;_0000001_2026-12-01_10:00' }), BODY))
  t.equal(hostile.busta?.identificatore, undefined)
  t.equal(
    read(withHeader(busta({ identificatore: 'EnteA_EnteASPCoopIT_0000001_2026-12-01_10:00' }), BODY)).busta?.identificatore,
    'EnteA_EnteASPCoopIT_0000001_2026-12-01_10:00',
  )
})

t.test('times with a zone are taken at their word; Rome wall-clock times through both changes of hour', async (t) => {
  const at = (text: string) => read(withHeader(busta({ oraText: text }), BODY)).busta?.oraRegistrazione?.toISOString()
  t.equal(at('2026-12-01T10:00:00Z'), '2026-12-01T10:00:00.000Z')
  t.equal(at('2026-12-01T10:00:00+01:00'), '2026-12-01T09:00:00.000Z')
  t.equal(at('2026-12-01T10:00:00'), '2026-12-01T09:00:00.000Z', 'winter: UTC+1')
  t.equal(at('2026-03-29T02:30:00'), undefined, 'the hour skipped when summer time starts does not exist in Rome')
  t.equal(at('2026-10-25T02:30:00'), '2026-10-25T00:30:00.000Z', 'the hour repeated when it ends: the first of the two')
})
