-- The enti's amministratori utenze (issue 35): named per ente by INPS operations; each signs in as the operators
-- do and confirms every session with a TOTP. The TOTP secret is kept encrypted with a key outside the database
-- (INVCIV_TOTP_KEY): nonce, tag and ciphertext of AES-256-GCM. A code's time step is accepted once.
create table amministratori_utenze (
  ente_codice      text not null references enti (codice_ipa),
  codice_fiscale   text not null check (codice_fiscale ~ '^[A-Z0-9]{16}$'),
  nome             text not null check (length(nome) between 1 and 200),
  totp_segreto     bytea,
  totp_attivo      boolean not null default false,
  totp_ultimo_passo bigint,
  nominato_il      timestamptz not null default now(),
  revocato_il      timestamptz,
  primary key (ente_codice, codice_fiscale)
);

alter table sessioni_online add column totp_verificato_il timestamptz;
