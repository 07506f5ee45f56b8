// The sign-in against a provider that answers wrongly: every fault the issue names (state, nonce, signature,
// issuer, a missing claim) and the others SPID's rules check (audience, at_hash, level, a UserInfo answer not
// signed and encrypted as registered) ends in a SignInError, never a person; the right answer signs one in.
import t, { type Test } from 'tap'
import { Agent } from 'undici'
import { createSignIn, SignInError } from '../../src/online/sign-in.ts'
import { startFakeProvider, type Fault } from '../helpers/fake-oidc.ts'
import { ca } from '../helpers/certs.ts'

const dispatcher = new Agent({ connect: { ca } })
const REDIRECT = 'https://online.example/accesso/ritorno'

async function signInAgainst(t: Test, fault: Fault) {
  const fake = await startFakeProvider({ fault })
  t.teardown(() => fake.close())
  const signIn = await createSignIn({
    issuer: fake.issuer,
    clientId: fake.clientId,
    clientKeys: fake.clientKeys,
    redirectUri: REDIRECT,
    minimumAcr: 'https://www.spid.gov.it/SpidL2',
    fiscalNumberClaim: 'https://attributes.eid.gov.it/fiscal_number',
    ca,
  })
  const { url, pending } = await signIn.start()
  const res = await fetch(url, { redirect: 'manual', dispatcher } as RequestInit)
  const back = new URL(res.headers.get('location') ?? '')
  t.equal(back.origin + back.pathname, REDIRECT, 'the provider sends the person back')
  return signIn.finish(back, pending)
}

t.test('the right answer signs the person in, with a UserInfo answer signed and encrypted', async (t) => {
  const person = await signInAgainst(t, 'none')
  t.equal(person.codiceFiscale, 'BNCLRA85M41H501Z')
  t.equal(person.livello, 'https://www.spid.gov.it/SpidL2')
  t.equal(person.nome, 'Laura Bianchi')
})

const refused: [Fault, RegExp][] = [
  ['state', /state/i],
  ['nonce', /nonce/i],
  ['issuer', /iss/i],
  ['audience', /aud/i],
  ['signature', /signature|verification failed/i],
  ['at_hash', /at_hash/],
  ['no fiscal number', /fiscal_number/],
  ['acr L1', /acr .*SpidL1 below/],
  ['userinfo in clear', /userinfo/i],
  ['userinfo unsigned', /userinfo/i],
]
for (const [fault, why] of refused) {
  t.test(`refused: ${fault}`, async (t) => {
    const err = await signInAgainst(t, fault).then(
      () => undefined,
      (e: unknown) => e,
    )
    t.ok(err instanceof SignInError, 'a sign-in error, never a person')
    t.match((err as SignInError).detail, why, 'the log says why')
    t.notMatch((err as SignInError).said, /nonce|state|iss|aud|signature|hash|JWT|Error/i, 'the person is told plainly')
  })
}
