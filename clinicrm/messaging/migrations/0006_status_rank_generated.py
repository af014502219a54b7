# Message.status_rank becomes a column the database derives from status. A column can't be
# altered into a generated one: drop it and add it back (the database fills every row).

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('messaging', '0005_reconciliation'),
    ]

    operations = [
        migrations.RemoveField(model_name='message', name='status_rank'),
        migrations.AddField(
            model_name='message',
            name='status_rank',
            field=models.GeneratedField(db_persist=True, expression=models.Case(models.When(status='pending', then=models.Value(0)), models.When(status='sent', then=models.Value(10)), models.When(status='failed', then=models.Value(15)), models.When(status='delivered', then=models.Value(20)), models.When(status='read', then=models.Value(30)), models.When(status='played', then=models.Value(40)), default=models.Value(0), output_field=models.SmallIntegerField()), output_field=models.SmallIntegerField()),
        ),
    ]
