-- The admin listener's principals, and the TLS reloads asked of every gateway process.

create table principali_admin (
  fingerprint   text primary key check (fingerprint ~ '^[0-9a-f]{64}$'),
  ruolo         text not null check (ruolo in ('operations', 'auditor')),
  soggetto      text not null,
  valido_al     timestamptz not null,
  stato         text not null default 'attivo' check (stato in ('attivo', 'revocato')),
  aggiunto_il   timestamptz not null default now()
);

-- One row per process that carried out a reload request (`invciv tls reload`, the admin API, SIGHUP).
create table tls_ricaricamenti (
  id            bigint generated always as identity primary key,
  richiesta     uuid not null,
  processo      text not null,
  esito         text not null check (esito in ('ok', 'errore')),
  errore        text,
  avvenuto_il   timestamptz not null default now()
);
create index tls_ricaricamenti_richiesta on tls_ricaricamenti (richiesta);
