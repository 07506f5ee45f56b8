// The other half of check 7: every answer counts for or against its operatore. NON_VALIDO answers are
// failed attempts; max_tentativi of them inside the sliding window of finestra_tentativi_minuti block the
// operatore until ops unblock it; a VALIDO or VALIDO_NEL_PERIODO answer clears the count. Counted in the
// statement that commits the answers' tracce (invciv_commit_batch in migrations/007, called by
// pipeline/group-commit.ts), so the counts move only with committed tracce; the rows are locked while
// their windows move.
import type { CommitRule } from './commit-rule.ts'
import { setting } from './setting.ts'

export const maxTentativi = setting({
  name: 'maxTentativi', column: 'max_tentativi', sqlType: 'integer', schema: { type: 'integer', minimum: 1 },
  cli: { flag: '--max-tentativi <N>', description: 'failed lookups that block an operatore (default 5)' }, create: { default: '5' },
})

export const finestraTentativiMinuti = setting({
  name: 'finestraTentativiMinuti', column: 'finestra_tentativi_minuti', sqlType: 'integer', schema: { type: 'integer', minimum: 1 },
  cli: { flag: '--finestra-tentativi <MINUTES>', description: 'window of those failures (default 60)' }, create: { default: '60' },
})

export const operatoreLockout: CommitRule = {
  name: 'operatore-lockout',
  sql: 'per (convenzione, operatore): upsert and lock its row; a failed answer appends to its failure window (pruned to ' +
    'the last finestra minutes) and blocks it at max_tentativi, recording eventi_operatori; a successful one clears the window',
  parameters: [
    { sqlType: 'boolean', of: ({ failed }) => failed },
    { sqlType: 'int', of: ({ call }) => call.convenzione.maxTentativi },
    { sqlType: 'int', of: ({ call }) => call.convenzione.finestraTentativiMinuti },
  ],
}
