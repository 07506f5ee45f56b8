// invciv admin: who may use the admin listener.
import { Command } from 'commander'
import { addPrincipal, listPrincipals, removePrincipal } from '../../registry/principals.ts'
import { print, printRegistered, withDatabase } from '../output.ts'
import { cliActor, clientTrust, readCertificateFile } from '../context.ts'

export function adminCommands(program: Command): void {
  const admin = program.command('admin').description('principals of the admin listener (operations and auditor certificates)')
  admin
    .command('add')
    .description('register a client certificate as an admin principal')
    .requiredOption('--ruolo <ROLE>', 'operations or auditor')
    .requiredOption('--file <PEM>', 'the PEM certificate file')
    .action(async (o: { ruolo: string; file: string }, cmd: Command) => {
      const pem = await readCertificateFile(o.file)
      const trust = clientTrust()
      const added = await withDatabase((db) => addPrincipal(db.pool, cliActor(), o.ruolo, pem, trust))
      printRegistered(cmd, added, `${added.soggetto} is now an admin principal (${added.ruolo})`)
    })
  admin
    .command('list')
    .description('admin principals, active and removed')
    .action(async (_o, cmd: Command) => {
      const rows = await withDatabase((db) => listPrincipals(db.pool))
      print(
        cmd,
        rows,
        rows
          .map((p) =>
            [
              p.fingerprint,
              p.ruolo,
              p.stato,
              `valido fino al ${p.validoAl.toISOString().slice(0, 10)}`,
              p.soggetto,
              p.rimossoIl ? `rimosso il ${p.rimossoIl.toISOString()} da ${p.rimossoDa}` : '',
            ]
              .filter(Boolean)
              .join('\t'),
          )
          .join('\n') || '(none)',
      )
    })
  admin
    .command('remove')
    .description('withdraw an admin principal: refused from its next request, open connections included')
    .argument('<FP>', 'SHA-256 fingerprint, hex, with or without colons')
    .action(async (fp: string, _o, cmd: Command) => {
      const removed = await withDatabase((db) => removePrincipal(db.pool, cliActor(), fp))
      print(cmd, removed, `admin principal ${removed.fingerprint} (${removed.ruolo}, ${removed.soggetto}) removed`)
    })
}
