-- invciv_commit_batch: the commit rules where they are exact, in the one statement that commits a batch of answers
-- (called by pipeline/group-commit.ts). Call by call in arrival order, with every row it reads locked (so exact
-- across processes): refuses a call whose convenzione was suspended or whose operatore was blocked meanwhile,
-- grants quota units, moves the operatore's and the convenzione's failure windows (blocking, suspending), writes
-- every traccia, and answers per call: accepted or not, the refusal's code and text (the only place they are
-- written), the quota left, the failures counted.
--
-- Its parameters are what pipeline/group-commit.ts sends, in order: the traccia's columns (audit/traccia.ts) but
-- codice_rifiuto, each p_<column>, then each commit rule's (policy/daily-quota.ts, operatore-lockout.ts,
-- convenzione-ceiling.ts), each p_<name>; test/db/routines.test.ts holds the two to each other. A change of the
-- parameters or of the answer's columns needs a migration that drops the function first (create or replace
-- cannot change them); a change of the body is a diff of this file alone.
create or replace function invciv_commit_batch(
  p_identificativo_transazione uuid[], p_ricevuta_il timestamptz[], p_canale text[], p_convenzione_id bigint[], p_ente_codice text[], p_certificato_fingerprint text[],
  p_ip_cliente inet[], p_operatore text[], p_riferimento_pratica text[], p_cf_pseudonimo text[], p_esito text[], p_motivo text[], p_latenza_ms numeric[], p_protocollo jsonb[],
  p_giorno date[], p_max_giornaliere integer[],
  p_fallita boolean[], p_max_tentativi integer[], p_finestra_minuti integer[], p_operatore_chiave text[], p_sblocco text[],
  p_max_fallimenti_convenzione integer[])
returns table (ordine integer, accettata boolean, codice text, motivo text, rimanenti integer, fallimenti integer, sospesa integer)
language plpgsql as $$
declare
  n constant integer := coalesce(array_length(p_identificativo_transazione, 1), 0);
  ok boolean[] := array_fill(false, array[n]);
  rifiuto text[] := array_fill(null::text, array[n]);
  nota text[] := array_fill(null::text, array[n]);
  left_ integer[] := array_fill(0, array[n]);
  blocked integer[] := array_fill(null::integer, array[n]);
  suspended integer[] := array_fill(null::integer, array[n]);
  -- the rows the batch reads, locked, and their state as the calls move it: quota counters by (convenzione, day),
  -- operatori by (convenzione, canonical identity), convenzioni by id
  q_key text[] := '{}'; q_used integer[] := '{}'; q_before integer[] := '{}'; q_max integer[] := '{}';
  o_key text[] := '{}'; o_conv bigint[] := '{}'; o_id text[] := '{}'; o_stato text[] := '{}'; o_fl jsonb[] := '{}';
  o_bloccato timestamptz[] := '{}'; o_ultimo timestamptz[] := '{}';
  c_id bigint[] := '{}'; c_stato text[] := '{}'; c_fl jsonb[] := '{}'; c_changed boolean[] := '{}';
  g record;
  i integer;
  kq integer;
  ko integer;
  kc integer;
  st text;
  fl jsonb;
  n_fl integer;
  used integer;
  bloccato timestamptz;
  ultimo timestamptz;
  finestra interval;
  evidenze uuid[];
begin
  -- every row of the batch made if missing and locked, in a fixed order per table so that concurrent batches
  -- cannot deadlock: the quota counters, the convenzione's failure window, the operatori
  for g in
    select u.c, u.d, (array_agg(u.m order by u.o))[1] as m
      from unnest(p_convenzione_id, p_giorno, p_max_giornaliere) with ordinality u(c, d, m, o)
     group by u.c, u.d order by u.c, u.d
  loop
    insert into quota_giornaliera as q (convenzione_id, giorno, usate) values (g.c, g.d, 0)
      on conflict (convenzione_id, giorno) do update set usate = q.usate
      returning q.usate into used;
    q_key := q_key || (g.c || '|' || g.d); q_used := q_used || used; q_before := q_before || used; q_max := q_max || g.m;
  end loop;
  for g in select distinct u.c from unnest(p_convenzione_id) u(c) order by u.c loop
    insert into fallimenti_convenzione (convenzione_id) values (g.c) on conflict do nothing;
    select f.finestra into fl from fallimenti_convenzione f where f.convenzione_id = g.c for update;
    -- read after the locks: a suspension another batch committed meanwhile is seen here
    select c.stato into st from convenzioni c where c.id = g.c;
    c_id := c_id || g.c; c_stato := c_stato || st; c_fl := c_fl || fl; c_changed := c_changed || false;
  end loop;
  for g in
    select u.c, u.k, min(u.a) as a
      from unnest(p_convenzione_id, p_operatore_chiave, p_ricevuta_il) u(c, k, a)
     group by u.c, u.k order by u.c, u.k
  loop
    insert into operatori as x (convenzione_id, identificativo, primo_accesso_il, ultimo_accesso_il) values (g.c, g.k, g.a, g.a)
      on conflict (convenzione_id, identificativo) do update set stato = x.stato
      returning x.stato, x.finestra_fallimenti, x.bloccato_il, x.ultimo_accesso_il into st, fl, bloccato, ultimo;
    o_key := o_key || (g.c || '|' || g.k); o_conv := o_conv || g.c; o_id := o_id || g.k;
    o_stato := o_stato || st; o_fl := o_fl || fl; o_bloccato := o_bloccato || bloccato; o_ultimo := o_ultimo || ultimo;
  end loop;

  -- the calls, in arrival order: each sees what the calls before it did
  for i in 1 .. n loop
    kq := array_position(q_key, p_convenzione_id[i] || '|' || p_giorno[i]);
    kc := array_position(c_id, p_convenzione_id[i]);
    ko := array_position(o_key, p_convenzione_id[i] || '|' || p_operatore_chiave[i]);
    finestra := make_interval(mins => p_finestra_minuti[i]);
    -- where the convenzione says so, a blocked operatore is back once the window has passed since its block
    if o_stato[ko] = 'bloccato' and p_sblocco[i] = 'fine-finestra' and o_bloccato[ko] + finestra <= p_ricevuta_il[i] then
      o_stato[ko] := 'attivo';
      o_fl[ko] := '{}'::jsonb;
      insert into eventi_operatori (convenzione_id, operatore, evento, avvenuto_il, attore, motivo, identificativo_transazione)
      values (p_convenzione_id[i], p_operatore_chiave[i], 'sbloccato', p_ricevuta_il[i], 'gateway', format('fine della finestra di %s minuti dal blocco', p_finestra_minuti[i]), p_identificativo_transazione[i]);
      o_bloccato[ko] := null;
    end if;
    if c_stato[kc] <> 'attiva' then
      rifiuto[i] := 'CONVENZIONE_NON_ATTIVA';
      nota[i] := 'convenzione ' || c_stato[kc];
    elsif o_stato[ko] <> 'attivo' then
      rifiuto[i] := 'OPERATORE_BLOCCATO';
      nota[i] := 'operatore ' || o_stato[ko];
    elsif q_used[kq] >= q_max[kq] then
      rifiuto[i] := 'QUOTA_GIORNALIERA_ESAURITA';
      nota[i] := format('%s chiamate già accettate oggi', q_max[kq]);
    else
      ok[i] := true;
      q_used[kq] := q_used[kq] + 1;
      o_ultimo[ko] := greatest(o_ultimo[ko], p_ricevuta_il[i]);
      if p_fallita[i] then
        -- the operatore's window: the answer that reaches max_tentativi is the last one given
        o_fl[ko] := finestra_aggiungi(o_fl[ko], p_ricevuta_il[i], finestra);
        n_fl := finestra_somma(o_fl[ko]);
        if n_fl >= p_max_tentativi[i] then
          o_stato[ko] := 'bloccato';
          o_bloccato[ko] := p_ricevuta_il[i];
          blocked[i] := n_fl;
          nota[i] := format('operatore bloccato: %s verifiche NON_VALIDO in %s minuti', n_fl, p_finestra_minuti[i]);
          insert into eventi_operatori (convenzione_id, operatore, evento, avvenuto_il, attore, motivo, identificativo_transazione)
          values (p_convenzione_id[i], p_operatore_chiave[i], 'bloccato', p_ricevuta_il[i], 'gateway', format('%s verifiche NON_VALIDO in %s minuti', n_fl, p_finestra_minuti[i]), p_identificativo_transazione[i]);
        end if;
        -- the convenzione's window, across its operatori: reaching the ceiling suspends it
        c_fl[kc] := finestra_aggiungi(c_fl[kc], p_ricevuta_il[i], finestra);
        c_changed[kc] := true;
        n_fl := finestra_somma(c_fl[kc]);
        if n_fl >= p_max_fallimenti_convenzione[i] then
          c_stato[kc] := 'sospesa';
          suspended[i] := n_fl;
          nota[i] := format('convenzione sospesa in via preventiva: %s verifiche NON_VALIDO in %s minuti', n_fl, p_finestra_minuti[i]);
        end if;
      end if;
    end if;
    left_[i] := greatest(0, q_max[kq] - q_used[kq]);
  end loop;

  for kq in 1 .. coalesce(array_length(q_key, 1), 0) loop
    if q_used[kq] <> q_before[kq] then
      update quota_giornaliera set usate = q_used[kq] where convenzione_id = split_part(q_key[kq], '|', 1)::bigint and giorno = split_part(q_key[kq], '|', 2)::date;
    end if;
  end loop;
  for ko in 1 .. coalesce(array_length(o_id, 1), 0) loop
    update operatori
       set finestra_fallimenti = o_fl[ko], stato = o_stato[ko], ultimo_accesso_il = o_ultimo[ko],
           bloccato_il = case when o_stato[ko] = 'bloccato' then o_bloccato[ko] when o_stato[ko] = 'attivo' then null else bloccato_il end
     where convenzione_id = o_conv[ko] and identificativo = o_id[ko];
  end loop;

  -- one traccia per call, in arrival order (their ids follow it); a refused call is traced as its refusal
  insert into tracce (identificativo_transazione, ricevuta_il, canale, convenzione_id, ente_codice, certificato_fingerprint,
                      ip_cliente, operatore, riferimento_pratica, cf_pseudonimo, esito, codice_rifiuto, motivo, latenza_ms, protocollo)
  select u.t, u.r, u.ca, u.co, u.en, u.fp, u.ip, u.op, u.pr, u.cf,
         case when ok[u.o] then u.es end, rifiuto[u.o], coalesce(nota[u.o], u.mo), u.la, u.pc
    from unnest(p_identificativo_transazione, p_ricevuta_il, p_canale, p_convenzione_id, p_ente_codice, p_certificato_fingerprint, p_ip_cliente, p_operatore, p_riferimento_pratica, p_cf_pseudonimo, p_esito, p_motivo, p_latenza_ms, p_protocollo)
         with ordinality u(t, r, ca, co, en, fp, ip, op, pr, cf, es, mo, la, pc, o)
   order by u.o;

  -- the convenzioni this batch suspended: the state, the change record, and a grave anomalia with its evidence
  for kc in 1 .. coalesce(array_length(c_id, 1), 0) loop
    if c_changed[kc] then
      update fallimenti_convenzione set finestra = c_fl[kc] where convenzione_id = c_id[kc];
    end if;
  end loop;
  for i in 1 .. n loop
    if suspended[i] is not null then
      update convenzioni set stato = 'sospesa', aggiornata_il = p_ricevuta_il[i] where id = p_convenzione_id[i] and stato = 'attiva';
      -- ops may have suspended it a moment before: then it is theirs, not a preventive suspension
      get diagnostics used = row_count;
      continue when used = 0;
      insert into registro_modifiche (attore, ruolo, oggetto, oggetto_id, convenzione_id, azione, prima, dopo)
      values ('gateway', 'gateway', 'convenzione', p_convenzione_id[i]::text, p_convenzione_id[i], 'suspend', '{"stato": "attiva"}',
              jsonb_build_object('stato', 'sospesa', 'motivo', format('sospensione in via preventiva: %s verifiche NON_VALIDO in %s minuti', suspended[i], p_finestra_minuti[i])));
      select array_agg(t.identificativo_transazione order by t.ricevuta_il desc) into evidenze
        from (select identificativo_transazione, ricevuta_il from tracce
               where convenzione_id = p_convenzione_id[i] and esito = 'NON_VALIDO' and ricevuta_il > p_ricevuta_il[i] - make_interval(mins => p_finestra_minuti[i])
                 and ricevuta_il <= p_ricevuta_il[i]
               order by ricevuta_il desc limit 50) t;
      with nuova as (
        insert into anomalie (tipo, chiave, gravita, convenzione_id, descrizione, evidenze, rilevata_il, aggiornata_il, azione)
        values ('fallimenti-convenzione', p_convenzione_id[i] || ':' || p_identificativo_transazione[i], 'grave', p_convenzione_id[i],
                format('%s verifiche NON_VALIDO in %s minuti da tutti gli operatori della convenzione (tetto %s)', suspended[i], p_finestra_minuti[i], p_max_fallimenti_convenzione[i]),
                coalesce(evidenze, array[p_identificativo_transazione[i]]), p_ricevuta_il[i], p_ricevuta_il[i], format('convenzione %s sospesa in via preventiva', p_convenzione_id[i]))
        returning id)
      insert into anomalie_notifiche (anomalia_id, prossimo_tentativo) select id, p_ricevuta_il[i] from nuova;
    end if;
  end loop;

  return query select s.o, ok[s.o], rifiuto[s.o], nota[s.o], left_[s.o], blocked[s.o], suspended[s.o] from generate_series(1, n) s(o) order by s.o;
end
$$;
