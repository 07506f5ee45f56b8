// The other half of check 7: every answer counts for or against its operatore, by its canonical identity.
// NON_VALIDO answers are failed attempts inside a sliding window of finestra_tentativi_minuti (counted by the
// minute), whatever succeeds in between; the answer that brings them to max_tentativi is the last one given, and the operatore is blocked
// until ops unblock it, or, with sblocco fine-finestra, until the window has passed since the block. Decided in
// the statement that commits the answers' tracce (invciv_commit_batch, routines/invciv_commit_batch.sql, called by
// pipeline/group-commit.ts), call by call in arrival order with the operatore's row locked: a call of a blocked
// operatore is refused there, however the calls were batched or spread across processes.
import type { CommitRule } from './commit-rule.ts'
import { setting } from './setting.ts'

export const maxTentativi = setting({
  name: 'maxTentativi',
  column: 'max_tentativi',
  sqlType: 'integer',
  schema: { type: 'integer', minimum: 1 },
  cli: { flag: '--max-tentativi <N>', description: 'failed lookups that block an operatore (default 5)' },
  create: { default: '5' },
})

export const finestraTentativiMinuti = setting({
  name: 'finestraTentativiMinuti',
  column: 'finestra_tentativi_minuti',
  sqlType: 'integer',
  schema: { type: 'integer', minimum: 1 },
  cli: { flag: '--finestra-tentativi <MINUTES>', description: "sliding window of those failures, and of the convenzione's (default 60)" },
  create: { default: '60' },
})

export const sbloccoOperatori = setting({
  name: 'sbloccoOperatori',
  column: 'sblocco_operatori',
  sqlType: 'text',
  schema: { type: 'string', enum: ['manuale', 'fine-finestra'] },
  cli: {
    flag: '--sblocco <MODE>',
    description:
      'a blocked operatore comes back: manuale (ops unblock it, the default) or fine-finestra (once the window has passed since the block)',
  },
  create: { default: "'manuale'" },
})

export const operatoreLockout: CommitRule = {
  name: 'operatore-lockout',
  sql:
    'per (convenzione, canonical operatore): upsert and lock its row; in arrival order a call of a blocked or suspended operatore ' +
    'is refused OPERATORE_BLOCCATO (unless sblocco fine-finestra and the window has passed since the block); a failed answer joins the ' +
    'window (pruned to the last finestra minutes), and the one reaching max_tentativi blocks the operatore, recording eventi_operatori',
  parameters: [
    { name: 'fallita', sqlType: 'boolean', of: ({ failed }) => failed },
    { name: 'max_tentativi', sqlType: 'int', of: ({ call }) => call.convenzione.maxTentativi },
    { name: 'finestra_minuti', sqlType: 'int', of: ({ call }) => call.convenzione.finestraTentativiMinuti },
    { name: 'operatore_chiave', sqlType: 'text', of: ({ call }) => call.operatore },
    { name: 'sblocco', sqlType: 'text', of: ({ call }) => call.convenzione.sbloccoOperatori },
  ],
}
