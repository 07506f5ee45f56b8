-- The month partition of an instant, created when missing (under a lock, so concurrent callers agree), with its
-- TRUNCATE refusal (a trigger on the parent is not inherited). It runs with its owner's rights, so the runtime
-- role, which owns nothing, can still get next month's partition.
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
