"""A reference for bulk qualify: the same rows, written by hand-written set-based SQL.

Not the product, and not general: it writes what `leads_bulk_qualify` writes for the data set of
`bench/bulk_qualify.py` (the default field mappings, every box of the bulk dialog ticked,
duplicate detection on, no summaries, Experience = New), through psycopg, without Python per
lead: in one transaction per chunk of 500 leads with the advisory locks (as the engine), or in
one transaction for all of them without (the lower bound; one transaction cannot hold the
advisory locks of 10,000 leads, see `reference_qualify`). `bulk_qualify.py --compare` runs it
and the engine on identical data and checks that both leave the same rows (`fingerprints`), so
it is a measured lower bound for the engine's writes, not a guess.

What it does, in order (one statement each unless said): lock the selected leads (FOR UPDATE,
id order); read them with their match keys into a temporary table (the normalisation of
`crm.matching` in SQL, exact for this data set: ASCII names, no accents); take the match keys'
advisory locks (`locks=False` leaves them out: the lower bound of the lower bound); find and
lock (FOR NO KEY UPDATE) the existing accounts and contacts the keys match; decide (a lead
with several matching accounts or contacts is left for review; one match is linked; leads of
one company share one new account, leads with one email one new contact, the first lead
creating it); number the new accounts, contacts, opportunities and qualification records from
their sequences in lead order; then one INSERT ... SELECT per table (accounts, contacts,
opportunities, originating-lead links, qualification records, their opportunity links, the
timeline's two events) and one UPDATE ... FROM for the leads.

The advisory lock keys are hashed by PostgreSQL (`hashtextextended`) rather than with the
engine's blake2b, so they are other numbers, as many of them, taken the same way.
"""

from __future__ import annotations

from typing import Any

# A company name's key: crm.matching.normalize_company_name for ASCII names (the legal
# suffixes come as a parameter, from crm.matching.LEGAL_SUFFIXES).
_NAME_KEY = """
    array_to_string(ARRAY(
        SELECT w FROM regexp_split_to_table(
            btrim(regexp_replace(replace(lower({col}), '&', ' and '), '[^\\w\\s]+', ' ', 'g')),
            '\\s+') AS w
        WHERE w <> '' AND w <> ALL(%(suffixes)s::text[])), ' ')
"""
_DOMAIN_KEY = """
    CASE WHEN btrim({col}) = '' THEN '' ELSE coalesce(regexp_replace(lower(substring(
        CASE WHEN {col} LIKE '%%://%%' THEN btrim({col}) ELSE 'http://' || btrim({col}) END
        FROM '://(?:[^@/]*@)?([^/:?#]+)')), '^www\\.', ''), '') END
"""

STATEMENTS: list[tuple[str, str]] = [
    (
        "lock leads",
        "SELECT id FROM leads_lead WHERE id = ANY(%(ids)s) ORDER BY id FOR UPDATE",
    ),
    (
        "selection",
        f"""
        CREATE TEMP TABLE ref_sel ON COMMIT DROP AS
        SELECT l.*,
               {_NAME_KEY.format(col="l.company_name")} AS name_key,
               {_DOMAIN_KEY.format(col="l.website")} AS domain_key,
               lower(btrim(l.email)) AS email_key,
               lower(btrim(regexp_replace(l.first_name || ' ' || l.last_name, '\\s+', ' ', 'g')))
                   AS full_key,
               btrim(l.first_name || ' ' || l.last_name) AS full_name,
               CASE WHEN btrim(l.first_name || ' ' || l.last_name) <> ''
                    THEN btrim(l.first_name || ' ' || l.last_name) || ' (' || l.topic || ')'
                    ELSE l.topic END AS label
        FROM leads_lead l
        WHERE l.id = ANY(%(ids)s) AND l.state = 'open' AND l.owner_id = %(user)s
        """,
    ),
    (
        "advisory locks",
        """
        SELECT pg_advisory_xact_lock(k) FROM (
            SELECT DISTINCT k FROM ref_sel, LATERAL (VALUES
                (CASE WHEN name_key <> ''
                      THEN hashtextextended('account-name:' || name_key, 0) END),
                (CASE WHEN domain_key <> ''
                      THEN hashtextextended('account-domain:' || domain_key, 0) END),
                (CASE WHEN email_key <> ''
                      THEN hashtextextended('contact-email:' || email_key, 0) END),
                (CASE WHEN full_key <> ''
                      THEN hashtextextended('contact-name:' || full_key, 0) END)
            ) AS keys(k) WHERE k IS NOT NULL
        ) AS locks ORDER BY k
        """,
    ),
    (
        "account matches",
        """
        CREATE TEMP TABLE ref_accmatch ON COMMIT DROP AS
        WITH found AS (
            SELECT a.id, a.name, a.normalized_name, a.website_domain FROM crm_account a
            WHERE a.normalized_name IN (SELECT name_key FROM ref_sel WHERE name_key <> '')
               OR a.website_domain IN (SELECT domain_key FROM ref_sel WHERE domain_key <> '')
            ORDER BY a.id FOR NO KEY UPDATE
        )
        SELECT s.id AS lead_id, count(*) AS n, min(f.id) AS account_id, min(f.name) AS name
        FROM ref_sel s JOIN found f
          ON (s.name_key <> '' AND f.normalized_name = s.name_key)
          OR (s.domain_key <> '' AND f.website_domain = s.domain_key)
        GROUP BY s.id
        """,
    ),
    (
        "contact matches",
        """
        CREATE TEMP TABLE ref_conmatch ON COMMIT DROP AS
        WITH found AS (
            SELECT c.id, c.first_name, c.last_name, c.email_normalized FROM crm_contact c
            WHERE c.email_normalized IN (SELECT email_key FROM ref_sel WHERE email_key <> '')
            ORDER BY c.id FOR NO KEY UPDATE
        )
        SELECT s.id AS lead_id, count(*) AS n, min(f.id) AS contact_id,
               min(btrim(f.first_name || ' ' || f.last_name)) AS name
        FROM ref_sel s JOIN found f ON f.email_normalized = s.email_key
        GROUP BY s.id
        """,
    ),
    (
        "decide",
        """
        CREATE TEMP TABLE ref_q ON COMMIT DROP AS
        SELECT s.id AS lead_id, s.name_key, s.email_key, s.full_key, s.owner_id,
               am.account_id AS account_existing, am.name AS account_existing_name,
               cm.contact_id AS contact_existing, cm.name AS contact_existing_name,
               am.account_id, cm.contact_id,
               NULL::bigint AS opportunity_id, NULL::bigint AS qualification_id,
               false AS account_created, false AS contact_created,
               am.name AS account_name, cm.name AS contact_name
        FROM ref_sel s
        LEFT JOIN ref_accmatch am ON am.lead_id = s.id
        LEFT JOIN ref_conmatch cm ON cm.lead_id = s.id
        WHERE coalesce(am.n, 0) < 2 AND coalesce(cm.n, 0) < 2
        """,
    ),
    (
        "new accounts numbered",
        """
        CREATE TEMP TABLE ref_newacc ON COMMIT DROP AS
        SELECT g.name_key, g.creator,
               nextval(pg_get_serial_sequence('crm_account', 'id')) AS id
        FROM (SELECT name_key, min(lead_id) AS creator FROM ref_q
              WHERE account_existing IS NULL AND name_key <> ''
              GROUP BY name_key ORDER BY min(lead_id)) AS g
        """,
    ),
    (
        "accounts resolved",
        """
        UPDATE ref_q q SET
            account_id = n.id, account_created = n.creator = q.lead_id,
            account_name = c.company_name
        FROM ref_newacc n JOIN ref_sel c ON c.id = n.creator
        WHERE n.name_key = q.name_key AND q.account_existing IS NULL
        """,
    ),
    (
        "insert accounts",
        """
        INSERT INTO crm_account (id, name, normalized_name, website_domain, website, phone,
            email, industry, description, owner_id, street1, street2, street3, city,
            state_province, postal_code, country, created_at, updated_at)
        SELECT n.id, s.company_name, s.name_key, s.domain_key, s.website, s.business_phone,
            '', s.industry, '', s.owner_id, s.street1, s.street2, s.street3, s.city,
            s.state_province, s.postal_code, s.country, %(now)s, %(now)s
        FROM ref_newacc n JOIN ref_sel s ON s.id = n.creator ORDER BY n.id
        """,
    ),
    (
        "new contacts numbered",
        """
        CREATE TEMP TABLE ref_newcon ON COMMIT DROP AS
        SELECT g.contact_key, g.creator,
               nextval(pg_get_serial_sequence('crm_contact', 'id')) AS id
        FROM (SELECT coalesce(nullif(email_key, ''), 'lead:' || lead_id) AS contact_key,
                     min(lead_id) AS creator
              FROM ref_q WHERE contact_existing IS NULL
              GROUP BY 1 ORDER BY min(lead_id)) AS g
        """,
    ),
    (
        "contacts resolved",
        """
        UPDATE ref_q q SET
            contact_id = n.id, contact_created = n.creator = q.lead_id,
            contact_name = c.full_name
        FROM ref_newcon n JOIN ref_sel c ON c.id = n.creator
        WHERE n.contact_key = coalesce(nullif(q.email_key, ''), 'lead:' || q.lead_id)
          AND q.contact_existing IS NULL
        """,
    ),
    (
        "insert contacts",
        """
        INSERT INTO crm_contact (id, first_name, last_name, email_normalized,
            full_name_normalized, job_title, email, business_phone, mobile_phone, account_id,
            description, owner_id, street1, street2, street3, city, state_province,
            postal_code, country, created_at, updated_at)
        SELECT n.id, s.first_name, s.last_name, s.email_key, s.full_key, s.job_title, s.email,
            s.business_phone, s.mobile_phone, q.account_id, '', s.owner_id, s.street1,
            s.street2, s.street3, s.city, s.state_province, s.postal_code, s.country,
            %(now)s, %(now)s
        FROM ref_newcon n JOIN ref_sel s ON s.id = n.creator JOIN ref_q q ON q.lead_id = n.creator
        ORDER BY n.id
        """,
    ),
    (
        "opportunities and qualifications numbered",
        """
        UPDATE ref_q q SET
            opportunity_id = o.opportunity_id, qualification_id = o.qualification_id
        FROM (SELECT lead_id,
                     nextval(pg_get_serial_sequence('crm_opportunity', 'id')) AS opportunity_id,
                     nextval(pg_get_serial_sequence('qualification_qualification', 'id'))
                         AS qualification_id
              FROM (SELECT lead_id FROM ref_q ORDER BY lead_id) AS ordered) AS o
        WHERE o.lead_id = q.lead_id
        """,
    ),
    (
        "insert opportunities",
        """
        INSERT INTO crm_opportunity (id, topic, customer_account_id, customer_contact_id,
            account_id, contact_id, budget_amount, purchase_timeframe, purchase_process,
            decision_maker, need, estimated_revenue, estimated_close_date, actual_revenue,
            actual_close_date, description, state, status_reason, stage, customer_need,
            proposed_solution, identify_stakeholders, identify_competitors,
            identify_sales_team, develop_proposal, complete_internal_review, present_proposal,
            complete_final_proposal, present_final_proposal, decision_date, send_thank_you,
            file_debrief, owner_id, created_at, updated_at)
        SELECT q.opportunity_id, s.topic, q.account_id,
            CASE WHEN q.account_id IS NULL THEN q.contact_id END, q.account_id, q.contact_id,
            s.budget_amount, s.purchase_timeframe, s.purchase_process, s.decision_maker,
            s.need, NULL, NULL, NULL, NULL, s.qualification_comments, 'open', 'in_progress',
            'develop', '', '', false, false, false, false, false, false, false, false, NULL,
            false, false, s.owner_id, %(now)s, %(now)s
        FROM ref_q q JOIN ref_sel s ON s.id = q.lead_id ORDER BY q.opportunity_id
        """,
    ),
    (
        "insert origins",
        """
        INSERT INTO leads_leadorigin (lead_id, account_id, contact_id, opportunity_id,
            created_at)
        SELECT creator, id, NULL::bigint, NULL::bigint, %(now)s FROM ref_newacc
        UNION ALL SELECT creator, NULL, id, NULL, %(now)s FROM ref_newcon
        UNION ALL SELECT lead_id, NULL, NULL, opportunity_id, %(now)s FROM ref_q
        """,
    ),
    (
        "insert qualifications",
        """
        INSERT INTO qualification_qualification (id, lead_id, lead_label, qualified_by_id,
            experience, bulk, account_id, account_created, account_duplicates, contact_id,
            contact_created, contact_duplicates, duplicate_matches, summary, created_at)
        SELECT q.qualification_id, q.lead_id, left(s.label, 400), %(user)s, 'new', true,
            q.account_id, q.account_created,
            CASE WHEN q.account_id IS NOT NULL AND NOT q.account_created THEN 'linked' ELSE '' END,
            q.contact_id, q.contact_created,
            CASE WHEN q.contact_id IS NOT NULL AND NOT q.contact_created THEN 'linked' ELSE '' END,
            CASE WHEN q.account_id IS NOT NULL AND NOT q.account_created
                 THEN jsonb_build_object('account', jsonb_build_array(
                      jsonb_build_object('id', q.account_id, 'label', q.account_name)))
                 ELSE '{}'::jsonb END
            || CASE WHEN q.contact_id IS NOT NULL AND NOT q.contact_created
                 THEN jsonb_build_object('contact', jsonb_build_array(
                      jsonb_build_object('id', q.contact_id, 'label', q.contact_name)))
                 ELSE '{}'::jsonb END,
            '', %(now)s
        FROM ref_q q JOIN ref_sel s ON s.id = q.lead_id ORDER BY q.qualification_id
        """,
    ),
    (
        "insert qualification opportunity links",
        """
        INSERT INTO qualification_qualificationopportunity (qualification_id, opportunity_id,
            position)
        SELECT qualification_id, opportunity_id, 0 FROM ref_q ORDER BY qualification_id
        """,
    ),
    (
        "insert timeline",
        """
        INSERT INTO crm_timelineentry (content_type_id, object_id, kind, title, body,
            attachment, author_id, created_at)
        SELECT %(lead_type)s, q.lead_id, 'system', 'Lead qualified',
            concat_ws(E'\\n', 'Qualified in a bulk qualify.',
                'Account: ' || q.account_name
                    || CASE WHEN q.account_created THEN ' (created)' ELSE ' (linked)' END,
                'Contact: ' || q.contact_name
                    || CASE WHEN q.contact_created THEN ' (created)' ELSE ' (linked)' END,
                'Opportunity: ' || s.topic || ' (created)'),
            '', %(user)s, %(now)s
        FROM ref_q q JOIN ref_sel s ON s.id = q.lead_id
        UNION ALL
        SELECT %(opportunity_type)s, q.opportunity_id, 'system', 'Opportunity created',
            'Created when lead ' || s.label || ' was qualified.', '', %(user)s, %(now)s
        FROM ref_q q JOIN ref_sel s ON s.id = q.lead_id
        """,
    ),
    (
        "update leads",
        """
        UPDATE leads_lead l SET state = 'qualified', status_reason = 'qualified',
            updated_at = %(now)s, closed_at = %(now)s, parent_account_id = q.account_id,
            parent_contact_id = q.contact_id, qualifying_opportunity_id = q.opportunity_id
        FROM ref_q q WHERE l.id = q.lead_id
        """,
    ),
]


def reference_qualify(
    conn: Any, *, lead_ids: list[int], user_id: int, locks: bool = True, chunk: int | None = None
) -> dict[str, int]:
    """Qualify the leads on `conn` (a psycopg connection in autocommit mode, so that each
    `conn.transaction()` is a transaction of its own): in one transaction, or in one per
    `chunk` leads (in id order) as the engine does; returns how many leads were qualified and
    left for review, as the engine's outcome counts them, and the statements sent.

    With `locks`, every chunk takes its match keys' advisory locks (four per lead). PostgreSQL
    keeps them until the transaction ends in a lock table of max_locks_per_transaction x
    max_connections entries (64 x 100 by default), so one transaction cannot lock the keys of
    10,000 leads: with locks, give a chunk (the engine's 500)."""
    from django.utils import timezone

    from crm.matching import LEGAL_SUFFIXES

    with conn.cursor() as cursor:
        cursor.execute(
            "SELECT id, app_label, model FROM django_content_type "
            "WHERE (app_label, model) IN (('leads', 'lead'), ('crm', 'opportunity'))"
        )
        types = {(app, model): pk for pk, app, model in cursor.fetchall()}
    ordered = sorted(set(lead_ids))
    step = chunk or len(ordered) or 1
    qualified = selected = sent = 0
    for start in range(0, len(ordered), step):
        params = {
            "ids": ordered[start : start + step],
            "user": user_id,
            "now": timezone.now(),
            "suffixes": sorted(LEGAL_SUFFIXES),
            "lead_type": types[("leads", "lead")],
            "opportunity_type": types[("crm", "opportunity")],
        }
        with conn.transaction(), conn.cursor() as cursor:
            for name, sql in STATEMENTS:
                if name == "advisory locks" and not locks:
                    continue
                cursor.execute(sql, params)
                sent += 1
            cursor.execute("SELECT (SELECT count(*) FROM ref_q), (SELECT count(*) FROM ref_sel)")
            done, seen = cursor.fetchone()
            qualified, selected = qualified + done, selected + seen
    return {"qualified": qualified, "review": selected - qualified, "statements": sent}


# Fingerprints --------------------------------------------------------------------------------

# Every row of the tables a qualify writes, as JSON without ids and timestamps; a reference to a
# record created by the qualify is replaced by the lead it came from (ids depend on the order of
# the inserts, the leads' ids do not: both runs start from empty tables).
_KEYS = """
CREATE TEMP TABLE fp_acc ON COMMIT DROP AS
    SELECT a.id, coalesce('lead ' || o.lead_id, 'account ' || a.id) AS key
    FROM crm_account a LEFT JOIN leads_leadorigin o ON o.account_id = a.id;
CREATE TEMP TABLE fp_con ON COMMIT DROP AS
    SELECT c.id, coalesce('lead ' || o.lead_id, 'contact ' || c.id) AS key
    FROM crm_contact c LEFT JOIN leads_leadorigin o ON o.contact_id = c.id;
CREATE TEMP TABLE fp_opp ON COMMIT DROP AS
    SELECT p.id, coalesce('lead ' || o.lead_id, 'opportunity ' || p.id) AS key
    FROM crm_opportunity p LEFT JOIN leads_leadorigin o ON o.opportunity_id = p.id;
CREATE TEMP TABLE fp_q ON COMMIT DROP AS
    SELECT id, 'lead ' || lead_id AS key FROM qualification_qualification;
"""

_STAMPS = "ARRAY['id', 'created_at', 'updated_at', 'closed_at']"

FINGERPRINTS = {
    "crm_account": f"SELECT (to_jsonb(t) - {_STAMPS})::text FROM crm_account t",
    "crm_contact": f"""
        SELECT ((to_jsonb(t) - {_STAMPS} - 'account_id')
                || jsonb_build_object('account', a.key))::text
        FROM crm_contact t LEFT JOIN fp_acc a ON a.id = t.account_id""",
    "crm_opportunity": f"""
        SELECT ((to_jsonb(t) - {_STAMPS} - ARRAY['account_id', 'contact_id',
                 'customer_account_id', 'customer_contact_id'])
                || jsonb_build_object('account', a.key, 'contact', c.key,
                                      'customer_account', ca.key, 'customer_contact', cc.key))::text
        FROM crm_opportunity t LEFT JOIN fp_acc a ON a.id = t.account_id
        LEFT JOIN fp_con c ON c.id = t.contact_id
        LEFT JOIN fp_acc ca ON ca.id = t.customer_account_id
        LEFT JOIN fp_con cc ON cc.id = t.customer_contact_id""",
    "leads_leadorigin": f"""
        SELECT ((to_jsonb(t) - {_STAMPS} - ARRAY['account_id', 'contact_id', 'opportunity_id'])
                || jsonb_build_object('account', a.key, 'contact', c.key,
                                      'opportunity', p.key))::text
        FROM leads_leadorigin t LEFT JOIN fp_acc a ON a.id = t.account_id
        LEFT JOIN fp_con c ON c.id = t.contact_id LEFT JOIN fp_opp p ON p.id = t.opportunity_id""",
    "qualification_qualification": f"""
        SELECT ((to_jsonb(t) - {_STAMPS} - ARRAY['account_id', 'contact_id', 'duplicate_matches'])
                || jsonb_build_object('account', a.key, 'contact', c.key, 'matches',
                   (SELECT jsonb_agg(jsonb_build_array(m.kind, coalesce(ma.key, mc.key),
                                                       m.item -> 'label') ORDER BY m.kind, m.n)
                    FROM (SELECT e.key AS kind, x.item, x.n
                          FROM jsonb_each(t.duplicate_matches) AS e,
                               jsonb_array_elements(e.value) WITH ORDINALITY AS x(item, n)) m
                    LEFT JOIN fp_acc ma ON m.kind = 'account' AND ma.id = (m.item ->> 'id')::bigint
                    LEFT JOIN fp_con mc ON m.kind = 'contact'
                                       AND mc.id = (m.item ->> 'id')::bigint)))::text
        FROM qualification_qualification t LEFT JOIN fp_acc a ON a.id = t.account_id
        LEFT JOIN fp_con c ON c.id = t.contact_id""",
    "qualification_qualificationopportunity": f"""
        SELECT ((to_jsonb(t) - {_STAMPS} - ARRAY['qualification_id', 'opportunity_id'])
                || jsonb_build_object('qualification', q.key, 'opportunity', p.key))::text
        FROM qualification_qualificationopportunity t JOIN fp_q q ON q.id = t.qualification_id
        JOIN fp_opp p ON p.id = t.opportunity_id""",
    "crm_timelineentry": f"""
        SELECT ((to_jsonb(t) - {_STAMPS} - 'object_id')
                || jsonb_build_object('record', coalesce(p.key, 'lead ' || t.object_id)))::text
        FROM crm_timelineentry t LEFT JOIN django_content_type ct ON ct.id = t.content_type_id
        LEFT JOIN fp_opp p ON ct.model = 'opportunity' AND p.id = t.object_id""",
    "leads_lead": f"""
        SELECT ((to_jsonb(t) - {_STAMPS} - ARRAY['parent_account_id', 'parent_contact_id',
                 'qualifying_opportunity_id'])
                || jsonb_build_object('parent_account', a.key, 'parent_contact', c.key,
                                      'qualifying_opportunity', p.key)
                || jsonb_build_object('closed', t.closed_at IS NOT NULL))::text
        FROM leads_lead t LEFT JOIN fp_acc a ON a.id = t.parent_account_id
        LEFT JOIN fp_con c ON c.id = t.parent_contact_id
        LEFT JOIN fp_opp p ON p.id = t.qualifying_opportunity_id""",
}


def fingerprints(conn: Any) -> dict[str, tuple[int, str]]:
    """(rows, md5 of the sorted rows) per table, on `conn` (a psycopg connection)."""
    result = {}
    with conn.transaction(), conn.cursor() as cursor:
        cursor.execute(_KEYS)
        for table, rows_sql in FINGERPRINTS.items():
            cursor.execute(
                f"SELECT count(*), coalesce(md5(string_agg(r, E'\\n' ORDER BY r)), '') "
                f"FROM ({rows_sql}) AS f(r)"
            )
            result[table] = tuple(cursor.fetchone())
    return result


def fingerprint_rows(conn: Any, table: str, limit: int = 3) -> list[str]:
    """A few rows of one table's fingerprint (to see what differs)."""
    with conn.transaction(), conn.cursor() as cursor:
        cursor.execute(_KEYS)
        cursor.execute(
            f"SELECT r FROM ({FINGERPRINTS[table]}) AS f(r) ORDER BY r LIMIT %s", [limit]
        )
        return [row[0] for row in cursor.fetchall()]
