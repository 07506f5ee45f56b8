// A CNS card's holder, read from its certificate's subject in the forms the configuration accepts, and the CNS
// issuers' trust: unreadable or development material refused in one line, as the listeners' own is.
import t from 'tap'
import { execFileSync } from 'node:child_process'
import { X509Certificate } from 'node:crypto'
import { holderOf, loadCnsTrust } from '../../src/online/cns.ts'
import { certFile, pem } from '../helpers/certs.ts'

/** A certificate with this subject (openssl's -subj syntax): only its subject matters here. */
function withSubject(subject: string): Buffer {
  const out = execFileSync('openssl', [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    '/dev/null',
    '-subj',
    subject,
    '-days',
    '1',
  ])
  return new X509Certificate(out).raw
}

t.test('the codice fiscale from either form a CNS issuer uses, and the holder’s name', async (t) => {
  const galli = new X509Certificate(pem('cns-galli.crt')).raw
  t.same(holderOf(galli, ['cn', 'serialNumber']), { codiceFiscale: 'GLLSRA75T50A662U', nome: 'SARA GALLI' })
  t.same(holderOf(withSubject('/CN=GLLSRA75T50A662U\\/7420000000000001.abc='), ['cn']), {
    codiceFiscale: 'GLLSRA75T50A662U',
    nome: 'GLLSRA75T50A662U',
  })
  t.match(holderOf(withSubject('/serialNumber=TINIT-GLLSRA75T50A662U/CN=Sara Galli'), ['serialNumber']), {
    codiceFiscale: 'GLLSRA75T50A662U',
  })
  t.match(holderOf(withSubject('/serialNumber=IT:GLLSRA75T50A662U/CN=Sara Galli'), ['serialNumber']), { codiceFiscale: 'GLLSRA75T50A662U' })
})

t.test('refused: a form not accepted, two codici that disagree, a codice that is not one, none at all', async (t) => {
  t.match(holderOf(withSubject('/serialNumber=TINIT-GLLSRA75T50A662U/CN=Sara Galli'), ['cn']), { refused: /no codice fiscale/ })
  t.match(holderOf(withSubject('/serialNumber=TINIT-GLLSRA75T50A662U/CN=BNCLRA85M41H501Z\\/7420.x='), ['cn', 'serialNumber']), {
    refused: /more than one/,
  })
  t.match(holderOf(withSubject('/CN=GLLSRA75T50A662X\\/7420.x='), ['cn']), { refused: /not valid/ }, 'a wrong check character')
  t.match(holderOf(withSubject('/CN=pdd.ente-a.dev'), ['cn', 'serialNumber']), { refused: /no codice fiscale/ })
  t.match(holderOf(Buffer.from('not a certificate'), ['cn']), { refused: /cannot be read/ })
})

t.test('the issuers’ trust: read and checked; the development issuer refused outside development mode', async (t) => {
  const files = { ca: certFile('cns-ca.crt'), crl: certFile('cns-ca.crl') }
  t.ok(loadCnsTrust(files, true).crl.length > 0)
  t.throws(() => loadCnsTrust(files, false), {
    message: /^development TLS material outside development mode: INVCIV_CNS_CA .* is certs-dev\/cns-ca$/,
  })
  t.throws(() => loadCnsTrust({ ...files, crl: '/nonexistent.crl' }, true), {
    message: /^cannot read the CNS CRLs \(INVCIV_CNS_CRL\) \/nonexistent.crl: ENOENT$/,
  })
  t.throws(
    () => loadCnsTrust({ ...files, crl: certFile('cns-ca.crt') }, true),
    { message: /^unusable CNS bundle or CRLs/ },
    'a certificate where the CRLs go',
  )
})
