-- Each gateway process keeps, for the calls it serves, what is the same for every call of a convenzione (the
-- certificate's convenzione, its settings, fascia, allowlist): pipeline/registry-cache.ts. A change to either
-- table tells every process at once through NOTIFY (sent when the transaction commits, so never before the
-- change is visible); each process then forgets what it kept. Row triggers, so a statement that changed
-- nothing (the commit's "suspend if still attiva") says nothing.
create function invciv_registro_cambiato() returns trigger language plpgsql as $$
begin
  perform pg_notify('invciv_registro', tg_table_name);
  return null;
end $$;

create trigger convenzioni_notifica after insert or update or delete on convenzioni
  for each row execute function invciv_registro_cambiato();
create trigger convenzioni_notifica_truncate after truncate on convenzioni
  for each statement execute function invciv_registro_cambiato();
create trigger certificati_pdd_notifica after insert or update or delete on certificati_pdd
  for each row execute function invciv_registro_cambiato();
create trigger certificati_pdd_notifica_truncate after truncate on certificati_pdd
  for each statement execute function invciv_registro_cambiato();
