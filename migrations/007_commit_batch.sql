-- The group commit in one statement (verification/group-commit.ts). A batch of calls that passed checks 1-7
-- takes its daily-quota units (check 8, policy/daily-quota.ts), counts its answers for or against their
-- operatori (the lockout, policy/operatore-lockout.ts) and writes one traccia per call, all in the one
-- implicit transaction of a single statement: one round trip per batch instead of seven, which is what bound
-- the gateway's throughput (each round trip waits for both event loops and for the scheduler).
--
-- Arguments are parallel arrays, one element per call, in arrival order. Returns one row per call, in the
-- same order: whether it got its quota unit, the units left after it, and, for the answer that blocked its
-- operatore, the failures that did it.
create function invciv_commit_batch(
  p_tx uuid[], p_ricevuta timestamptz[], p_canale text[], p_convenzione bigint[], p_ente text[], p_fingerprint text[],
  p_ip inet[], p_operatore text[], p_pratica text[], p_cf text[], p_esito text[], p_motivo text[], p_latenza numeric[],
  p_giorno date[], p_max_giornaliere integer[], p_fallita boolean[], p_max_tentativi integer[], p_finestra_minuti integer[])
returns table (ordine integer, accettata boolean, rimanenti integer, fallimenti integer)
language plpgsql as $$
declare
  n constant integer := coalesce(array_length(p_tx, 1), 0);
  ok boolean[] := array_fill(false, array[n]);
  left_ integer[] := array_fill(0, array[n]);
  limite integer[] := array_fill(0, array[n]);
  blocked integer[] := array_fill(null::integer, array[n]);
  g record;
  k integer;
  i integer;
  usate_prima integer;
  granted integer;
  st text;
  was text;
  fl timestamptz[];
begin
  -- check 8: every (convenzione, Rome day) row of the batch made if missing and locked, in a fixed order so
  -- that concurrent batches cannot deadlock; units go to the calls in arrival order, never past the maximum
  for g in
    select u.c, u.d, (array_agg(u.m order by u.o))[1] as m, array_agg(u.o::integer order by u.o) as items
      from unnest(p_convenzione, p_giorno, p_max_giornaliere) with ordinality u(c, d, m, o)
     group by u.c, u.d order by u.c, u.d
  loop
    insert into quota_giornaliera as q (convenzione_id, giorno, usate) values (g.c, g.d, 0)
      on conflict (convenzione_id, giorno) do update set usate = q.usate
      returning q.usate into usate_prima;
    granted := greatest(0, least(cardinality(g.items), g.m - usate_prima));
    for k in 1 .. cardinality(g.items) loop
      i := g.items[k];
      limite[i] := g.m;
      ok[i] := k <= granted;
      left_[i] := case when k <= granted then g.m - (usate_prima + k) else 0 end;
    end loop;
    if granted > 0 then
      update quota_giornaliera set usate = usate_prima + granted where convenzione_id = g.c and giorno = g.d;
    end if;
  end loop;

  -- the lockout: each answer that got its unit counts for its operatore, in arrival order. NON_VALIDO is a
  -- failed attempt inside a sliding window; max_tentativi of them block an active operatore (an event for
  -- auditors); any other esito clears the count. Rows made if missing and locked in a fixed order.
  for g in
    select u.c, u.op, max(u.a) as a, array_agg(u.o::integer order by u.o) as items
      from unnest(p_convenzione, p_operatore, p_ricevuta) with ordinality u(c, op, a, o)
     where ok[u.o]
     group by u.c, u.op order by u.c, u.op
  loop
    insert into operatori as x (convenzione_id, identificativo, primo_accesso_il, ultimo_accesso_il) values (g.c, g.op, g.a, g.a)
      on conflict (convenzione_id, identificativo) do update set stato = x.stato
      returning x.stato, x.fallimenti into st, fl;
    was := st;
    foreach i in array g.items loop
      if not p_fallita[i] then
        fl := '{}';
      else
        fl := array(select f from unnest(fl) f where f > p_ricevuta[i] - make_interval(mins => p_finestra_minuti[i]) order by f) || p_ricevuta[i];
        if st = 'attivo' and cardinality(fl) >= p_max_tentativi[i] then
          st := 'bloccato';
          blocked[i] := cardinality(fl);
          insert into eventi_operatori (convenzione_id, operatore, evento, avvenuto_il, attore, motivo, identificativo_transazione)
          values (g.c, g.op, 'bloccato', p_ricevuta[i], 'gateway', format('%s verifiche NON_VALIDO in %s minuti', cardinality(fl), p_finestra_minuti[i]), p_tx[i]);
        end if;
      end if;
    end loop;
    update operatori
       set fallimenti = fl, stato = st, ultimo_accesso_il = g.a,
           bloccato_il = case when st = 'bloccato' and was <> 'bloccato' then g.a else bloccato_il end
     where convenzione_id = g.c and identificativo = g.op;
  end loop;

  -- one traccia per call, in arrival order (their ids follow it); a call refused for quota is traced as that refusal
  insert into tracce (identificativo_transazione, ricevuta_il, canale, convenzione_id, ente_codice, certificato_fingerprint,
                      ip_cliente, operatore, riferimento_pratica, cf_pseudonimo, esito, codice_rifiuto, motivo, latenza_ms)
  select u.t, u.r, u.ca, u.co, u.en, u.fp, u.ip, u.op, u.pr, u.cf,
         case when ok[u.o] then u.es end,
         case when not ok[u.o] then 'QUOTA_GIORNALIERA_ESAURITA' end,
         case when not ok[u.o] then format('%s chiamate già accettate oggi', limite[u.o])
              when blocked[u.o] is not null then format('operatore bloccato: %s verifiche NON_VALIDO nella finestra', blocked[u.o])
              else u.mo end,
         u.la
    from unnest(p_tx, p_ricevuta, p_canale, p_convenzione, p_ente, p_fingerprint, p_ip, p_operatore, p_pratica, p_cf, p_esito, p_motivo, p_latenza)
         with ordinality u(t, r, ca, co, en, fp, ip, op, pr, cf, es, mo, la, o)
   order by u.o;

  return query select s.o, ok[s.o], left_[s.o], blocked[s.o] from generate_series(1, n) s(o) order by s.o;
end
$$;
