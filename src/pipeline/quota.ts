// What a partner may read of its own convenzione without making a call: today's quota. The certificate it
// connected with says which convenzione; an unknown or retired certificate reads nothing.
import { convenzioneOfCertificate } from '../registry/certificati.ts'
import { quotaToday, type QuotaOggi } from '../registry/convenzioni.ts'
import type { PipelineDeps } from './deps.ts'

export interface PartnerQuota extends QuotaOggi {
  convenzione: number
  stato: string
}

export async function quotaOfPeer(
  { db, clock }: Pick<PipelineDeps, 'db' | 'clock'>,
  fingerprint: string | undefined,
): Promise<PartnerQuota | undefined> {
  if (!fingerprint) return undefined
  const convenzione = await convenzioneOfCertificate(db, fingerprint)
  if (!convenzione) return undefined
  return { convenzione: convenzione.id, stato: convenzione.stato, ...(await quotaToday(db, convenzione, clock.now())) }
}
