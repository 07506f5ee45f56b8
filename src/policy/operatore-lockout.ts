// The other half of check 7: every answer counts for or against its operatore. NON_VALIDO answers are
// failed attempts; max_tentativi of them inside the sliding window of finestra_tentativi_minuti block the
// operatore until ops unblock it; a VALIDO or VALIDO_NEL_PERIODO answer clears the count. Counted in the
// statement that commits the answers' tracce (invciv_commit_batch in migrations/007, called by
// pipeline/group-commit.ts), so the counts move only with committed tracce; the rows are locked while
// their windows move.

/** The settings this check reads; the admin API validates changes with it. */
export const settingsSchema = {
  type: 'object',
  properties: {
    maxTentativi: { type: 'integer', minimum: 1 },
    finestraTentativiMinuti: { type: 'integer', minimum: 1 },
  },
} as const
