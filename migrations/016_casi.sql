-- Anomalies as cases (issue 19, "richiesta di chiarimenti"): an anomaly opens a case with its evidence; the
-- request sent to the ente and its deadline, the documents received (kept whole, with their SHA-256), and the
-- outcome: archived, operatore disabled, convenzione suspended, or reported to the authorities (which, when).
create table casi (
  id                    bigint generated always as identity primary key,
  anomalia_id           bigint not null unique references anomalie (id),
  aperto_il             timestamptz not null default now(),
  aperto_da             text not null,
  stato                 text not null default 'aperto' check (stato in ('aperto', 'richiesta-inviata', 'chiuso')),
  richiesta_inviata_il  date,
  richiesta_testo       text,
  scadenza              date,
  esito                 text check (esito in ('archiviato', 'operatore-disabilitato', 'convenzione-sospesa', 'segnalato-autorita')),
  autorita              text[],
  segnalato_il          date,
  chiuso_il             timestamptz,
  nota                  text,
  check ((stato = 'chiuso') = (esito is not null)),
  check (esito is distinct from 'segnalato-autorita' or (cardinality(autorita) > 0 and segnalato_il is not null))
);
create index casi_aperti on casi (scadenza) where stato <> 'chiuso';

-- what the ente sent: appended, never changed (their digest is what a later dispute checks them against)
create table casi_documenti (
  id           bigint generated always as identity primary key,
  caso_id      bigint not null references casi (id),
  nome         text not null,
  tipo         text not null,
  byte         integer not null,
  sha256       text not null check (sha256 ~ '^[0-9a-f]{64}$'),
  contenuto    bytea not null,
  ricevuto_il  timestamptz not null default now(),
  caricato_da  text not null
);
create index casi_documenti_caso on casi_documenti (caso_id);
