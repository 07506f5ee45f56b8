-- A change to convenzioni or certificati_pdd tells every gateway process at once (NOTIFY, sent when the
-- transaction commits), which then forgets what it kept of the registry (pipeline/registry-cache.ts). The row
-- triggers that call it are declared with the tables (migrations/017).
create or replace function invciv_registro_cambiato() returns trigger language plpgsql as $$
begin
  perform pg_notify('invciv_registro', tg_table_name);
  return null;
end $$;
