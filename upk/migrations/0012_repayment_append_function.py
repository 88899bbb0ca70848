"""A repayment dated on or after every other one of its loan, posted by one
call to PostgreSQL (`upk_repayment_append`; docs/ledger.md §13).

Such a payment — nearly every payment a UPK enters — is allocated over what
the loan's instalments have received so far (their paid cache), so the whole
posting needs nothing Python has to decide between reading and writing. Done
by the service in Python it took three round trips and about a millisecond
of Python per posting; here it is one call, which locks the loan, reads the
books after the lock (each statement of a PL/pgSQL function takes a fresh
snapshot, so it sees whatever the previous lock holder committed) and writes
what `services._record_repayments_locked` writes for the same payment.

Anything else returns no row and the service takes its Python path in the
same transaction (the lock is held already): a loan not active or
rescheduled, a closed month, a date before the schedule or before a live
repayment, an overpayment. Those refusals and their messages stay in Python.

The allocation below is `engine.allocate` for one payment over a paid state,
written as SQL: every (instalment, component) owed is a slot, taken in the
engine's order; a payment fills the slots in order, so each slot gets what
is left of the payment after the slots before it (a running sum), capped at
what it owes. tests/upk/test_repayment_append.py posts the same random
histories through both and compares every row.
"""

from django.db import migrations

FORWARD = r"""
CREATE OR REPLACE FUNCTION upk_repayment_append(
    p_loan bigint,
    p_amount numeric,
    p_paid_on date,
    p_channel text,
    p_key text,
    p_actor bigint,
    p_at timestamptz,
    p_cash_account bigint,
    p_accounts bigint[],  -- credited for pokok, jasa, BOP, denda (in that order)
    p_memos text[],       -- those credit lines' memos, same order
    p_description text,   -- format() pattern of the entry: %1$s loan number, %2$s KSM name
    p_paid_off_reason text
) RETURNS TABLE (posted_repayment bigint, posted_entry bigint, posted_receipt text, paid_off boolean)
LANGUAGE plpgsql AS $$
DECLARE
    v_loan upk_loan%ROWTYPE;
    v_schedule bigint;
    v_schedule_from date;
    v_schedule_principal numeric;
    v_closed int;
    v_latest date;
    v_repayment bigint;
    v_entry bigint;
    v_receipt text;
    v_owed numeric;
    a_inst bigint[];
    a_component text[];
    a_amount numeric[];
    a_due date[];
    a_settles boolean[];
    a_totals numeric[];  -- per component: pokok, jasa, BOP, denda
BEGIN
    -- The loan lock of services._lock_loans (one loan: no order to keep).
    -- Every statement below takes its snapshot after it is granted.
    SELECT * INTO v_loan FROM upk_loan WHERE id = p_loan FOR UPDATE;
    IF NOT FOUND OR v_loan.status NOT IN ('active', 'rescheduled') THEN
        RETURN;
    END IF;
    SELECT s.id, s.effective_from, s.principal,
           (SELECT MAX(v) FROM (SELECT year * 100 + month AS v FROM upk_accountingperiod
                                 WHERE upk_id = v_loan.upk_id AND is_closed
                                UNION ALL SELECT year * 100 + 12 FROM upk_yearendclosing
                                 WHERE upk_id = v_loan.upk_id) AS closed),
           (SELECT MAX(r.paid_on) FROM upk_repayment r WHERE r.loan_id = p_loan AND NOT r.is_reversed)
      INTO v_schedule, v_schedule_from, v_schedule_principal, v_closed, v_latest
      FROM upk_schedule s
     WHERE s.loan_id = p_loan AND s.effective_to IS NULL;
    IF v_schedule IS NULL OR p_paid_on < v_schedule_from
       OR extract(year FROM p_paid_on) * 100 + extract(month FROM p_paid_on) <= v_closed
       OR v_latest > p_paid_on THEN
        RETURN;  -- refused (before the schedule, closed month) or replayed (backdated) by the Python path
    END IF;

    -- engine.allocate for this one payment over the instalments' paid cache.
    WITH inst AS (
        SELECT i.id, i.number, i.due_date,
               i.due_date <= p_paid_on AS due,
               i.paid_jasa = i.jasa AND i.paid_bop = i.bop AND i.paid_pokok = i.pokok AS was_full,
               (i.jasa - i.paid_jasa) + (i.bop - i.paid_bop) + (i.pokok - i.paid_pokok) AS unpaid,
               i.jasa - i.paid_jasa AS jasa, i.bop - i.paid_bop AS bop, i.pokok - i.paid_pokok AS pokok,
               -- engine.denda_due: once per instalment not fully paid after its grace days.
               CASE WHEN v_loan.late_fee_amount > 0
                         AND NOT (i.paid_jasa = i.jasa AND i.paid_bop = i.bop AND i.paid_pokok = i.pokok)
                         AND p_paid_on > i.due_date + v_loan.late_fee_grace_days
                    THEN v_loan.late_fee_amount - i.paid_denda ELSE 0 END AS denda
          FROM upk_instalment i
         WHERE i.schedule_id = v_schedule
    ), slots AS (
        -- The engine's order: each instalment due by the payment date, oldest
        -- first, denda → jasa → BOP → pokok; then the pokok of the next
        -- instalments; then their jasa and BOP.
        SELECT inst.id, inst.number, inst.due_date, inst.was_full, inst.unpaid, c.k, c.component, c.owed,
               CASE WHEN inst.due THEN 0 WHEN c.component = 'pokok' THEN 1 ELSE 2 END AS pass
          FROM inst
         CROSS JOIN LATERAL (VALUES (0, 'denda', inst.denda), (1, 'jasa', inst.jasa), (2, 'bop', inst.bop),
                                    (3, 'pokok', inst.pokok)) AS c (k, component, owed)
         WHERE c.owed > 0 AND (inst.due OR c.component <> 'denda')
    ), filled AS (
        SELECT slots.*,
               LEAST(owed, GREATEST(p_amount - (SUM(owed) OVER w - owed), 0)) AS amount
          FROM slots
        WINDOW w AS (ORDER BY pass, number, k ROWS UNBOUNDED PRECEDING)
    ), pieces AS (
        -- A piece settles its instalment when it is the one that leaves
        -- nothing unpaid (denda aside) on an instalment that had something.
        SELECT filled.*,
               component <> 'denda' AND NOT was_full
               AND SUM(amount) FILTER (WHERE component <> 'denda') OVER (PARTITION BY id) = unpaid
               AND ROW_NUMBER() OVER (PARTITION BY id, component = 'denda' ORDER BY pass DESC, k DESC) = 1 AS settles
          FROM filled
         WHERE amount > 0
    )
    SELECT array_agg(id ORDER BY pass, number, k), array_agg(component ORDER BY pass, number, k),
           array_agg(amount ORDER BY pass, number, k), array_agg(due_date ORDER BY pass, number, k),
           array_agg(settles ORDER BY pass, number, k),
           ARRAY[COALESCE(SUM(amount) FILTER (WHERE component = 'pokok'), 0),
                 COALESCE(SUM(amount) FILTER (WHERE component = 'jasa'), 0),
                 COALESCE(SUM(amount) FILTER (WHERE component = 'bop'), 0),
                 COALESCE(SUM(amount) FILTER (WHERE component = 'denda'), 0)]
      INTO a_inst, a_component, a_amount, a_due, a_settles, a_totals
      FROM pieces;
    IF a_totals[1] + a_totals[2] + a_totals[3] + a_totals[4] <> p_amount THEN
        RETURN;  -- more than the loan owes: refused, with its message, by the Python path
    END IF;

    -- Everything the posting writes, one statement (as writes.ledger_insert).
    WITH c AS (
        -- The UPK's journal and receipt numbers, in ledger_insert's lock order.
        INSERT INTO upk_counter (upk_id, name, value) VALUES (v_loan.upk_id, 'journal', 1), (v_loan.upk_id, 'receipt', 1)
        ON CONFLICT (upk_id, name) DO UPDATE SET value = upk_counter.value + EXCLUDED.value
        RETURNING name, value
    ), e AS (
        INSERT INTO upk_journalentry (upk_id, number, date, kind, description, reverses_id, idempotency_key,
                                      created_by_id, created_at)
        SELECT v_loan.upk_id, c.value, p_paid_on, 'repayment',
               left(format(p_description, v_loan.number, (SELECT k.name FROM upk_ksm k WHERE k.id = v_loan.ksm_id)), 255),
               NULL, NULL, p_actor, p_at
          FROM c WHERE c.name = 'journal'
        RETURNING id
    ), l AS (
        -- Debit Kas/Bank; credit each component's account (services._component_legs).
        INSERT INTO upk_journalline (entry_id, upk_id, date, account_id, debit, credit, loan_id, ksm_id, memo)
        SELECT e.id, v_loan.upk_id, p_paid_on, leg.account, leg.debit, leg.credit, leg.loan, NULL, leg.memo
          FROM e, (SELECT 0 AS k, p_cash_account AS account, p_amount AS debit, 0::numeric AS credit, p_loan AS loan,
                          ''::text AS memo
                   UNION ALL
                   SELECT g.k, p_accounts[g.k], 0, a_totals[g.k], CASE WHEN g.k = 1 THEN p_loan END, left(p_memos[g.k], 255)
                     FROM generate_series(1, 4) AS g (k)
                    WHERE a_totals[g.k] > 0) AS leg
         ORDER BY leg.k
    ), r AS (
        INSERT INTO upk_repayment (upk_id, loan_id, receipt_number, paid_on, amount, channel, idempotency_key,
                                   journal_entry_id, collection_sheet_id, created_by_id, is_reversed, created_at)
        -- writes.receipt_number: KW-<year>-<number, at least 6 digits>
        SELECT v_loan.upk_id, p_loan,
               'KW-' || extract(year FROM p_paid_on)::int || '-' || lpad(c.value::text, greatest(6, length(c.value::text)), '0'),
               p_paid_on, p_amount, p_channel, p_key, e.id, NULL, p_actor, false, p_at
          FROM e, c WHERE c.name = 'receipt'
        RETURNING id, receipt_number
    ), a AS (
        INSERT INTO upk_allocation (repayment_id, loan_id, upk_id, instalment_id, component, amount, effective_from,
                                    due_date, settles, schedule_id)
        SELECT r.id, p_loan, v_loan.upk_id, u.inst, u.component, u.amount, p_paid_on, u.due, u.settles, v_schedule
          FROM r, unnest(a_inst, a_component, a_amount, a_due, a_settles) AS u (inst, component, amount, due, settles)
    ), d AS (
        SELECT u.inst,
               COALESCE(SUM(u.amount) FILTER (WHERE u.component = 'pokok'), 0) AS pokok,
               COALESCE(SUM(u.amount) FILTER (WHERE u.component = 'jasa'), 0) AS jasa,
               COALESCE(SUM(u.amount) FILTER (WHERE u.component = 'bop'), 0) AS bop,
               COALESCE(SUM(u.amount) FILTER (WHERE u.component = 'denda'), 0) AS denda
          FROM unnest(a_inst, a_component, a_amount) AS u (inst, component, amount)
         GROUP BY u.inst
    ), u AS (
        UPDATE upk_instalment i
           SET paid_pokok = i.paid_pokok + d.pokok, paid_jasa = i.paid_jasa + d.jasa,
               paid_bop = i.paid_bop + d.bop, paid_denda = i.paid_denda + d.denda
          FROM d WHERE i.id = d.inst
    ), x AS (
        -- The instalments as the update leaves them (a statement's parts share its snapshot).
        SELECT i.number, i.due_date, i.total, i.pokok,
               i.paid_pokok + COALESCE(d.pokok, 0) AS paid_pokok,
               i.paid_pokok + i.paid_jasa + i.paid_bop + COALESCE(d.pokok + d.jasa + d.bop, 0) AS paid
          FROM upk_instalment i LEFT JOIN d ON d.inst = i.id
         WHERE i.schedule_id = v_schedule
    ), cum AS (
        SELECT number, due_date, paid_pokok,
               SUM(total) OVER w AS cum_due,
               SUM(pokok) OVER w AS cum_pokok,
               COUNT(*) FILTER (WHERE total > 0) OVER w AS cum_nonzero,
               SUM(paid) OVER w AS cum_paid,
               SUM(pokok - paid_pokok) OVER w AS cum_arrears,
               COUNT(*) FILTER (WHERE total > paid) OVER w AS cum_unsettled
          FROM x
        WINDOW w AS (ORDER BY number)
    ), s AS (
        -- The loan's state (upk.states.state_row; the upsert keeps the later
        -- valid_from, as states.upsert_statement).
        INSERT INTO upk_loanstate AS st (loan_id, upk_id, ksm_id, valid_from, principal, pokok_all, written_off_on,
                                        schedule_from, shared_ksm, due_dates, cum_due, cum_pokok, cum_nonzero,
                                        cum_paid, cum_arrears_pokok, cum_unsettled)
        SELECT p_loan, v_loan.upk_id, v_loan.ksm_id, greatest(v_schedule_from, p_paid_on), v_loan.principal,
               v_loan.principal - v_schedule_principal + SUM(paid_pokok), v_loan.written_off_on, v_schedule_from, false,
               array_agg(due_date ORDER BY number), array_agg(cum_due ORDER BY number),
               array_agg(cum_pokok ORDER BY number), array_agg(cum_nonzero ORDER BY number),
               array_agg(cum_paid ORDER BY number), array_agg(cum_arrears ORDER BY number),
               array_agg(cum_unsettled ORDER BY number)
          FROM cum
        ON CONFLICT (loan_id) DO UPDATE SET
            valid_from = GREATEST(st.valid_from, EXCLUDED.valid_from),
            pokok_all = EXCLUDED.pokok_all, written_off_on = EXCLUDED.written_off_on,
            schedule_from = EXCLUDED.schedule_from, due_dates = EXCLUDED.due_dates, cum_due = EXCLUDED.cum_due,
            shared_ksm = st.shared_ksm OR EXCLUDED.shared_ksm,
            cum_pokok = EXCLUDED.cum_pokok, cum_nonzero = EXCLUDED.cum_nonzero, cum_paid = EXCLUDED.cum_paid,
            cum_arrears_pokok = EXCLUDED.cum_arrears_pokok, cum_unsettled = EXCLUDED.cum_unsettled
        RETURNING st.cum_due[cardinality(st.cum_due)] - st.cum_paid[cardinality(st.cum_paid)] AS owed
    )
    SELECT r.id, e.id, r.receipt_number, s.owed INTO v_repayment, v_entry, v_receipt, v_owed FROM r, e, s;

    IF v_owed = 0 THEN
        -- The last instalment paid: services._transition to paid off (which
        -- LOAN_TRANSITIONS allows from both live statuses), closed on this payment.
        INSERT INTO upk_loanstatusevent (loan_id, from_status, to_status, on_date, actor_id, at, reason)
        VALUES (p_loan, v_loan.status, 'paid_off', p_paid_on, p_actor, p_at, p_paid_off_reason);
        UPDATE upk_loan SET status = 'paid_off', closed_on = p_paid_on WHERE id = p_loan;
    END IF;
    RETURN QUERY SELECT v_repayment, v_entry, v_receipt, v_owed = 0;
END;
$$;
"""

BACKWARD = r"""
DROP FUNCTION IF EXISTS upk_repayment_append(bigint, numeric, date, text, text, bigint, timestamptz, bigint, bigint[],
                                             text[], text, text);
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        # A plain cursor with no parameters, so the "%" of format() stays literal.
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("upk", "0011_loan_state_guard")]

    operations = [migrations.RunPython(forward, backward)]
