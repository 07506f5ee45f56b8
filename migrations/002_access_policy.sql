-- Per-convenzione access policy: the daily quota counters and the operatore lockout.

-- One row per convenzione and Europe/Rome day; the conditional upsert on it is what makes the quota exact.
create table quota_giornaliera (
  convenzione_id  bigint not null references convenzioni (id),
  giorno          date not null,
  usate           integer not null check (usate >= 0),
  primary key (convenzione_id, giorno)
);

-- The failed lookups still inside the convenzione's window: a sliding window, at most max_tentativi long.
alter table operatori add column fallimenti timestamptz[] not null default '{}';
alter table operatori drop column tentativi_falliti;
alter table operatori drop column primo_fallimento_il;

-- Blocks, unblocks and suspensions of operatori, for auditors and for ops.
create table eventi_operatori (
  id              bigint generated always as identity primary key,
  convenzione_id  bigint not null references convenzioni (id),
  operatore       text not null,
  evento          text not null check (evento in ('bloccato', 'sbloccato', 'sospeso', 'riattivato')),
  avvenuto_il     timestamptz not null,
  -- who: 'gateway' for automatic blocks, the CLI user or admin certificate otherwise
  attore          text not null,
  motivo          text,
  identificativo_transazione uuid
);
create index eventi_operatori_operatore on eventi_operatori (convenzione_id, operatore, avvenuto_il);
