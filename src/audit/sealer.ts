// Seals the trail into a hash chain and verifies it. Each seal covers, in one partition, the ids after that
// partition's previous seal up to a settled horizon; its hash binds the previous seal's hash, the range, the
// row count and the hash of the rows. Sealing only reads the trail: it never blocks the call path.
import { createHash } from 'node:crypto'
import type pg from 'pg'
import { coveredColumns, rowText, SEAL_VERSION } from './seal-formats.ts'
import { oneRow } from '../db/pool.ts'

const SEAL_LOCK = 0x696e766373656c // 'invcsel'
const GENESIS = '0'.repeat(64)
const BATCH = 50_000

export interface Seal {
  id: number
  /** what it covers of each row (audit/seal-formats.ts) */
  versione: number
  partizione: string
  daId: number
  aId: number
  righe: number
  hashRighe: string
  hashPrecedente: string
  hash: string
}

/** Binds the seal to the previous one; from version 2 on, the version is bound too (version 1 predates it). */
export function sealHash(s: Omit<Seal, 'id' | 'hash'>): string {
  const fields = [s.hashPrecedente, s.partizione, s.daId, s.aId, s.righe, s.hashRighe]
  return createHash('sha256').update((s.versione === 1 ? fields : [`v${s.versione}`, ...fields]).join('|')).digest('hex')
}

type Db = Pick<pg.PoolClient, 'query'>

async function rowsDigest(db: Db, version: number, partition: string, from: number, to: number): Promise<{ righe: number; hash: string }> {
  return oneRow<{ righe: number; hash: string }>(db,
    `select count(*)::int as righe,
            encode(sha256(convert_to(coalesce(string_agg(${rowText(version)}, E'\\n' order by id), ''), 'UTF8')), 'hex') as hash
       from ${partitionIdent(partition)} where id between $1 and $2`,
    [from, to],
  )
}

// Partition names come from the catalogue or from sigilli; they are checked before being spliced into SQL.
function partitionIdent(name: string): string {
  if (!/^tracce_\d{6}$/.test(name)) throw new Error(`not a trail partition: ${name}`)
  return name
}

export async function partitions(db: Db): Promise<string[]> {
  const { rows } = await db.query<{ nome: string }>(
    `select c.relname as nome from pg_inherits i join pg_class c on c.oid = i.inhrelid
      where i.inhparent = 'tracce'::regclass order by c.relname`)
  return rows.map((r) => r.nome)
}

/** The highest traccia id handed out so far: rows up to it are sealable once their transactions have settled. */
export async function watermark(db: Db): Promise<number> {
  const { rows } = await db.query<{ v: number | null }>(`select pg_sequence_last_value('tracce_seq') as v`)
  return rows[0]?.v ?? 0
}

/**
 * Seals every partition up to `horizon` (ids handed out by then, whose transactions have ended). One
 * process at a time: returns undefined when another holds the seal lock.
 */
export async function sealUpTo(pool: pg.Pool, horizon: number): Promise<Seal[] | undefined> {
  const client = await pool.connect()
  try {
    const { rows: [lock] } = await client.query<{ ok: boolean }>('select pg_try_advisory_lock($1) as ok', [SEAL_LOCK])
    if (!lock?.ok) return undefined
    try {
      const made: Seal[] = []
      for (const partition of await partitions(client)) {
        const { rows: [last] } = await client.query<{ a: number }>('select coalesce(max(a_id), 0)::bigint as a from sigilli where partizione = $1', [partition])
        let sealedTo = last?.a ?? 0
        for (;;) {
          const { rows: [range] } = await client.query<{ hi: number | null }>(
            `select max(id) as hi from (select id from ${partitionIdent(partition)} where id > $1 and id <= $2 order by id limit ${BATCH}) r`,
            [sealedTo, horizon])
          if (!range || range.hi === null) break
          const digest = await rowsDigest(client, SEAL_VERSION, partition, sealedTo + 1, range.hi)
          const { rows: [previous] } = await client.query<{ hash: string }>('select hash from sigilli order by id desc limit 1')
          const seal = {
            versione: SEAL_VERSION, partizione: partition, daId: sealedTo + 1, aId: range.hi, righe: digest.righe, hashRighe: digest.hash,
            hashPrecedente: previous?.hash ?? GENESIS,
          }
          const hash = sealHash(seal)
          const { id } = await oneRow<{ id: number }>(client,
            `insert into sigilli (versione, partizione, da_id, a_id, righe, hash_righe, hash_precedente, hash) values ($1, $2, $3, $4, $5, $6, $7, $8) returning id`,
            [seal.versione, seal.partizione, seal.daId, seal.aId, seal.righe, seal.hashRighe, seal.hashPrecedente, hash])
          made.push({ id, ...seal, hash })
          sealedTo = range.hi
        }
      }
      return made
    } finally {
      await client.query('select pg_advisory_unlock($1)', [SEAL_LOCK])
    }
  } finally {
    client.release()
  }
}

export type Verification =
  | { intact: true; sigilli: number; righeSigillate: number; righeInAttesa: number }
  | { intact: false; sigillo: number; motivo: string }

/** Walks the chain from the first seal; reports the first seal that no longer holds, and why. */
export async function verifyTrail(db: Db): Promise<Verification> {
  const { rows: seals } = await db.query<{ id: number; versione: number; partizione: string; da_id: number; a_id: number; righe: number; hash_righe: string; hash_precedente: string; hash: string }>(
    'select id, versione, partizione, da_id::bigint, a_id::bigint, righe, hash_righe, hash_precedente, hash from sigilli order by id')
  const { rows: purges } = await db.query<{ partizione: string; ultimo_sigillo: number | null }>('select partizione, ultimo_sigillo from epurazioni')
  const purged = new Map(purges.map((p) => [p.partizione, p.ultimo_sigillo ?? 0]))
  const present = new Set(await partitions(db))
  const lastOf = new Map<string, number>()
  let previous = GENESIS
  let rows = 0
  for (const s of seals) {
    const seal = { versione: s.versione, partizione: s.partizione, daId: s.da_id, aId: s.a_id, righe: s.righe, hashRighe: s.hash_righe, hashPrecedente: s.hash_precedente }
    if (coveredColumns(s.versione) === undefined) return { intact: false, sigillo: s.id, motivo: `versione del sigillo sconosciuta: ${s.versione}` }
    if (s.hash_precedente !== previous) return { intact: false, sigillo: s.id, motivo: 'la catena è interrotta: hash del sigillo precedente diverso' }
    if (sealHash(seal) !== s.hash) return { intact: false, sigillo: s.id, motivo: 'il sigillo è stato alterato' }
    if (seal.daId !== (lastOf.get(s.partizione) ?? 0) + 1) return { intact: false, sigillo: s.id, motivo: 'intervallo non contiguo al sigillo precedente della partizione' }
    lastOf.set(s.partizione, seal.aId)
    previous = s.hash
    const purgedUpTo = purged.get(s.partizione)
    if (purgedUpTo !== undefined && s.id <= purgedUpTo) continue
    if (!present.has(s.partizione)) return { intact: false, sigillo: s.id, motivo: `la partizione ${s.partizione} manca e non risulta epurata` }
    const digest = await rowsDigest(db, seal.versione, s.partizione, seal.daId, seal.aId)
    if (digest.righe !== seal.righe) {
      return { intact: false, sigillo: s.id, motivo: `${digest.righe < seal.righe ? 'righe cancellate' : 'righe aggiunte'}: ${digest.righe} invece di ${seal.righe}` }
    }
    if (digest.hash !== seal.hashRighe) return { intact: false, sigillo: s.id, motivo: 'righe alterate o scambiate' }
    rows += digest.righe
  }
  let pending = 0
  for (const p of present) {
    const { rows: [r] } = await db.query<{ n: number }>(`select count(*)::int as n from ${partitionIdent(p)} where id > $1`, [lastOf.get(p) ?? 0])
    pending += r?.n ?? 0
  }
  return { intact: true, sigilli: seals.length, righeSigillate: rows, righeInAttesa: pending }
}
