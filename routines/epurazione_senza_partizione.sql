-- A purge record is written by the retention job in the transaction that detaches and drops its partition:
-- checked when that transaction commits (a deferred constraint trigger, migrations/010), a record for a
-- partition that still exists is refused.
create or replace function epurazione_senza_partizione() returns trigger language plpgsql as $$
begin
  if to_regclass(new.partizione) is not null then
    raise exception 'purge record for %, which still exists: only the retention job writes purge records', new.partizione using errcode = '42501';
  end if;
  return null;
end $$;
