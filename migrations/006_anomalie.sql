-- Automated controls on access patterns: findings with their evidence, and their delivery to a webhook.

create table anomalie (
  id               bigint generated always as identity primary key,
  tipo             text not null,
  -- one finding per pattern and period: a later scan of the same period updates it instead of adding another
  chiave           text not null,
  gravita          text not null check (gravita in ('bassa', 'media', 'grave')),
  stato            text not null default 'aperta' check (stato in ('aperta', 'chiarita', 'chiusa')),
  convenzione_id   bigint,
  operatore        text,
  descrizione      text not null,
  -- transaction ids of the tracce that show it (a sample when there are many)
  evidenze         uuid[] not null,
  rilevata_il      timestamptz not null,
  aggiornata_il    timestamptz not null,
  azione           text,
  nota             text,
  unique (tipo, chiave)
);
create index anomalie_stato on anomalie (stato, rilevata_il);

create table anomalie_notifiche (
  anomalia_id         bigint primary key references anomalie (id),
  tentativi           integer not null default 0,
  prossimo_tentativo  timestamptz not null default now(),
  consegnata_il       timestamptz,
  ultimo_errore       text
);
create index anomalie_notifiche_da_consegnare on anomalie_notifiche (prossimo_tentativo) where consegnata_il is null;
