-- The online consultation (issue 35): the ente's operators verify a verbale by hand in a web application, signed
-- in with SPID/CIE (OpenID Connect) or CNS, once the ente's amministratore utenze has enabled them.

-- what a convenzione allows online: the addresses the ente declared for it (its proxy or router, not its PdD's),
-- its own hours (none: the convenzione's), and how many utenze INPS grants it (0 until operations set it)
alter table convenzioni
  add column ip_online            cidr[] not null default '{}',
  add column fascia_oraria_online text,
  add column max_utenze           integer not null default 0 check (max_utenze >= 0);

-- a consultation is a call of its own channel: one traccia each, like the partners'
-- (the check's name depends on the history of the table, so it is found by what it says)
do $$
declare
  found record;
begin
  for found in select conname from pg_constraint
                where conrelid = 'tracce'::regclass and contype = 'c' and pg_get_constraintdef(oid) like '%canale%'
  loop
    execute format('alter table tracce drop constraint %I', found.conname);
  end loop;
end
$$;
alter table tracce add constraint tracce_canale check (canale in ('soap', 'rest', 'web'));

-- an operatore enabled for online access to one convenzione, by codice fiscale; disabled at once, never removed
-- (the trail names who consulted, and the change log who enabled them)
create table utenze_online (
  convenzione_id    bigint not null references convenzioni (id),
  codice_fiscale    text not null check (codice_fiscale ~ '^[A-Z0-9]{16}$'),
  nome              text not null check (length(nome) between 1 and 200),
  valida_dal        date not null,
  valida_al         date not null,
  abilitata         boolean not null default true,
  abilitata_il      timestamptz not null default now(),
  disabilitata_il   timestamptz,
  ultimo_accesso_il timestamptz,
  primary key (convenzione_id, codice_fiscale),
  check (valida_al >= valida_dal),
  check (abilitata = (disabilitata_il is null))
);

-- the sessions of the online application: kept here so that they survive a restart, every process sees them,
-- and a disabled utenza's end at once. Only the SHA-256 of a session's cookie is stored.
create table sessioni_online (
  id_hash          text primary key check (id_hash ~ '^[0-9a-f]{64}$'),
  -- 'accesso': a sign-in under way (its state, nonce and PKCE verifier); 'attiva': signed in
  fase             text not null check (fase in ('accesso', 'attiva')),
  codice_fiscale   text check (codice_fiscale ~ '^[A-Z0-9]{16}$'),
  nome             text,
  metodo           text check (metodo in ('spid', 'cie', 'cns')),
  livello          text,
  convenzione_id   bigint references convenzioni (id),
  -- the sign-in's own values (state, nonce, verifier) while under way; the provider's ID token for its logout after
  dati             jsonb not null default '{}',
  creata_il        timestamptz not null,
  ultimo_uso_il    timestamptz not null,
  scade_il         timestamptz not null,
  check (fase = 'accesso' or codice_fiscale is not null)
);
create index sessioni_online_persona on sessioni_online (codice_fiscale) where fase = 'attiva';
create index sessioni_online_scadenza on sessioni_online (scade_il);
