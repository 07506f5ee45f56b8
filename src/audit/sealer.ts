// Seals the trail into one hash chain and verifies it. The trail is several streams: each month partition of
// tracce, the change log, the purge records and the auditors' accesses. Each seal covers, in one stream, the ids
// after that stream's previous seal up to a settled horizon; its hash binds the previous seal's hash, the range,
// the row count and the hash of the rows. Each new chain head is signed and witnessed outside the database
// (audit/witness.ts), and signed again at every run, so removing seals at the end shows too. Sealing only reads
// the trail: it never blocks calls.
import { createHash } from 'node:crypto'
import type pg from 'pg'
import { coveredColumns, kindOf, rowText, sealVersion, streamKinds, type StreamKind } from './seal-formats.ts'
import { GENESIS_HEAD, type ChainHead } from './witness-line.ts'
import type { WitnessCheck } from './witness-check.ts'
import { oneRow } from '../db/pool.ts'

const SEAL_LOCK = 0x696e766373656c // 'invcsel'
const GENESIS = '0'.repeat(64)
const BATCH = 50_000

export interface Seal {
  id: number
  /** what it covers of each row (audit/seal-formats.ts) */
  versione: number
  /** the stream: a partition of tracce (tracce_YYYYMM), or registro_modifiche, epurazioni, accessi_audit */
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
  return createHash('sha256')
    .update((s.versione === 1 ? fields : [`v${s.versione}`, ...fields]).join('|'))
    .digest('hex')
}

type Db = Pick<pg.PoolClient, 'query'>

/** The table a stream's rows are read from: a name from the catalogue or from sigilli, checked before SQL sees it. */
function tableOf(stream: string): { table: string; kind: StreamKind } {
  const kind = kindOf(stream)
  if (!kind) throw new Error(`not a stream of the trail: ${stream}`)
  return { table: stream, kind }
}

async function rowsDigest(db: Db, version: number, stream: string, from: number, to: number): Promise<{ righe: number; hash: string }> {
  const { table, kind } = tableOf(stream)
  return oneRow<{ righe: number; hash: string }>(
    db,
    `select count(*)::int as righe,
            encode(sha256(convert_to(coalesce(string_agg(${rowText(kind, version)}, E'\\n' order by id), ''), 'UTF8')), 'hex') as hash
       from ${table} where id between $1 and $2`,
    [from, to],
  )
}

export async function partitions(db: Db): Promise<string[]> {
  const { rows } = await db.query<{ nome: string }>(
    `select c.relname as nome from pg_inherits i join pg_class c on c.oid = i.inhrelid
      where i.inhparent = 'tracce'::regclass order by c.relname`,
  )
  return rows.map((r) => r.nome)
}

/** Every stream there is now: the partitions of tracce, then the other tables. */
async function streams(db: Db): Promise<string[]> {
  return [...(await partitions(db)), ...streamKinds.filter((k) => k !== 'tracce')]
}

/** The highest id handed out so far in each kind of stream: rows up to it are sealable once their transactions have settled. */
export type Watermark = Readonly<Record<StreamKind, number>>

export async function watermark(db: Db): Promise<Watermark> {
  return oneRow<Watermark>(
    db,
    `select coalesce(pg_sequence_last_value('tracce_seq'), 0) as tracce,
            ${streamKinds
              .filter((k) => k !== 'tracce')
              .map((k) => `coalesce(pg_sequence_last_value(pg_get_serial_sequence('${k}', 'id')), 0) as ${k}`)
              .join(', ')}`,
  )
}

/**
 * Seals every stream up to `horizon` (ids handed out by then, whose transactions have ended). One process at a
 * time: returns undefined when another holds the seal lock. `witness` is told of the new chain head while the
 * lock is still held, so the witness log follows the chain's order.
 */
export async function sealUpTo(
  pool: pg.Pool,
  horizon: Watermark,
  witness?: (head: ChainHead) => Promise<void>,
  options: { only?: readonly string[] } = {},
): Promise<Seal[] | undefined> {
  const client = await pool.connect()
  try {
    const {
      rows: [lock],
    } = await client.query<{ ok: boolean }>('select pg_try_advisory_lock($1) as ok', [SEAL_LOCK])
    if (!lock?.ok) return undefined
    try {
      const made: Seal[] = []
      for (const stream of (await streams(client)).filter((s) => !options.only || options.only.includes(s))) {
        const { table, kind } = tableOf(stream)
        const version = sealVersion(kind)
        const { a } = await oneRow<{ a: number }>(client, 'select coalesce(max(a_id), 0)::bigint as a from sigilli where partizione = $1', [
          stream,
        ])
        let sealedTo = a
        for (;;) {
          const {
            rows: [range],
          } = await client.query<{ hi: number | null }>(
            `select max(id) as hi from (select id from ${table} where id > $1 and id <= $2 order by id limit ${BATCH}) r`,
            [sealedTo, horizon[kind]],
          )
          if (!range || range.hi === null) break
          const digest = await rowsDigest(client, version, stream, sealedTo + 1, range.hi)
          const {
            rows: [previous],
          } = await client.query<{ hash: string }>('select hash from sigilli order by id desc limit 1')
          const seal = {
            versione: version,
            partizione: stream,
            daId: sealedTo + 1,
            aId: range.hi,
            righe: digest.righe,
            hashRighe: digest.hash,
            hashPrecedente: previous?.hash ?? GENESIS,
          }
          const hash = sealHash(seal)
          const { id, sigillatoIl } = await oneRow<{ id: number; sigillatoIl: Date }>(
            client,
            `insert into sigilli (versione, partizione, da_id, a_id, righe, hash_righe, hash_precedente, hash) values ($1, $2, $3, $4, $5, $6, $7, $8)
             returning id, sigillato_il as "sigillatoIl"`,
            [seal.versione, seal.partizione, seal.daId, seal.aId, seal.righe, seal.hashRighe, seal.hashPrecedente, hash],
          )
          made.push({ id, ...seal, hash })
          sealedTo = range.hi
          // the head is witnessed after each seal: a failure in the middle leaves every seal so far anchored
          await witness?.({ sigillo: id, hash, sigillatoIl: sigillatoIl.toISOString() })
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

/** The chain's head as it stands: its last seal, or the genesis of an empty chain. */
export async function chainHead(db: Db): Promise<ChainHead> {
  const {
    rows: [last],
  } = await db.query<{ id: number; hash: string; sigillatoIl: Date }>(
    'select id, hash, sigillato_il as "sigillatoIl" from sigilli order by id desc limit 1',
  )
  return last ? { sigillo: last.id, hash: last.hash, sigillatoIl: last.sigillatoIl.toISOString() } : GENESIS_HEAD
}

export type Verification =
  | {
      intact: true
      sigilli: number
      righeSigillate: number
      righeInAttesa: number
      /** the same, for each stream the chain covers: tracce, registro_modifiche, epurazioni, accessi_audit */
      flussi: Record<string, { sigillate: number; inAttesa: number }>
      /** the witnessed heads: how many, the newest, and when it was signed (the chain was known to end there then) */
      testimone: { teste: number; ultima: ChainHead | null; firmataIl: string | null }
    }
  | { intact: false; sigillo: number | null; motivo: string }

export interface VerifyOptions {
  /** the retention period: a purge of a partition younger than it is a finding */
  retentionMonths?: number
  /** the witnessed heads, checked against the chain and against time (audit/witness.ts) */
  witness?: WitnessCheck
  /** the time verify holds the witness to; now by default */
  now?: Date
}

interface SealRow {
  id: number
  versione: number
  partizione: string
  da_id: number
  a_id: number
  righe: number
  hash_righe: string
  hash_precedente: string
  hash: string
}
interface PurgeRow {
  id: number
  partizione: string
  dal: Date
  al: Date
  ultimo_sigillo: number | null
  epurata_il: Date
}

/** Walks the chain from the first seal; reports the first thing that no longer holds, and why. */
export async function verifyTrail(db: Db, options: VerifyOptions = {}): Promise<Verification> {
  const { rows: seals } = await db.query<SealRow>(
    'select id, versione, partizione, da_id::bigint, a_id::bigint, righe, hash_righe, hash_precedente, hash from sigilli order by id',
  )
  const { rows: purges } = await db.query<PurgeRow>(
    'select id, partizione, dal, al, ultimo_sigillo, epurata_il from epurazioni order by id',
  )
  const present = new Set(await streams(db))
  const purgeProblem = checkPurges(purges, seals, present, options.retentionMonths)
  if (purgeProblem) return purgeProblem
  const purged = new Map(purges.map((p) => [p.partizione, p.ultimo_sigillo ?? 0]))
  const lastOf = new Map<string, number>()
  let previous = GENESIS
  let rows = 0
  const flussi: Record<string, { sigillate: number; inAttesa: number }> = Object.fromEntries(
    streamKinds.map((k) => [k, { sigillate: 0, inAttesa: 0 }]),
  )
  const flusso = (stream: string) => {
    const kind = kindOf(stream) ?? stream
    flussi[kind] ??= { sigillate: 0, inAttesa: 0 }
    return flussi[kind]
  }
  for (const s of seals) {
    const seal = {
      versione: s.versione,
      partizione: s.partizione,
      daId: s.da_id,
      aId: s.a_id,
      righe: s.righe,
      hashRighe: s.hash_righe,
      hashPrecedente: s.hash_precedente,
    }
    const kind = kindOf(s.partizione)
    if (!kind) return { intact: false, sigillo: s.id, motivo: `il sigillo copre ${s.partizione}, che non fa parte della traccia` }
    if (coveredColumns(kind, s.versione) === undefined)
      return { intact: false, sigillo: s.id, motivo: `versione del sigillo sconosciuta: ${s.versione}` }
    if (s.hash_precedente !== previous)
      return { intact: false, sigillo: s.id, motivo: 'la catena è interrotta: hash del sigillo precedente diverso' }
    if (sealHash(seal) !== s.hash) return { intact: false, sigillo: s.id, motivo: 'il sigillo è stato alterato' }
    if (seal.daId !== (lastOf.get(s.partizione) ?? 0) + 1)
      return { intact: false, sigillo: s.id, motivo: 'intervallo non contiguo al sigillo precedente della partizione' }
    lastOf.set(s.partizione, seal.aId)
    previous = s.hash
    const purgedUpTo = purged.get(s.partizione)
    if (purgedUpTo !== undefined && s.id <= purgedUpTo) continue
    if (!present.has(s.partizione))
      return { intact: false, sigillo: s.id, motivo: `la partizione ${s.partizione} manca e non risulta epurata` }
    const digest = await rowsDigest(db, seal.versione, s.partizione, seal.daId, seal.aId)
    if (digest.righe !== seal.righe) {
      return {
        intact: false,
        sigillo: s.id,
        motivo: `${digest.righe < seal.righe ? 'righe cancellate' : 'righe aggiunte'}: ${digest.righe} invece di ${seal.righe}`,
      }
    }
    if (digest.hash !== seal.hashRighe) return { intact: false, sigillo: s.id, motivo: 'righe alterate o scambiate' }
    rows += digest.righe
    flusso(s.partizione).sigillate += digest.righe
  }
  const { newest, oldest } = await oneRow<{ newest: Date | null; oldest: Date | null }>(
    db,
    'select max(ricevuta_il) as newest, min(ricevuta_il) as oldest from tracce',
  )
  const witnessed = options.witness?.against({
    chain: seals.map((s) => ({ id: s.id, hash: s.hash })),
    newestTraccia: newest,
    oldestTraccia: oldest,
    now: options.now ?? new Date(),
  })
  if (witnessed && !witnessed.ok) return { intact: false, sigillo: witnessed.sigillo, motivo: witnessed.motivo }
  let pending = 0
  for (const stream of present) {
    const { table } = tableOf(stream)
    const { n } = await oneRow<{ n: number }>(db, `select count(*)::int as n from ${table} where id > $1`, [lastOf.get(stream) ?? 0])
    pending += n
    flusso(stream).inAttesa += n
  }
  return {
    intact: true,
    sigilli: seals.length,
    righeSigillate: rows,
    righeInAttesa: pending,
    flussi,
    testimone: witnessed
      ? { teste: witnessed.teste, ultima: witnessed.ultima, firmataIl: witnessed.firmataIl }
      : { teste: 0, ultima: null, firmataIl: null },
  }
}

/**
 * A purge record proves itself only if its partition is gone, it was old enough to go, and it names that
 * partition's last seal (so no seal made after it can hide rows the purge took).
 */
function checkPurges(
  purges: PurgeRow[],
  seals: SealRow[],
  present: Set<string>,
  retentionMonths: number | undefined,
): Verification | undefined {
  for (const p of purges) {
    const last = seals.filter((s) => s.partizione === p.partizione).reduce<number | null>((max, s) => Math.max(max ?? 0, s.id), null)
    const at = { intact: false as const, sigillo: p.ultimo_sigillo }
    if (present.has(p.partizione)) return { ...at, motivo: `epurazione ${p.id} della partizione ${p.partizione}, che esiste ancora` }
    if (retentionMonths !== undefined) {
      const cutoff = new Date(Date.UTC(p.epurata_il.getUTCFullYear(), p.epurata_il.getUTCMonth() - retentionMonths, 1))
      if (p.al > cutoff)
        return {
          ...at,
          motivo: `epurazione ${p.id} della partizione ${p.partizione} dentro il periodo di conservazione (${retentionMonths} mesi)`,
        }
    }
    if (p.ultimo_sigillo !== last) {
      return {
        ...at,
        motivo: `epurazione ${p.id} della partizione ${p.partizione}: l'ultimo sigillo registrato (${p.ultimo_sigillo ?? 'nessuno'}) non è l'ultimo della partizione (${last ?? 'nessuno'})`,
      }
    }
  }
  return undefined
}
