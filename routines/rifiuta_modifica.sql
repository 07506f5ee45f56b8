-- The trail is append-only: the trigger function behind every table's UPDATE, DELETE and TRUNCATE refusal
-- (the triggers are declared with their tables, in migrations/004 and 010, and on each new partition by
-- tracce_partizione).
create or replace function rifiuta_modifica() returns trigger language plpgsql as $$
begin
  raise exception '% is append-only: % refused', tg_table_name, tg_op using errcode = '42501';
end $$;
