// invciv operatore: operatori of a convenzione, and unblocking them.
import { Command, Option } from 'commander'
import { listOperatori, unblockOperatore } from '../../registry/operatori.ts'
import { print, positiveInt, withDatabase } from '../output.ts'
import { cliActor } from '../context.ts'

export function operatoreCommands(program: Command): void {
  const operatore = program.command('operatore').description('operatori of a convenzione')
  operatore
    .command('list')
    .description('operatori with their state and recent failures')
    .addOption(new Option('--convenzione <ID>', 'convenzione id').argParser(positiveInt('--convenzione')).makeOptionMandatory())
    .action(async (o: { convenzione: number }, cmd: Command) => {
      const rows = await withDatabase((db) => listOperatori(db.pool, o.convenzione))
      print(
        cmd,
        rows,
        rows
          .map((r) => `${r.identificativo}\t${r.stato}\t${r.fallimentiRecenti} fallimenti\t${r.ultimoAccessoIl.toISOString()}`)
          .join('\n') || '(none)',
      )
    })
  operatore
    .command('unblock')
    .description('unblock an operatore blocked after failed lookups')
    .addOption(new Option('--convenzione <ID>', 'convenzione id').argParser(positiveInt('--convenzione')).makeOptionMandatory())
    .requiredOption('--id <OPERATORE>', 'identificativoOperatore')
    .action(async (o: { convenzione: number; id: string }, cmd: Command) => {
      const done = await withDatabase((db) => unblockOperatore(db.pool, cliActor(), o.convenzione, o.id))
      print(cmd, done, `operatore ${done.operatore} unblocked`)
    })
}
