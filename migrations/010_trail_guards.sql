-- The trail against an insider with the gateway's own database role (the roles and their grants are made by
-- `invciv migrate` after the migrations: src/db/roles.ts):
-- * every partition of tracce, existing and future, refuses TRUNCATE (a trigger on the parent is not inherited);
-- * new partitions are made by a function that runs with its owner's rights, so the runtime role, which owns
--   nothing, can still get next month's partition;
-- * a purge record can only stand for a partition that is gone by the end of its transaction;
-- * the change log (registro delle modifiche) is append-only like the rest of the trail, and sealed with it.

create or replace function tracce_partizione(istante timestamptz) returns text
language plpgsql security definer set search_path from current as $$
declare
  inizio timestamptz := date_trunc('month', istante, 'UTC');
  nome text := 'tracce_' || to_char(inizio at time zone 'UTC', 'YYYYMM');
begin
  if to_regclass(nome) is null then
    perform pg_advisory_xact_lock(hashtext('invciv.tracce.partizioni'));
    if to_regclass(nome) is null then
      execute format('create table %I partition of tracce for values from (%L) to (%L)', nome, inizio, inizio + interval '1 month');
      execute format('create trigger %I before truncate on %I for each statement execute function rifiuta_modifica()', nome || '_no_truncate', nome);
    end if;
  end if;
  return nome;
end $$;

do $$
declare p text;
begin
  for p in select c.relname from pg_inherits i join pg_class c on c.oid = i.inhrelid where i.inhparent = 'tracce'::regclass loop
    if not exists (select 1 from pg_trigger where tgrelid = p::regclass and tgname = p || '_no_truncate') then
      execute format('create trigger %I before truncate on %I for each statement execute function rifiuta_modifica()', p || '_no_truncate', p);
    end if;
  end loop;
end $$;

create trigger sigilli_no_truncate before truncate on sigilli for each statement execute function rifiuta_modifica();
create trigger epurazioni_no_truncate before truncate on epurazioni for each statement execute function rifiuta_modifica();
create trigger accessi_audit_no_truncate before truncate on accessi_audit for each statement execute function rifiuta_modifica();

-- A purge record is written by the retention job in the transaction that detaches and drops its partition:
-- checked when that transaction commits, a record for a partition that still exists is refused.
create function epurazione_senza_partizione() returns trigger language plpgsql as $$
begin
  if to_regclass(new.partizione) is not null then
    raise exception 'purge record for %, which still exists: only the retention job writes purge records', new.partizione using errcode = '42501';
  end if;
  return null;
end $$;
create constraint trigger epurazioni_solo_dal_job after insert on epurazioni
  deferrable initially deferred for each row execute function epurazione_senza_partizione();

-- The registro delle modifiche: every change made through the admin API or the CLI, who made it, and the values
-- before and after. Append-only, and sealed into the chain like the tracce.
create table registro_modifiche (
  id              bigint generated always as identity primary key,
  avvenuta_il     timestamptz not null default clock_timestamp(),
  -- who: a principal's fingerprint, `cli:<user>`, or `gateway` for what the gateway does by itself
  attore          text not null,
  ruolo           text not null,
  oggetto         text not null,
  oggetto_id      text,
  -- the convenzione the change concerns, so that its history can be listed
  convenzione_id  bigint,
  azione          text not null,
  prima           jsonb,
  dopo            jsonb
);
-- the readers page by id (audit/log-reader.ts): time ranges, a convenzione's history, one object's changes
create index registro_modifiche_avvenuta on registro_modifiche (avvenuta_il);
create index registro_modifiche_convenzione on registro_modifiche (convenzione_id, id) where convenzione_id is not null;
create index registro_modifiche_oggetto on registro_modifiche (oggetto, oggetto_id, id);
create trigger registro_modifiche_append_only before update or delete on registro_modifiche for each row execute function rifiuta_modifica();
create trigger registro_modifiche_no_truncate before truncate on registro_modifiche for each statement execute function rifiuta_modifica();

-- auditors read the change log and their own accesses too, and those readings are recorded like the rest
alter table accessi_audit drop constraint accessi_audit_azione_check;
alter table accessi_audit add constraint accessi_audit_azione_check
  check (azione in ('ricerca', 'esportazione', 'soggetto', 'verifica', 'modifiche', 'accessi'));
create index accessi_audit_avvenuto on accessi_audit (avvenuto_il);
