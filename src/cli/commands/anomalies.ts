// invciv anomalie: findings of the automated access controls.
import { Command, Option } from 'commander'
import { listAnomalie, setAnomaliaStato, showAnomalia } from '../../anomalies/repository.ts'
import { print, positiveInt, withDatabase } from '../output.ts'
import { cliActor } from '../context.ts'

export function anomaliesCommands(program: Command): void {
  const anomalie = program.command('anomalie').description('findings of the automated access controls')
  anomalie
    .command('list')
    .description('anomalie, newest first')
    .addOption(new Option('--stato <STATO>', 'only those in this state').choices(['aperta', 'chiarita', 'chiusa']))
    .action(async (o: { stato?: string }, cmd: Command) => {
      const rows = await withDatabase((db) => listAnomalie(db.pool, o.stato))
      print(cmd, rows, rows.map((a) => `${a.id}\t${a.stato}\t${a.gravita}\t${a.tipo}\t${a.descrizione}`).join('\n') || '(none)')
    })
  anomalie
    .command('show')
    .description('one anomalia with its evidence')
    .argument('<ID>', 'anomalia id', positiveInt('ID'))
    .action(async (id: number, _o, cmd: Command) => {
      const a = await withDatabase((db) => showAnomalia(db.pool, id))
      print(
        cmd,
        a,
        [
          `anomalia ${a.id} (${a.tipo}, ${a.gravita}, ${a.stato})`,
          `  ${a.descrizione}`,
          a.azione ? `  azione: ${a.azione}` : '',
          `  evidenze: ${a.evidenze.join(' ')}`,
        ]
          .filter(Boolean)
          .join('\n'),
      )
    })
  anomalie
    .command('close')
    .description('close an anomalia, with a note')
    .argument('<ID>', 'anomalia id', positiveInt('ID'))
    .option('--nota <TEXT>', 'why it is closed')
    .action(async (id: number, o: { nota?: string }, cmd: Command) => {
      const a = await withDatabase((db) => setAnomaliaStato(db.pool, cliActor(), id, 'chiusa', o.nota))
      print(cmd, a, `anomalia ${a.id} chiusa`)
    })
}
