// DESIGN.md's checks, in order: adding a check is adding a file and a line here (and its settings, if any,
// a line in settings.ts). Check 0 (the TLS handshake)
// happens before a call exists; check 8 (the daily quota) and the lockout's count are commit rules, applied
// in the statement that commits the traccia (pipeline/group-commit.ts).
import { certificateAuthorized } from './certificate-authorized.ts'
import { convenzioneActive } from './convenzione-active.ts'
import { spcoopProfile } from './spcoop-profile.ts'
import { modiProfile } from './modi-profile.ts'
import { modiSoapProfile } from './modi-soap.ts'
import { utenzaOnline } from './utenza-online.ts'
import { ipAllowlist } from './ip-allowlist.ts'
import { fasciaOraria } from './fascia-oraria.ts'
import { requestValid } from './request-valid.ts'
import { operatorePresent } from './operatore-present.ts'
import { operatoreNotBlocked } from './operatore-not-blocked.ts'
import { collaudoProvocation } from './collaudo-provocation.ts'
import { dailyQuota } from './daily-quota.ts'
import { operatoreLockout } from './operatore-lockout.ts'
import { convenzioneCeiling } from './convenzione-ceiling.ts'
import type { CommitRule } from './commit-rule.ts'
import { chain, type Chain } from './stage.ts'
import type { Arrived, Checked } from './types.ts'

// Each stage is accepted only where what it reads is known; the annotation holds the chain to what the lookup
// and the commit need (policy/types.ts Checked).
export const checks: Chain<Arrived, Checked> = chain<Arrived>()
  .then(certificateAuthorized) // 1: adds the convenzione
  .then(convenzioneActive) // 2
  .then(utenzaOnline) // 2e: online, an enabled utenza of the convenzione
  .then(spcoopProfile) // 2b: the SOAP profile (an e-Gov busta for spcoop)
  .then(modiProfile) // 2c: the REST security profile (ModI, PDND): adds what the tokens proved
  .then(modiSoapProfile) // 2d: the SOAP security profile (ModI WS-Security): adds what it proved
  .then(ipAllowlist) // 3
  .then(fasciaOraria) // 4
  .then(requestValid) // 5: adds the request
  .then(operatorePresent) // 6: adds the operatore
  .then(operatoreNotBlocked) // 7
  .then(collaudoProvocation) // 7b: in collaudo only, the refusal a riferimentoPratica asks for

/** In the order their parameters follow the traccia's in invciv_commit_batch. */
export const commitRules: readonly CommitRule[] = [dailyQuota, operatoreLockout, convenzioneCeiling]
