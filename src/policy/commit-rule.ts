// A rule whose state lives in the database and moves only in the statement that commits the answers' tracce
// (routines/invciv_commit_batch.sql, called by pipeline/group-commit.ts): the quota, the lockout, the ceiling. The TypeScript side names
// the rule, its settings, and the parameters it gives that statement, per call, by their names in the function
// (test/db/routines.test.ts holds the two together).
import type { Checked } from './types.ts'

export interface Committing {
  call: Checked
  /** a NON_VALIDO answer: a failed attempt of its operatore */
  failed: boolean
}

export interface CommitRule {
  name: string
  /** what the SQL side does with the parameters, for the reader of this side */
  sql: string
  /** the statement's parameters this rule adds, in order, each p_<name> in the function: an array of one element per call each */
  parameters: ReadonlyArray<{ name: string; sqlType: string; of(item: Committing): unknown }>
}
