// invciv migrate: the schema, up to date.
import { Command } from 'commander'
import { print, withDatabase } from '../output.ts'

export function migrateCommand(program: Command): void {
  program
    .command('migrate')
    .description(
      'apply pending migrations as the owner role, make the group roles when missing, and set the grants of the runtime and auditor roles',
    )
    .action(async (_o, cmd: Command) => {
      // openDatabase applies them (and, asked to, the ownership and grants); this reports what it did
      await withDatabase(
        async (db) => {
          const { rows } = await db.pool.query<{ name: string }>('select name from schema_migrations order by version')
          print(cmd, { applied: rows.map((r) => r.name) }, `schema up to date: ${rows.map((r) => r.name).join(', ')}`)
        },
        { regrant: true },
      )
    })
}
