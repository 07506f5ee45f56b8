-- What the anomaly scan has summarised of the trail (anomalies/summary.ts), so that its detectors read the
-- trail's last minute or two, not a day of it, every minute: with a day of calls in the trail, the failure
-- ratio's statement alone took a second of a core, and the calls answered meanwhile waited behind it.
-- Not the trail: derived from it, rebuilt from it, and forgotten once older than the detectors' windows.

-- the calls of each minute, by convenzione and operatore (canonical: lower case; '' when the call named none)
create table anomalie_minuti (
  minuto         timestamptz not null,
  convenzione_id bigint not null,
  operatore      text not null,
  chiamate       integer not null,
  risposte       integer not null,
  non_validi     integer not null,
  primary key (minuto, convenzione_id, operatore)
);

-- the persons each operatore asked about, with the latest call that did (the enumeration detector's hour)
create table anomalie_persone (
  convenzione_id bigint not null,
  operatore      text not null,
  cf_pseudonimo  text not null,
  vista_il       timestamptz not null,
  primary key (convenzione_id, operatore, cf_pseudonimo)
);
create index anomalie_persone_vista on anomalie_persone (vista_il);

-- tracce received before fino_a are in the two tables above (one row, written by the scan that holds its lock)
create table anomalie_riepilogo (
  unico  boolean primary key default true check (unico),
  fino_a timestamptz not null
);
