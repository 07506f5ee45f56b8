// DESIGN.md's checks, in order: adding a check is adding a file and a line here (and its settings, if any,
// a line in settings.ts). Check 0 (the TLS handshake)
// happens before a call exists; check 8 (the daily quota) and the lockout's count are commit rules, applied
// in the statement that commits the traccia (pipeline/group-commit.ts).
import { certificateAuthorized } from './certificate-authorized.ts'
import { convenzioneActive } from './convenzione-active.ts'
import { spcoopProfile } from './spcoop-profile.ts'
import { modiProfile } from './modi-profile.ts'
import { modiSoapProfile } from './modi-soap.ts'
import { ipAllowlist } from './ip-allowlist.ts'
import { fasciaOraria } from './fascia-oraria.ts'
import { requestValid } from './request-valid.ts'
import { operatorePresent } from './operatore-present.ts'
import { operatoreNotBlocked } from './operatore-not-blocked.ts'
import { dailyQuota } from './daily-quota.ts'
import { operatoreLockout } from './operatore-lockout.ts'
import { convenzioneCeiling } from './convenzione-ceiling.ts'
import type { CommitRule } from './commit-rule.ts'
import type { PolicyCheck } from './types.ts'

export const checks: readonly PolicyCheck[] = [
  certificateAuthorized, // 1
  convenzioneActive, // 2
  spcoopProfile, // 2b: the SOAP profile (an e-Gov busta for spcoop)
  modiProfile, // 2c: the REST security profile (ModI, PDND)
  modiSoapProfile, // 2d: the SOAP security profile (ModI WS-Security)
  ipAllowlist, // 3
  fasciaOraria, // 4
  requestValid, // 5
  operatorePresent, // 6
  operatoreNotBlocked, // 7
]

/** In the order their parameters follow the traccia's in invciv_commit_batch. */
export const commitRules: readonly CommitRule[] = [dailyQuota, operatoreLockout, convenzioneCeiling]
