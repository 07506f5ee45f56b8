-- The spine: enti and their convenzioni, PDD certificates, operatori, the verbali archive, the tracce.

create table enti (
  codice_ipa    text primary key check (codice_ipa ~ '^[A-Za-z0-9_.-]{1,32}$'),
  nome          text not null check (length(nome) between 1 and 300),
  creato_il     timestamptz not null default now()
);

create table convenzioni (
  id                          bigint generated always as identity primary key,
  ente_codice                 text not null references enti (codice_ipa),
  valida_dal                  date not null,
  -- inclusive; five years from activation unless the agreement says otherwise
  valida_al                   date not null check (valida_al >= valida_dal),
  stato                       text not null default 'attiva' check (stato in ('attiva', 'sospesa', 'revocata')),
  ip_consentiti               cidr[] not null check (cardinality(ip_consentiti) > 0),
  fascia_oraria               text not null,
  max_giornaliere             integer not null check (max_giornaliere > 0),
  media_giornaliera           integer check (media_giornaliera > 0),
  max_tentativi               integer not null default 5 check (max_tentativi > 0),
  finestra_tentativi_minuti   integer not null default 60 check (finestra_tentativi_minuti > 0),
  max_operatori               integer check (max_operatori > 0),
  creata_il                   timestamptz not null default now(),
  aggiornata_il               timestamptz not null default now()
);
create index convenzioni_ente on convenzioni (ente_codice);

create table certificati_pdd (
  -- SHA-256 of the DER certificate, lower-case hex without colons
  fingerprint     text primary key check (fingerprint ~ '^[0-9a-f]{64}$'),
  convenzione_id  bigint not null references convenzioni (id),
  stato           text not null default 'attivo' check (stato in ('attivo', 'ritirato', 'revocato')),
  soggetto        text not null,
  emittente       text not null,
  numero_serie    text not null,
  valido_dal      timestamptz not null,
  valido_al       timestamptz not null,
  pem             text not null,
  aggiunto_il     timestamptz not null default now(),
  cambiato_il     timestamptz
);
create index certificati_pdd_convenzione on certificati_pdd (convenzione_id);

create table operatori (
  convenzione_id        bigint not null references convenzioni (id),
  identificativo        text not null check (identificativo ~ '^[A-Za-z0-9._@:-]{1,64}$'),
  stato                 text not null default 'attivo' check (stato in ('attivo', 'bloccato', 'sospeso')),
  tentativi_falliti     integer not null default 0,
  primo_fallimento_il   timestamptz,
  bloccato_il           timestamptz,
  primo_accesso_il      timestamptz not null default now(),
  ultimo_accesso_il     timestamptz not null default now(),
  primary key (convenzione_id, identificativo)
);

create table verbali (
  id                  bigint generated always as identity primary key,
  -- stored normalised (trimmed, upper case) so that the lookup is a plain equality
  codice_fiscale      text not null check (codice_fiscale ~ '^([A-Z0-9]{16}|[0-9]{11})$'),
  numero_verbale      text not null check (length(numero_verbale) between 1 and 32 and numero_verbale = upper(btrim(numero_verbale))),
  data_verbale        date not null,
  categoria           text not null check (categoria in ('INVALIDITA_CIVILE', 'CECITA', 'SORDITA', 'HANDICAP', 'DISABILITA')),
  tipo_accertamento   text not null check (tipo_accertamento in ('PRIMA_ISTANZA', 'AGGRAVAMENTO', 'VERIFICA_STRAORDINARIA', 'ISPETTORATO_MEDICO_LEGALE', 'AUTOTUTELA', 'REVISIONE')),
  giudizio            text check (length(giudizio) <= 64),
  data_revisione      date,
  -- orders judgments of the same day
  registrato_il       timestamptz not null,
  caricato_il         timestamptz not null default now(),
  aggiornato_il       timestamptz not null default now()
);
-- the natural key, and the index of the lookup: every verbale of one person
create unique index verbali_chiave on verbali (codice_fiscale, categoria, numero_verbale, data_verbale);

create table tracce (
  id                          bigint generated always as identity primary key,
  identificativo_transazione  uuid not null unique,
  ricevuta_il                 timestamptz not null,
  canale                      text not null check (canale in ('soap', 'rest')),
  convenzione_id              bigint,
  ente_codice                 text,
  certificato_fingerprint     text,
  ip_cliente                  inet,
  operatore                   text,
  riferimento_pratica         text,
  -- keyed HMAC of the normalised codice fiscale: never the code itself
  cf_pseudonimo               text check (cf_pseudonimo ~ '^[0-9a-f]{64}$'),
  esito                       text check (esito in ('VALIDO', 'VALIDO_NEL_PERIODO', 'NON_VALIDO')),
  codice_rifiuto              text,
  -- why a refusal happened, for auditors and ops; never shown to partners
  motivo                      text,
  latenza_ms                  numeric(10, 3) not null,
  check ((esito is null) <> (codice_rifiuto is null))
);
create index tracce_ricevuta on tracce (ricevuta_il);
