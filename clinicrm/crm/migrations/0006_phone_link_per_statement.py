"""On PostgreSQL, a patient phone links its conversations once per statement, not once per row.

0004's row trigger on `contact_phones` ran its look-up once per inserted phone with the plan
PL/pgSQL cached for the first rows: in a bulk `INSERT ... SELECT` of 50,000 phones (an import, the
people benchmark) that plan scanned the growing table on every row, and the insert ran for more
than 15 minutes. The statement trigger reads the statement's new rows as a transition table and
links every affected conversation in one UPDATE, planned once with the rows in hand. The rule is
0004's: a thread is linked when exactly one active patient of its tenant has its number.
(PostgreSQL refuses transition tables on column-list triggers, so the UPDATE trigger fires for
any UPDATE of `contact_phones` and looks only at the rows it changed.) SQLite keeps 0004's row
triggers: its planner uses the (tenant, number) index on every row.
"""

from django.db import migrations

PG_FORWARDS = """
DROP TRIGGER IF EXISTS contact_phones_link_threads ON contact_phones;
DROP FUNCTION IF EXISTS contact_phones_link_threads();

CREATE OR REPLACE FUNCTION contact_phones_link_threads() RETURNS trigger AS $$
BEGIN
  UPDATE conversation_threads t SET patient_id = linked.pid
    FROM (
      SELECT n.tenant_id, n.number_e164, MIN(p.entity_id) AS pid
        FROM (SELECT DISTINCT tenant_id, number_e164 FROM new_phones
               WHERE entity_type = 'patient') n
        JOIN contact_phones p
          ON p.tenant_id = n.tenant_id AND p.number_e164 = n.number_e164
         AND p.entity_type = 'patient'
        JOIN patients pa ON pa.id = p.entity_id AND pa.tenant_id = p.tenant_id AND pa.is_active
       GROUP BY n.tenant_id, n.number_e164
      HAVING COUNT(DISTINCT p.entity_id) = 1
    ) linked
   WHERE t.tenant_id = linked.tenant_id AND t.thread_key = linked.number_e164
     AND t.patient_id IS NULL;
  RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER contact_phones_link_threads_ins
  AFTER INSERT ON contact_phones REFERENCING NEW TABLE AS new_phones
  FOR EACH STATEMENT EXECUTE FUNCTION contact_phones_link_threads();

CREATE TRIGGER contact_phones_link_threads_upd
  AFTER UPDATE ON contact_phones REFERENCING NEW TABLE AS new_phones
  FOR EACH STATEMENT EXECUTE FUNCTION contact_phones_link_threads();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_FORWARDS)


class Migration(migrations.Migration):
    dependencies = [("crm", "0005_assignment_release_always_allowed")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
