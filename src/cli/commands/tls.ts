// invciv tls reload: new TLS material in every gateway process on the database.
import { Command } from 'commander'
import { operationKinds } from '../../operation-error.ts'
import { requestReload } from '../../tls/reload-broadcast.ts'
import { print, UsageError, withDatabase } from '../output.ts'
import { recordChange } from '../../audit/change-log.ts'
import { cliActor } from '../context.ts'

export function tlsCommands(program: Command): void {
  program
    .command('tls')
    .description('TLS material of the running gateways')
    .command('reload')
    .description('reload server certificate, key, CA bundle and CRL in every running gateway process')
    .action(async (_o, cmd: Command) => {
      const reports = await withDatabase(async (db) => {
        const answered = await requestReload(db.pool)
        const dopo = { ok: answered.length > 0 && answered.every((r) => r.esito === 'ok'), processi: answered }
        await recordChange(db.pool, cliActor(), { oggetto: 'tls', azione: 'reload', dopo })
        return answered
      })
      if (reports.length === 0) throw new UsageError('unavailable', 'no gateway process answered: is one running on this database?')
      print(
        cmd,
        { ok: reports.every((r) => r.esito === 'ok'), processi: reports },
        reports.map((r) => `${r.processo}: ${r.esito}${r.errore ? ` (${r.errore})` : ''}`).join('\n'),
      )
      // a bad file: the API's 409, each process's error in the answer
      if (reports.some((r) => r.esito !== 'ok')) process.exitCode = operationKinds.conflict.exitCode
    })
}
