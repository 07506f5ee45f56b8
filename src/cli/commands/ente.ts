// invciv ente: the partner administrations.
import { Command } from 'commander'
import { addEnte, listEnti } from '../../registry/enti.ts'
import { print, withDatabase } from '../output.ts'
import { cliActor } from '../context.ts'

export function enteCommands(program: Command): void {
  const ente = program.command('ente').description('partner administrations')
  ente
    .command('add')
    .description('register an ente')
    .requiredOption('--codice <IPA>', 'IPA code of the ente')
    .requiredOption('--nome <NAME>', 'name of the ente')
    .action(async (o: { codice: string; nome: string }, cmd: Command) => {
      const added = await withDatabase((db) => addEnte(db.pool, cliActor(), { codiceIpa: o.codice, nome: o.nome }))
      print(cmd, added, `ente ${added.codiceIpa} added`)
    })
  ente
    .command('list')
    .description('every ente, with its convenzioni')
    .action(async (_o, cmd: Command) => {
      const rows = await withDatabase((db) => listEnti(db.pool))
      print(
        cmd,
        rows,
        rows.map((e) => `${e.codiceIpa}\t${e.nome}\t${e.convenzioni} convenzioni (${e.attive} attive)`).join('\n') || '(none)',
      )
    })
}
