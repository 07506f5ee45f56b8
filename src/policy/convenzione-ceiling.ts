// The convenzione's ceiling on failed lookups: across all its operatori, max_fallimenti_convenzione NON_VALIDO
// answers within the failure window (finestra_tentativi_minuti) suspend the convenzione in via preventiva: later
// calls get CONVENZIONE_NON_ATTIVA (check 2, and the commit for calls already in flight), the suspension is a
// grave anomalia and a change record by the gateway, and ops resume it (which empties the window). It is what
// beats an operatore identifier changed on every call. Counted by the minute in the commit (routines/invciv_commit_batch.sql)
// with the convenzione's window row locked.
import type { CommitRule } from './commit-rule.ts'
import { setting } from './setting.ts'

export const maxFallimentiConvenzione = setting({
  name: 'maxFallimentiConvenzione',
  column: 'max_fallimenti_convenzione',
  sqlType: 'integer',
  schema: { type: 'integer', minimum: 1 },
  cli: {
    flag: '--max-fallimenti-convenzione <N>',
    description: 'failed lookups of all its operatori within the window that suspend the convenzione (default 50)',
  },
  create: { default: '50' },
})

export const convenzioneCeiling: CommitRule = {
  name: 'convenzione-ceiling',
  sql:
    'per convenzione: its window row locked and its state read after the locks; a call of a convenzione no longer active is ' +
    'refused CONVENZIONE_NON_ATTIVA; a failed answer joins the window, and the one reaching the ceiling suspends the convenzione ' +
    "(registro_modifiche by the gateway, a grave anomalia with the window's NON_VALIDO tracce as evidence)",
  parameters: [{ name: 'max_fallimenti_convenzione', sqlType: 'int', of: ({ call }) => call.convenzione.maxFallimentiConvenzione }],
}
