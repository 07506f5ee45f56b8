// Who the tests' own registry changes are recorded as in the change log.
import type { Actor } from '../../src/audit/change-log.ts'

export const testActor: Actor = { attore: 'test', ruolo: 'test', etichetta: 'test' }
