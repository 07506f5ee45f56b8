-- The audit trail: tracce partitioned by month (UTC), append-only, sealed into a hash chain, retained
-- for a configurable period by dropping whole partitions, each purge recorded.

alter table tracce rename to tracce_pre_004;
alter index tracce_ricevuta rename to tracce_pre_004_ricevuta;
alter table tracce_pre_004 rename constraint tracce_pkey to tracce_pre_004_pkey;
alter index tracce_identificativo_transazione_key rename to tracce_pre_004_tx;

create sequence tracce_seq as bigint;

create table tracce (
  id                          bigint not null default nextval('tracce_seq'),
  identificativo_transazione  uuid not null,
  ricevuta_il                 timestamptz not null,
  -- the database's own clock at insert: what sealing waits on, whatever the gateway's clock says
  inserita_il                 timestamptz not null default clock_timestamp(),
  canale                      text not null check (canale in ('soap', 'rest')),
  convenzione_id              bigint,
  ente_codice                 text,
  certificato_fingerprint     text,
  ip_cliente                  inet,
  operatore                   text,
  riferimento_pratica         text,
  cf_pseudonimo               text check (cf_pseudonimo ~ '^[0-9a-f]{64}$'),
  esito                       text check (esito in ('VALIDO', 'VALIDO_NEL_PERIODO', 'NON_VALIDO')),
  codice_rifiuto              text,
  motivo                      text,
  latenza_ms                  numeric(10, 3) not null,
  check ((esito is null) <> (codice_rifiuto is null)),
  primary key (id, ricevuta_il),
  unique (identificativo_transazione, ricevuta_il)
) partition by range (ricevuta_il);
alter sequence tracce_seq owned by tracce.id;

-- One index per auditor filter, each ending in the search order (ricevuta_il, id) so that keyset pages
-- are read straight off the index.
create index tracce_ricevuta on tracce (ricevuta_il, id);
create index tracce_convenzione on tracce (convenzione_id, ricevuta_il, id);
create index tracce_ente on tracce (ente_codice, ricevuta_il, id);
create index tracce_operatore on tracce (operatore, ricevuta_il, id);
create index tracce_pratica on tracce (riferimento_pratica, ricevuta_il, id);
create index tracce_cf on tracce (cf_pseudonimo, ricevuta_il, id);
create index tracce_esito on tracce (esito, ricevuta_il, id) where esito is not null;
create index tracce_rifiuto on tracce (codice_rifiuto, ricevuta_il, id) where codice_rifiuto is not null;
create index tracce_transazione on tracce (identificativo_transazione);

/** The month partition of an instant, created when missing (under a lock, so concurrent callers agree). */
create function tracce_partizione(istante timestamptz) returns text language plpgsql as $$
declare
  inizio timestamptz := date_trunc('month', istante, 'UTC');
  nome text := 'tracce_' || to_char(inizio at time zone 'UTC', 'YYYYMM');
begin
  if to_regclass(nome) is null then
    perform pg_advisory_xact_lock(hashtext('invciv.tracce.partizioni'));
    if to_regclass(nome) is null then
      execute format('create table %I partition of tracce for values from (%L) to (%L)', nome, inizio, inizio + interval '1 month');
    end if;
  end if;
  return nome;
end $$;

select tracce_partizione(ricevuta_il) from (select distinct date_trunc('month', ricevuta_il, 'UTC') as ricevuta_il from tracce_pre_004) m;
select tracce_partizione(now());
select tracce_partizione(now() + interval '1 month');
insert into tracce (id, identificativo_transazione, ricevuta_il, inserita_il, canale, convenzione_id, ente_codice, certificato_fingerprint,
                    ip_cliente, operatore, riferimento_pratica, cf_pseudonimo, esito, codice_rifiuto, motivo, latenza_ms)
  select id, identificativo_transazione, ricevuta_il, ricevuta_il, canale, convenzione_id, ente_codice, certificato_fingerprint,
         ip_cliente, operatore, riferimento_pratica, cf_pseudonimo, esito, codice_rifiuto, motivo, latenza_ms
    from tracce_pre_004 order by id;
select setval('tracce_seq', coalesce((select max(id) from tracce_pre_004), 1), (select max(id) is not null from tracce_pre_004));
drop table tracce_pre_004;

-- Append-only: the trail refuses updates, deletes and truncation. Retention removes whole partitions
-- (DETACH and DROP), which no row trigger sees, and records each purge below.
create function rifiuta_modifica() returns trigger language plpgsql as $$
begin
  raise exception '% is append-only: % refused', tg_table_name, tg_op using errcode = '42501';
end $$;
create trigger tracce_append_only before update or delete on tracce for each row execute function rifiuta_modifica();
create trigger tracce_no_truncate before truncate on tracce for each statement execute function rifiuta_modifica();

-- The hash chain. Each seal covers, in one partition, the contiguous id range after that partition's
-- previous seal: a row added later inside a sealed range, or removed from it, changes its hash.
create table sigilli (
  id               bigint generated always as identity primary key,
  partizione       text not null,
  da_id            bigint not null,
  a_id             bigint not null check (a_id >= da_id),
  righe            integer not null,
  hash_righe       text not null,
  hash_precedente  text not null,
  hash             text not null unique,
  sigillato_il     timestamptz not null default now()
);
create index sigilli_partizione on sigilli (partizione, a_id);
create trigger sigilli_append_only before update or delete on sigilli for each row execute function rifiuta_modifica();

create table epurazioni (
  id               bigint generated always as identity primary key,
  partizione       text not null unique,
  dal              timestamptz not null,
  al               timestamptz not null,
  righe            bigint not null,
  ultimo_sigillo   bigint references sigilli (id),
  epurata_il       timestamptz not null default now()
);
create trigger epurazioni_append_only before update or delete on epurazioni for each row execute function rifiuta_modifica();

-- What auditors did: searches, exports, subject reports. A codice fiscale they typed is kept as its pseudonym.
create table accessi_audit (
  id           bigint generated always as identity primary key,
  avvenuto_il  timestamptz not null default now(),
  principale   text not null,
  azione       text not null check (azione in ('ricerca', 'esportazione', 'soggetto', 'verifica')),
  filtri       jsonb not null,
  righe        bigint
);
create trigger accessi_audit_append_only before update or delete on accessi_audit for each row execute function rifiuta_modifica();
