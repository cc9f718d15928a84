"""A reference for bulk qualify: the same rows, written by hand-written set-based SQL.

Not the product, and not general: it writes what a bulk qualify job writes
(`bulk_qualify_job_start`, then `bulk_qualify_job_process`) for the data set of
`bench/bulk_qualify.py` (the field mappings as the engine reads them from the database, with
the "fill empty fields" policy of every default mapping on a linked record; every box of the
bulk dialog ticked, duplicate detection on with every rule, no summaries, Experience = New),
through psycopg, without Python per lead: in one transaction per
chunk of 500 leads with the advisory locks (as the engine), or in one transaction for all of
them without (the lower bound; one transaction cannot hold the advisory locks of 10,000 leads,
see `reference_qualify`). `bulk_qualify.py --compare` runs it and the engine on identical data
and checks that both leave the same rows (`fingerprints`), so it is a measured lower bound for
the engine's work, not a guess.

What it does (one statement each): a job row first (as `bulk_qualify_job_start`), then per
chunk: lock the job row and the selected leads (FOR UPDATE, id order); read the leads with their
match keys into a temporary table (the normalisation of `crm.matching` in SQL, exact for this
data set: ASCII names, no accents, no abbreviations); take the match keys' advisory locks
(account name, domain and phone; contact email, full name and each phone; `locks=False` leaves
them out); look up and lock (FOR NO KEY UPDATE) the existing accounts and contacts the engine
looks up, with the same kinds of lookup in one statement per record type (`id IN (... UNION
...)`, each part on its own index, the keys read from the chunk's temporary table into arrays
bound as parameters, as the engine binds its lists): accounts by exact name, domain and phone,
and by similar name through the same pg_trgm join as `qualification.duplicates` (on the
name's word initials and `%`); contacts (of the leads not left for review over their account) by
email, business or mobile phone, and by similar name (the name key with `%`) within the existing
account the contact would go under, within the company of its new account and within its email
domain (not a free-mail one); the exact full-name rule has no lookup of its own, as in the
engine: the similar-name search finds equal names too. Then decide: a lead with several matching
accounts or contacts, or with a single contact matched by phone only (not a clear match), is
left for review; one clear match is linked; leads of one company share one new account and leads
with one email one new contact, the first lead creating it. The similar-name candidates are
looked up and locked but not scored: on this data set every one of them differs from the lead's
name by its digits ("Company 512" and "Company 51", "Pat Buyer 1500" and "Pat Buyer 1499"),
which the engine's scorer rejects (`crm.matching.name_digits`), so they never decide; the
fingerprints check that. Then the linked accounts' and contacts' empty mapped fields are filled
from the first lead linking each (one UPDATE per record type, the match columns refreshed as the
engine refreshes them); the new accounts, contacts, opportunities and qualification records are
numbered from their sequences in lead order; one INSERT ... SELECT per table (accounts,
contacts, opportunities, originating-lead links, qualification records, their opportunity links,
the linked fields' changes, the timeline's two events), one UPDATE ... FROM for the leads, and
one for the job's progress. Last, the job is marked done.

The advisory lock keys are hashed by PostgreSQL (`hashtextextended`) rather than with the
engine's blake2b, so they are other numbers, as many of them, taken the same way.
"""

from __future__ import annotations

import json
from typing import Any

# A company name's key: crm.matching.normalize_company_name for ASCII names without the
# abbreviations it spells out (the legal suffixes come as a parameter, from
# crm.matching.LEGAL_SUFFIXES).
_NAME_KEY = """
    left(array_to_string(ARRAY(
        SELECT w FROM regexp_split_to_table(
            btrim(regexp_replace(replace(lower({col}), '&', ' and '), '[^\\w\\s]+', ' ', 'g')),
            '\\s+') AS w
        WHERE w <> '' AND w <> ALL(%(suffixes)s::text[])), ' '), 160)
"""
_DOMAIN_KEY = """
    CASE WHEN btrim({col}) = '' THEN '' ELSE left(coalesce(regexp_replace(lower(substring(
        CASE WHEN {col} LIKE '%%://%%' THEN btrim({col}) ELSE 'http://' || btrim({col}) END
        FROM '://(?:[^@/]*@)?([^/:?#]+)')), '^www\\.', ''), ''), 200) END
"""
# crm.matching.normalize_phone: the last 9 digits, '' for fewer than 7.
_PHONE_KEY = """
    CASE WHEN length(regexp_replace({col}, '\\D', '', 'g')) < 7 THEN ''
         ELSE right(regexp_replace({col}, '\\D', '', 'g'), 9) END
"""
# crm.matching.person_name_key for ASCII names: folded, apostrophes dropped, punctuation a space.
_PERSON_KEY = """
    left(array_to_string(ARRAY(
        SELECT w FROM regexp_split_to_table(regexp_replace(regexp_replace(
            lower({first} || ' ' || {last}), '[''`]', '', 'g'), '[^\\w\\s]+', ' ', 'g'),
            '\\s+') AS w
        WHERE w <> ''), ' '), 101)
"""
# crm.matching.email_domain of a normalised email.
_EMAIL_DOMAIN = """
    CASE WHEN position('@' IN {col}) > 0
         THEN left(btrim(substring({col} FROM '@([^@]*)$'), '.'), 100) ELSE '' END
"""
# crm.matching.name_initials: the first letters of the key's words, in code point order, then
# '|' and the key's digits when it has any.
_INITIALS = """
    left(array_to_string(ARRAY(
        SELECT left(w, 1) FROM regexp_split_to_table({col}, ' ') AS w WHERE w <> ''
        ORDER BY left(w, 1) COLLATE "C"), ' ')
        || CASE WHEN {col} ~ '[0-9]' THEN '|' || regexp_replace({col}, '[^0-9]', '', 'g')
           ELSE '' END, 40)
"""

# The lead's mapped values onto the linked account or contact, from the mappings the admin
# set (qualification_fieldmapping), as the engine reads them: "fill empty fields" only (the
# policy of every default mapping).
_LINKED_VALUES = """
    SELECT '{table}' AS record_type, r.id AS record_id, q.lead_id, m.target_field AS field,
           to_jsonb(r) ->> m.target_field AS old, btrim(to_jsonb(s) ->> m.source_field) AS new
    FROM ref_q q JOIN ref_sel s ON s.id = q.lead_id
    JOIN crm_{table} r ON r.id = q.{table}_existing
    JOIN qualification_fieldmapping m ON m.target = '{table}' AND m.linked_policy = 'fill_empty'
"""


def _linked_update(model: Any, *, keys: str) -> str:
    """One UPDATE of the linked records of `model` (an account or a contact): each field a
    qualify may fill takes its change (the fields are text), and `keys` refresh the match
    columns from the new values (`v`, the record after its changes)."""
    from qualification.services import record_editable_fields

    table = model._meta.model_name
    fields = record_editable_fields(model=model)
    after = ", ".join(f"coalesce(ch.changes ->> '{name}', r.{name}) AS {name}" for name in fields)
    assigned = ", ".join(f"{name} = v.{name}" for name in fields)
    return f"""
        UPDATE crm_{table} t SET {assigned}, {keys}, updated_at = %(now)s
        FROM (SELECT r.id, {after} FROM crm_{table} r JOIN (
                  SELECT record_id, jsonb_object_agg(field, new) AS changes FROM ref_changes
                  WHERE record_type = '{table}' GROUP BY record_id) AS ch ON ch.record_id = r.id
             ) AS v
        WHERE t.id = v.id
    """


# The similar-name candidate searches, as qualification.duplicates sends them: joined to
# arrays bound as parameters (read from the chunk's keys by the statements of `_FETCHED`), so
# that the planner sees how many names it joins, as it does for the engine's.
_SIMILAR_ACCOUNTS = """
    SELECT a.id FROM crm_account a
    JOIN unnest(%(acc_names)s::text[], %(acc_initials)s::text[]) AS q(name, initials)
    ON a.name_initials = q.initials AND lower(a.normalized_name) %% q.name
"""
_SIMILAR_IN_ACCOUNTS = """
    SELECT c.id FROM crm_contact c
    JOIN unnest(%(in_account_ids)s::bigint[], %(in_account_names)s::text[]) AS q(account, name)
    ON c.account_id = q.account AND c.name_key %% q.name
"""
_SIMILAR_IN_COMPANIES = """
    SELECT c.id FROM crm_contact c JOIN crm_account a ON a.id = c.account_id
    JOIN unnest(%(in_company_keys)s::text[], %(in_company_names)s::text[]) AS q(company, name)
    ON a.normalized_name = q.company AND c.name_key %% q.name
"""
_SIMILAR_IN_DOMAINS = """
    SELECT c.id FROM crm_contact c
    JOIN unnest(%(in_domain_keys)s::text[], %(in_domain_names)s::text[]) AS q(domain, name)
    ON c.email_domain = q.domain AND c.name_key %% q.name
"""
# The leads not left for review over their account.
_ACCOUNT_OK = "coalesce(am.n, 0) < 2"

_READ_AND_DECIDE: list[tuple[str, str]] = [
    (
        "lock job",
        "SELECT id FROM qualification_bulkqualifyjob WHERE id = %(job)s FOR UPDATE",
    ),
    (
        "lock leads",
        "SELECT id FROM leads_lead WHERE id = ANY(%(ids)s) ORDER BY id FOR UPDATE",
    ),
    (
        "selection",
        f"""
        CREATE TEMP TABLE ref_sel ON COMMIT DROP AS
        SELECT k.*, {_INITIALS.format(col="k.k_name")} AS k_initials,
               {_EMAIL_DOMAIN.format(col="k.k_email")} AS k_email_domain
        FROM (
            SELECT l.*,
                   CASE WHEN btrim(l.company_name) <> ''
                        THEN {_NAME_KEY.format(col="l.company_name")} ELSE '' END AS k_name,
                   {_DOMAIN_KEY.format(col="l.website")} AS k_domain,
                   {_PHONE_KEY.format(col="l.business_phone")} AS k_bphone,
                   {_PHONE_KEY.format(col="l.mobile_phone")} AS k_mphone,
                   left(lower(btrim(l.email)), 100) AS k_email,
                   left(lower(btrim(regexp_replace(l.first_name || ' ' || l.last_name, '\\s+',
                        ' ', 'g'))), 101) AS k_full,
                   {_PERSON_KEY.format(first="l.first_name", last="l.last_name")} AS k_person,
                   btrim(l.first_name || ' ' || l.last_name) AS full_name,
                   CASE WHEN btrim(l.first_name || ' ' || l.last_name) <> ''
                        THEN btrim(l.first_name || ' ' || l.last_name) || ' (' || l.topic || ')'
                        ELSE l.topic END AS label
            FROM leads_lead l
            WHERE l.id = ANY(%(ids)s) AND l.state = 'open' AND l.owner_id = %(user)s
        ) AS k
        """,
    ),
    (
        "advisory locks",
        """
        SELECT pg_advisory_xact_lock(k) FROM (
            SELECT DISTINCT k FROM ref_sel, LATERAL (VALUES
                ('account-name:', k_name), ('account-domain:', k_domain),
                ('account-phone:', k_bphone), ('contact-email:', k_email),
                ('contact-name:', k_full), ('contact-phone:', k_bphone),
                ('contact-phone:', k_mphone)
            ) AS keys(kind, key), LATERAL hashtextextended(kind || key, 0) AS k
            WHERE key <> ''
        ) AS locks ORDER BY k
        """,
    ),
    (
        "account keys",
        """
        WITH keys AS (SELECT DISTINCT k_name, k_initials FROM ref_sel WHERE k_name <> '')
        SELECT ARRAY(SELECT k_name FROM keys ORDER BY k_name),
               ARRAY(SELECT k_initials FROM keys ORDER BY k_name),
               ARRAY(SELECT DISTINCT k_domain FROM ref_sel WHERE k_domain <> '' ORDER BY 1),
               ARRAY(SELECT DISTINCT k_bphone FROM ref_sel WHERE k_bphone <> '' ORDER BY 1)
        """,
    ),
    (
        "account candidates",
        f"""
        CREATE TEMP TABLE ref_accfound ON COMMIT DROP AS
        SELECT a.id, a.name, a.normalized_name, a.website_domain, a.phone_normalized
        FROM crm_account a JOIN auth_user u ON u.id = a.owner_id
        WHERE a.id IN (
            SELECT id FROM crm_account WHERE normalized_name = ANY(%(acc_names)s::text[])
            UNION SELECT id FROM crm_account WHERE id IN ({_SIMILAR_ACCOUNTS})
            UNION SELECT id FROM crm_account WHERE website_domain = ANY(%(acc_domains)s::text[])
            UNION SELECT id FROM crm_account WHERE phone_normalized = ANY(%(acc_phones)s::text[]))
        ORDER BY a.id FOR NO KEY UPDATE OF a
        """,
    ),
    (
        "account matches",
        """
        CREATE TEMP TABLE ref_accmatch ON COMMIT DROP AS
        SELECT s.id AS lead_id, count(*) AS n, min(f.id) AS account_id, min(f.name) AS name,
               string_agg(f.name || ': ' || concat_ws(' + ',
                   CASE WHEN f.normalized_name = s.k_name THEN 'same name' END,
                   CASE WHEN f.website_domain = s.k_domain THEN 'same domain' END,
                   CASE WHEN f.phone_normalized = s.k_bphone THEN 'same phone' END),
                   '; ' ORDER BY f.name, f.id) AS why
        FROM ref_sel s JOIN ref_accfound f
          ON (s.k_name <> '' AND f.normalized_name = s.k_name)
          OR (s.k_domain <> '' AND f.website_domain = s.k_domain)
          OR (s.k_bphone <> '' AND f.phone_normalized = s.k_bphone)
        GROUP BY s.id
        """,
    ),
    (
        "contact keys",
        f"""
        CREATE TEMP TABLE ref_people ON COMMIT DROP AS
        SELECT DISTINCT kind, place, s.k_person AS name
        FROM ref_sel s LEFT JOIN ref_accmatch am ON am.lead_id = s.id, LATERAL (VALUES
            ('account', am.account_id::text),
            ('company', CASE WHEN am.account_id IS NULL THEN s.k_name END),
            ('domain', CASE WHEN s.k_email_domain <> ALL(%(free_mail)s::text[])
                            THEN s.k_email_domain END)) AS p(kind, place)
        WHERE {_ACCOUNT_OK} AND place <> '' AND s.k_person <> ''
        """,
    ),
    (
        "contact keys read",
        f"""
        WITH ok AS (SELECT s.* FROM ref_sel s LEFT JOIN ref_accmatch am ON am.lead_id = s.id
                    WHERE {_ACCOUNT_OK})
        SELECT ARRAY(SELECT DISTINCT k_email FROM ok WHERE k_email <> '' ORDER BY 1),
               ARRAY(SELECT DISTINCT p FROM ok, unnest(ARRAY[k_bphone, k_mphone]) AS p
                     WHERE p <> '' ORDER BY 1),
               ARRAY(SELECT place::bigint FROM ref_people WHERE kind = 'account'
                     ORDER BY place::bigint, name),
               ARRAY(SELECT name FROM ref_people WHERE kind = 'account'
                     ORDER BY place::bigint, name),
               ARRAY(SELECT place FROM ref_people WHERE kind = 'company' ORDER BY place, name),
               ARRAY(SELECT name FROM ref_people WHERE kind = 'company' ORDER BY place, name),
               ARRAY(SELECT place FROM ref_people WHERE kind = 'domain' ORDER BY place, name),
               ARRAY(SELECT name FROM ref_people WHERE kind = 'domain' ORDER BY place, name)
        """,
    ),
    (
        "contact candidates",
        f"""
        CREATE TEMP TABLE ref_confound ON COMMIT DROP AS
        SELECT c.id, c.first_name, c.last_name, c.email_normalized,
               c.business_phone_normalized, c.mobile_phone_normalized
        FROM crm_contact c LEFT JOIN crm_account a ON a.id = c.account_id
        JOIN auth_user u ON u.id = c.owner_id
        WHERE c.id IN (
            SELECT id FROM crm_contact WHERE email_normalized = ANY(%(con_emails)s::text[])
            UNION SELECT id FROM crm_contact
            WHERE business_phone_normalized = ANY(%(con_phones)s::text[])
            UNION SELECT id FROM crm_contact
            WHERE mobile_phone_normalized = ANY(%(con_phones)s::text[])
            UNION SELECT id FROM crm_contact WHERE id IN ({_SIMILAR_IN_ACCOUNTS})
            UNION SELECT id FROM crm_contact WHERE id IN ({_SIMILAR_IN_COMPANIES})
            UNION SELECT id FROM crm_contact WHERE id IN ({_SIMILAR_IN_DOMAINS}))
        ORDER BY c.id FOR NO KEY UPDATE OF c
        """,
    ),
    (
        "contact matches",
        """
        CREATE TEMP TABLE ref_conmatch ON COMMIT DROP AS
        SELECT s.id AS lead_id, count(*) AS n, min(f.id) AS contact_id,
               min(btrim(f.first_name || ' ' || f.last_name)) AS name,
               bool_or(s.k_email <> '' AND f.email_normalized = s.k_email) AS clear,
               string_agg(btrim(f.first_name || ' ' || f.last_name) || ': ' || concat_ws(' + ',
                   CASE WHEN f.email_normalized = s.k_email THEN 'same email' END,
                   CASE WHEN ARRAY[f.business_phone_normalized, f.mobile_phone_normalized]::text[]
                             && ARRAY[s.k_bphone, s.k_mphone] THEN 'same phone' END),
                   '; ' ORDER BY f.last_name, f.first_name, f.id) AS why
        FROM ref_sel s JOIN ref_confound f
          ON (s.k_email <> '' AND f.email_normalized = s.k_email)
          OR (f.business_phone_normalized <> ''
              AND f.business_phone_normalized IN (s.k_bphone, s.k_mphone))
          OR (f.mobile_phone_normalized <> ''
              AND f.mobile_phone_normalized IN (s.k_bphone, s.k_mphone))
        GROUP BY s.id
        """,
    ),
    (
        "decide",
        f"""
        CREATE TEMP TABLE ref_q ON COMMIT DROP AS
        SELECT s.id AS lead_id, s.k_name, s.k_email, s.owner_id,
               am.account_id AS account_existing, cm.contact_id AS contact_existing,
               am.account_id, cm.contact_id,
               NULL::bigint AS opportunity_id, NULL::bigint AS qualification_id,
               false AS account_created, false AS contact_created,
               am.name AS account_name, cm.name AS contact_name
        FROM ref_sel s
        LEFT JOIN ref_accmatch am ON am.lead_id = s.id
        LEFT JOIN ref_conmatch cm ON cm.lead_id = s.id
        WHERE {_ACCOUNT_OK} AND (cm.n IS NULL OR (cm.n = 1 AND cm.clear))
        """,
    ),
    (
        "linked fields' changes",
        f"""
        CREATE TEMP TABLE ref_changes ON COMMIT DROP AS
        SELECT DISTINCT ON (record_type, record_id, field) *
        FROM ({_LINKED_VALUES.format(table="account")}
              UNION ALL {_LINKED_VALUES.format(table="contact")}) AS changes
        WHERE new <> '' AND old = ''
        ORDER BY record_type, record_id, field, lead_id
        """,
    ),
    # Two leads of a chunk linking one record: the first one fills a field, the second finds
    # it filled. Then the UPDATEs of the linked records (`statements`).
]
_WRITE: list[tuple[str, str]] = [
    (
        "new accounts numbered",
        """
        CREATE TEMP TABLE ref_newacc ON COMMIT DROP AS
        SELECT g.k_name, g.creator,
               nextval(pg_get_serial_sequence('crm_account', 'id')) AS id
        FROM (SELECT k_name, min(lead_id) AS creator FROM ref_q
              WHERE account_existing IS NULL AND k_name <> ''
              GROUP BY k_name ORDER BY min(lead_id)) AS g
        """,
    ),
    (
        "accounts resolved",
        """
        UPDATE ref_q q SET
            account_id = n.id, account_created = n.creator = q.lead_id,
            account_name = c.company_name
        FROM ref_newacc n JOIN ref_sel c ON c.id = n.creator
        WHERE n.k_name = q.k_name AND q.account_existing IS NULL
        """,
    ),
    (
        "insert accounts",
        """
        INSERT INTO crm_account (id, name, normalized_name, website_domain, website, phone,
            phone_normalized, name_initials, email, industry, description, owner_id, street1,
            street2, street3, city, state_province, postal_code, country, created_at,
            updated_at)
        SELECT n.id, s.company_name, s.k_name, s.k_domain, s.website, s.business_phone,
            s.k_bphone, s.k_initials, '', s.industry, '', s.owner_id, s.street1, s.street2,
            s.street3, s.city, s.state_province, s.postal_code, s.country, %(now)s, %(now)s
        FROM ref_newacc n JOIN ref_sel s ON s.id = n.creator ORDER BY n.id
        """,
    ),
    (
        "new contacts numbered",
        """
        CREATE TEMP TABLE ref_newcon ON COMMIT DROP AS
        SELECT g.contact_key, g.creator,
               nextval(pg_get_serial_sequence('crm_contact', 'id')) AS id
        FROM (SELECT coalesce(nullif(k_email, ''), 'lead:' || lead_id) AS contact_key,
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
        WHERE n.contact_key = coalesce(nullif(q.k_email, ''), 'lead:' || q.lead_id)
          AND q.contact_existing IS NULL
        """,
    ),
    (
        "insert contacts",
        """
        INSERT INTO crm_contact (id, first_name, last_name, email_normalized,
            full_name_normalized, name_key, email_domain, business_phone_normalized,
            mobile_phone_normalized, job_title, email, business_phone, mobile_phone,
            account_id, description, owner_id, street1, street2, street3, city,
            state_province, postal_code, country, created_at, updated_at)
        SELECT n.id, s.first_name, s.last_name, s.k_email, s.k_full, s.k_person,
            s.k_email_domain, s.k_bphone, s.k_mphone, s.job_title, s.email, s.business_phone,
            s.mobile_phone, q.account_id, '', s.owner_id, s.street1, s.street2, s.street3,
            s.city, s.state_province, s.postal_code, s.country, %(now)s, %(now)s
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
            contact_created, contact_duplicates, duplicate_matches, summary,
            lead_status_before, created_at, bulk_job_id, undone_at, undone_by_id,
            undone_records)
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
            '', s.status_reason, %(now)s, %(job)s, NULL, NULL, '[]'::jsonb
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
        "insert linked fields' changes",
        """
        INSERT INTO qualification_linkedfieldchange (qualification_id, record_type, record_id,
            field, old_value, new_value)
        SELECT q.qualification_id, c.record_type, c.record_id, c.field, to_jsonb(c.old),
            to_jsonb(c.new)
        FROM ref_changes c JOIN ref_q q ON q.lead_id = c.lead_id
        ORDER BY q.qualification_id, c.record_type
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
    (
        "advance job",
        """
        UPDATE qualification_bulkqualifyjob j SET updated_at = %(now)s,
            processed = j.processed + cardinality(%(ids)s::bigint[]),
            qualified_count = j.qualified_count + (SELECT count(*) FROM ref_q),
            accounts_created = j.accounts_created + (SELECT count(*) FROM ref_newacc),
            accounts_linked = j.accounts_linked
                + (SELECT count(*) FROM ref_q WHERE account_id IS NOT NULL
                   AND NOT account_created),
            contacts_created = j.contacts_created + (SELECT count(*) FROM ref_newcon),
            contacts_linked = j.contacts_linked
                + (SELECT count(*) FROM ref_q WHERE contact_id IS NOT NULL
                   AND NOT contact_created),
            opportunities_created = j.opportunities_created + (SELECT count(*) FROM ref_q),
            needs_review = j.needs_review || coalesce((
                SELECT jsonb_agg(jsonb_build_object('lead_id', s.id, 'label', left(s.label, 400),
                    'reason', CASE
                        WHEN am.n > 1 THEN format('%%s existing accounts match “%%s”: open the '
                            'lead to choose one (%%s).', am.n, s.company_name, am.why)
                        WHEN cm.n > 1 THEN format('%%s existing contacts match “%%s”: open the '
                            'lead to choose one (%%s).', cm.n, s.full_name, cm.why)
                        ELSE format('An existing contact may match “%%s”: open the lead to '
                            'check (%%s).', s.full_name, cm.why) END) ORDER BY s.id)
                FROM ref_sel s LEFT JOIN ref_accmatch am ON am.lead_id = s.id
                LEFT JOIN ref_conmatch cm ON cm.lead_id = s.id
                WHERE s.id NOT IN (SELECT lead_id FROM ref_q)), '[]'::jsonb)
        WHERE j.id = %(job)s
        """,
    ),
]


def statements() -> list[tuple[str, str]]:
    """A chunk's statements, (name, SQL with named parameters), in order. A linked record
    whose fields were filled gets every match column again (qualification.engine.linked)."""
    from crm.models import Account, Contact

    name = _NAME_KEY.format(col="v.name")
    account_keys = (
        f"normalized_name = {name}, "
        f"website_domain = {_DOMAIN_KEY.format(col='v.website')}, "
        f"phone_normalized = {_PHONE_KEY.format(col='v.phone')}, "
        f"name_initials = {_INITIALS.format(col=f'({name})')}"
    )
    contact_keys = (
        "email_normalized = left(lower(btrim(v.email)), 100), "
        "full_name_normalized = left(lower(btrim(regexp_replace("
        "v.first_name || ' ' || v.last_name, '\\s+', ' ', 'g'))), 101), "
        f"name_key = {_PERSON_KEY.format(first='v.first_name', last='v.last_name')}, "
        f"email_domain = {_EMAIL_DOMAIN.format(col='left(lower(btrim(v.email)), 100)')}, "
        f"business_phone_normalized = {_PHONE_KEY.format(col='v.business_phone')}, "
        f"mobile_phone_normalized = {_PHONE_KEY.format(col='v.mobile_phone')}"
    )
    return [
        *_READ_AND_DECIDE,
        ("update linked accounts", _linked_update(Account, keys=account_keys)),
        ("update linked contacts", _linked_update(Contact, keys=contact_keys)),
        *_WRITE,
    ]


# The statements whose one row gives parameters of the next ones (the key arrays).
_FETCHED = {
    "account keys": ("acc_names", "acc_initials", "acc_domains", "acc_phones"),
    "contact keys read": (
        "con_emails",
        "con_phones",
        "in_account_ids",
        "in_account_names",
        "in_company_keys",
        "in_company_names",
        "in_domain_keys",
        "in_domain_names",
    ),
}

_JOB_START = """
    INSERT INTO qualification_bulkqualifyjob (created_at, updated_at, created_by_id, lead_ids,
        create_account, create_contact, create_opportunity, status, total, processed,
        qualified_count, accounts_created, accounts_linked, contacts_created, contacts_linked,
        opportunities_created, failures, needs_review, task_id, error, finished_at,
        selection_key)
    VALUES (%(now)s, %(now)s, %(user)s, %(lead_ids)s::jsonb, true, true, true, 'running',
        %(total)s, 0, 0, 0, 0, 0, 0, 0, '[]', '[]', '', '', NULL, '')
    RETURNING id
"""
_JOB_DONE = """
    UPDATE qualification_bulkqualifyjob SET status = 'done', finished_at = %(now)s,
        updated_at = %(now)s
    WHERE id = %(job)s
"""


def reference_qualify(
    conn: Any, *, lead_ids: list[int], user_id: int, locks: bool = True, chunk: int | None = None
) -> dict[str, int]:
    """Qualify the leads on `conn` (a psycopg connection in autocommit mode, so that each
    `conn.transaction()` is a transaction of its own) as a job: in one transaction, or in one
    per `chunk` leads (in id order) as the engine does; returns how many leads were qualified
    and left for review, as the engine's outcome counts them, and the statements sent.

    With `locks`, every chunk takes its match keys' advisory locks (up to seven per lead).
    PostgreSQL keeps them until the transaction ends in a lock table of
    max_locks_per_transaction x max_connections entries (64 x 100 by default), so one
    transaction cannot lock the keys of 10,000 leads: with locks, give a chunk (the engine's
    500)."""
    from django.utils import timezone

    from crm.matching import LEGAL_SUFFIXES
    from crm.matching.similarity import FREE_MAIL_DOMAINS

    ordered = sorted(set(lead_ids))
    chunk_statements = statements()
    with conn.cursor() as cursor:
        cursor.execute(
            "SELECT id, app_label, model FROM django_content_type "
            "WHERE (app_label, model) IN (('leads', 'lead'), ('crm', 'opportunity'))"
        )
        types = {(app, model): pk for pk, app, model in cursor.fetchall()}
        start_params = {
            "now": timezone.now(),
            "user": user_id,
            "lead_ids": json.dumps(ordered),
            "total": len(ordered),
        }
        cursor.execute(_JOB_START, start_params)
        job = cursor.fetchone()[0]
    sent = 2
    step = chunk or len(ordered) or 1
    qualified = selected = 0
    for start in range(0, len(ordered), step):
        params = {
            "ids": ordered[start : start + step],
            "user": user_id,
            "job": job,
            "now": timezone.now(),
            "suffixes": sorted(LEGAL_SUFFIXES),
            "free_mail": sorted(FREE_MAIL_DOMAINS),
            "lead_type": types[("leads", "lead")],
            "opportunity_type": types[("crm", "opportunity")],
        }
        with conn.transaction(), conn.cursor() as cursor:
            for name, sql in chunk_statements:
                if name == "advisory locks" and not locks:
                    continue
                cursor.execute(sql, params)
                sent += 1
                if name in _FETCHED:
                    params.update(zip(_FETCHED[name], cursor.fetchone(), strict=True))
            cursor.execute("SELECT (SELECT count(*) FROM ref_q), (SELECT count(*) FROM ref_sel)")
            done, seen = cursor.fetchone()
            qualified, selected = qualified + done, selected + seen
    with conn.cursor() as cursor:
        cursor.execute(_JOB_DONE, {"now": timezone.now(), "job": job})
        sent += 1
    return {"qualified": qualified, "review": selected - qualified, "statements": sent}


# Fingerprints --------------------------------------------------------------------------------

# Every row of the tables a qualify writes, as JSON without ids and timestamps; a reference to a
# record created by the qualify is replaced by the lead it came from (ids depend on the order of
# the inserts, the leads' ids do not: both runs start from empty tables), the job a
# qualification record names by whether it names one.
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
        SELECT ((to_jsonb(t) - {_STAMPS} - ARRAY['account_id', 'contact_id', 'duplicate_matches',
                                                 'bulk_job_id'])
                || jsonb_build_object('account', a.key, 'contact', c.key,
                                      'in_a_job', t.bulk_job_id IS NOT NULL, 'matches',
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
    "qualification_linkedfieldchange": """
        SELECT ((to_jsonb(t) - ARRAY['id', 'qualification_id', 'record_id'])
                || jsonb_build_object('qualification', q.key,
                                      'record', coalesce(a.key, c.key)))::text
        FROM qualification_linkedfieldchange t JOIN fp_q q ON q.id = t.qualification_id
        LEFT JOIN fp_acc a ON t.record_type = 'account' AND a.id = t.record_id
        LEFT JOIN fp_con c ON t.record_type = 'contact' AND c.id = t.record_id""",
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
    # The job's bookkeeping, without what belongs to the task queue (its task id) and the
    # selection's hash (which only keeps two jobs of one selection from running at once).
    "qualification_bulkqualifyjob": f"""
        SELECT (to_jsonb(t) - {_STAMPS} - ARRAY['finished_at', 'task_id', 'selection_key']
                || jsonb_build_object('finished', t.finished_at IS NOT NULL))::text
        FROM qualification_bulkqualifyjob t""",
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
