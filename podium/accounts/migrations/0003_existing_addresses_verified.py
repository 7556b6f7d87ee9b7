from django.db import migrations


def vouch_for_existing(apps, schema_editor):
    """Accounts older than sign-up were all made by the operator: their addresses count as
    verified, as those of accounts the operator makes later do (podium.accounts.apps).
    Without this, email verification would lock them out of their first sign-in."""
    User = apps.get_model('accounts', 'User')
    EmailAddress = apps.get_model('account', 'EmailAddress')
    taken = set(EmailAddress.objects.filter(verified=True).values_list('email', flat=True))
    for user in User.objects.exclude(email='').filter(emailaddress__isnull=True).order_by('pk'):
        address = user.email.lower()
        if address in taken:
            continue
        EmailAddress.objects.create(user=user, email=address, verified=True, primary=True)
        taken.add(address)


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0002_profiles_terms_and_tokens'),
        ('account', '0009_emailaddress_unique_primary_email'),
    ]

    operations = [
        migrations.RunPython(vouch_for_existing, migrations.RunPython.noop),
    ]
