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
