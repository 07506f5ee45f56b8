-- What this database is for (issue 36): 'produzione', 'collaudo' or 'sviluppo', written in the transaction of the
-- first migrate that knew (src/db/ambiente.ts). A gateway serves only a database of its own kind: collaudo's
-- synthetic data never reach production, production's never reach collaudo, development's demo data and keys
-- neither. One row; the runtime and auditor roles only read it.
create table ambiente (
  unico       boolean primary key default true check (unico),
  tipo        text not null check (tipo in ('produzione', 'collaudo', 'sviluppo')),
  segnato_il  timestamptz not null default now(),
  segnato_da  text not null default current_user
);

-- In a collaudo database: the day the published test data were loaded for (collaudo/dati.ts), their dates being
-- relative to it; the collaudo gateway loads them again when the day changes.
create table collaudo_dati (
  unico        boolean primary key default true check (unico),
  giorno       date not null,
  caricati_il  timestamptz not null default now()
);
